"""GCP rules (SECURITY.md, "GCP"), on pulumi-gcp 10 resource types and wire input names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from policy.engine import Res, Stack, as_list, get, is_unknown, resource_rule, stack_rule, truthy

BUCKET = "gcp:storage/bucket:Bucket"
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
KEY_MEMBERS = (
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
    "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding",
)
VERTEX_ENDPOINT = "gcp:vertex/aiEndpoint:AiEndpoint"
RUN_SERVICE = "gcp:cloudrunv2/service:Service"
RUN_MEMBERS = (
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
    "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding",
)
RUN_POLICY = "gcp:cloudrunv2/serviceIamPolicy:ServiceIamPolicy"
PROJECT_MEMBERS = ("gcp:projects/iAMMember:IAMMember", "gcp:projects/iAMBinding:IAMBinding")
SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account"
ALERT_POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
VERTEX_DEPLOYMENT = "pulumi-python:dynamic/mlinfra:VertexDeployment"
CHANNEL = "gcp:monitoring/notificationChannel:NotificationChannel"

MAX_ROTATION_SECONDS = 90 * 24 * 3600
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
PUBLIC_OPT_IN = ("mlinfra-public-reason", "mlinfra.dev/public-reason")
"""Label or annotation on a Cloud Run service recording why it is public (``network.publicReason``)."""
BASIC_ROLES = ("roles/owner", "roles/editor", "roles/viewer")
DEFAULT_COMPUTE_SA = re.compile(r"^\d+-compute@developer\.gserviceaccount\.com$")
VERTEX_AGENT = re.compile(r"service-\d+@gcp-sa-aiplatform\.iam\.gserviceaccount\.com$")


def _seconds(value: Any) -> float | None:
    """``"7776000s"`` -> 7776000.0."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?s", value):
        return float(value[:-1])
    return None


# =========================================================================================== storage, KMS
@resource_rule(
    "gcp-bucket-access",
    severity="error",
    types=[BUCKET],
    anchors=["CKV_GCP_29", "CKV_GCP_114"],
    title="Buckets use uniform bucket-level access and enforce public access prevention.",
    fix='set uniform_bucket_level_access=True and public_access_prevention "enforced"',
    cloud="gcp",
)
def bucket_access(r: Res) -> Iterable[str]:
    if truthy(r.get("uniformBucketLevelAccess")) is not True and not is_unknown(
        r.get("uniformBucketLevelAccess")
    ):
        yield f"bucket {r.name} uses object ACLs (uniformBucketLevelAccess off)"
    if r.get("publicAccessPrevention") != "enforced" and not is_unknown(r.get("publicAccessPrevention")):
        yield f"bucket {r.name} does not enforce public access prevention ({r.get('publicAccessPrevention')!r})"


@resource_rule(
    "gcp-bucket-versioning-cmek",
    severity="error",
    types=[BUCKET],
    anchors=["CKV_GCP_78", "AVD-GCP-0066"],
    title="Buckets are versioned and encrypted with the stack's Cloud KMS key (CMEK).",
    fix="set versioning.enabled=True and encryption.default_kms_key_name = the stack's crypto key",
    cloud="gcp",
)
def bucket_versioning_cmek(r: Res) -> Iterable[str]:
    if truthy(r.get("versioning.enabled")) is not True and not is_unknown(r.get("versioning.enabled")):
        yield f"bucket {r.name} is not versioned"
    if not r.get("encryption.defaultKmsKeyName"):
        yield f"bucket {r.name} uses Google-managed encryption, not the stack's key"


