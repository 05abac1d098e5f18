"""Azure rules on top of the shared contract: what Azure ML managed online endpoints accept, checked before
anything is declared, and the advisories the plan prints where Azure does a thing differently.

Refused (with the reason): scale to zero (managed deployments keep at least one instance), serverless and
``serving.backend`` (other clouds), VPC subnets and security groups (Azure ML uses the workspace's managed
network), public unauthenticated ingress, mirror traffic above 50% or to a deployment that also takes live
traffic, request timeouts above Azure's 180 s, schedules that Azure Monitor recurrences cannot express.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any, Literal

from pydantic import ConfigDict, Field

from components import catalog
from components._common import naming
from components._common.artifact import PUBLISHED
from components._common.errors import ConfigIssue
from components.spec import EndpointSpec, _field_issues, _Model

# Regions with Azure ML managed online endpoints (azure-native:location values).
REGIONS = (
    "eastus", "eastus2", "centralus", "northcentralus", "southcentralus", "westcentralus", "westus", "westus2",
    "westus3", "canadacentral", "canadaeast", "brazilsouth", "northeurope", "westeurope", "uksouth", "ukwest",
    "francecentral", "germanywestcentral", "switzerlandnorth", "swedencentral", "norwayeast", "polandcentral",
    "italynorth", "spaincentral", "uaenorth", "qatarcentral", "southafricanorth", "centralindia", "southindia",
    "eastasia", "southeastasia", "japaneast", "japanwest", "koreacentral", "australiaeast", "australiasoutheast",
)  # fmt: skip
ROLES = (
    "resourceGroup", "storage", "container", "blobService", "keyVault", "logs", "appInsights", "workspace",
    "model", "environment", "endpoint", "deployment", "traffic", "actionGroup", "autoscale", "workbook",
)  # fmt: skip
SLOTS = ("blue", "green")
MAX_REQUEST_TIMEOUT_S = 180  # Azure ML managed online endpoints: request_timeout_ms <= 180000
ENDPOINT_NAME_MAX = 32
DEFAULT_REFERENCE_RPM = 100
DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_DOW = {d[:3].upper(): i for i, d in enumerate(DAYS)}
# IANA -> Windows time zone ids (Azure Monitor autoscale recurrences take Windows ids).
TIME_ZONES = {
    "UTC": "UTC", "Etc/UTC": "UTC",
    "Europe/London": "GMT Standard Time", "Europe/Dublin": "GMT Standard Time", "Europe/Lisbon": "GMT Standard Time",
    "Europe/Amsterdam": "W. Europe Standard Time", "Europe/Berlin": "W. Europe Standard Time",
    "Europe/Rome": "W. Europe Standard Time", "Europe/Stockholm": "W. Europe Standard Time",
    "Europe/Vienna": "W. Europe Standard Time", "Europe/Zurich": "W. Europe Standard Time",
    "Europe/Oslo": "W. Europe Standard Time",
    "Europe/Paris": "Romance Standard Time", "Europe/Brussels": "Romance Standard Time",
    "Europe/Madrid": "Romance Standard Time", "Europe/Copenhagen": "Romance Standard Time",
    "Europe/Warsaw": "Central European Standard Time", "Europe/Helsinki": "FLE Standard Time",
    "America/New_York": "Eastern Standard Time", "America/Toronto": "Eastern Standard Time",
    "America/Chicago": "Central Standard Time", "America/Denver": "Mountain Standard Time",
    "America/Los_Angeles": "Pacific Standard Time", "America/Sao_Paulo": "E. South America Standard Time",
    "Asia/Tokyo": "Tokyo Standard Time", "Asia/Seoul": "Korea Standard Time", "Asia/Singapore": "Singapore Standard Time",
    "Asia/Kolkata": "India Standard Time", "Asia/Dubai": "Arabian Standard Time",
    "Australia/Sydney": "AUS Eastern Standard Time",
}  # fmt: skip


class AzureOptions(_Model):
    """The endpoint's ``azure`` block: Azure-only choices (all optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, alias_generator=None)
    resourceGroupName: str | None = Field(None, pattern=r"^[-\w.()]{1,89}[-\w()]$")
    """An existing resource group to deploy into. Default: a new group ``mlinfra-<stack>-<key>``."""
    authMode: Literal["AADToken", "AMLToken", "Key"] = "AADToken"
    """How callers authenticate. ``Key`` (static keys) needs ``keyAuthReason``."""
    keyAuthReason: str | None = None
    candidateSlot: Literal["blue", "green"] = "green"
    """The deployment that runs ``model``; the other slot runs ``stableModel``."""
    stableModel: str | None = None
    """The model the stable slot serves. Default: the same as ``model`` (the first rollout)."""
    candidateTrafficPercent: int | None = Field(None, ge=0, le=100)
    """Live traffic to the candidate. Default: rollout.stepPercent (canary, linear), 0 while mirroring."""
    expectedRequestsPerMinute: int | None = Field(None, ge=1, le=10_000_000)
    """Reference traffic for the non-2xx alert (Azure metric alerts count, they cannot divide)."""
    logRetentionDays: int = Field(30, ge=30, le=730)
    storageSku: (
        Literal[
            "Standard_LRS",
            "Standard_ZRS",
            "Standard_GRS",
            "Standard_GZRS",
            "Standard_RAGRS",
            "Standard_RAGZRS",
        ]
        | None
    ) = None
    """Default: Standard_LRS for dev, Standard_ZRS for prod."""
    livenessRoute: str = "/v2/health/live"
    readinessRoute: str = "/v2/health/ready"
    scoringRoute: str = "/v2/models"
    """Custom containers (``serving.image``): the routes Azure ML probes and forwards to, on serving.port.
    Defaults: Triton's KServe v2 routes."""
    allowSharedKeyUpload: bool = False
    """Dev only: let the Pulumi provider upload a local package with the account key (see docs/azure.md)."""


