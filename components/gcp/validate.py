"""GCP rules on top of the shared contract: what Vertex AI and Cloud Run accept, checked before anything is
declared, and the advisories the plan prints where GCP does a contract key differently."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ConfigDict, Field

from components import catalog
from components._common.errors import ConfigIssue
from components.catalog import gcp as prices
from components.spec import EndpointSpec, _field_issues, _Model

TRITON_VERSION = "25.04"
# Vertex AI online prediction regions (custom containers); Cloud Run runs in all of them too.
REGIONS = (
    "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west2", "us-west3", "us-west4",
    "northamerica-northeast1", "northamerica-northeast2", "southamerica-east1", "southamerica-west1",
    "europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-west6", "europe-west8", "europe-west9",
    "europe-west12", "europe-north1", "europe-central2", "europe-southwest1",
    "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2", "asia-northeast3", "asia-south1",
    "asia-southeast1", "asia-southeast2", "australia-southeast1", "australia-southeast2",
    "me-central1", "me-central2", "me-west1", "africa-south1",
)  # fmt: skip
ROLES = (
    "bucket", "keyRing", "key", "serviceAccount", "endpoint", "deployment", "service", "alertPolicy", "dashboard",
)  # fmt: skip
VERTEX_CPU_METRIC = "aiplatform.googleapis.com/prediction/online/cpu/utilization"
VERTEX_GPU_METRIC = "aiplatform.googleapis.com/prediction/online/accelerator/duty_cycle"
VERTEX_REQUESTS_METRIC = "aiplatform.googleapis.com/prediction/online/request_count"


class GcpOptions(_Model):
    """The endpoint's ``gcp`` block: GCP-only choices.

    - ``tritonVersion`` (default 25.04): the Triton release of the default image.
    - ``imageRepository``: where the Triton image was mirrored (Vertex AI and Cloud Run pull only from
      Artifact Registry); default ``<region>-docker.pkg.dev/<project>/mlinfra/tritonserver``.
    - ``keyRotationDays`` (1..90, default 90): rotation period of the KMS key.
    - ``pscProjectAllowlist``: projects allowed to reach a private (PSC) Vertex endpoint (default: this one).
    - ``vpcSubnetwork``: Cloud Run Direct VPC egress subnetwork (``projects/P/regions/R/subnetworks/S``).
    - ``gpuZonalRedundancy`` (default false): Cloud Run GPU zonal redundancy (costs more, needs quota).
    - ``deployTimeoutMinutes`` (5..120, default 45): how long the Vertex deployer waits for one deployment.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, alias_generator=None)
    tritonVersion: str = Field(TRITON_VERSION, pattern=r"^\d\d\.\d\d$")
    imageRepository: str | None = Field(
        None, pattern=r"^[a-z0-9.-]+\.pkg\.dev/[a-z0-9-]+/[a-z0-9_.-]+/[a-z0-9_./-]+$"
    )
    keyRotationDays: int = Field(90, ge=1, le=90)
    pscProjectAllowlist: list[str] = []
    vpcSubnetwork: str | None = Field(None, pattern=r"^projects/[^/]+/regions/[^/]+/subnetworks/[^/]+$")
    gpuZonalRedundancy: bool = False
    deployTimeoutMinutes: int = Field(45, ge=5, le=120)


def gcp_options(spec: EndpointSpec) -> GcpOptions:
    return GcpOptions.model_validate(spec.gcp)


def backend(spec: EndpointSpec) -> str:
    """``vertex`` (default) or ``cloudrun``."""
    return spec.serving.backend or "vertex"


def triton_image(region: str, project: str, options: GcpOptions) -> str:
    repo = options.imageRepository or f"{region}-docker.pkg.dev/{project}/mlinfra/tritonserver"
    return f"{repo}:{options.tritonVersion}-py3"


def normalize_accelerator(name: str) -> str:
    """``nvidia-l4`` / ``NVIDIA_L4`` -> ``NVIDIA_L4`` (Vertex spelling)."""
    return name.strip().upper().replace("-", "_")