@resource_rule(
    "gcp-kms-key-rotation",
    severity="error",
    types=[CRYPTO_KEY],
    anchors=["CKV_GCP_43"],
    title="Crypto keys rotate at least every 90 days.",
    fix='set rotation_period to at most "7776000s" (90 days)',
    cloud="gcp",
)
def key_rotation(r: Res) -> Iterable[str]:
    if r.get("purpose") not in (None, "ENCRYPT_DECRYPT"):
        return  # only symmetric keys rotate automatically
    period = r.get("rotationPeriod")
    if is_unknown(period):
        return
    sec = _seconds(period)
    if sec is None:
        yield f"crypto key {r.name} never rotates (no rotationPeriod)"
    elif sec > MAX_ROTATION_SECONDS:
        yield f"crypto key {r.name} rotates every {sec / 86400:g} days"


# =========================================================================================== Vertex
@stack_rule(
    "gcp-vertex-endpoint-cmek",
    severity="error",
    types=[VERTEX_ENDPOINT],
    anchors=["CKV2_GCP_24", "ours: the key grant (the Vertex AI service agent must hold the key)"],
    title="Vertex endpoints are encrypted with the stack's key, and the Vertex AI service agent is granted it.",
    fix="set encryption_spec.kms_key_name and grant roles/cloudkms.cryptoKeyEncrypterDecrypter on the key to "
    "service-<project-number>@gcp-sa-aiplatform.iam.gserviceaccount.com",
    cloud="gcp",
)
def vertex_cmek(s: Stack) -> Iterator[tuple[str, str]]:
    for e in s.of(VERTEX_ENDPOINT):
        key = e.get("encryptionSpec.kmsKeyName")
        if not key:
            yield e.urn, f"Vertex endpoint {e.name} is not encrypted with the stack's key"
            continue
        keys = s.resolve(e, "encryptionSpec.kmsKeyName", CRYPTO_KEY)
        for k in keys:
            grants = s.referring(k, "cryptoKeyId", *KEY_MEMBERS)
            ok = False
            for g in grants:
                if g.get("role") != "roles/cloudkms.cryptoKeyEncrypterDecrypter":
                    continue
                members = as_list(g.get("member")) + as_list(g.get("members"))
                if any(isinstance(m, str) and (VERTEX_AGENT.search(m) or is_unknown(m)) for m in members):
                    ok = True
            if not ok:
                yield (
                    e.urn,
                    f"the Vertex AI service agent has no grant on key {k.name}: endpoint creation fails",
                )


@stack_rule(
    "gcp-vertex-endpoint-private",
    severity="warning",
    types=[VERTEX_ENDPOINT],
    anchors=["CKV2_GCP_33", "ours: production inference stays on private networks"],
    title="Production: Vertex endpoints are private (Private Service Connect or VPC peering).",
    fix="set network.private: true (the endpoint gets private_service_connect_config or network)",
    cloud="gcp",
)
def vertex_private(s: Stack) -> Iterator[tuple[str, str]]:
    if s.profile != "prod":
        return
    for e in s.of(VERTEX_ENDPOINT):
        if (
            not e.get("network")
            and truthy(e.get("privateServiceConnectConfig.enablePrivateServiceConnect")) is not True
        ):
            yield e.urn, f"Vertex endpoint {e.name} is public"


@stack_rule(
    "gcp-vertex-replicas",
    severity="error",
    types=[VERTEX_DEPLOYMENT],
    anchors=["ours: Vertex AI deployments keep at least one replica; production keeps two"],
    title="Vertex deployments keep 1 <= min replicas <= max replicas; production keeps at least 2.",
    fix="set 1 <= autoscaling.minInstances <= autoscaling.maxInstances (>= 2 for mlinfra:profile prod)",
    cloud="gcp",
)
def vertex_replicas(s: Stack) -> Iterator[tuple[str, str]]:
    for d in s.of(VERTEX_DEPLOYMENT):
        lo, hi = d.get("replicas.min"), d.get("replicas.max")
        if not isinstance(lo, (int, float)):
            continue
        if lo < 1:
            yield d.urn, f"deployment {d.name} may scale to {lo:g} replicas (Vertex AI cannot scale to zero)"
        if isinstance(hi, (int, float)) and lo > hi:
            yield d.urn, f"deployment {d.name}: min replicas ({lo:g}) is greater than max ({hi:g})"
        if s.profile == "prod" and lo < 2:
            yield d.urn, f"production deployment {d.name} may scale down to {lo:g} replica(s)"