def azure_options(spec: EndpointSpec) -> AzureOptions:
    return AzureOptions.model_validate(spec.azure)


# ---------------------------------------------------------------------------------------------- helpers
def endpoint_name(stack: str, key: str, subscription: str = "") -> str:
    """The online endpoint's name: ``<stack>-<key>[-<4 hex of the subscription>]``, 3-32 chars, starting with a
    letter. Endpoint names are unique per region across all of Azure (they are DNS names), so the subscription
    salt keeps two users of the same example stack apart."""
    salt = hashlib.sha256(subscription.encode()).hexdigest()[:4] if subscription else ""
    name = naming.physical(stack, key, salt, max_len=ENDPOINT_NAME_MAX)
    if not name[:1].isalpha():
        name = naming.physical("e" + stack, key, salt, max_len=ENDPOINT_NAME_MAX)
    return name


def storage_account_name(stack: str, key: str, subscription: str) -> str:
    """3-24 lower-case letters and digits, globally unique: stack + key + a hash that includes the subscription."""
    return naming.compact(stack, key, 24, salt=subscription)


def key_vault_name(stack: str, key: str, subscription: str) -> str:
    """3-24 characters, globally unique, starting with a letter. With purge protection a deleted vault keeps its
    name for the retention period (docs/azure.md)."""
    return "kv" + naming.compact(stack, key, 22, salt=f"kv/{subscription}")


def resolved_instance_type(spec: EndpointSpec, model_bytes: int = 0) -> catalog.InstanceType:
    if spec.compute.instance_type:
        t = catalog.get("azure", spec.compute.instance_type)
        assert t is not None, spec.compute.instance_type
        return t
    return catalog.default_type("azure", spec.compute.accelerator, model_bytes)


def uses_two_deployments(spec: EndpointSpec) -> bool:
    """Blue/green (two deployments) for canary, linear and mirroring; all-at-once updates one in place."""
    return spec.rollout.strategy != "all-at-once" or spec.rollout.mirror_percent > 0


def traffic_split(spec: EndpointSpec) -> tuple[dict[str, int], dict[str, int]]:
    """(live traffic, mirror traffic) by deployment name; live traffic always sums to 100."""
    o = azure_options(spec)
    if not uses_two_deployments(spec):
        return {o.candidateSlot: 100}, {}
    stable = "blue" if o.candidateSlot == "green" else "green"
    mirror = spec.rollout.mirror_percent
    if o.candidateTrafficPercent is not None:
        live = o.candidateTrafficPercent
    else:
        live = 0 if mirror else spec.rollout.step_percent
    return {stable: 100 - live, o.candidateSlot: live}, ({o.candidateSlot: mirror} if mirror else {})


def iso_minutes(seconds: int) -> str:
    """Seconds as an ISO 8601 duration in whole minutes, at least one (Azure autoscale cooldowns)."""
    minutes = max(1, math.ceil(seconds / 60))
    hours, rest = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest or not hours else "")