@dataclass(frozen=True)
class Shape:
    """What one replica (Vertex) or instance (Cloud Run) runs on, and its hourly price."""

    backend: str
    machine: catalog.InstanceType
    accelerator_type: str | None  # Vertex spelling (NVIDIA_L4); None on CPU
    accelerator_count: int

    @property
    def hourly_usd(self) -> float:
        if self.backend == "vertex" and self.accelerator_type:
            return (
                self.machine.hourly_usd
                + self.accelerator_count * prices.ACCELERATOR_HOURLY_USD[self.accelerator_type]
            )
        return self.machine.hourly_usd

    @property
    def gpu(self) -> bool:
        return bool(self.accelerator_type)

    @property
    def cloudrun_accelerator(self) -> str | None:
        """The Cloud Run node selector value (``nvidia-l4``)."""
        if not self.accelerator_type:
            return None
        return next(k for k, v in prices.CLOUDRUN_GPUS.items() if v == self.accelerator_type)

    def describe(self) -> str:
        acc = (
            f" + {self.accelerator_count}x {self.accelerator_type}"
            if self.accelerator_type and self.backend == "vertex" and not self.machine.gpu_count
            else ""
        )
        return f"{self.machine.describe()}{acc}"


def _accepts(t: catalog.InstanceType) -> dict[str, tuple[int, ...]]:
    return dict(t.extra.get("accelerators") or {})


def resolved_shape(spec: EndpointSpec, model_bytes: int = 0) -> Shape:
    """The machine (Vertex) or shape (Cloud Run) with its accelerator; assumes ``validate_for_gcp`` passed."""
    b = backend(spec)
    c = spec.compute
    gpu = c.accelerator == "gpu"
    want = normalize_accelerator(c.accelerator_type) if c.accelerator_type else None
    if b == "cloudrun":
        t = (
            catalog.get("gcp", c.instance_type)
            if c.instance_type
            else catalog.default_type("gcp", c.accelerator, model_bytes, backend="cloudrun")
        )
        assert t is not None
        return Shape(b, t, prices.L4 if gpu else None, 1 if gpu else 0)
    if c.instance_type:
        t = catalog.get("gcp", c.instance_type)
        assert t is not None
    elif gpu:
        t = _default_vertex_gpu(want, model_bytes)
    else:
        t = catalog.default_type("gcp", "cpu", model_bytes, backend="vertex")
    if not gpu:
        return Shape(b, t, None, 0)
    accepts = _accepts(t)
    acc = want or next(iter(accepts))
    count = c.accelerator_count or accepts[acc][0]
    return Shape(b, t, acc, count)


def _default_vertex_gpu(want: str | None, model_bytes: int) -> catalog.InstanceType:
    options = []
    for t in catalog.types("gcp", backend="vertex"):
        for acc, counts in _accepts(t).items():
            if want and acc != want:
                continue
            gpu_mem = prices.ACCELERATOR_MEMORY_GIB[acc] * counts[0]
            if t.memory_gib < 2 + 4 * model_bytes / 2**30 or gpu_mem < 2 * model_bytes / 2**30:
                continue
            options.append(
                (t.hourly_usd + counts[0] * prices.ACCELERATOR_HOURLY_USD[acc], t.vcpus, t.name, t)
            )
    if not options:
        raise LookupError(
            f"no Vertex machine in the catalog takes {want or 'a GPU'} and fits a model of {model_bytes} bytes"
        )
    return min(options)[3]