# =========================================================================================== Cloud Run
def _public_opt_in(r: Res) -> bool:
    return any(str(r.tags.get(k) or "").strip() for k in PUBLIC_OPT_IN)


@resource_rule(
    "gcp-cloudrun-ingress",
    severity="error",
    types=[RUN_SERVICE],
    anchors=["CKV_GCP_102 (v1 only; ours for v2)"],
    title="Cloud Run services take internal ingress only, unless the public opt-in records a reason.",
    fix="keep network.ingress internal, or set network.ingress all with network.publicReason (recorded as the "
    "label/annotation mlinfra-public-reason)",
    cloud="gcp",
)
def run_ingress(r: Res) -> Iterable[str]:
    ingress = r.get("ingress")
    if is_unknown(ingress) or _public_opt_in(r):
        return
    if ingress in (None, "INGRESS_TRAFFIC_ALL"):
        yield f"Cloud Run service {r.name} takes traffic from the internet (ingress {ingress or 'default: all'})"


@resource_rule(
    "gcp-cloudrun-invoker-iam",
    severity="error",
    types=[RUN_SERVICE],
    anchors=["ours: invoker IAM disabled makes the service callable by anyone who can reach it"],
    title="Cloud Run invoker IAM check stays on unless the public opt-in records a reason.",
    fix="remove invoker_iam_disabled, or set network.allowUnauthenticated with network.publicReason",
    cloud="gcp",
)
def run_invoker_iam(r: Res) -> Iterable[str]:
    if truthy(r.get("invokerIamDisabled")) is True and not _public_opt_in(r):
        yield f"Cloud Run service {r.name} has the invoker IAM check disabled"


@stack_rule(
    "gcp-cloudrun-no-public-invoker",
    severity="error",
    types=list(RUN_MEMBERS),
    anchors=["CKV_GCP_102 (v1 only; ours for v2)", "AVD-GCP-0006"],
    title="No allUsers / allAuthenticatedUsers invoker on a Cloud Run service, unless it opted in with a reason.",
    fix="grant roles/run.invoker to the calling service accounts, or set network.allowUnauthenticated with "
    "network.publicReason",
    cloud="gcp",
)
def run_public_invoker(s: Stack) -> Iterator[tuple[str, str]]:
    services = s.of(RUN_SERVICE)
    for m in s.of(*RUN_MEMBERS):
        members = [x for x in as_list(m.get("member")) + as_list(m.get("members")) if x in PUBLIC_MEMBERS]
        if not members:
            continue
        targets = s.resolve(m, "name", RUN_SERVICE) or [
            x for x in services if s.component_of(x) is s.component_of(m)
        ]
        if targets and all(_public_opt_in(t) for t in targets):
            continue
        yield m.urn, f"{', '.join(members)} may invoke the service ({m.get('role')})"


@resource_rule(
    "gcp-cloudrun-service-account",
    severity="error",
    types=[RUN_SERVICE],
    anchors=["CKV_GCP_46", "ours: the default compute service account is an Editor of the project"],
    title="Cloud Run services run as a dedicated service account, never the default compute account.",
    fix="set template.service_account to the stack's dedicated service account",
    cloud="gcp",
)
def run_service_account(r: Res) -> Iterable[str]:
    sa = r.get("template.serviceAccount")
    if is_unknown(sa):
        return
    if not sa:
        yield f"Cloud Run service {r.name} runs as the default compute service account"
    elif DEFAULT_COMPUTE_SA.match(str(sa)):
        yield f"Cloud Run service {r.name} runs as {sa}"