def reference_rpm(spec: EndpointSpec) -> int:
    """Requests per minute the non-2xx alert threshold is a share of."""
    o = azure_options(spec)
    if o.expectedRequestsPerMinute:
        return o.expectedRequestsPerMinute
    target = spec.autoscaling.target_invocations_per_instance_per_minute
    if target:
        return target * max(1, spec.autoscaling.min_instances)
    return DEFAULT_REFERENCE_RPM


def error_count_threshold(spec: EndpointSpec) -> int:
    pct = spec.alerts.error_rate_percent or 0
    return max(1, math.ceil(reference_rpm(spec) * pct / 100))


def _numbers(field: str, lo: int, hi: int) -> list[int]:
    out = []
    for part in field.split(","):
        if not part.isdigit() or not lo <= int(part) <= hi:
            raise ValueError(f"'{field}' is not a number or a comma list in {lo}..{hi}")
        out.append(int(part))
    return sorted(set(out))


def _days(field: str) -> list[str]:
    if field in ("*", "?"):
        return list(DAYS)
    idx: set[int] = set()
    for part in field.split(","):
        ends = part.split("-")
        if len(ends) > 2:
            raise ValueError(f"'{part}' is not a day, a day range or a list")
        nums = []
        for e in ends:
            e = e.upper()
            if e.isdigit() and int(e) <= 7:
                nums.append(int(e) % 7)
            elif e[:3] in _DOW and len(e) == 3:
                nums.append(_DOW[e[:3]])
            else:
                raise ValueError(f"'{e}' is not a day of the week (SUN..SAT or 0..6)")
        if len(nums) == 2:
            a, b = nums
            idx.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        else:
            idx.add(nums[0])
    return [DAYS[i] for i in sorted(idx)]


def recurrence(cron: str, timezone: str) -> dict[str, Any]:
    """A 5-field cron as an Azure Monitor weekly recurrence (``RecurrenceArgs`` keyword shape).

    Azure recurrences repeat weekly on days at hours:minutes: day-of-month and month must be ``*``.
    Raises ValueError saying what cannot be expressed.
    """
    minute, hour, dom, month, dow = cron.split()
    if dom not in ("*", "?") or month != "*":
        raise ValueError("Azure autoscale recurrences repeat weekly: day-of-month and month must be '*'")
    tz = TIME_ZONES.get(timezone, timezone if timezone in TIME_ZONES.values() else None)
    if tz is None:
        raise ValueError(f"time zone '{timezone}' has no Windows id this project knows")
    return {
        "frequency": "Week",
        "schedule": {
            "time_zone": tz,
            "days": _days(dow),
            "hours": _numbers(hour, 0, 23),
            "minutes": _numbers(minute, 0, 59),
        },
    }


