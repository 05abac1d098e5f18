"""Every Azure and GCP rule on synthetic plans in the shape the azure-native 3 / pulumi-gcp 10 resources take on
the wire (camelCase inputs): a compliant stack passes, one targeted edit makes each rule fail."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from policy import evaluate
from policy.engine import load_rules
from tests.policy.conftest import resource, rules_of

RG = "/subscriptions/0000/resourceGroups/rg/providers"


def azure_stack() -> dict[str, Any]:
    comp = resource("mlinfra:azure:Endpoint", "iris", custom=False)
    p = comp["urn"]
    acct_id = f"{RG}/Microsoft.Storage/storageAccounts/deviris1a2b3c"
    ws_id = f"{RG}/Microsoft.MachineLearningServices/workspaces/dev-iris"
    dep_id = f"{ws_id}/onlineEndpoints/dev-iris/deployments/blue"
    ag_id = f"{RG}/Microsoft.Insights/actionGroups/dev-iris"
    return {
        "profile": "dev",
        "resources": [
            comp,
            resource(
                "azure-native:storage:StorageAccount",
                "iris-storage",
                {
                    "accountName": "deviris1a2b3c",
                    "enableHttpsTrafficOnly": True,
                    "minimumTlsVersion": "TLS1_2",
                    "allowBlobPublicAccess": False,
                    "allowSharedKeyAccess": False,
                    "publicNetworkAccess": "Enabled",
                    "networkRuleSet": {"defaultAction": "Deny", "bypass": "AzureServices"},
                    "encryption": {"requireInfrastructureEncryption": True, "keySource": "Microsoft.Storage"},
                },
                outputs={"name": "deviris1a2b3c"},
                id=acct_id,
                protect=True,
                parent=p,
            ),
            resource(
                "azure-native:storage:BlobServiceProperties",
                "iris-blob-service",
                {
                    "accountName": "deviris1a2b3c",
                    "deleteRetentionPolicy": {"enabled": True, "days": 30},
                    "containerDeleteRetentionPolicy": {"enabled": True, "days": 30},
                    "isVersioningEnabled": True,
                },
                parent=p,
            ),
            resource(
                "azure-native:storage:BlobContainer",
                "iris-models",
                {"accountName": "deviris1a2b3c", "publicAccess": "None"},
                parent=p,
            ),
            resource(
                "azure-native:keyvault:Vault",
                "iris-vault",
                {
                    "properties": {
                        "enablePurgeProtection": True,
                        "enableSoftDelete": True,
                        "enableRbacAuthorization": True,
                        "publicNetworkAccess": "Disabled",
                        "tenantId": "t",
                        "sku": {"family": "A", "name": "standard"},
                    }
                },
                protect=True,
                parent=p,
            ),
            resource(
                "azure-native:machinelearningservices:Workspace",
                "iris-workspace",
                {
                    "identity": {"type": "SystemAssigned"},
                    "hbiWorkspace": True,
                    "publicNetworkAccess": "Enabled",
                    "storageAccount": acct_id,
                },
                id=ws_id,
                protect=True,
                parent=p,
            ),
            resource(
                "azure-native:machinelearningservices:OnlineEndpoint",
                "iris-endpoint",
                {
                    "properties": {"authMode": "AADToken", "publicNetworkAccess": "Enabled"},
                    "workspaceName": "dev-iris",
                },
                parent=p,
            ),
            resource(
                "azure-native:machinelearningservices:OnlineDeployment",
                "iris-blue",
                {
                    "properties": {
                        "endpointComputeType": "Managed",
                        "instanceType": "Standard_DS3_v2",
                        "egressPublicNetworkAccess": "Enabled",
                    },
                    "sku": {"name": "Default", "capacity": 2},
                },
                id=dep_id,
                parent=p,
                ignoreChanges=["sku.capacity"],
            ),
            resource(
                "azure-native:monitor:AutoscaleSetting",
                "iris-autoscale",
                {
                    "targetResourceUri": dep_id,
                    "profiles": [
                        {
                            "name": "default",
                            "capacity": {"minimum": "2", "default": "2", "maximum": "4"},
                            "rules": [],
                        }
                    ],
                },
                parent=p,
            ),
            resource(
                "azure-native:monitor:ActionGroup",
                "iris-alerts",
                {
                    "actionGroupName": "dev-iris",
                    "enabled": True,
                    "emailReceivers": [{"name": "oncall", "emailAddress": "a@b.c"}],
                },
                id=ag_id,
                parent=p,
            ),
            resource(
                "azure-native:monitor:MetricAlert",
                "iris-alert-latency",
                {"actions": [{"actionGroupId": ag_id}], "severity": 2},
                parent=p,
            ),
        ],
    }


def gcp_stack() -> dict[str, Any]:
    comp = resource("mlinfra:gcp:Endpoint", "iris", custom=False)
    p = comp["urn"]
    key_id = "projects/demo/locations/us-central1/keyRings/dev-iris/cryptoKeys/dev-iris"
    sa = "dev-iris@demo.iam.gserviceaccount.com"
    chan = "projects/demo/notificationChannels/123"
    return {
        "profile": "dev",
        "resources": [
            comp,
            resource(
                "gcp:kms/keyRing:KeyRing", "iris-keyring", {"location": "us-central1"}, protect=True, parent=p
            ),
            resource(
                "gcp:kms/cryptoKey:CryptoKey",
                "iris-key",
                {"rotationPeriod": "7776000s", "purpose": "ENCRYPT_DECRYPT"},
                id=key_id,
                protect=True,
                parent=p,
            ),
            resource(
                "gcp:storage/bucket:Bucket",
                "iris-artifacts",
                {
                    "uniformBucketLevelAccess": True,
                    "publicAccessPrevention": "enforced",
                    "versioning": {"enabled": True},
                    "encryption": {"defaultKmsKeyName": key_id},
                },
                protect=True,
                parent=p,
            ),
            resource(
                "gcp:serviceaccount/account:Account",
                "iris-sa",
                {"accountId": "dev-iris"},
                outputs={"email": sa},
                parent=p,
            ),
            resource(
                "gcp:projects/iAMMember:IAMMember",
                "iris-logs-writer",
                {"project": "demo", "role": "roles/logging.logWriter", "member": f"serviceAccount:{sa}"},
                parent=p,
            ),
            resource(
                "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
                "iris-key-vertex",
                {
                    "cryptoKeyId": key_id,
                    "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
                    "member": "serviceAccount:service-123456789@gcp-sa-aiplatform.iam.gserviceaccount.com",
                },
                parent=p,
            ),
            resource(
                "pulumi-python:dynamic/mlinfra:VertexDeployment",
                "iris-deployment",
                {
                    "endpoint": "projects/demo/locations/us-central1/endpoints/1234567890",
                    "replicas": {"min": 2, "max": 4},
                },
                parent=p,
            ),
            resource(
                "gcp:vertex/aiEndpoint:AiEndpoint",
                "iris-endpoint",
                {
                    "name": "1234567890",
                    "encryptionSpec": {"kmsKeyName": key_id},
                    "privateServiceConnectConfig": {"enablePrivateServiceConnect": True},
                },
                parent=p,
            ),
            resource(
                "gcp:cloudrunv2/service:Service",
                "iris-run",
                {
                    "ingress": "INGRESS_TRAFFIC_INTERNAL_ONLY",
                    "template": {
                        "serviceAccount": sa,
                        "scaling": {"minInstanceCount": 2, "maxInstanceCount": 4},
                    },
                },
                outputs={"name": "dev-iris"},
                parent=p,
            ),
            resource(
                "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
                "iris-invoker",
                {
                    "name": "dev-iris",
                    "role": "roles/run.invoker",
                    "member": "serviceAccount:caller@demo.iam.gserviceaccount.com",
                },
                parent=p,
            ),
            resource(
                "gcp:monitoring/notificationChannel:NotificationChannel",
                "iris-email-0",
                {"type": "email", "labels": {"email_address": "a@b.c"}, "enabled": True},
                id=chan,
                outputs={"name": chan},
                parent=p,
            ),
            resource(
                "gcp:monitoring/alertPolicy:AlertPolicy",
                "iris-alert-latency",
                {"displayName": "latency", "notificationChannels": [chan]},
                parent=p,
            ),
        ],
    }


def find(plan: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in plan["resources"] if r["name"] == name)


def inp(plan: dict[str, Any], name: str) -> dict[str, Any]:
    return find(plan, name)["inputs"]


def drop(plan: dict[str, Any], name: str) -> None:
    plan["resources"] = [r for r in plan["resources"] if r["name"] != name]


Edit = Callable[[dict[str, Any]], None]


def _azure_private(p: dict[str, Any]) -> None:
    inp(p, "iris-workspace")["publicNetworkAccess"] = "Disabled"
    inp(p, "iris-endpoint")["properties"]["publicNetworkAccess"] = "Disabled"
    inp(p, "iris-blue")["properties"]["egressPublicNetworkAccess"] = "Disabled"


AZURE: dict[str, tuple[Edit, Edit | None]] = {
    "azure-storage-secure-transfer": (
        lambda p: inp(p, "iris-storage").update(minimumTlsVersion="TLS1_0"),
        None,
    ),
    "azure-storage-no-public-blob-access": (
        lambda p: inp(p, "iris-storage").pop("allowBlobPublicAccess"),
        None,
    ),
    "azure-storage-no-shared-key": (lambda p: inp(p, "iris-storage").update(allowSharedKeyAccess=True), None),
    "azure-storage-infrastructure-encryption": (
        lambda p: inp(p, "iris-storage")["encryption"].pop("requireInfrastructureEncryption"),
        None,
    ),
    "azure-storage-public-network": (
        lambda p: (p.update(profile="prod"), inp(p, "iris-storage").pop("networkRuleSet")),
        None,
    ),
    "azure-storage-blob-recovery": (
        lambda p: inp(p, "iris-blob-service").update(isVersioningEnabled=False),
        None,
    ),
    "azure-container-private": (lambda p: inp(p, "iris-models").update(publicAccess="Blob"), None),
    "azure-key-vault-recoverable": (
        lambda p: inp(p, "iris-vault")["properties"].update(enablePurgeProtection=False),
        None,
    ),
    "azure-key-vault-rbac": (
        lambda p: inp(p, "iris-vault")["properties"].pop("enableRbacAuthorization"),
        None,
    ),
    "azure-key-vault-network": (
        lambda p: (
            p.update(profile="prod"),
            inp(p, "iris-vault")["properties"].update(publicNetworkAccess="Enabled"),
        ),
        None,
    ),
    "azure-ml-workspace-identity": (lambda p: inp(p, "iris-workspace").pop("identity"), None),
    "azure-ml-workspace-public-network": (
        lambda p: p.update(profile="prod"),
        lambda p: (p.update(profile="prod"), _azure_private(p)),
    ),
    "azure-online-endpoint-auth": (
        lambda p: inp(p, "iris-endpoint")["properties"].update(authMode="Key"),
        None,
    ),
    "azure-private-network-follows-workspace": (
        lambda p: inp(p, "iris-workspace").update(publicNetworkAccess="Disabled"),
        _azure_private,
    ),
    "azure-metric-alert-actions": (lambda p: inp(p, "iris-alert-latency").update(actions=[]), None),
    "azure-action-group-receivers": (lambda p: inp(p, "iris-alerts").pop("emailReceivers"), None),
    "azure-autoscale-range": (
        lambda p: inp(p, "iris-autoscale")["profiles"][0].update(
            capacity={"minimum": "0", "default": "1", "maximum": "4"}
        ),
        None,
    ),
    "azure-autoscaled-capacity-kept": (lambda p: find(p, "iris-blue").pop("ignoreChanges"), None),
    "azure-prod-deployment-capacity": (
        lambda p: (p.update(profile="prod"), inp(p, "iris-blue")["sku"].update(capacity=1)),
        lambda p: p.update(profile="prod"),
    ),
    "azure-no-broad-role-assignments": (
        lambda p: p["resources"].append(
            resource(
                "azure-native:authorization:RoleAssignment",
                "bad",
                {
                    "roleDefinitionId": "/subscriptions/0/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c"
                },
            )
        ),
        lambda p: p["resources"].append(
            resource(
                "azure-native:authorization:RoleAssignment",
                "ok",
                {
                    "roleDefinitionId": "/subscriptions/0/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
                },
            )
        ),
    ),
    "stateful-resources-protected": (lambda p: find(p, "iris-vault").update(protect=False), None),
}


GCP: dict[str, tuple[Edit, Edit | None]] = {
    "gcp-bucket-access": (
        lambda p: inp(p, "iris-artifacts").update(publicAccessPrevention="inherited"),
        None,
    ),
    "gcp-bucket-versioning-cmek": (lambda p: inp(p, "iris-artifacts").pop("encryption"), None),
    "gcp-kms-key-rotation": (lambda p: inp(p, "iris-key").update(rotationPeriod="31536000s"), None),
    "gcp-vertex-endpoint-cmek": (lambda p: drop(p, "iris-key-vertex"), None),
    "gcp-vertex-endpoint-private": (
        lambda p: (p.update(profile="prod"), inp(p, "iris-endpoint").pop("privateServiceConnectConfig")),
        lambda p: p.update(profile="prod"),
    ),
    "gcp-cloudrun-ingress": (
        lambda p: inp(p, "iris-run").update(ingress="INGRESS_TRAFFIC_ALL"),
        lambda p: inp(p, "iris-run").update(
            ingress="INGRESS_TRAFFIC_ALL", annotations={"mlinfra.dev/public-reason": "public demo"}
        ),
    ),
    "gcp-cloudrun-invoker-iam": (lambda p: inp(p, "iris-run").update(invokerIamDisabled=True), None),
    "gcp-cloudrun-no-public-invoker": (
        lambda p: inp(p, "iris-invoker").update(member="allUsers"),
        lambda p: (
            inp(p, "iris-invoker").update(member="allUsers"),
            inp(p, "iris-run").update(labels={"mlinfra-public-reason": "public-demo"}),
        ),
    ),
    "gcp-cloudrun-service-account": (lambda p: inp(p, "iris-run")["template"].pop("serviceAccount"), None),
    "gcp-cloudrun-scaling-range": (
        lambda p: inp(p, "iris-run")["template"]["scaling"].update(minInstanceCount=5),
        None,
    ),
    "gcp-no-basic-or-admin-roles": (lambda p: inp(p, "iris-logs-writer").update(role="roles/editor"), None),
    "gcp-no-default-service-account-grants": (
        lambda p: inp(p, "iris-logs-writer").update(
            member="serviceAccount:123456789-compute@developer.gserviceaccount.com"
        ),
        None,
    ),
    "gcp-alert-policy-channel": (
        lambda p: inp(p, "iris-alert-latency").update(notificationChannels=[]),
        None,
    ),
    "gcp-alert-channel-declared": (lambda p: inp(p, "iris-email-0").update(enabled=False), None),
    "gcp-vertex-replicas": (lambda p: inp(p, "iris-deployment")["replicas"].update(min=0), None),
    "stateful-resources-protected": (lambda p: find(p, "iris-key").update(protect=False), None),
}

CASES = [("azure", rule, *case) for rule, case in AZURE.items()] + [
    ("gcp", rule, *case) for rule, case in GCP.items()
]
BASE = {"azure": azure_stack(), "gcp": gcp_stack()}


@pytest.mark.parametrize("cloud", ["azure", "gcp"])
def test_every_rule_has_a_case(cloud: str) -> None:
    ids = {r.id for r in load_rules().values() if r.cloud == cloud}
    assert ids <= set(AZURE if cloud == "azure" else GCP)
    assert ids | {"stateful-resources-protected"} == set(AZURE if cloud == "azure" else GCP)


@pytest.mark.parametrize("cloud", ["azure", "gcp"])
def test_compliant_stack_has_no_findings(cloud: str) -> None:
    assert evaluate(copy.deepcopy(BASE[cloud])) == []


@pytest.mark.parametrize(("cloud", "rule", "fail", "ok"), CASES, ids=[f"{c}-{r}" for c, r, *_ in CASES])
def test_passes(cloud: str, rule: str, fail: Edit, ok: Edit | None) -> None:
    plan = copy.deepcopy(BASE[cloud])
    if ok is not None:
        ok(plan)
    assert rule not in rules_of(evaluate(plan))


@pytest.mark.parametrize(("cloud", "rule", "fail", "ok"), CASES, ids=[f"{c}-{r}" for c, r, *_ in CASES])
def test_fails(cloud: str, rule: str, fail: Edit, ok: Edit | None) -> None:
    plan = copy.deepcopy(BASE[cloud])
    fail(plan)
    found = [f for f in evaluate(plan) if f["rule"] == rule]
    assert found, f"{rule} did not fire"
    assert found[0]["severity"] == load_rules()[rule].severity
    assert "Fix:" in found[0]["message"]
