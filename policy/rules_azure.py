"""Azure rules (SECURITY.md, "Azure"), on azure-native 3 resource types and wire input names."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from policy.engine import Res, Stack, as_dict, as_list, get, is_unknown, resource_rule, stack_rule, truthy

ACCOUNT = "azure-native:storage:StorageAccount"
BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"
CONTAINER = "azure-native:storage:BlobContainer"
VAULT = "azure-native:keyvault:Vault"
WORKSPACE = "azure-native:machinelearningservices:Workspace"
ONLINE_ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
ONLINE_DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
METRIC_ALERT = "azure-native:monitor:MetricAlert"
ACTION_GROUP = "azure-native:monitor:ActionGroup"
AUTOSCALE = "azure-native:monitor:AutoscaleSetting"
RECEIVERS = (
    "emailReceivers",
    "webhookReceivers",
    "smsReceivers",
    "azureAppPushReceivers",
    "voiceReceivers",
    "logicAppReceivers",
    "azureFunctionReceivers",
    "armRoleReceivers",
    "eventHubReceivers",
    "itsmReceivers",
    "automationRunbookReceivers",
)


def _off(value: Any) -> bool:
    """Explicitly false (unknown and absent are not)."""
    return truthy(value) is False


def _not_on(value: Any) -> bool:
    """Not explicitly true (absent counts as off; unknown does not)."""
    return truthy(value) is not True and not is_unknown(value)


# =========================================================================================== storage
@resource_rule(
    "azure-storage-secure-transfer",
    severity="error",
    types=[ACCOUNT],
    anchors=["CKV_AZURE_3", "CKV_AZURE_44"],
    title="Storage accounts accept HTTPS only, with TLS 1.2 or later.",
    fix="set enable_https_traffic_only=True and minimum_tls_version TLS1_2 on the storage account",
    cloud="azure",
)
def storage_tls(r: Res) -> Iterable[str]:
    if _off(r.get("enableHttpsTrafficOnly")):
        yield f"storage account {r.name} accepts plain HTTP"
    tls = r.get("minimumTlsVersion")
    if tls not in ("TLS1_2", "TLS1_3") and not is_unknown(tls):
        yield f"storage account {r.name} allows TLS older than 1.2 (minimumTlsVersion = {tls!r})"


@resource_rule(
    "azure-storage-no-public-blob-access",
    severity="error",
    types=[ACCOUNT],
    anchors=["CKV_AZURE_190", "CKV2_AZURE_47", "AVD-AZU-0007"],
    title="Storage accounts forbid anonymous (public) blob access.",
    fix="set allow_blob_public_access=False on the storage account",
    cloud="azure",
)
def storage_public_blob(r: Res) -> Iterable[str]:
    if _not_on_false(r.get("allowBlobPublicAccess")):
        yield f"storage account {r.name} allows anonymous blob access (allowBlobPublicAccess = {r.get('allowBlobPublicAccess')!r})"


def _not_on_false(value: Any) -> bool:
    return truthy(value) is not False and not is_unknown(value)


@resource_rule(
    "azure-storage-no-shared-key",
    severity="error",
    types=[ACCOUNT],
    anchors=["CKV2_AZURE_40"],
    title="Storage accounts refuse shared-key (account key) authorization: Entra ID only.",
    fix="set allow_shared_key_access=False and grant the endpoint's identity Storage Blob Data Reader",
    cloud="azure",
)
def storage_shared_key(r: Res) -> Iterable[str]:
    if _not_on_false(r.get("allowSharedKeyAccess")):
        yield f"storage account {r.name} accepts account keys (allowSharedKeyAccess = {r.get('allowSharedKeyAccess')!r})"


@resource_rule(
    "azure-storage-infrastructure-encryption",
    severity="error",
    types=[ACCOUNT],
    anchors=["AVD-AZU-0061", "ours: double encryption at rest for model artifacts"],
    title="Storage accounts use infrastructure (double) encryption.",
    fix="set encryption.require_infrastructure_encryption=True (only possible when the account is created)",
    cloud="azure",
)
def storage_infra_encryption(r: Res) -> Iterable[str]:
    if _not_on(r.get("encryption.requireInfrastructureEncryption")):
        yield f"storage account {r.name} has no infrastructure encryption"


@stack_rule(
    "azure-storage-public-network",
    severity="warning",
    types=[ACCOUNT],
    anchors=["CKV_AZURE_59", "CKV_AZURE_35"],
    title="Production: storage accounts restrict public network access (default action Deny) or disable it.",
    fix="set network.private: true (public_network_access Disabled, private endpoints), or "
    "network_rule_set.default_action Deny",
    cloud="azure",
)
def storage_public_network(s: Stack) -> Iterator[tuple[str, str]]:
    if s.profile != "prod":
        return
    for r in s.of(ACCOUNT):
        pna = r.get("publicNetworkAccess")
        default = r.get("networkRuleSet.defaultAction")
        if pna != "Disabled" and default != "Deny" and not is_unknown(pna) and not is_unknown(default):
            yield r.urn, f"storage account {r.name} is reachable from any network"


@stack_rule(
    "azure-storage-blob-recovery",
    severity="error",
    types=[ACCOUNT],
    anchors=["CKV2_AZURE_38", "ours: blob versioning keeps overwritten artifacts recoverable"],
    title="Blob soft delete (blobs and containers) and blob versioning are on.",
    fix="declare storage.BlobServiceProperties for the account with delete_retention_policy and "
    "container_delete_retention_policy enabled and is_versioning_enabled=True",
    cloud="azure",
)
def blob_recovery(s: Stack) -> Iterator[tuple[str, str]]:
    for acct in s.of(ACCOUNT):
        services = s.referring(acct, "accountName", BLOB_SERVICE)
        if not services:
            yield (
                acct.urn,
                f"storage account {acct.name} has no blob service properties (no soft delete, no versioning)",
            )
            continue
        for svc in services:
            if _not_on(svc.get("deleteRetentionPolicy.enabled")):
                yield acct.urn, f"storage account {acct.name} has blob soft delete off"
            if _not_on(svc.get("containerDeleteRetentionPolicy.enabled")):
                yield acct.urn, f"storage account {acct.name} has container soft delete off"
            if _not_on(svc.get("isVersioningEnabled")):
                yield acct.urn, f"storage account {acct.name} has blob versioning off"


@resource_rule(
    "azure-container-private",
    severity="error",
    types=[CONTAINER],
    anchors=["CKV_AZURE_34"],
    title="Blob containers are private.",
    fix="set public_access None on the container",
    cloud="azure",
)
def container_private(r: Res) -> Iterable[str]:
    access = r.get("publicAccess")
    if access not in (None, "None") and not is_unknown(access):
        yield f"container {r.name} allows public access {access!r}"


# =========================================================================================== key vault
@resource_rule(
    "azure-key-vault-recoverable",
    severity="error",
    types=[VAULT],
    anchors=["CKV_AZURE_42", "CKV_AZURE_110", "CKV_AZURE_111"],
    title="Key vaults have purge protection and soft delete on.",
    fix="set properties.enable_purge_protection=True and enable_soft_delete=True (soft_delete_retention_in_days >= 7)",
    cloud="azure",
)
def vault_recoverable(r: Res) -> Iterable[str]:
    if _not_on(r.get("properties.enablePurgeProtection")):
        yield f"key vault {r.name} has no purge protection"
    if _off(r.get("properties.enableSoftDelete")):
        yield f"key vault {r.name} has soft delete off"


@resource_rule(
    "azure-key-vault-rbac",
    severity="error",
    types=[VAULT],
    anchors=["ours: Azure RBAC on the vault (access policies are legacy and per-vault)", "AVD-AZU-0013"],
    title="Key vaults use Azure RBAC for data-plane access.",
    fix="set properties.enable_rbac_authorization=True and grant roles (Key Vault Crypto Service Encryption User)",
    cloud="azure",
)
def vault_rbac(r: Res) -> Iterable[str]:
    if _not_on(r.get("properties.enableRbacAuthorization")):
        yield f"key vault {r.name} uses access policies instead of Azure RBAC"


@stack_rule(
    "azure-key-vault-network",
    severity="warning",
    types=[VAULT],
    anchors=["CKV_AZURE_189", "CKV_AZURE_109"],
    title="Production: key vaults disable public network access or deny by default.",
    fix="set network.private: true (the vault's public_network_access Disabled), or network_acls default_action Deny",
    cloud="azure",
)
def vault_network(s: Stack) -> Iterator[tuple[str, str]]:
    if s.profile != "prod":
        return
    for r in s.of(VAULT):
        if (
            r.get("properties.publicNetworkAccess") != "Disabled"
            and r.get("properties.networkAcls.defaultAction") != "Deny"
        ):
            yield r.urn, f"key vault {r.name} is reachable from any network"


# =========================================================================================== workspace, endpoint
def _workspace_private(s: Stack) -> bool:
    return any(w.get("publicNetworkAccess") == "Disabled" for w in s.of(WORKSPACE))


@resource_rule(
    "azure-ml-workspace-identity",
    severity="error",
    types=[WORKSPACE],
    anchors=["CKV2_AZURE_50", "ours: a managed identity, never keys, reaches storage and the vault"],
    title="ML workspaces have a managed identity and are marked high business impact.",
    fix="set identity type SystemAssigned (or UserAssigned) and hbi_workspace=True",
    cloud="azure",
)
def workspace_identity(r: Res) -> Iterable[str]:
    kind = str(r.get("identity.type") or "")
    if not kind or kind == "None":
        yield f"workspace {r.name} has no managed identity"
    if _not_on(r.get("hbiWorkspace")):
        yield f"workspace {r.name} is not marked high business impact (hbiWorkspace)"


@stack_rule(
    "azure-ml-workspace-public-network",
    severity="error",
    types=[WORKSPACE],
    anchors=["CKV_AZURE_144"],
    title="Production: ML workspaces disable public network access.",
    fix="set network.private: true for production stacks (the workspace's public_network_access Disabled)",
    cloud="azure",
)
def workspace_network(s: Stack) -> Iterator[tuple[str, str]]:
    if s.profile != "prod":
        return
    for w in s.of(WORKSPACE):
        if w.get("publicNetworkAccess") != "Disabled" and not is_unknown(w.get("publicNetworkAccess")):
            yield w.urn, f"workspace {w.name} is reachable from public networks"


@resource_rule(
    "azure-online-endpoint-auth",
    severity="error",
    types=[ONLINE_ENDPOINT],
    anchors=[
        "ours: keys never expire and are shared; Entra (AADToken) or AML tokens are per identity and expire"
    ],
    title="Online endpoints authenticate with Entra tokens (AADToken) or AML tokens, never plain keys.",
    fix="set properties.auth_mode AADToken (the default) or AMLToken",
    cloud="azure",
)
def endpoint_auth(r: Res) -> Iterable[str]:
    mode = r.get("properties.authMode")
    if mode not in ("AADToken", "AMLToken") and not is_unknown(mode):
        yield f"online endpoint {r.name} uses auth mode {mode!r}"


@stack_rule(
    "azure-private-network-follows-workspace",
    severity="error",
    types=[ONLINE_ENDPOINT, ONLINE_DEPLOYMENT],
    anchors=["ours: a private workspace with a public endpoint or open egress is not private"],
    title="When the workspace is private, the online endpoint's public network access and the deployment's "
    "egress are disabled too.",
    fix="network.private: true sets all three; do not override them one by one",
    cloud="azure",
)
def private_follows(s: Stack) -> Iterator[tuple[str, str]]:
    if not _workspace_private(s):
        return
    for e in s.of(ONLINE_ENDPOINT):
        if e.get("properties.publicNetworkAccess") != "Disabled" and not is_unknown(
            e.get("properties.publicNetworkAccess")
        ):
            yield e.urn, f"online endpoint {e.name} is public in a private workspace"
    for d in s.of(ONLINE_DEPLOYMENT):
        if d.get("properties.egressPublicNetworkAccess") != "Disabled" and not is_unknown(
            d.get("properties.egressPublicNetworkAccess")
        ):
            yield d.urn, f"deployment {d.name} has public egress in a private workspace"


# =========================================================================================== alerts, scaling
@resource_rule(
    "azure-metric-alert-actions",
    severity="error",
    types=[METRIC_ALERT],
    anchors=["ours: an alert without an action group notifies nobody"],
    title="Every metric alert has an action group.",
    fix="give the alert actions=[{action_group_id: the stack's action group}] (mlinfra:notify sets its receivers)",
    cloud="azure",
)
def alert_actions(r: Res) -> Iterable[str]:
    if not [a for a in as_list(r.get("actions")) if isinstance(a, dict) and a.get("actionGroupId")]:
        yield f"metric alert {r.name} has no action group"


@stack_rule(
    "azure-action-group-receivers",
    severity="error",
    types=[METRIC_ALERT],
    anchors=["ours: an action group without receivers notifies nobody"],
    title="The alert's action group is declared in the stack, enabled, and has at least one receiver.",
    fix="set mlinfra:notify.emails or webhooks (each becomes a receiver of the action group)",
    cloud="azure",
)
def alert_group(s: Stack) -> Iterator[tuple[str, str]]:
    for a in s.of(METRIC_ALERT):
        for act in as_list(a.get("actions")):
            gid = act.get("actionGroupId") if isinstance(act, dict) else None
            if not isinstance(gid, str) or is_unknown(gid):
                continue
            groups = s.find_by_value(gid, ACTION_GROUP) or [
                g
                for g in s.of(ACTION_GROUP)
                if gid.lower().endswith("/" + str(g.get("actionGroupName") or "").lower())
                and g.get("actionGroupName")
            ]
            if not groups:
                yield a.urn, f"metric alert {a.name} notifies {gid}, which this stack does not declare"
            for g in groups:
                if not any(as_list(g.get(k)) for k in RECEIVERS):
                    yield (
                        a.urn,
                        f"metric alert {a.name} notifies action group {g.name}, which has no receiver",
                    )
                if truthy(g.get("enabled")) is False:
                    yield a.urn, f"metric alert {a.name} notifies action group {g.name}, which is disabled"


def _capacity(profile: dict[str, Any]) -> tuple[int | None, int | None, int | None]:
    cap = as_dict(profile.get("capacity"))

    def num(v: Any) -> int | None:
        try:
            return int(float(v))
        except (TypeError, ValueError):
            return None

    return num(cap.get("minimum")), num(cap.get("default")), num(cap.get("maximum"))


@stack_rule(
    "azure-autoscale-range",
    severity="error",
    types=[AUTOSCALE],
    anchors=["ours: a managed online deployment keeps at least one instance; min <= default <= max"],
    title="Autoscale profiles keep 1 <= minimum <= default <= maximum.",
    fix="set 1 <= autoscaling.minInstances <= compute.instances <= autoscaling.maxInstances",
    cloud="azure",
)
def autoscale_range(s: Stack) -> Iterator[tuple[str, str]]:
    for a in s.of(AUTOSCALE):
        for p in as_list(a.get("profiles")):
            if not isinstance(p, dict):
                continue
            lo, default, hi = _capacity(p)
            name = p.get("name") or "profile"
            if lo is not None and lo < 1:
                yield a.urn, f"{name}: minimum {lo}: a managed online deployment cannot scale to zero"
            if None not in (lo, default, hi) and not lo <= default <= hi:  # type: ignore[operator]
                yield a.urn, f"{name}: capacity minimum {lo}, default {default}, maximum {hi} is out of order"


@stack_rule(
    "azure-autoscaled-capacity-kept",
    severity="error",
    types=[ONLINE_DEPLOYMENT],
    anchors=["ours: autoscale changes sku.capacity; a pulumi up that resets it drops live capacity"],
    title="An autoscaled online deployment ignores changes to sku.capacity, so pulumi up does not reset it.",
    fix='declare the deployment with ResourceOptions(ignore_changes=["sku.capacity"]) when autoscaling is on',
    cloud="azure",
)
def capacity_kept(s: Stack) -> Iterator[tuple[str, str]]:
    for d in s.of(ONLINE_DEPLOYMENT):
        scaled = [a for a in s.of(AUTOSCALE) if s.refers(a, "targetResourceUri", d)]
        if not scaled:
            continue
        if not any(p in ("sku", "sku.capacity", "sku.Capacity") for p in d.ignore_changes):
            yield d.urn, f"deployment {d.name} is autoscaled but a pulumi up would reset sku.capacity"


@stack_rule(
    "azure-prod-deployment-capacity",
    severity="error",
    types=[ONLINE_DEPLOYMENT],
    anchors=["ours: production keeps two instances across fault domains"],
    title="Production profile: online deployments run at least 2 instances.",
    fix="set compute.instances and autoscaling.minInstances >= 2",
    cloud="azure",
)
def prod_capacity(s: Stack) -> Iterator[tuple[str, str]]:
    if s.profile != "prod":
        return
    for d in s.of(ONLINE_DEPLOYMENT):
        n = get(d.inputs, "sku.capacity")
        if isinstance(n, (int, float)) and n < 2:
            yield d.urn, f"deployment {d.name} runs {int(n)} instance(s)"
    for a in s.of(AUTOSCALE):
        for p in as_list(a.get("profiles")):
            lo = _capacity(p)[0] if isinstance(p, dict) else None
            if lo is not None and lo < 2:
                yield a.urn, f"autoscale may scale down to {lo} instance(s)"


# Owner, Contributor, User Access Administrator, Role Based Access Control Administrator.
BROAD_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
}


@resource_rule(
    "azure-no-broad-role-assignments",
    severity="error",
    types=["azure-native:authorization:RoleAssignment"],
    anchors=[
        "ours: the endpoint's identities get data-plane roles on their own resources only",
        "related: CKV_AZURE_39 (no custom owner roles)",
    ],
    title="Role assignments grant narrow data-plane roles (Storage Blob Data Reader, Key Vault Crypto User...), "
    "never Owner, Contributor or access administration.",
    fix="assign the narrow built-in role on the one resource the identity uses",
    cloud="azure",
)
def no_broad_roles(r: Res) -> Iterable[str]:
    role = str(r.get("roleDefinitionId") or "").rstrip("/").rsplit("/", 1)[-1].lower()
    if role in BROAD_ROLES:
        yield f"role assignment {r.name} grants {BROAD_ROLES[role]}"