# ------------------------------------------------------------------------------------------ validation
def validate_for_gcp(
    spec: EndpointSpec, region: str = "us-central1", profile: str = "dev"
) -> list[ConfigIssue]:
    p = f"mlinfra:endpoints.{spec.key}"
    out: list[ConfigIssue] = []
    b = backend(spec)
    if region not in REGIONS:
        out.append(
            ConfigIssue(
                "gcp:region",
                region,
                "not a region where this project knows Vertex AI online prediction and Cloud Run",
                ", ".join(REGIONS),
                "set gcp:region to one of them (e.g. us-central1)",
            )
        )
    _, errs = _field_issues(f"{p}.gcp", GcpOptions, spec.gcp)
    out.extend(errs)
    out.extend(_compute_issues(p, spec, b))
    out.extend(_scaling_issues(p, spec, b))
    out.extend(_network_issues(p, spec, b))
    r = spec.rollout
    if r.mirror_percent:
        out.append(
            ConfigIssue(
                f"{p}.rollout.mirrorPercent",
                r.mirror_percent,
                "neither Vertex AI nor Cloud Run can mirror (shadow) live traffic to a new deployment",
                "0 on gcp",
                "remove rollout.mirrorPercent; use a canary (rollout.strategy: canary) instead",
            )
        )
    if b == "cloudrun" and spec.capture.sample_percent:
        out.append(
            ConfigIssue(
                f"{p}.capture.samplePercent",
                spec.capture.sample_percent,
                "Cloud Run has no request/response capture (Vertex AI logs them to BigQuery)",
                "0 with serving.backend: cloudrun",
                "set capture.samplePercent: 0, or use serving.backend: vertex",
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
    if spec.model.startswith(("s3://", "az://")):
        out.append(
            ConfigIssue(
                f"{p}.model",
                spec.model,
                "a GCP endpoint reads its model from Cloud Storage",
                "a packaged directory, a gs:// or a file:// manifest URI",
                "publish with `mlinfra publish DIR --store gs://BUCKET/PREFIX`, or point at the local package",
            )
        )
    return out


def _compute_issues(p: str, spec: EndpointSpec, b: str) -> list[ConfigIssue]:
    c = spec.compute
    out: list[ConfigIssue] = []
    gpu = c.accelerator == "gpu"
    if c.serverless is not None:
        out.append(
            ConfigIssue(
                f"{p}.compute.serverless",
                c.serverless.model_dump(by_alias=True),
                "serverless inference is a SageMaker feature; on GCP, Cloud Run scales to zero",
                "null on gcp",
                "remove compute.serverless; use serving.backend: cloudrun with autoscaling.minInstances: 0",
            )
        )
        return out
    if c.encrypt_volume is not None:
        out.append(
            ConfigIssue(
                f"{p}.compute.encryptVolume",
                c.encrypt_volume,
                "an AWS instance-volume setting; Vertex AI and Cloud Run encrypt with the endpoint's CMEK key",
                "null on gcp",
                "remove compute.encryptVolume",
            )
        )
    names = ", ".join(t.name for t in catalog.types("gcp", c.accelerator, b))
    t = None
    if c.instance_type:
        t = catalog.get("gcp", c.instance_type)
        if t is None or (t.backends and b not in t.backends):
            other = (
                "Cloud Run shape"
                if t is not None and b == "vertex"
                else "Vertex AI machine type"
                if t is not None
                else ""
            )
            near = catalog.suggest("gcp", c.instance_type, c.accelerator, b)
            problem = (
                f"a {other}, not one for serving.backend: {b}"
                if other
                else f"not a {'Vertex AI machine type' if b == 'vertex' else 'Cloud Run shape'} in the catalog"
            )
            out.append(
                ConfigIssue(
                    f"{p}.compute.instanceType",
                    c.instance_type,
                    problem + (f" (did you mean {', '.join(near)}?)" if near else ""),
                    names,
                    "pick one from the list, or leave instanceType null for the smallest that fits",
                )
            )
            t = None
    want = normalize_accelerator(c.accelerator_type) if c.accelerator_type else None
    if not gpu:
        if c.accelerator_type or c.accelerator_count:
            key = "acceleratorType" if c.accelerator_type else "acceleratorCount"
            out.append(
                ConfigIssue(
                    f"{p}.compute.{key}",
                    c.accelerator_type or c.accelerator_count,
                    "an accelerator on an endpoint declared accelerator: cpu",
                    "null with accelerator: cpu",
                    "set compute.accelerator: gpu, or remove the accelerator settings",
                )
            )
        if t is not None and t.gpu_count:
            out.append(
                ConfigIssue(
                    f"{p}.compute.instanceType",
                    c.instance_type,
                    f"{t.name} comes with a GPU ({t.gpu_model}) but the endpoint declares accelerator: cpu",
                    names,
                    "set compute.accelerator: gpu, or pick a CPU machine",
                )
            )
        return out
    if b == "cloudrun":
        if want and want not in prices.CLOUDRUN_GPUS.values():
            out.append(
                ConfigIssue(
                    f"{p}.compute.acceleratorType",
                    c.accelerator_type,
                    "Cloud Run offers NVIDIA L4 GPUs only",
                    ", ".join(prices.CLOUDRUN_GPUS),
                    "set acceleratorType: nvidia-l4 (or leave it null)",
                )
            )
        if c.accelerator_count not in (None, 1):
            out.append(
                ConfigIssue(
                    f"{p}.compute.acceleratorCount",
                    c.accelerator_count,
                    "a Cloud Run instance has exactly one GPU",
                    "1",
                    "set acceleratorCount: 1 (or leave it null) and scale out with maxInstances",
                )
            )
        if t is not None and not t.gpu_count:
            gpu_names = ", ".join(x.name for x in catalog.types("gcp", "gpu", "cloudrun"))
            out.append(
                ConfigIssue(
                    f"{p}.compute.instanceType",
                    c.instance_type,
                    f"a CPU shape on a GPU endpoint; Cloud Run GPU instances need at least {prices.CLOUDRUN_GPU_MIN_CPU} vCPU and {prices.CLOUDRUN_GPU_MIN_MEMORY_GIB} GiB",
                    gpu_names,
                    "pick a GPU shape from the list, or leave instanceType null",
                )
            )
        return out
    # Vertex AI: the machine must take the accelerator, in that count.
    if want and want not in prices.ACCELERATOR_HOURLY_USD:
        out.append(
            ConfigIssue(
                f"{p}.compute.acceleratorType",
                c.accelerator_type,
                "not an accelerator this project knows on Vertex AI",
                ", ".join(prices.ACCELERATOR_HOURLY_USD),
                "use NVIDIA_TESLA_T4 (n1 machines) or NVIDIA_L4 (g2 machines)",
            )
        )
        return out
    if t is not None:
        accepts = _accepts(t)
        if not accepts:
            takers = ", ".join(x.name for x in catalog.types("gcp", backend="vertex") if _accepts(x))
            out.append(
                ConfigIssue(
                    f"{p}.compute.instanceType",
                    c.instance_type,
                    f"{t.name} takes no accelerator, and the endpoint declares accelerator: gpu",
                    takers,
                    "pick an n1 machine (NVIDIA_TESLA_T4) or a g2 machine (NVIDIA_L4)",
                )
            )
        elif want and want not in accepts:
            takers = ", ".join(x.name for x in catalog.types("gcp", backend="vertex") if want in _accepts(x))
            out.append(
                ConfigIssue(
                    f"{p}.compute.acceleratorType",
                    c.accelerator_type,
                    f"{t.name} cannot take {want} (it takes {', '.join(accepts)})",
                    f"{', '.join(accepts)} on {t.name}; {want} on {takers}",
                    f"set acceleratorType: {next(iter(accepts))}, or pick a machine that takes {want}",
                )
            )
        elif c.accelerator_count is not None:
            acc = want or next(iter(accepts))
            if c.accelerator_count not in accepts[acc]:
                out.append(
                    ConfigIssue(
                        f"{p}.compute.acceleratorCount",
                        c.accelerator_count,
                        f"{t.name} takes {acc} in counts of {', '.join(map(str, accepts[acc]))}",
                        ", ".join(map(str, accepts[acc])),
                        "set acceleratorCount to an allowed count",
                    )
                )
    elif want and c.accelerator_count is not None:
        counts = sorted(
            {n for x in catalog.types("gcp", backend="vertex") for n in _accepts(x).get(want, ())}
        )
        if c.accelerator_count not in counts:
            out.append(
                ConfigIssue(
                    f"{p}.compute.acceleratorCount",
                    c.accelerator_count,
                    f"no Vertex machine in the catalog takes {c.accelerator_count} x {want}",
                    ", ".join(map(str, counts)),
                    "set acceleratorCount to an allowed count",
                )
            )
    return out


def _scaling_issues(p: str, spec: EndpointSpec, b: str) -> list[ConfigIssue]:
    a = spec.autoscaling
    c = spec.compute
    out: list[ConfigIssue] = []
    if b == "vertex" and c.serverless is None and (c.instances == 0 or (a.enabled and a.min_instances == 0)):
        out.append(
            ConfigIssue(
                f"{p}.autoscaling.minInstances" if a.enabled else f"{p}.compute.instances",
                0,
                "a Vertex AI deployed model keeps at least one replica (its scale-to-zero is a v1beta1 preview this project does not use)",
                ">= 1 on serving.backend: vertex",
                "set minInstances (and instances) to 1 or more, or use serving.backend: cloudrun, which scales to zero",
            )
        )
    if a.schedules:
        out.append(
            ConfigIssue(
                f"{p}.autoscaling.schedules",
                [s.model_dump(by_alias=True) for s in a.schedules],
                "neither Vertex AI nor Cloud Run has scheduled scaling",
                "[] on gcp",
                "remove the schedules (raise minInstances for busy hours by a config change instead)",
            )
        )
    return out


def _network_issues(p: str, spec: EndpointSpec, b: str) -> list[ConfigIssue]:
    n = spec.network
    out: list[ConfigIssue] = []
    if n.subnet_ids or n.security_group_ids:
        key = "subnetIds" if n.subnet_ids else "securityGroupIds"
        out.append(
            ConfigIssue(
                f"{p}.network.{key}",
                n.subnet_ids or n.security_group_ids,
                "subnet and security-group placement are AWS settings; GCP uses Private Service Connect (Vertex AI) or internal ingress and Direct VPC egress (Cloud Run)",
                "[] on gcp",
                "remove them; set network.private: true, and gcp.vpcSubnetwork for Cloud Run egress",
            )
        )
    if b == "vertex":
        for key, value, default in (
            ("ingress", n.ingress, "internal"),
            ("allowUnauthenticated", n.allow_unauthenticated, False),
        ):
            if value != default:
                out.append(
                    ConfigIssue(
                        f"{p}.network.{key}",
                        value,
                        "Vertex AI endpoints are always called with IAM credentials; there is no public or unauthenticated ingress",
                        f"{default!r} on serving.backend: vertex",
                        f"remove network.{key} (grant callers roles/aiplatform.user), or use serving.backend: cloudrun",
                    )
                )
    if b == "cloudrun" and spec.gcp.get("pscProjectAllowlist"):
        out.append(
            ConfigIssue(
                f"{p}.gcp.pscProjectAllowlist",
                spec.gcp["pscProjectAllowlist"],
                "Private Service Connect is for Vertex AI endpoints",
                "[] with serving.backend: cloudrun",
                "remove it; Cloud Run uses internal ingress",
            )
        )
    if b == "vertex" and spec.gcp.get("vpcSubnetwork"):
        out.append(
            ConfigIssue(
                f"{p}.gcp.vpcSubnetwork",
                spec.gcp["vpcSubnetwork"],
                "Direct VPC egress is a Cloud Run setting",
                "null with serving.backend: vertex",
                "remove it; a private Vertex endpoint uses Private Service Connect",
            )
        )
    return out


# ------------------------------------------------------------------------------------------ advisories
def _warn(rule: str, message: str) -> dict[str, Any]:
    return {"rule": rule, "severity": "warning", "message": message, "anchors": ["ours"]}


def advisories(spec: EndpointSpec, region: str = "us-central1", profile: str = "dev") -> list[dict[str, Any]]:
    """What the config asks that GCP does differently: the plan must say so (severity warning)."""
    b = backend(spec)
    a = spec.autoscaling
    r = spec.rollout
    out: list[dict[str, Any]] = []
    set_a = a.model_fields_set
    if b == "vertex":
        if a.target_invocations_per_instance_per_minute is not None:
            out.append(
                _warn(
                    "gcp-vertex-request-scaling",
                    f"targetInvocationsPerInstancePerMinute ({a.target_invocations_per_instance_per_minute}) becomes the target of Vertex AI's request_count autoscaling metric ({VERTEX_REQUESTS_METRIC}), next to the utilization target; Vertex scales on whichever asks for more replicas.",
                )
            )
        if {"scale_in_cooldown_seconds", "scale_out_cooldown_seconds"} & set_a:
            out.append(
                _warn(
                    "gcp-no-cooldowns",
                    "Vertex AI autoscaling has no cooldown settings: scaleInCooldownSeconds and scaleOutCooldownSeconds are not applied (Vertex waits about 5 minutes before scaling in).",
                )
            )
        if r.strategy != "all-at-once":
            out.append(
                _warn(
                    "gcp-vertex-rollout",
                    f"Vertex AI has no managed {r.strategy} deployment: the mlinfra deployer does it on `pulumi up` (deploys the new model, gives it {r.step_percent}% of traffic, waits {r.wait_minutes} min, checks the new deployment is healthy, then moves all traffic and undeploys the old model).",
                )
            )
        if r.auto_rollback:
            out.append(
                _warn(
                    "gcp-vertex-rollback",
                    "Vertex AI has no alarm-driven rollback: the deployer rolls back (traffic to the old model, new one undeployed) when the new deployment fails or is unhealthy after the wait; the alert policies only notify.",
                )
            )
        if spec.serving.max_concurrent_requests is not None:
            out.append(
                _warn(
                    "gcp-vertex-concurrency",
                    "Vertex AI has no per-replica request limit: serving.maxConcurrentRequests is not applied (Triton's dynamic batching queues requests).",
                )
            )
        if spec.capture.sample_percent:
            out.append(
                _warn(
                    "gcp-vertex-capture",
                    f"capture goes to BigQuery (Vertex AI request-response logging, {spec.capture.sample_percent}% sampled) in a CMEK-encrypted dataset, not to the artifact bucket.",
                )
            )
        if spec.alerts.memory_utilization_percent is not None:
            out.append(
                _warn(
                    "gcp-vertex-memory-alert",
                    "Vertex AI reports memory in bytes, not percent: the memory alert fires at memoryUtilizationPercent of the machine type's memory.",
                )
            )
    else:
        if a.target_invocations_per_instance_per_minute is not None:
            out.append(
                _warn(
                    "gcp-cloudrun-request-scaling",
                    f"Cloud Run scales on concurrent requests, not requests per minute: targetInvocationsPerInstancePerMinute ({a.target_invocations_per_instance_per_minute}) is not applied; the per-instance limit is serving.maxConcurrentRequests (default 80).",
                )
            )
        if a.target_utilization_percent is not None and "target_utilization_percent" in set_a:
            out.append(
                _warn(
                    "gcp-cloudrun-utilization",
                    f"Cloud Run's autoscaler keeps its own targets (about 60% CPU and 60% of the concurrency limit): targetUtilizationPercent ({a.target_utilization_percent}) is not applied.",
                )
            )
        if {"scale_in_cooldown_seconds", "scale_out_cooldown_seconds"} & set_a:
            out.append(
                _warn(
                    "gcp-no-cooldowns",
                    "Cloud Run autoscaling has no cooldown settings: scaleInCooldownSeconds and scaleOutCooldownSeconds are not applied.",
                )
            )
        if r.strategy != "all-at-once":
            out.append(
                _warn(
                    "gcp-cloudrun-rollout",
                    f"Cloud Run moves traffic to a new revision once its startup probe passes: the {r.strategy} steps ({r.step_percent}% for {r.wait_minutes} min) are not automated; split traffic by revision by hand (gcloud run services update-traffic) for a canary.",
                )
            )
        if r.auto_rollback:
            out.append(
                _warn(
                    "gcp-cloudrun-rollback",
                    "Cloud Run keeps serving the previous revision when a new one fails its startup probe (that is the rollback); there is no alarm-driven rollback, the alert policies only notify.",
                )
            )
        if spec.compute.accelerator == "gpu":
            if region not in prices.CLOUDRUN_GPU_REGIONS:
                out.append(
                    _warn(
                        "gcp-cloudrun-gpu-region",
                        f"Cloud Run GPUs are offered in {', '.join(prices.CLOUDRUN_GPU_REGIONS)}; {region} may not have them yet.",
                    )
                )
            out.append(
                _warn(
                    "gcp-cloudrun-gpu-quota",
                    f"Cloud Run GPU services need GPU quota in {region} (Total Nvidia L4 GPU allocation without zonal redundancy, per project per region) for maxInstances ({a.max_instances}); request it before `pulumi up`, see docs/gcp.md.",
                )
            )
    if spec.network.isolation is False or "isolation" in spec.network.model_fields_set:
        out.append(
            _warn(
                "gcp-no-network-isolation",
                "network.isolation is an AWS (SageMaker) setting: GCP serving containers have no such switch and it is not applied.",
            )
        )
    return out


__all__ = [
    "GcpOptions",
    "Shape",
    "advisories",
    "backend",
    "gcp_options",
    "resolved_shape",
    "triton_image",
    "validate_for_gcp",
]
