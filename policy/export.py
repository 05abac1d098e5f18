"""A plan in formats existing scanners read: Terraform JSON (AWS, GCP) and an ARM template (Azure).

pulumi-aws and pulumi-gcp follow the Terraform providers' schemas, so a plan resource becomes a Terraform
resource block: the type token maps to the Terraform type (``aws:s3/bucket:Bucket`` -> ``aws_s3_bucket``), wire
names become snake_case, the few block names Pulumi pluralises are singular again (``rules`` -> ``rule``), and an
input whose value is another resource's id or output becomes a Terraform reference
(``${aws_s3_bucket.iris_artifacts.id}``), so a scanner's graph checks connect a bucket to its separate
encryption, versioning and public-access resources. azure-native follows the ARM schema: a plan resource
becomes an ARM template resource (type, name, properties).

The export is for scanning, not for applying: values the plan only knows from the mocks stay as they are.

``export_plan(plan, out_dir) -> [paths]`` writes ``main.tf.json`` and/or ``azuredeploy.json``;
``export(plan_path, out_dir) -> exit code`` is the command-line function (0 written, 2 unreadable plan).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, TextIO

from policy.engine import as_dict

# Pulumi module -> Terraform type prefix, where ``<provider>_<module>_<resource>`` is not the Terraform name.
TF_TYPES = {
    "aws:s3/bucketObjectv2:BucketObjectv2": "aws_s3_object",
    "aws:s3/bucketV2:BucketV2": "aws_s3_bucket",
    "aws:s3/bucketObject:BucketObject": "aws_s3_object",
    "gcp:cloudrunv2/service:Service": "google_cloud_run_v2_service",
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": "google_cloud_run_v2_service_iam_member",
    "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding": "google_cloud_run_v2_service_iam_binding",
    "gcp:serviceaccount/account:Account": "google_service_account",
    "gcp:projects/iAMMember:IAMMember": "google_project_iam_member",
    "gcp:projects/iAMBinding:IAMBinding": "google_project_iam_binding",
    "gcp:projects/service:Service": "google_project_service",
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": "google_kms_crypto_key_iam_member",
    "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding": "google_kms_crypto_key_iam_binding",
    "gcp:storage/bucketIAMMember:BucketIAMMember": "google_storage_bucket_iam_member",
    "gcp:storage/bucketObject:BucketObject": "google_storage_bucket_object",
    "gcp:artifactregistry/repository:Repository": "google_artifact_registry_repository",
}
PROVIDER_PREFIX = {"aws": "aws", "gcp": "google"}
# Wire names Pulumi pluralises where the Terraform block is singular (per Terraform type, or "*" for all).
TF_RENAMES: dict[str, dict[str, str]] = {
    "*": {"rules": "rule"},
    "aws_cloudwatch_metric_alarm": {"metricQueries": "metric_query"},
    "aws_iam_role": {"inlinePolicies": "inline_policy"},
    "aws_s3_object": {"source": "source"},
    "aws_appautoscaling_policy": {"dimensions": "metric_dimension"},
    "google_storage_bucket": {"lifecycleRules": "lifecycle_rule", "cors": "cors"},
    "google_monitoring_alert_policy": {"conditions": "conditions"},
    "google_cloud_run_v2_service": {"containers": "containers", "volumes": "volumes", "traffics": "traffic"},
}
# Output keys -> the Terraform attribute a reference should name.
REF_ATTRS = ("arn", "id", "name", "bucket", "keyId", "email", "selfLink")

ARM_TYPES = {
    "azure-native:resources:ResourceGroup": (
        "Microsoft.Resources/resourceGroups",
        "2024-03-01",
        "resourceGroupName",
    ),
    "azure-native:storage:StorageAccount": ("Microsoft.Storage/storageAccounts", "2024-01-01", "accountName"),
    "azure-native:storage:BlobServiceProperties": (
        "Microsoft.Storage/storageAccounts/blobServices",
        "2024-01-01",
        None,
    ),
    "azure-native:storage:BlobContainer": (
        "Microsoft.Storage/storageAccounts/blobServices/containers",
        "2024-01-01",
        "containerName",
    ),
    "azure-native:keyvault:Vault": ("Microsoft.KeyVault/vaults", "2024-11-01", "vaultName"),
    "azure-native:keyvault:Key": ("Microsoft.KeyVault/vaults/keys", "2024-11-01", "keyName"),
    "azure-native:managedidentity:UserAssignedIdentity": (
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "2023-01-31",
        "resourceName",
    ),
    "azure-native:authorization:RoleAssignment": (
        "Microsoft.Authorization/roleAssignments",
        "2022-04-01",
        "roleAssignmentName",
    ),
    "azure-native:machinelearningservices:Workspace": (
        "Microsoft.MachineLearningServices/workspaces",
        "2025-12-01",
        "workspaceName",
    ),
    "azure-native:machinelearningservices:OnlineEndpoint": (
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
        "2025-12-01",
        "endpointName",
    ),
    "azure-native:machinelearningservices:OnlineDeployment": (
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
        "2025-12-01",
        "deploymentName",
    ),
    "azure-native:machinelearningservices:ModelContainer": (
        "Microsoft.MachineLearningServices/workspaces/models",
        "2025-12-01",
        "name",
    ),
    "azure-native:machinelearningservices:ModelVersion": (
        "Microsoft.MachineLearningServices/workspaces/models/versions",
        "2025-12-01",
        "version",
    ),
    "azure-native:insights:Component": ("Microsoft.Insights/components", "2020-02-02", "resourceName"),
    "azure-native:applicationinsights:Component": (
        "Microsoft.Insights/components",
        "2020-02-02",
        "resourceName",
    ),
    "azure-native:operationalinsights:Workspace": (
        "Microsoft.OperationalInsights/workspaces",
        "2023-09-01",
        "workspaceName",
    ),
    "azure-native:monitor:MetricAlert": ("Microsoft.Insights/metricAlerts", "2018-03-01", "ruleName"),
    "azure-native:monitor:ActionGroup": ("Microsoft.Insights/actionGroups", "2023-01-01", "actionGroupName"),
    "azure-native:monitor:AutoscaleSetting": (
        "Microsoft.Insights/autoscalesettings",
        "2022-10-01",
        "autoscaleSettingName",
    ),
    "azure-native:monitor:DiagnosticSetting": (
        "Microsoft.Insights/diagnosticSettings",
        "2021-05-01-preview",
        "name",
    ),
    "azure-native:portal:Dashboard": ("Microsoft.Portal/dashboards", "2020-09-01-preview", "dashboardName"),
}
ARM_TOP_LEVEL = ("location", "sku", "kind", "identity", "tags", "zones", "extendedLocation")
ARM_NOT_PROPERTIES = (
    "resourceGroupName",
    "workspaceName",
    "endpointName",
    "accountName",
    "vaultName",
    "blobServicesName",
)
# azure-native flattens properties under names that differ from ARM in a few places.
ARM_RENAMES = {
    "azure-native:storage:StorageAccount": {
        "enableHttpsTrafficOnly": "supportsHttpsTrafficOnly",
        "networkRuleSet": "networkAcls",
    }
}


def snake(name: str) -> str:
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.replace("-", "_").lower()


def tf_type(token: str) -> str | None:
    if token in TF_TYPES:
        return TF_TYPES[token]
    m = re.match(r"^(aws|gcp):([a-zA-Z0-9]+)/[a-zA-Z0-9]+:([A-Za-z0-9]+)$", token)
    if not m:
        return None
    return f"{PROVIDER_PREFIX[m.group(1)]}_{snake(m.group(2))}_{snake(m.group(3))}"


def tf_name(name: str) -> str:
    n = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return n if re.match(r"^[A-Za-z_]", n) else f"r_{n}"


class _Refs:
    """Values that name a resource (its id or an output) -> a Terraform reference."""

    def __init__(self, entries: list[tuple[dict[str, Any], str, str]]):
        # value -> {resource: (ref, is an output)}; several resources may answer to one value (every S3
        # bucket control has the bucket's name as its id): an output beats an id, and a tie is no reference.
        owners: dict[str, dict[str, tuple[str, bool]]] = {}
        for r, typ, name in entries:
            outputs = as_dict(r.get("outputs"))
            for attr in REF_ATTRS:
                v = r.get("id") if attr == "id" else outputs.get(attr)
                if isinstance(v, str) and len(v) > 3:
                    mine = owners.setdefault(v, {})
                    key = f"{typ}.{name}"
                    ref, is_out = mine.get(key, ("", False))
                    # the arn, then the id, are the canonical references when they are the value
                    if not ref or attr == "arn" or (attr == "id" and not ref.endswith(".arn}")):
                        ref = f"${{{typ}.{name}.{snake(attr)}}}"
                    mine[key] = (ref, is_out or attr != "id")
        self.by_value: dict[str, str] = {}
        self.own_ids = {f"{typ}.{name}": r.get("id") for r, typ, name in entries}
        for v, mine in owners.items():
            from_outputs = [ref for ref, out in mine.values() if out]
            if len(from_outputs) == 1:
                self.by_value[v] = from_outputs[0]
            elif not from_outputs and len(mine) == 1:
                self.by_value[v] = next(iter(mine.values()))[0]

    def __call__(self, value: str, own: str, key: str = "") -> str:
        if (key == "name" or key.endswith("Name")) and value == self.own_ids.get(own):
            return value  # a resource's own name (dashboardName, name) is not a reference to another
        ref = self.by_value.get(value)
        return ref if ref and not ref.startswith(f"${{{own}.") else value


def _tf_value(value: Any, tf: str, refs: _Refs, own: str) -> Any:
    if isinstance(value, dict):
        if value.get("asset") == "file" and "path" in value:
            return value["path"]
        renames = {**TF_RENAMES["*"], **TF_RENAMES.get(tf, {})}
        out: dict[str, Any] = {}
        for k, v in value.items():
            if v is None:
                continue
            if k in MAP_INPUTS and isinstance(v, dict):  # map-typed inputs keep their keys
                out[snake(k)] = dict(v)
            elif isinstance(v, str):
                out[renames.get(k, snake(k))] = refs(v, own, k)
            else:
                out[renames.get(k, snake(k))] = _tf_value(v, tf, refs, own)
        return out
    if isinstance(value, list):
        return [_tf_value(v, tf, refs, own) for v in value]
    if isinstance(value, str):
        return refs(value, own)
    return value


MAP_INPUTS = (
    "tags",
    "labels",
    "annotations",
    "environment",
    "environmentVariables",
    "metadata",
    "dimensions",
    "userLabels",
    "tagsAll",
    "envs",
)


def to_terraform(plan: dict[str, Any]) -> dict[str, Any]:
    """The AWS and GCP resources of a plan as a Terraform JSON configuration (``main.tf.json``)."""
    entries: list[tuple[dict[str, Any], str, str]] = []
    used: set[tuple[str, str]] = set()
    for r in plan.get("resources") or []:
        if not isinstance(r, dict) or not r.get("custom", True):
            continue
        typ = tf_type(str(r.get("type", "")))
        if typ is None:
            continue
        name = tf_name(str(r.get("name", "r")))
        while (typ, name) in used:
            name += "_"
        used.add((typ, name))
        entries.append((r, typ, name))
    refs = _Refs(entries)
    resources: dict[str, dict[str, Any]] = {}
    for r, typ, name in entries:
        own = f"{typ}.{name}"
        inputs = as_dict(r.get("inputs"))
        body: dict[str, Any] = _tf_value(inputs, typ, refs, own)
        if r.get("protect") is True:
            body["lifecycle"] = {"prevent_destroy": True}  # Pulumi's protect is Terraform's prevent_destroy
        resources.setdefault(typ, {})[name] = body
    out: dict[str, Any] = {"resource": resources}
    providers = {}
    if any(t.startswith("aws_") for t in resources):
        providers["aws"] = {"region": plan.get("region") or "us-east-1"}
    if any(t.startswith("google_") for t in resources):
        providers["google"] = {"region": plan.get("region") or "us-central1"}
    if providers:
        out["provider"] = providers
    return out


def _arm_name(r: dict[str, Any], name_key: str | None) -> str:
    inputs = as_dict(r.get("inputs"))
    typ = str(r.get("type"))
    own = inputs.get(name_key) if name_key else None
    own = own if isinstance(own, str) and own else as_dict(r.get("outputs")).get("name") or r.get("name")
    parents = {
        "azure-native:storage:BlobServiceProperties": [inputs.get("accountName")],
        "azure-native:storage:BlobContainer": [inputs.get("accountName"), "default"],
        "azure-native:keyvault:Key": [inputs.get("vaultName")],
        "azure-native:machinelearningservices:OnlineEndpoint": [inputs.get("workspaceName")],
        "azure-native:machinelearningservices:OnlineDeployment": [
            inputs.get("workspaceName"),
            inputs.get("endpointName"),
        ],
        "azure-native:machinelearningservices:ModelContainer": [inputs.get("workspaceName")],
    }.get(typ, [])
    if typ == "azure-native:storage:BlobServiceProperties":
        own = "default"
    return "/".join(str(p) for p in [*parents, own] if p)


def to_arm(plan: dict[str, Any]) -> dict[str, Any]:
    """The Azure resources of a plan as an ARM deployment template (``azuredeploy.json``)."""
    resources = []
    for r in plan.get("resources") or []:
        if not isinstance(r, dict):
            continue
        spec = ARM_TYPES.get(str(r.get("type")))
        if spec is None:
            continue
        arm_type, api, name_key = spec
        inputs = dict(r.get("inputs") or {})
        res: dict[str, Any] = {"type": arm_type, "apiVersion": api, "name": _arm_name(r, name_key)}
        for k in ARM_TOP_LEVEL:
            if inputs.get(k) is not None:
                res[k] = inputs[k]
        if isinstance(inputs.get("properties"), dict):
            props = dict(inputs["properties"])
        else:
            renames = ARM_RENAMES.get(str(r.get("type")), {})
            props = {
                renames.get(k, k): v
                for k, v in inputs.items()
                if k not in ARM_TOP_LEVEL and k not in ARM_NOT_PROPERTIES and k != name_key and v is not None
            }
        res["properties"] = props
        resources.append(res)
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": resources,
    }


def export_plan(plan: dict[str, Any], out_dir: str | Path) -> list[Path]:
    """Write ``main.tf.json`` (AWS/GCP resources) and/or ``azuredeploy.json`` (Azure resources) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    tf = to_terraform(plan)
    if tf["resource"]:
        p = out / "main.tf.json"
        p.write_text(json.dumps(tf, indent=2, sort_keys=True) + "\n")
        written.append(p)
    arm = to_arm(plan)
    if arm["resources"]:
        p = out / "azuredeploy.json"
        p.write_text(json.dumps(arm, indent=2, sort_keys=True) + "\n")
        written.append(p)
    return written


def export(plan_path: str, out_dir: str, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """``mlinfra policy export PLAN.json --out DIR``: 0 written, 2 unreadable plan."""
    from policy.cli import PlanFileError, load_plan

    out = out or sys.stdout
    err = err or sys.stderr
    try:
        plan = load_plan(plan_path)
    except PlanFileError as exc:
        err.write(f"error: {exc}\n")
        return 2
    for p in export_plan(plan, out_dir):
        out.write(f"wrote {p}\n")
    return 0
