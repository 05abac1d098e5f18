"""AWS rules (SECURITY.md, "AWS"): S3 artifact bucket, KMS, IAM, SageMaker, SNS/CloudWatch, autoscaling."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from policy.engine import (
    Res,
    Stack,
    as_dict,
    as_list,
    doc,
    get,
    is_unknown,
    resource_rule,
    stack_rule,
    statements,
    truthy,
)

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
BUCKETS = (BUCKET, BUCKET_V2)
SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
PAB = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
OWNERSHIP = ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",)
BUCKET_POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)
LIFECYCLE = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
KMS_KEY = "aws:kms/key:Key"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
MODEL = "aws:sagemaker/model:Model"
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SCALING_TARGET = "aws:appautoscaling/target:Target"

ISOLATION_OPT_OUT_TAG = "mlinfra-isolation-opt-out"
"""Tag on a SageMaker Model that records why network isolation is off (the component writes
``network.isolationOptOutReason`` there). A plan note ``{"rule": ..., "resource": ..., "reason": ...}`` also counts."""

# Actions with no resource-level permissions: "*" is the only valid resource for them.
NO_RESOURCE_LEVEL = (
    "ecr:getauthorizationtoken",
    "ec2:describe",
    "cloudwatch:putmetricdata",
    "cloudwatch:getmetricdata",
    "cloudwatch:listmetrics",
    "logs:describeloggroups",
    "sts:getcalleridentity",
    "xray:puttracesegments",
    "xray:puttelemetryrecords",
    "xray:getsamplingrules",
    "xray:getsamplingtargets",
    "kms:listaliases",
    "kms:listkeys",
    "s3:listallmybuckets",
)
FULL_ACCESS = re.compile(
    r"arn:aws[a-z-]*:iam::aws:policy/(.*/)?(AdministratorAccess|PowerUserAccess|[A-Za-z0-9]*FullAccess[A-Za-z0-9_]*)$"
)
# Local NVMe instance storage (SageMaker refuses a KMS volume key). The catalog knows the types it lists;
# this pattern covers the families it does not.
NVME_FAMILY = re.compile(
    r"^ml\.(g4dn|g5|g6|g6e|gr6|p4d|p4de|p5|p5e|p5en|c5d|m5d|r5d|c6id|m6id|r6id|m5ad|inf2|trn1|trn1n)\."
)


# ------------------------------------------------------------------------------------------- helpers
def _principal_values(stmt: dict[str, Any]) -> list[tuple[str, str]]:
    """[(kind, value)] for a statement's Principal: ("*", "*"), ("AWS", arn), ("Service", name)..."""
    p = stmt.get("Principal")
    if p == "*":
        return [("*", "*")]
    if isinstance(p, dict):
        return [(str(k), str(v)) for k, vs in p.items() for v in as_list(vs)]
    return []


def _wildcard_principal(stmt: dict[str, Any]) -> bool:
    return any(v == "*" for _, v in _principal_values(stmt))


def _allows(stmt: dict[str, Any]) -> bool:
    return stmt.get("Effect") == "Allow"


def _actions(stmt: dict[str, Any]) -> list[str]:
    return [str(a) for a in as_list(stmt.get("Action"))]


def _resources(stmt: dict[str, Any]) -> list[str]:
    return [str(r) for r in as_list(stmt.get("Resource"))]


def _identity_documents(r: Res) -> Iterator[dict[str, Any] | None]:
    """The identity-policy documents a resource carries (RolePolicy/Policy ``policy``, Role ``inlinePolicies``)."""
    if r.type in (ROLE_POLICY, POLICY):
        yield doc(r.get("policy"))
    elif r.type == ROLE:
        for p in as_list(r.get("inlinePolicies")):
            if isinstance(p, dict):
                yield doc(p.get("policy"))


def _label(stmt: dict[str, Any], i: int) -> str:
    return f"statement {stmt.get('Sid') or i}"


def _no_resource_level(action: str) -> bool:
    a = action.lower()
    return any(a.startswith(p) for p in NO_RESOURCE_LEVEL)


def local_nvme(instance_type: str) -> bool:
    from components import catalog

    t = catalog.get("aws", instance_type)
    if t is not None:
        return t.local_nvme
    return bool(NVME_FAMILY.match(instance_type))


def _has_note(s: Stack, rule: str, r: Res) -> bool:
    for n in s.notes:
        if (
            isinstance(n, dict)
            and n.get("rule") == rule
            and n.get("resource") in (r.urn, r.name)
            and str(n.get("reason") or "").strip()
        ):
            return True
    return False