# ------------------------------------------------------------------------------------------- validation
def validate_for_azure(
    spec: EndpointSpec, region: str = "westeurope", profile: str = "dev"
) -> list[ConfigIssue]:
    p = f"mlinfra:endpoints.{spec.key}"
    out: list[ConfigIssue] = []
    if region not in REGIONS:
        out.append(
            ConfigIssue(
                "azure-native:location",
                region,
                "not an Azure region with Azure ML managed online endpoints that this project knows",
                ", ".join(REGIONS),
                "set azure-native:location to a region name such as westeurope (lower case, no spaces)",
            )
        )
    opts, errs = _field_issues(f"{p}.azure", AzureOptions, spec.azure)
    out.extend(errs)
    c, a, r, n = spec.compute, spec.autoscaling, spec.rollout, spec.network
    if spec.serving.backend is not None:
        out.append(
            ConfigIssue(
                f"{p}.serving.backend",
                spec.serving.backend,
                "serving.backend chooses between GCP services; Azure has one (Azure ML managed online endpoints)",
                "null on azure",
                "remove serving.backend",
            )
        )
    if c.serverless is not None:
        out.append(
            ConfigIssue(
                f"{p}.compute.serverless",
                c.serverless.model_dump(by_alias=True),
                "serverless inference is SageMaker-only; Azure ML managed online deployments run on dedicated instances",
                "null on azure",
                "remove compute.serverless and pick an instanceType (or leave it null for the smallest that fits)",
            )
        )
    for attr, key in (("accelerator_type", "acceleratorType"), ("accelerator_count", "acceleratorCount")):
        if getattr(c, attr) is not None:
            out.append(
                ConfigIssue(
                    f"{p}.compute.{key}",
                    getattr(c, attr),
                    f"{key} is for GCP; on Azure the VM SKU fixes the GPU",
                    "null on azure",
                    "remove it and pick a GPU instanceType (e.g. Standard_NC4as_T4_v3)",
                )
            )
    if c.encrypt_volume is not None:
        out.append(
            ConfigIssue(
                f"{p}.compute.encryptVolume",
                c.encrypt_volume,
                "encryptVolume is an AWS setting; Azure ML encrypts managed deployment disks at rest with platform keys",
                "null on azure",
                "remove compute.encryptVolume",
            )
        )
    if c.instance_type:
        t = catalog.get("azure", c.instance_type)
        allowed = ", ".join(x.name for x in catalog.types("azure", c.accelerator))
        if t is None:
            near = catalog.suggest("azure", c.instance_type, c.accelerator)
            out.append(
                ConfigIssue(
                    f"{p}.compute.instanceType",
                    c.instance_type,
                    "not an Azure ML managed online endpoint SKU in the catalog"
                    + (f" (did you mean {', '.join(near)}?)" if near else ""),
                    allowed,
                    "pick a SKU from the list, or leave instanceType null for the smallest that fits",
                )
            )
        elif t.accelerator != c.accelerator:
            out.append(
                ConfigIssue(
                    f"{p}.compute.instanceType",
                    c.instance_type,
                    f"a {t.accelerator.upper()} SKU on an endpoint declared accelerator: {c.accelerator}",
                    allowed,
                    f"set compute.accelerator: {t.accelerator}, or pick a {c.accelerator.upper()} SKU",
                )
            )
    why0 = (
        "Azure ML managed online deployments cannot scale to zero: a deployment keeps at least one instance"
    )
    if c.instances == 0:
        out.append(
            ConfigIssue(f"{p}.compute.instances", 0, why0, ">= 1", "set compute.instances to 1 or more")
        )
    if a.enabled and a.min_instances == 0:
        out.append(
            ConfigIssue(
                f"{p}.autoscaling.minInstances", 0, why0, ">= 1", "set autoscaling.minInstances to 1 or more"
            )
        )
    for i, sch in enumerate(a.schedules):
        sp = f"{p}.autoscaling.schedules[{i}]"
        if sch.min == 0:
            out.append(ConfigIssue(f"{sp}.min", 0, why0, ">= 1", "set the schedule's min to 1 or more"))
        try:
            recurrence(sch.cron, sch.timezone)
        except ValueError as exc:
            key = "timezone" if "time zone" in str(exc) else "cron"
            allowed = (
                ", ".join(sorted(TIME_ZONES))
                if key == "timezone"
                else "'M H * * DAYS', e.g. '0 8 * * MON-FRI'"
            )
            out.append(
                ConfigIssue(
                    f"{sp}.{key}",
                    getattr(sch, key),
                    str(exc),
                    allowed,
                    "rewrite the schedule as a weekly recurrence",
                )
            )
    if r.mirror_percent > 50:
        out.append(
            ConfigIssue(
                f"{p}.rollout.mirrorPercent",
                r.mirror_percent,
                "Azure ML mirrors at most 50% of live traffic",
                "0..50",
                "set mirrorPercent to 50 or less",
            )
        )
    if opts is not None and r.mirror_percent and opts.candidateTrafficPercent:
        out.append(
            ConfigIssue(
                f"{p}.azure.candidateTrafficPercent",
                opts.candidateTrafficPercent,
                "a deployment receives live traffic or mirrored traffic, not both",
                "0 (or unset) while rollout.mirrorPercent > 0",
                "set candidateTrafficPercent to 0 while mirroring, or set rollout.mirrorPercent: 0",
            )
        )
    if opts is not None and opts.authMode == "Key" and not (opts.keyAuthReason or "").strip():
        out.append(
            ConfigIssue(
                f"{p}.azure.authMode",
                "Key",
                "static endpoint keys asked without a reason (keys never expire and are shared secrets)",
                "AADToken (default) | AMLToken, or Key with azure.keyAuthReason",
                "keep AADToken and grant callers the 'AzureML Data Scientist' role, or add azure.keyAuthReason",
            )
        )
    if opts is not None and opts.allowSharedKeyUpload and profile == "prod":
        out.append(
            ConfigIssue(
                f"{p}.azure.allowSharedKeyUpload",
                True,
                "shared-key access on the artifact account is a dev-only convenience",
                "false with mlinfra:profile prod",
                "publish the package with `mlinfra publish DIR --store az://ACCOUNT/CONTAINER/PREFIX` and set model to the manifest URI",
            )
        )
    if n.subnet_ids or n.security_group_ids:
        out.append(
            ConfigIssue(
                f"{p}.network.subnetIds" if n.subnet_ids else f"{p}.network.securityGroupIds",
                n.subnet_ids or n.security_group_ids,
                "Azure ML managed online deployments do not join your subnets; they use the workspace's managed network",
                "empty on azure (network.private: true locks the managed network down)",
                "remove subnetIds/securityGroupIds and set network.private: true",
            )
        )
    if n.ingress != "internal":
        out.append(
            ConfigIssue(
                f"{p}.network.ingress",
                n.ingress,
                "ingress is a Cloud Run setting; Azure ML endpoints take public network access from network.private",
                "internal (the default) on azure",
                "remove network.ingress",
            )
        )
    if n.allow_unauthenticated:
        out.append(
            ConfigIssue(
                f"{p}.network.allowUnauthenticated",
                True,
                "Azure ML online endpoints always authenticate callers (AAD token, AML token or key)",
                "false on azure",
                "remove network.allowUnauthenticated; grant callers the 'AzureML Data Scientist' role on the endpoint",
            )
        )
    if spec.serving.request_timeout_seconds > MAX_REQUEST_TIMEOUT_S:
        out.append(
            ConfigIssue(
                f"{p}.serving.requestTimeoutSeconds",
                spec.serving.request_timeout_seconds,
                f"Azure ML managed online endpoints time requests out after at most {MAX_REQUEST_TIMEOUT_S} seconds",
                f"1..{MAX_REQUEST_TIMEOUT_S}",
                f"set serving.requestTimeoutSeconds to {MAX_REQUEST_TIMEOUT_S} or less (use a batch endpoint for longer work)",
            )
        )
    for role in spec.overrides:
        if role not in ROLES:
            out.append(
                ConfigIssue(
                    f"{p}.overrides.{role}",
                    spec.overrides[role],
                    "unknown resource role for overrides",
                    ", ".join(ROLES),
                    "use one of the roles",
                )
            )
    out.extend(_model_scheme(f"{p}.model", spec.model))
    if opts is not None and opts.stableModel:
        out.extend(_model_scheme(f"{p}.azure.stableModel", opts.stableModel))
    return out