@stack_rule(
    "gcp-cloudrun-scaling-range",
    severity="error",
    types=[RUN_SERVICE],
    anchors=["ours: min <= max instances"],
    title="Cloud Run scaling keeps minInstanceCount <= maxInstanceCount; production keeps at least 2.",
    fix="set autoscaling.minInstances <= autoscaling.maxInstances (>= 2 for mlinfra:profile prod)",
    cloud="gcp",
)
def run_scaling(s: Stack) -> Iterator[tuple[str, str]]:
    for r in s.of(RUN_SERVICE):
        for key in ("template.scaling", "scaling"):
            lo, hi = get(r.inputs, f"{key}.minInstanceCount"), get(r.inputs, f"{key}.maxInstanceCount")
            if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and lo > hi:
                yield r.urn, f"{key}: minInstanceCount ({lo:g}) is greater than maxInstanceCount ({hi:g})"
            if s.profile == "prod" and key == "template.scaling" and isinstance(lo, (int, float)) and lo < 2:
                yield r.urn, f"production Cloud Run service {r.name} may scale down to {lo:g} instance(s)"


# =========================================================================================== IAM
@resource_rule(
    "gcp-no-basic-or-admin-roles",
    severity="error",
    types=list(PROJECT_MEMBERS),
    anchors=["CKV_GCP_41", "CKV_GCP_42", "CKV_GCP_117"],
    title="Project IAM grants no basic roles (owner, editor, viewer), no admin roles and no service-account "
    "user/token-creator roles to the stack's identities.",
    fix="grant the narrow predefined roles the service needs (roles/storage.objectViewer on the bucket, "
    "roles/cloudkms.cryptoKeyEncrypterDecrypter on the key)",
    cloud="gcp",
)
def no_basic_roles(r: Res) -> Iterable[str]:
    role = str(r.get("role") or "")
    if (
        role in BASIC_ROLES
        or role.lower().endswith("admin")
        or role in ("roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator")
    ):
        yield f"project role {role} is granted"


@stack_rule(
    "gcp-no-default-service-account-grants",
    severity="error",
    types=list(PROJECT_MEMBERS),
    anchors=["CKV_GCP_46"],
    title="No project role is granted to the default compute service account.",
    fix="create a dedicated service account and grant it instead",
    cloud="gcp",
)
def no_default_sa(s: Stack) -> Iterator[tuple[str, str]]:
    for r in s.of(*PROJECT_MEMBERS):
        for m in as_list(r.get("member")) + as_list(r.get("members")):
            if isinstance(m, str) and DEFAULT_COMPUTE_SA.match(m.split(":", 1)[-1]):
                yield r.urn, f"{r.get('role')} is granted to the default compute service account"


# =========================================================================================== alerts
@resource_rule(
    "gcp-alert-policy-channel",
    severity="error",
    types=[ALERT_POLICY],
    anchors=["ours: an alert policy without a notification channel notifies nobody"],
    title="Every alert policy has a notification channel.",
    fix="set mlinfra:notify.emails or webhooks (each becomes a notification channel of the alert policies)",
    cloud="gcp",
)
def alert_channel(r: Res) -> Iterable[str]:
    if not as_list(r.get("notificationChannels")):
        yield f"alert policy {r.get('displayName') or r.name} has no notification channel"


@stack_rule(
    "gcp-alert-channel-declared",
    severity="error",
    types=[ALERT_POLICY],
    anchors=["ours: a channel that does not exist or is disabled notifies nobody"],
    title="Alert policies notify channels that the stack declares and that are enabled.",
    fix="point notification_channels at the stack's notification channels",
    cloud="gcp",
)
def alert_channel_declared(s: Stack) -> Iterator[tuple[str, str]]:
    for p in s.of(ALERT_POLICY):
        for c in as_list(p.get("notificationChannels")):
            if not isinstance(c, str) or is_unknown(c):
                continue
            found = s.find_by_value(c, CHANNEL)
            if not found:
                yield p.urn, f"alert policy {p.name} notifies {c}, which this stack does not declare"
            for ch in found:
                if truthy(ch.get("enabled")) is False:
                    yield p.urn, f"alert policy {p.name} notifies channel {ch.name}, which is disabled"
