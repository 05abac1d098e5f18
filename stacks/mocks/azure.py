"""What Azure answers for each azure-native resource type: ARM ids, names and the outputs other resources use.

Ids follow ARM: ``/subscriptions/<sub>/resourceGroups/<rg>/providers/<namespace>/<type>/<name>[/<child>/<name>]``.
System-assigned identities get a deterministic principal id. Names the program does not pin are autonamed
like the provider does (logical name + 8 hex).
"""

from __future__ import annotations

import uuid
from typing import Any

from stacks.mocks import Context, stable_hash

TENANT = "11111111-1111-1111-1111-111111111111"
ML = "Microsoft.MachineLearningServices/workspaces"


def _guid(*parts: Any) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(str(p) for p in parts)))


def _name(name: str, inputs: dict[str, Any], key: str) -> str:
    return inputs.get(key) or f"{name}{stable_hash(name, n=8)}"


def _rg(ctx: Context, inputs: dict[str, Any]) -> str:
    return f"/subscriptions/{ctx.subscription}/resourceGroups/{inputs.get('resourceGroupName', 'rg')}"


def _identity(inputs: dict[str, Any], rid: str) -> dict[str, Any]:
    ident = inputs.get("identity") or {}
    if "SystemAssigned" not in str(ident.get("type", "")):
        return {}
    return {"identity": {**ident, "principalId": _guid("principal", rid), "tenantId": TENANT}}


def outputs(typ: str, name: str, inputs: dict[str, Any], ctx: Context) -> tuple[str, dict[str, Any]]:
    sub, loc = ctx.subscription, inputs.get("location", ctx.region)
    rg = _rg(ctx, inputs)
    kind = typ.split(":", 2)[1:]
    if typ == "azure-native:resources:ResourceGroup":
        n = _name(name, inputs, "resourceGroupName")
        return f"/subscriptions/{sub}/resourceGroups/{n}", {"name": n, "location": loc}
    if typ == "azure-native:storage:StorageAccount":
        n = _name(name, inputs, "accountName")
        rid = f"{rg}/providers/Microsoft.Storage/storageAccounts/{n}"
        return rid, {"name": n, "primaryEndpoints": {"blob": f"https://{n}.blob.core.windows.net/"}}
    if typ == "azure-native:storage:BlobServiceProperties":
        return (
            f"{rg}/providers/Microsoft.Storage/storageAccounts/{inputs['accountName']}/blobServices/default",
            {"name": "default"},
        )
    if typ == "azure-native:storage:BlobContainer":
        n = _name(name, inputs, "containerName")
        return (
            f"{rg}/providers/Microsoft.Storage/storageAccounts/{inputs['accountName']}/blobServices/default/containers/{n}",
            {"name": n},
        )
    if typ == "azure-native:storage:Blob":
        n = inputs.get("blobName") or name
        url = f"https://{inputs['accountName']}.blob.core.windows.net/{inputs['containerName']}/{n}"
        return url, {"name": n, "url": url}
    if typ == "azure-native:keyvault:Vault":
        n = _name(name, inputs, "vaultName")
        return f"{rg}/providers/Microsoft.KeyVault/vaults/{n}", {
            "name": n,
            "properties": {**inputs.get("properties", {}), "vaultUri": f"https://{n}.vault.azure.net/"},
        }
    if typ == "azure-native:operationalinsights:Workspace":
        n = _name(name, inputs, "workspaceName")
        return f"{rg}/providers/Microsoft.OperationalInsights/workspaces/{n}", {
            "name": n,
            "customerId": _guid("law", n),
        }
    if typ == "azure-native:applicationinsights:Component":
        n = _name(name, inputs, "resourceName")
        ikey = _guid("appi", n)
        return f"{rg}/providers/Microsoft.Insights/components/{n}", {
            "name": n,
            "instrumentationKey": ikey,
            "appId": _guid("appid", n),
            "connectionString": f"InstrumentationKey={ikey};IngestionEndpoint=https://{loc}-0.in.applicationinsights.azure.com/",
        }
    if typ == "azure-native:applicationinsights:Workbook":
        n = inputs.get("resourceName") or _guid("workbook", name)
        return f"{rg}/providers/Microsoft.Insights/workbooks/{n}", {"name": n}
    if typ == "azure-native:machinelearningservices:Workspace":
        n = _name(name, inputs, "workspaceName")
        rid = f"{rg}/providers/{ML}/{n}"
        return rid, {
            "name": n,
            "workspaceId": _guid("ws", n),
            "discoveryUrl": f"https://{loc}.api.azureml.ms/discovery",
            **_identity(inputs, rid),
        }
    if kind and kind[0] == "machinelearningservices":
        ws = f"{rg}/providers/{ML}/{inputs.get('workspaceName')}"
        res = kind[1].split(":")[0]
        if res == "ModelContainer":
            return f"{ws}/models/{inputs['name']}", {"name": inputs["name"]}
        if res in ("ModelVersion", "EnvironmentVersion"):
            coll = "models" if res == "ModelVersion" else "environments"
            return f"{ws}/{coll}/{inputs['name']}/versions/{inputs['version']}", {"name": inputs["version"]}
        if res == "OnlineEndpoint":
            n = _name(name, inputs, "endpointName")
            rid = f"{ws}/onlineEndpoints/{n}"
            props = {
                **inputs.get("properties", {}),
                "provisioningState": "Succeeded",
                "scoringUri": f"https://{n}.{loc}.inference.ml.azure.com/score",
                "swaggerUri": f"https://{n}.{loc}.inference.ml.azure.com/swagger.json",
            }
            return rid, {"name": n, "properties": props, **_identity(inputs, rid)}
        if res == "OnlineDeployment":
            n = _name(name, inputs, "deploymentName")
            return f"{ws}/onlineEndpoints/{inputs['endpointName']}/deployments/{n}", {
                "name": n,
                "properties": {**inputs.get("properties", {}), "provisioningState": "Succeeded"},
            }
    if typ == "azure-native:authorization:RoleAssignment":
        n = inputs.get("roleAssignmentName") or _guid("ra", name)
        return f"{inputs['scope']}/providers/Microsoft.Authorization/roleAssignments/{n}", {"name": n}
    if typ.startswith("azure-native:monitor:"):
        res = typ.rsplit(":", 1)[1]
        key, coll = {
            "ActionGroup": ("actionGroupName", "actionGroups"),
            "MetricAlert": ("ruleName", "metricAlerts"),
            "AutoscaleSetting": ("autoscaleSettingName", "autoscalesettings"),
        }.get(res, ("name", res[0].lower() + res[1:] + "s"))
        n = _name(name, inputs, key)
        if res == "DiagnosticSetting":
            return f"{inputs['resourceUri']}/providers/microsoft.insights/diagnosticSettings/{n}", {"name": n}
        return f"{rg}/providers/microsoft.insights/{coll}/{n}", {"name": n}
    return f"{rg}/providers/unknown/{name}", {"name": name}


def call(token: str, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    if token == "azure-native:authorization:getClientConfig":
        return {
            "clientId": _guid("client"),
            "objectId": _guid("object"),
            "subscriptionId": ctx.subscription,
            "tenantId": TENANT,
        }
    return {}