# =========================================================================================== KMS
@resource_rule(
    "aws-kms-key-rotation",
    severity="error",
    types=[KMS_KEY],
    anchors=["CKV_AWS_7"],
    title="KMS keys rotate yearly (enableKeyRotation).",
    fix="set enable_key_rotation=True on the key (overrides.key must not turn it off)",
    cloud="aws",
)
def kms_rotation(r: Res) -> Iterable[str]:
    if (
        r.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT") not in ("SYMMETRIC_DEFAULT", None)
        or r.get("keySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT"
    ):
        return  # asymmetric and HMAC keys cannot rotate
    v = truthy(r.get("enableKeyRotation"))
    if v is not True and not is_unknown(r.get("enableKeyRotation")):
        yield f"key rotation is off (enableKeyRotation = {r.get('enableKeyRotation')!r})"


@resource_rule(
    "aws-kms-key-policy",
    severity="error",
    types=[KMS_KEY],
    anchors=["CKV_AWS_33", "CKV2_AWS_64"],
    title="A KMS key has an explicit key policy and no statement allows a wildcard principal.",
    fix='give the key an explicit policy whose Allow statements name the account root, a role or a service principal (never "*")',
    cloud="aws",
)
def kms_policy(r: Res) -> Iterable[str]:
    raw = r.get("policy")
    if raw is None:
        yield "the key has no explicit key policy (the default policy lets any IAM principal of the account with kms permissions use it)"
        return
    if is_unknown(raw):
        return
    d = doc(raw)
    if d is None:
        yield "the key policy is not a readable JSON policy document"
        return
    for i, st in enumerate(statements(d)):
        if _allows(st) and _wildcard_principal(st):
            yield f'key policy {_label(st, i)} allows principal "*"'


# =========================================================================================== IAM
@resource_rule(
    "aws-iam-role-trust",
    severity="error",
    types=[ROLE],
    anchors=["CKV_AWS_60", "CKV_AWS_61"],
    title='A role\'s trust policy names specific principals: never "*".',
    fix="trust only the service that runs as this role (sagemaker.amazonaws.com for an execution role)",
    cloud="aws",
)
def role_trust(r: Res) -> Iterable[str]:
    raw = r.get("assumeRolePolicy")
    if raw is None or is_unknown(raw):
        return
    d = doc(raw)
    if d is None:
        yield "the trust policy is not a readable JSON policy document"
        return
    for i, st in enumerate(statements(d)):
        if _allows(st) and _wildcard_principal(st):
            yield f'trust policy {_label(st, i)} lets any principal ("*") assume the role'


@resource_rule(
    "aws-iam-no-wildcard-actions",
    severity="error",
    types=[ROLE_POLICY, POLICY, ROLE],
    anchors=["CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_290", "CKV2_AWS_40"],
    title='Identity policies list actions: no "*", no "service:*", no NotAction in an Allow.',
    fix="list the exact actions the role needs (e.g. s3:GetObject, kms:Decrypt)",
    cloud="aws",
)
def no_wildcard_actions(r: Res) -> Iterable[str]:
    for d in _identity_documents(r):
        for i, st in enumerate(statements(d)):
            if not _allows(st):
                continue
            if "NotAction" in st:
                yield f"{_label(st, i)} allows NotAction (everything except a list)"
            for a in _actions(st):
                if a == "*" or a.endswith(":*"):
                    yield f"{_label(st, i)} allows action {a!r}"


@resource_rule(
    "aws-iam-no-wildcard-resources",
    severity="error",
    types=[ROLE_POLICY, POLICY, ROLE],
    anchors=["CKV_AWS_355", "CKV_AWS_288", "CKV_AWS_289"],
    title='Identity policies name resources: "*" only for actions without resource-level permissions '
    "(ecr:GetAuthorizationToken, ec2:Describe*).",
    fix="scope the statement to the ARNs it acts on (the model prefix, the key, the log group), or move the "
    "resource-less actions into their own statement",
    cloud="aws",
)
def no_wildcard_resources(r: Res) -> Iterable[str]:
    for d in _identity_documents(r):
        for i, st in enumerate(statements(d)):
            if not _allows(st) or "*" not in _resources(st):
                continue
            bad = [a for a in _actions(st) if not _no_resource_level(a)]
            if bad:
                yield f'{_label(st, i)} allows {", ".join(sorted(bad))} on every resource ("*")'
            if "NotResource" in st:
                yield f"{_label(st, i)} uses NotResource"


@resource_rule(
    "aws-iam-no-managed-full-access",
    severity="error",
    types=[ROLE, *ATTACHMENTS],
    anchors=["CKV_AWS_274", "CKV2_AWS_40"],
    title="No AWS managed full-access policies (AdministratorAccess, PowerUserAccess, *FullAccess) on a role.",
    fix="remove the managed policy; the component's inline policy already grants what the endpoint needs",
    cloud="aws",
)
def no_managed_full_access(r: Res) -> Iterable[str]:
    arns = as_list(r.get("managedPolicyArns")) if r.type == ROLE else [r.get("policyArn")]
    for arn in arns:
        if isinstance(arn, str) and FULL_ACCESS.match(arn):
            yield f"managed policy {arn} is attached"


@stack_rule(
    "aws-sagemaker-execution-role",
    severity="error",
    types=[MODEL],
    anchors=[
        "CKV_AWS_60",
        "ours: an execution role shared with other principals widens who can read the model",
    ],
    title="A SageMaker model's execution role is assumable only by sagemaker.amazonaws.com.",
    fix="let the role's trust policy name only the service principal sagemaker.amazonaws.com",
    cloud="aws",
)
def execution_role_trust(s: Stack) -> Iterator[tuple[str, str]]:
    for m in s.of(MODEL):
        for role in s.resolve(m, "executionRoleArn", ROLE):
            d = doc(role.get("assumeRolePolicy"))
            if d is None:
                continue
            others = sorted(
                {
                    f"{k}:{v}"
                    for st in statements(d)
                    if _allows(st)
                    for k, v in _principal_values(st)
                    if (k, v) != ("Service", "sagemaker.amazonaws.com")
                }
            )
            if others:
                yield role.urn, f"execution role of {m.name} is also assumable by {', '.join(others)}"


@stack_rule(
    "aws-sagemaker-role-reads-its-model",
    severity="error",
    types=[MODEL],
    anchors=[
        "CKV_AWS_355",
        "ours: a role that reads a whole bucket reads every model and captured request in it",
    ],
    title="The execution role reads only its model's prefix, never a whole bucket.",
    fix="scope s3:GetObject to arn:aws:s3:::<bucket>/models/<model>/*",
    cloud="aws",
)
def role_reads_its_model(s: Stack) -> Iterator[tuple[str, str]]:
    for m in s.of(MODEL):
        for role in s.resolve(m, "executionRoleArn", ROLE):
            policies = [p for p in s.of(ROLE_POLICY) if s.refers(p, "role", role)] + [role]
            for p in policies:
                for d in _identity_documents(p):
                    for i, st in enumerate(statements(d)):
                        if not _allows(st) or not any(
                            a.lower() in ("s3:getobject", "s3:get*", "s3:getobject*") for a in _actions(st)
                        ):
                            continue
                        for res in _resources(st):
                            if (
                                res == "*"
                                or re.match(r"^arn:aws[a-z-]*:s3:::[^/]+/\*$", res)
                                or re.match(r"^arn:aws[a-z-]*:s3:::\*", res)
                            ):
                                yield p.urn, f"{_label(st, i)} lets the execution role of {m.name} read {res}"


# =========================================================================================== S3
def _bucket_controls(s: Stack, b: Res, types: tuple[str, ...]) -> list[Res]:
    return s.referring(b, "bucket", *types)


@stack_rule(
    "aws-s3-cmk-encryption",
    severity="error",
    types=list(BUCKETS),
    anchors=["CKV_AWS_145", "CKV_AWS_19", "AVD-AWS-0132"],
    title="The artifact bucket is encrypted with a customer-managed KMS key (SSE-KMS), bucket key on.",
    fix="declare aws.s3.BucketServerSideEncryptionConfiguration for the bucket with sse_algorithm aws:kms, "
    "kms_master_key_id = the stack's key, bucket_key_enabled=True",
    cloud="aws",
)
def s3_cmk(s: Stack) -> Iterator[tuple[str, str]]:
    for b in s.of(*BUCKETS):
        rules = [rule for c in _bucket_controls(s, b, SSE) for rule in as_list(c.get("rules"))]
        rules += as_list(get(b.inputs, "serverSideEncryptionConfiguration.rule")) + as_list(
            get(b.inputs, "serverSideEncryptionConfiguration.rules")
        )
        rules = [x for x in rules if isinstance(x, dict)]
        if not rules:
            yield b.urn, f"bucket {b.name} has no server-side encryption configuration"
            continue
        for rule in rules:
            algo = get(rule, "applyServerSideEncryptionByDefault.sseAlgorithm")
            key = get(rule, "applyServerSideEncryptionByDefault.kmsMasterKeyId")
            if algo not in ("aws:kms", "aws:kms:dsse") and not is_unknown(algo):
                yield b.urn, f"bucket {b.name} is encrypted with {algo!r}, not a KMS key"
            elif not key:
                yield b.urn, f"bucket {b.name} uses the AWS-managed key (no kmsMasterKeyId)"
            if truthy(rule.get("bucketKeyEnabled")) is not True and not is_unknown(
                rule.get("bucketKeyEnabled")
            ):
                yield b.urn, f"bucket {b.name} has the S3 bucket key off (every object request calls KMS)"


@stack_rule(
    "aws-s3-versioning",
    severity="error",
    types=list(BUCKETS),
    anchors=["CKV_AWS_21"],
    title="Versioning is on for the artifact bucket.",
    fix="declare aws.s3.BucketVersioning for the bucket with status Enabled",
    cloud="aws",
)
def s3_versioning(s: Stack) -> Iterator[tuple[str, str]]:
    for b in s.of(*BUCKETS):
        states = [get(c.inputs, "versioningConfiguration.status") for c in _bucket_controls(s, b, VERSIONING)]
        if truthy(get(b.inputs, "versioning.enabled")) is True:
            states.append("Enabled")
        if not any(x == "Enabled" or is_unknown(x) for x in states):
            yield b.urn, f"bucket {b.name} is not versioned" + (f" (status {states[0]!r})" if states else "")


@stack_rule(
    "aws-s3-lifecycle",
    severity="warning",
    types=list(BUCKETS),
    anchors=["CKV_AWS_300", "CKV2_AWS_61"],
    title="The bucket lifecycle aborts incomplete multipart uploads and expires old noncurrent versions.",
    fix="declare aws.s3.BucketLifecycleConfiguration with abort_incomplete_multipart_upload and "
    "noncurrent_version_expiration rules (storage.noncurrentVersionDays)",
    cloud="aws",
)
def s3_lifecycle(s: Stack) -> Iterator[tuple[str, str]]:
    for b in s.of(*BUCKETS):
        rules = [
            x
            for c in _bucket_controls(s, b, LIFECYCLE)
            for x in as_list(c.get("rules"))
            if isinstance(x, dict) and x.get("status", "Enabled") == "Enabled"
        ]
        rules += [
            x
            for x in as_list(b.get("lifecycleRules"))
            if isinstance(x, dict) and truthy(x.get("enabled")) is not False
        ]
        if not any(
            get(x, "abortIncompleteMultipartUpload.daysAfterInitiation")
            or x.get("abortIncompleteMultipartUploadDays")
            for x in rules
        ):
            yield b.urn, f"bucket {b.name} keeps incomplete multipart uploads forever"
        if not any(
            get(x, "noncurrentVersionExpiration.noncurrentDays") or get(x, "noncurrentVersionExpiration.days")
            for x in rules
        ):
            yield b.urn, f"bucket {b.name} keeps noncurrent versions forever"


@stack_rule(
    "aws-s3-public-access-block",
    severity="error",
    types=list(BUCKETS),
    anchors=["CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6"],
    title="The bucket has a public access block with all four flags on.",
    fix="declare aws.s3.BucketPublicAccessBlock for the bucket with block_public_acls, block_public_policy, "
    "ignore_public_acls and restrict_public_buckets all True",
    cloud="aws",
)
def s3_public_access(s: Stack) -> Iterator[tuple[str, str]]:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    for b in s.of(*BUCKETS):
        blocks = _bucket_controls(s, b, PAB)
        if not blocks:
            yield b.urn, f"bucket {b.name} has no public access block"
            continue
        for pab in blocks:
            off = [f for f in flags if truthy(pab.get(f)) is not True and not is_unknown(pab.get(f))]
            if off:
                yield b.urn, f"bucket {b.name}: public access block has {', '.join(off)} off"


@stack_rule(
    "aws-s3-acls-disabled",
    severity="error",
    types=list(BUCKETS),
    anchors=["CKV2_AWS_65"],
    title="ACLs are disabled on the bucket (object ownership BucketOwnerEnforced).",
    fix="declare aws.s3.BucketOwnershipControls for the bucket with object_ownership BucketOwnerEnforced",
    cloud="aws",
)
def s3_acls(s: Stack) -> Iterator[tuple[str, str]]:
    for b in s.of(*BUCKETS):
        modes = [get(c.inputs, "rule.objectOwnership") for c in _bucket_controls(s, b, OWNERSHIP)]
        if not any(m == "BucketOwnerEnforced" or is_unknown(m) for m in modes):
            yield (
                b.urn,
                f"bucket {b.name} still honours ACLs"
                + (f" (object ownership {modes[0]!r})" if modes else ""),
            )
        if b.get("acl") not in (None, "private") and not is_unknown(b.get("acl")):
            yield b.urn, f"bucket {b.name} sets a canned ACL {b.get('acl')!r}"


def _denies_insecure_transport(d: dict[str, Any] | None) -> bool:
    for st in statements(d):
        cond = st.get("Condition") if isinstance(st.get("Condition"), dict) else {}
        secure = get(cond, "Bool.aws:SecureTransport")
        if st.get("Effect") == "Deny" and str(secure).lower() == "false" and _wildcard_principal(st):
            return True
    return False


@stack_rule(
    "aws-s3-tls-only",
    severity="error",
    types=list(BUCKETS),
    anchors=["AWS Config s3-bucket-ssl-requests-only", "AVD-AWS-0088"],
    title="The bucket policy denies requests that do not use TLS (aws:SecureTransport false).",
    fix='declare aws.s3.BucketPolicy with a Deny of s3:* for Principal "*" when aws:SecureTransport is false',
    cloud="aws",
)
def s3_tls_only(s: Stack) -> Iterator[tuple[str, str]]:
    for b in s.of(*BUCKETS):
        policies = [c.get("policy") for c in _bucket_controls(s, b, BUCKET_POLICY)] + [b.get("policy")]
        if any(is_unknown(p) for p in policies):
            continue
        if not any(_denies_insecure_transport(doc(p)) for p in policies if p is not None):
            yield b.urn, f"bucket {b.name} accepts plain-HTTP requests"
        for p in policies:
            for i, st in enumerate(statements(doc(p))):
                if _allows(st) and _wildcard_principal(st):
                    yield b.urn, f'bucket {b.name}: policy {_label(st, i)} allows principal "*"'


@stack_rule(
    "aws-s3-access-logging",
    severity="warning",
    types=list(BUCKETS),
    anchors=["CKV_AWS_18"],
    title="Production: server access logs of the artifact bucket go to a log bucket.",
    fix="set storage.accessLogBucket to an existing log bucket (it adds aws.s3.BucketLogging)",
    cloud="aws",
)
def s3_logging(s: Stack) -> Iterator[tuple[str, str]]:
    if s.profile != "prod":
        return
    for b in s.of(*BUCKETS):
        if not _bucket_controls(s, b, LOGGING) and not b.get("logging"):
            yield b.urn, f"bucket {b.name} has no server access logging"


@resource_rule(
    "aws-s3-object-kms",
    severity="error",
    types=["aws:s3/bucketObjectv2:BucketObjectv2", "aws:s3/bucketObject:BucketObject"],
    anchors=[
        "CKV_AWS_186",
        "ours: the model archive is written with the stack's key, not the bucket default",
    ],
    title="Uploaded model objects are encrypted with the stack's KMS key and carry a SHA-256 checksum.",
    fix="upload with server_side_encryption aws:kms, kms_key_id = the stack's key and checksum_algorithm SHA256",
    cloud="aws",
)
def s3_object(r: Res) -> Iterable[str]:
    if r.get("serverSideEncryption") not in ("aws:kms", "aws:kms:dsse") and not is_unknown(
        r.get("serverSideEncryption")
    ):
        yield f"object {r.get('key') or r.name} is not KMS-encrypted (serverSideEncryption = {r.get('serverSideEncryption')!r})"
    elif not r.get("kmsKeyId"):
        yield f"object {r.get('key') or r.name} uses the AWS-managed key"
    if r.type.endswith("BucketObjectv2") and not r.get("checksumAlgorithm"):
        yield f"object {r.get('key') or r.name} has no checksum algorithm (S3 cannot verify the upload)"


# =========================================================================================== SageMaker
@stack_rule(
    "aws-sagemaker-network-isolation",
    severity="error",
    types=[MODEL],
    anchors=["CKV_AWS_370"],
    title="SageMaker models run with network isolation, unless the opt-out records a reason.",
    fix="keep network.isolation: true, or set network.isolationOptOutReason (the component records it as the "
    f"model tag {ISOLATION_OPT_OUT_TAG})",
    cloud="aws",
)
def network_isolation(s: Stack) -> Iterator[tuple[str, str]]:
    for m in s.of(MODEL):
        v = m.get("enableNetworkIsolation")
        if truthy(v) is True or is_unknown(v):
            continue
        reason = str(m.tags.get(ISOLATION_OPT_OUT_TAG) or "").strip()
        if reason or _has_note(s, "aws-sagemaker-network-isolation", m):
            continue
        yield m.urn, f"model {m.name} has network isolation off and no recorded reason"


def _variants(cfg: Res) -> list[dict[str, Any]]:
    return [
        v
        for v in as_list(cfg.get("productionVariants")) + as_list(cfg.get("shadowProductionVariants"))
        if isinstance(v, dict)
    ]


@resource_rule(
    "aws-sagemaker-endpoint-config-kms",
    severity="error",
    types=[CONFIG],
    anchors=[
        "CKV_AWS_98",
        "ours: the NVMe exception (SageMaker rejects a KMS key for local-NVMe instance types)",
    ],
    title="Endpoint configs encrypt the instance volume with the KMS key on EBS-backed types, and set no key "
    "on local-NVMe types (the API rejects it).",
    fix="leave compute.encryptVolume unset: the component sets kms_key_arn exactly for EBS-backed types",
    cloud="aws",
)
def endpoint_config_kms(r: Res) -> Iterable[str]:
    types = [
        str(v.get("instanceType"))
        for v in _variants(r)
        if v.get("instanceType") and not is_unknown(v.get("instanceType"))
    ]
    if not types:
        return  # serverless variants have no instance volume
    key = r.get("kmsKeyArn")
    nvme = sorted({t for t in types if local_nvme(t)})
    ebs = sorted({t for t in types if not local_nvme(t)})
    if key and nvme:
        yield f"kmsKeyArn is set but {', '.join(nvme)} has local NVMe storage: SageMaker rejects the config"
    if not key and ebs and not nvme:
        yield f"the {', '.join(ebs)} volume is not encrypted with the stack's key (no kmsKeyArn)"


@resource_rule(
    "aws-sagemaker-capture-encrypted",
    severity="error",
    types=[CONFIG],
    anchors=["ours: captured requests and async results are model inputs/outputs and may hold personal data"],
    title="Data capture and async inference output are encrypted with the KMS key.",
    fix="set data_capture_config.kms_key_id (and async_inference_config.output_config.kms_key_id) to the stack's key",
    cloud="aws",
)
def capture_encrypted(r: Res) -> Iterable[str]:
    cap = r.get("dataCaptureConfig")
    if isinstance(cap, dict) and truthy(cap.get("enableCapture")) is not False and not cap.get("kmsKeyId"):
        yield "data capture writes to S3 without the stack's KMS key"
    out = r.get("asyncInferenceConfig.outputConfig")
    if isinstance(out, dict) and not out.get("kmsKeyId"):
        yield "async inference output is written without the stack's KMS key"


def _config_of(s: Stack, ep: Res) -> list[Res]:
    return s.resolve(ep, "endpointConfigName", CONFIG)


def _alarm_names(s: Stack) -> set[str]:
    out = set()
    for a in s.of(ALARM):
        for v in (a.get("name"), a.outputs.get("name"), a.id):
            if isinstance(v, str):
                out.add(v)
    return out


@resource_rule(
    "aws-sagemaker-rollback-alarms",
    severity="error",
    types=[ENDPOINT],
    anchors=["ours: SageMaker auto-rollback takes 1 to 10 CloudWatch alarms"],
    title="Auto-rollback names 1 to 10 alarms (SageMaker's limit).",
    fix="keep at most 10 rollback alarms (alerts.* thresholds feed them) or turn rollout.autoRollback off",
    cloud="aws",
)
def rollback_alarm_count(r: Res) -> Iterable[str]:
    cfg = r.get("deploymentConfig.autoRollbackConfiguration")
    if not isinstance(cfg, dict):
        return
    alarms = as_list(cfg.get("alarms"))
    if not 1 <= len(alarms) <= 10:
        yield f"auto-rollback names {len(alarms)} alarms"


@stack_rule(
    "aws-sagemaker-rollback-alarms-declared",
    severity="error",
    types=[ENDPOINT],
    anchors=["ours: a rollback alarm that does not exist never fires, so the rollout is unguarded"],
    title="Every auto-rollback alarm is declared in the stack.",
    fix="name alarms the stack declares (the component passes its own latency and error-rate alarms)",
    cloud="aws",
)
def rollback_alarms_declared(s: Stack) -> Iterator[tuple[str, str]]:
    names = _alarm_names(s)
    for ep in s.of(ENDPOINT):
        for a in as_list(ep.get("deploymentConfig.autoRollbackConfiguration.alarms")):
            n = a.get("alarmName") if isinstance(a, dict) else None
            if isinstance(n, str) and not is_unknown(n) and n not in names:
                yield ep.urn, f"rollback alarm {n!r} is not declared in this stack"


@stack_rule(
    "aws-prod-endpoint-guardrails",
    severity="error",
    types=[ENDPOINT],
    anchors=[
        "ours: SageMaker deployment guardrails (blue/green, auto-rollback) and AZ redundancy for production"
    ],
    title="Production profile: at least 2 instances, blue/green with 1 to 10 rollback alarms, canary/linear "
    "steps of at most 50% of capacity.",
    fix="for mlinfra:profile prod set compute.instances and autoscaling.minInstances >= 2, rollout.autoRollback: "
    "true with alerts on, and rollout.stepPercent <= 50",
    cloud="aws",
)
def prod_guardrails(s: Stack) -> Iterator[tuple[str, str]]:
    if s.profile != "prod":
        return
    for ep in s.of(ENDPOINT):
        counts: list[int] = []
        for cfg in _config_of(s, ep):
            for v in _variants(cfg):
                if v.get("serverlessConfig") is not None and not v.get("instanceType"):
                    continue
                n = v.get("initialInstanceCount")
                if isinstance(n, (int, float)):
                    counts.append(int(n))
                    if n < 2:
                        yield ep.urn, f"variant {v.get('variantName')} starts with {int(n)} instance(s)"
        for t in _scaling_targets_of(s, ep):
            lo = t.get("minCapacity")
            if isinstance(lo, (int, float)) and lo < 2:
                yield ep.urn, f"autoscaling may scale {ep.name} down to {int(lo)} instance(s)"
        dc = ep.get("deploymentConfig")
        bg = get(dc, "blueGreenUpdatePolicy")
        if not isinstance(bg, dict):
            yield ep.urn, f"endpoint {ep.name} has no blue/green update policy"
            continue
        alarms = as_list(get(dc, "autoRollbackConfiguration.alarms"))
        if not 1 <= len(alarms) <= 10:
            yield ep.urn, f"endpoint {ep.name} has {len(alarms)} auto-rollback alarms"
        routing = get(bg, "trafficRoutingConfiguration") or {}
        for key in ("canarySize", "linearStepSize"):
            size = routing.get(key) if isinstance(routing, dict) else None
            if not isinstance(size, dict):
                continue
            value = size.get("value")
            if not isinstance(value, (int, float)):
                continue
            if size.get("type") == "CAPACITY_PERCENT" and value > 50:
                yield ep.urn, f"{key} is {value:g}% of capacity"
            if size.get("type") == "INSTANCE_COUNT" and counts and value > max(counts) / 2:
                yield ep.urn, f"{key} is {value:g} instances of {max(counts)}"


# =========================================================================================== autoscaling
def _scaling_targets_of(s: Stack, ep: Res) -> list[Res]:
    names = {x for x in (ep.get("name"), ep.outputs.get("name"), ep.id) if isinstance(x, str)}
    out = []
    for t in s.of(SCALING_TARGET):
        rid = t.get("resourceId")
        deps = as_dict(t.raw.get("propertyDependencies"))
        if (
            isinstance(rid, str) and any(rid.startswith(f"endpoint/{n}/variant/") for n in names)
        ) or ep.urn in as_list(deps.get("resourceId")):
            out.append(t)
    return out


@stack_rule(
    "aws-autoscaling-range",
    severity="error",
    types=[SCALING_TARGET],
    anchors=["ours: SageMaker real-time variants cannot scale to zero; min <= instances <= max"],
    title="Autoscaling arithmetic: 1 <= minCapacity <= initial instances <= maxCapacity for a SageMaker variant.",
    fix="set 1 <= autoscaling.minInstances <= compute.instances <= autoscaling.maxInstances",
    cloud="aws",
)
def autoscaling_range(s: Stack) -> Iterator[tuple[str, str]]:
    for t in s.of(SCALING_TARGET):
        if t.get("serviceNamespace") != "sagemaker":
            continue
        lo, hi = t.get("minCapacity"), t.get("maxCapacity")
        if not isinstance(lo, (int, float)) or not isinstance(hi, (int, float)):
            continue
        if lo > hi:
            yield t.urn, f"minCapacity ({lo:g}) is greater than maxCapacity ({hi:g})"
        if lo < 1:
            yield t.urn, f"minCapacity is {lo:g}: a real-time SageMaker variant cannot scale to zero"
        for ep in s.of(ENDPOINT):
            if t not in _scaling_targets_of(s, ep):
                continue
            for cfg in _config_of(s, ep):
                for v in _variants(cfg):
                    n = v.get("initialInstanceCount")
                    if isinstance(n, (int, float)) and not lo <= n <= hi:
                        yield (
                            t.urn,
                            f"variant {v.get('variantName')} starts with {n:g} instances, outside [{lo:g}, {hi:g}]",
                        )


# =========================================================================================== SNS, CloudWatch
@resource_rule(
    "aws-sns-topic-encrypted",
    severity="error",
    types=[TOPIC],
    anchors=["CKV_AWS_26"],
    title="The alarm topic is encrypted with the KMS key.",
    fix="set kms_master_key_id on the topic to the stack's key (its key policy lets CloudWatch use it)",
    cloud="aws",
)
def topic_encrypted(r: Res) -> Iterable[str]:
    if not r.get("kmsMasterKeyId"):
        yield f"topic {r.name} is not encrypted"


@resource_rule(
    "aws-cloudwatch-alarm-actions",
    severity="error",
    types=[ALARM],
    anchors=["CKV_AWS_319", "ours: at least one notification target"],
    title="Every alarm has an action, and its actions are enabled.",
    fix="give the alarm alarm_actions = [the stack's topic ARN] and keep actions_enabled True",
    cloud="aws",
)
def alarm_actions(r: Res) -> Iterable[str]:
    if not as_list(r.get("alarmActions")):
        yield f"alarm {r.get('name') or r.name} has no alarm action"
    if truthy(r.get("actionsEnabled")) is False:
        yield f"alarm {r.get('name') or r.name} has its actions disabled"


@stack_rule(
    "aws-alarm-topic-notifies",
    severity="error",
    types=[ALARM],
    anchors=["CKV_AWS_26", "ours: an alarm whose topic has no subscriber notifies nobody"],
    title="Alarm actions point at a declared, encrypted SNS topic with at least one subscription.",
    fix="point alarm actions at the stack's alarm topic, KMS-encrypted, with mlinfra:notify.emails or webhooks "
    "(each becomes a subscription)",
    cloud="aws",
)
def alarm_topic(s: Stack) -> Iterator[tuple[str, str]]:
    for a in s.of(ALARM):
        for arn in as_list(a.get("alarmActions")):
            if not isinstance(arn, str) or is_unknown(arn) or ":sns:" not in arn:
                continue
            found = s.find_by_value(arn, TOPIC)
            if not found:
                yield (
                    a.urn,
                    f"alarm {a.get('name') or a.name} notifies {arn}, which this stack does not declare",
                )
                continue
            for t in found:
                if not s.referring(t, "topic", SUBSCRIPTION):
                    yield (
                        a.urn,
                        f"alarm {a.get('name') or a.name} notifies topic {t.name}, which has no subscription",
                    )
                if not t.get("kmsMasterKeyId"):
                    yield (
                        a.urn,
                        f"alarm {a.get('name') or a.name} notifies topic {t.name}, which is not encrypted",
                    )


@resource_rule(
    "aws-log-group-encrypted",
    severity="warning",
    types=[LOG_GROUP],
    anchors=["CKV_AWS_158", "CKV_AWS_66"],
    title="The endpoint's log group is encrypted with the KMS key and has a retention period.",
    fix="set kms_key_id to the stack's key and retention_in_days (aws.logRetentionDays)",
    cloud="aws",
)
def log_group(r: Res) -> Iterable[str]:
    if not r.get("kmsKeyId"):
        yield f"log group {r.get('name') or r.name} is not encrypted with the stack's key"
    if not r.get("retentionInDays"):
        yield f"log group {r.get('name') or r.name} keeps logs forever"


@resource_rule(
    "aws-kms-grants",
    severity="error",
    types=["aws:kms/grant:Grant"],
    anchors=["CKV_AWS_33", "ours: a grant is a second key policy, outside the key policy's review"],
    title="KMS grants name a specific grantee and never hand out grant management (CreateGrant).",
    fix="grant the exact role ARN the operations it needs (Decrypt, GenerateDataKey); prefer the key policy",
    cloud="aws",
)
def kms_grants(r: Res) -> Iterable[str]:
    grantee = r.get("granteePrincipal")
    if isinstance(grantee, str) and ("*" in grantee) and not is_unknown(grantee):
        yield f"grant {r.name} names the grantee {grantee!r}"
    ops = [str(o) for o in as_list(r.get("operations"))]
    if "CreateGrant" in ops:
        yield f"grant {r.name} lets its grantee create further grants"
