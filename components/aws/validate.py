"""AWS rules on top of the shared contract: what SageMaker accepts, checked before anything is declared."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from components import catalog
from components._common.errors import ConfigIssue
from components.spec import EndpointSpec, _field_issues, _Model

# SageMaker's Triton images: account per region (FACTS.md, "SageMaker Triton").
DEFAULT_IMAGE_ACCOUNT = "763104351884"
IMAGE_ACCOUNTS = {
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "ap-northeast-3": "364406365360",
    "ap-southeast-3": "907027046896",
    "eu-south-1": "692866216735",
    "me-south-1": "217643126080",
    "il-central-1": "780543022126",
    "ca-west-1": "204538143572",
    "cn-north-1": "727897471807",
    "cn-northwest-1": "727897471807",
}
REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
    "ap-south-1", "ap-south-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
    "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-east-1", "me-south-1", "me-central-1",
    "il-central-1", "af-south-1", "cn-north-1", "cn-northwest-1",
)  # fmt: skip
TRITON_VERSION = "25.04"
ROLES = (
    "bucket",
    "key",
    "role",
    "model",
    "endpointConfig",
    "endpoint",
    "topic",
    "scalingTarget",
    "dashboard",
)


class AwsOptions(_Model):
    """The endpoint's ``aws`` block: AWS-only choices."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, alias_generator=None)
    variantName: str = Field("primary", pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
    logRetentionDays: int = Field(30, ge=1, le=3653)
    tritonVersion: str = Field(TRITON_VERSION, pattern=r"^\d\d\.\d\d$")


def aws_options(spec: EndpointSpec) -> AwsOptions:
    return AwsOptions.model_validate(spec.aws)


def triton_image(region: str, version: str = TRITON_VERSION) -> str:
    account = IMAGE_ACCOUNTS.get(region, DEFAULT_IMAGE_ACCOUNT)
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account}.dkr.ecr.{region}.{domain}/sagemaker-tritonserver:{version}-py3"


def resolved_instance_type(spec: EndpointSpec, model_bytes: int = 0) -> catalog.InstanceType | None:
    """The catalog type the endpoint runs on (None for serverless)."""
    if spec.compute.serverless is not None:
        return None
    if spec.compute.instance_type:
        return catalog.get("aws", spec.compute.instance_type)
    return catalog.default_type(
        "aws", spec.compute.accelerator, model_bytes, allow_burstable=not spec.autoscales
    )