def _model_scheme(path: str, ref: str) -> list[ConfigIssue]:
    if ref.startswith(("s3://", "gs://")):
        return [
            ConfigIssue(
                path,
                ref,
                "an Azure endpoint reads its model from Azure Blob Storage",
                "a packaged directory, an az:// or a file:// manifest URI",
                "publish with `mlinfra publish DIR --store az://ACCOUNT/CONTAINER/PREFIX`, or point at the local package",
            )
        ]
    if "://" in ref and not PUBLISHED.match(ref):
        return [
            ConfigIssue(
                path,
                ref,
                "not a published manifest URI",
                "<scheme>://<location>/<name>/sha256-<digest>/manifest.json",
                "use the URI that `mlinfra publish` printed",
            )
        ]
    return []


# ------------------------------------------------------------------------------------------- advisories
def advisories(spec: EndpointSpec, region: str = "westeurope", profile: str = "dev") -> list[dict[str, Any]]:
    """What this config asks that Azure does differently: the plan prints each as a warning."""
    r, a = spec.rollout, spec.autoscaling
    o = azure_options(spec)
    out: list[dict[str, Any]] = []

    def warn(rule: str, message: str) -> None:
        out.append({"rule": rule, "severity": "warning", "message": message, "anchors": ["ours"]})

    live, mirror = traffic_split(spec)
    if r.auto_rollback:
        warn(
            "azure-no-auto-rollback",
            f"Azure ML has no automatic rollback: rollout.autoRollback is implemented as metric alerts on the candidate deployment that notify; roll back by setting azure.candidateTrafficPercent: 0 and running `pulumi up` (docs/azure.md, Promotion). Traffic now: {live}.",
        )
    if r.strategy in ("canary", "linear") and not r.mirror_percent:
        warn(
            "azure-traffic-not-stepped",
            f"Azure ML does not step traffic: the candidate deployment '{o.candidateSlot}' gets {live[o.candidateSlot]}% until you change azure.candidateTrafficPercent; rollout.waitMinutes ({r.wait_minutes}) is not enforced ({r.strategy} steps are `pulumi up` runs, docs/azure.md).",
        )
    if mirror:
        warn(
            "azure-mirror-traffic",
            f"{r.mirror_percent}% of live traffic is mirrored to '{o.candidateSlot}' (responses discarded); mirrored traffic counts against the endpoint's bandwidth quota.",
        )
    if r.termination_wait_minutes:
        warn(
            "azure-no-termination-wait",
            f"rollout.terminationWaitMinutes ({r.termination_wait_minutes}) has no Azure equivalent: the stable deployment keeps running until you promote (docs/azure.md).",
        )
    if spec.alerts.error_rate_percent is not None:
        warn(
            "azure-error-rate-as-count",
            f"Azure metric alerts cannot divide: the non-2xx alert fires above {error_count_threshold(spec)} non-2xx requests per minute, {spec.alerts.error_rate_percent:g}% of a reference {reference_rpm(spec)} requests per minute (azure.expectedRequestsPerMinute).",
        )
    if spec.network.isolation and not spec.network.private:
        warn(
            "azure-egress-open",
            "network.isolation has no per-deployment switch on Azure ML: deployment egress is disabled only with network.private: true (workspace managed network, approved outbound only).",
        )
    if spec.network.private:
        warn(
            "azure-private-endpoint-not-declared",
            "network.private: the workspace, endpoint, storage account and vault refuse public network access, and mlinfra declares no private endpoint into your VNet: create one for the workspace (groupId amlworkspace) where callers run, and run `pulumi up` from a network that reaches the storage account (docs/azure.md).",
        )
    if a.enabled and (
        a.scale_in_cooldown_seconds % 60
        or a.scale_out_cooldown_seconds % 60
        or min(a.scale_in_cooldown_seconds, a.scale_out_cooldown_seconds) < 60
    ):
        warn(
            "azure-cooldown-minutes",
            f"Azure autoscale cooldowns are whole minutes, at least one: scale-in {iso_minutes(a.scale_in_cooldown_seconds)}, scale-out {iso_minutes(a.scale_out_cooldown_seconds)}.",
        )
    if a.enabled and a.schedules:
        warn(
            "azure-recurrence-profiles",
            "Azure autoscale recurrence profiles stay in force until the next profile starts: add a schedule that restores the normal range after each peak.",
        )
    if spec.autoscales:
        warn(
            "azure-capacity-owned-by-autoscale",
            "Autoscale owns each deployment's instance count: sku.capacity is in ignoreChanges, so `pulumi up` does not reset it; compute.instances applies at creation only.",
        )
    if "://" not in spec.model and not o.allowSharedKeyUpload:
        warn(
            "azure-local-model-upload",
            "The local package is uploaded with azure-native storage.Blob, which signs with the account key (pulumi-azure-native#2015) while the account refuses shared keys: publish it first (`mlinfra publish DIR --store az://ACCOUNT/CONTAINER/PREFIX`) and set model to the manifest URI, or set azure.allowSharedKeyUpload: true on a dev stack.",
        )
    if o.allowSharedKeyUpload:
        warn(
            "azure-shared-key-upload",
            "azure.allowSharedKeyUpload: the artifact account accepts shared-key requests (dev only; CKV2_AZURE_40).",
        )
    if spec.model.startswith("az://") or (o.stableModel or "").startswith("az://"):
        warn(
            "azure-published-model-access",
            "The model is read from a published az:// store: grant each deployment's endpoint identity 'Storage Blob Data Reader' on that container (the identity's principal id is an output).",
        )
    if o.authMode == "Key":
        warn(
            "azure-key-auth",
            f"azure.authMode: Key (reason: {o.keyAuthReason}); rotate keys with `az ml online-endpoint regenerate-keys`.",
        )
    return out


__all__ = [
    "AzureOptions",
    "advisories",
    "azure_options",
    "endpoint_name",
    "key_vault_name",
    "storage_account_name",
    "iso_minutes",
    "recurrence",
    "resolved_instance_type",
    "traffic_split",
    "validate_for_azure",
]