def validate_for_aws(
    spec: EndpointSpec, region: str = "us-east-1", profile: str = "dev"
) -> list[ConfigIssue]:
    p = f"mlinfra:endpoints.{spec.key}"
    out: list[ConfigIssue] = []
    if region not in REGIONS:
        out.append(
            ConfigIssue(
                "aws:region",
                region,
                "not a region this project knows SageMaker's Triton image for",
                ", ".join(REGIONS),
                "set aws:region to a SageMaker region, or set serving.image",
            )
        )
    _, errs = _field_issues(f"{p}.aws", AwsOptions, spec.aws)
    out.extend(errs)
    c = spec.compute
    a = spec.autoscaling
    if spec.serving.backend is not None:
        out.append(
            ConfigIssue(
                f"{p}.serving.backend",
                spec.serving.backend,
                "serving.backend chooses between GCP services; AWS has one (SageMaker)",
                "null on aws",
                "remove serving.backend",
            )
        )
    for key in ("accelerator_type", "accelerator_count"):
        if getattr(c, key) is not None:
            name = "acceleratorType" if key == "accelerator_type" else "acceleratorCount"
            out.append(
                ConfigIssue(
                    f"{p}.compute.{name}",
                    getattr(c, key),
                    f"{name} is for GCP; on AWS the instance type fixes the GPU",
                    "null on aws",
                    "remove it and pick a GPU instanceType (e.g. ml.g4dn.xlarge)",
                )
            )
    if c.serverless is None:
        if c.instance_type:
            t = catalog.get("aws", c.instance_type)
            if t is None:
                near = catalog.suggest("aws", c.instance_type, c.accelerator)
                out.append(
                    ConfigIssue(
                        f"{p}.compute.instanceType",
                        c.instance_type,
                        "not a SageMaker instance type in the catalog"
                        + (f" (did you mean {', '.join(near)}?)" if near else ""),
                        ", ".join(x.name for x in catalog.types("aws", c.accelerator)),
                        "pick a type from the list, or leave instanceType null for the smallest that fits",
                    )
                )
            else:
                if t.accelerator != c.accelerator:
                    out.append(
                        ConfigIssue(
                            f"{p}.compute.instanceType",
                            c.instance_type,
                            f"a {t.accelerator.upper()} type on an endpoint declared accelerator: {c.accelerator}",
                            ", ".join(x.name for x in catalog.types("aws", c.accelerator)),
                            f"set compute.accelerator: {t.accelerator}, or pick a {c.accelerator.upper()} type",
                        )
                    )
                if t.burstable and spec.autoscales:
                    out.append(
                        ConfigIssue(
                            f"{p}.compute.instanceType",
                            c.instance_type,
                            "burstable ml.t* instances should not autoscale (CPU credits make utilization meaningless)",
                            "a non-burstable type (ml.c5.large, ml.m5.large...) or autoscaling.enabled: false",
                            "pick ml.c5.large or set autoscaling.enabled: false",
                        )
                    )
                if t.local_nvme and c.encrypt_volume:
                    out.append(
                        ConfigIssue(
                            f"{p}.compute.encryptVolume",
                            True,
                            f"{t.name} has local NVMe storage and SageMaker refuses a KMS volume key for it (the NVMe volume is hardware-encrypted)",
                            "null or false on local-NVMe types",
                            "remove compute.encryptVolume (it defaults to on for EBS-backed types)",
                        )
                    )
        if c.instances == 0 or (a.enabled and a.min_instances == 0):
            out.append(
                ConfigIssue(
                    f"{p}.autoscaling.minInstances" if a.enabled else f"{p}.compute.instances",
                    0,
                    "SageMaker real-time endpoints cannot scale to zero instances",
                    ">= 1",
                    "set minInstances (and instances) to 1 or more, or use compute.serverless",
                )
            )
    else:
        if spec.rollout.strategy != "all-at-once":
            out.append(
                ConfigIssue(
                    f"{p}.rollout.strategy",
                    spec.rollout.strategy,
                    "serverless endpoints shift traffic all at once (no canary or linear)",
                    "all-at-once with serverless",
                    "set rollout.strategy: all-at-once",
                )
            )
        touched = {
            "min_instances",
            "max_instances",
            "schedules",
            "target_invocations_per_instance_per_minute",
        } & a.model_fields_set
        if a.enabled and touched:
            out.append(
                ConfigIssue(
                    f"{p}.autoscaling",
                    {k: getattr(a, k) for k in sorted(touched)},
                    "serverless endpoints scale by concurrency, not by instances",
                    "compute.serverless.maxConcurrency, and autoscaling.enabled: false",
                    "remove the instance autoscaling settings or set autoscaling.enabled: false",
                )
            )
        if c.encrypt_volume:
            out.append(
                ConfigIssue(
                    f"{p}.compute.encryptVolume",
                    True,
                    "serverless endpoints have no instance volume",
                    "null with serverless",
                    "remove compute.encryptVolume",
                )
            )
    n = spec.network
    if n.private and not n.subnet_ids:
        out.append(
            ConfigIssue(
                f"{p}.network.private",
                True,
                "a private SageMaker endpoint runs in your VPC and needs subnets",
                "private: true with subnetIds and securityGroupIds",
                "add network.subnetIds and network.securityGroupIds",
            )
        )
    for key, value in (
        ("ingress", n.ingress != "internal"),
        ("allowUnauthenticated", n.allow_unauthenticated),
    ):
        if value:
            out.append(
                ConfigIssue(
                    f"{p}.network.{key}",
                    getattr(n, "ingress" if key == "ingress" else "allow_unauthenticated"),
                    "SageMaker endpoints are always invoked with IAM (SigV4) credentials; there is no public ingress",
                    "the defaults on aws",
                    f"remove network.{key}; grant callers sagemaker:InvokeEndpoint instead",
                )
            )
    if spec.rollout.mirror_percent:
        out.append(
            ConfigIssue(
                f"{p}.rollout.mirrorPercent",
                spec.rollout.mirror_percent,
                "SageMaker has no traffic mirroring in a blue/green deployment (shadow variants are a separate feature)",
                "0 on aws",
                "remove rollout.mirrorPercent",
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
    if spec.model.startswith(("az://", "gs://")):
        out.append(
            ConfigIssue(
                f"{p}.model",
                spec.model,
                "an AWS endpoint reads its model from S3",
                "a packaged directory, an s3:// or a file:// manifest URI",
                "publish with `mlinfra publish DIR --store s3://BUCKET/PREFIX`, or point at the local package",
            )
        )
    return out
