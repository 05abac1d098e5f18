"""The config contract: ``Pulumi.<stack>.yaml`` -> ``StackSpec`` with one ``EndpointSpec`` per endpoint.

All validation happens here, before any resource is declared. ``parse_stack`` reports every error in the
config at once (key path, bad value, what is allowed, how to fix it) as one ``ConfigError``. Cloud rules
live beside each component (``components.aws.validate_for_aws`` ...) and are run by ``validate_for_cloud``.

Keys are camelCase as in the contract (``minInstances``); Python attributes are snake_case.
Every model refuses unknown keys with a did-you-mean.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError
from pydantic.alias_generators import to_camel

from components._common.errors import ConfigError, ConfigIssue, Issues

CLOUDS = ("aws", "azure", "gcp")
ENDPOINT_KEY = re.compile(r"^[a-z][a-z0-9-]{0,23}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CRON = re.compile(r"^(\S+\s+){4}\S+$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)


# --------------------------------------------------------------------------------------------- sections
class Notify(_Model):
    """Where alarms go. At least one target is required (an alarm that notifies nobody is noise)."""

    emails: list[str] = []
    webhooks: list[str] = []


class Serving(_Model):
    """The serving container. Default: NVIDIA Triton Inference Server (ONNX Runtime backend) for the cloud."""

    image: str | None = None
    backend: Literal["vertex", "cloudrun"] | None = None  # gcp only; default vertex
    port: int = Field(8080, ge=1, le=65535)
    env: dict[str, str] = {}
    max_concurrent_requests: int | None = Field(None, ge=1, le=1000)
    """Requests one instance serves at once (Azure per-instance limit, Cloud Run concurrency)."""
    request_timeout_seconds: int = Field(60, ge=1, le=3600)


class Serverless(_Model):
    """SageMaker serverless inference (CPU only, no VPC, no network isolation, no data capture)."""

    memory_size_mb: Literal[1024, 2048, 3072, 4096, 5120, 6144] = 2048
    max_concurrency: int = Field(5, ge=1, le=200)
    provisioned_concurrency: int | None = Field(None, ge=1, le=200)


class Compute(_Model):
    accelerator: Literal["cpu", "gpu"] = "cpu"
    instance_type: str | None = None
    """Default: the smallest catalog type that fits the model and the accelerator."""
    instances: int = Field(1, ge=0, le=100)
    """Instances at creation; autoscaling moves it between minInstances and maxInstances."""
    accelerator_type: str | None = None
    """GCP: accelerator model (``NVIDIA_TESLA_T4``, ``NVIDIA_L4``, ``nvidia-l4``); default from the catalog."""
    accelerator_count: int | None = Field(None, ge=1, le=8)
    encrypt_volume: bool | None = None
    """AWS: KMS key on the instance volume. Default: on for EBS-backed types, off for local-NVMe types."""
    serverless: Serverless | None = None


class Schedule(_Model):
    name: str | None = None
    cron: str
    min: int = Field(ge=0, le=100)
    max: int = Field(ge=1, le=100)
    timezone: str = "UTC"


class Autoscaling(_Model):
    enabled: bool = True
    min_instances: int = Field(1, ge=0, le=100)
    max_instances: int = Field(4, ge=1, le=100)
    target_invocations_per_instance_per_minute: int | None = Field(None, ge=1, le=100_000)
    target_utilization_percent: int | None = Field(70, ge=10, le=95)
    scale_in_cooldown_seconds: int = Field(300, ge=0, le=3600)
    scale_out_cooldown_seconds: int = Field(60, ge=0, le=3600)
    schedules: list[Schedule] = []


class Rollout(_Model):
    strategy: Literal["all-at-once", "canary", "linear"] = "canary"
    step_percent: int = Field(10, ge=1, le=100)
    wait_minutes: int = Field(10, ge=0, le=60)
    auto_rollback: bool = True
    mirror_percent: int = Field(0, ge=0, le=100)
    """Azure: share of live traffic mirrored to the new deployment (at most 50)."""
    termination_wait_minutes: int = Field(0, ge=0, le=60)


class Alerts(_Model):
    """Thresholds; ``null`` turns one alert off."""

    latency_p99_ms: float | None = Field(500, gt=0)
    error_rate_percent: float | None = Field(1, gt=0, le=100)
    cpu_utilization_percent: float | None = Field(85, gt=0, le=100)
    gpu_utilization_percent: float | None = Field(90, gt=0, le=100)
    memory_utilization_percent: float | None = Field(85, gt=0, le=100)
    evaluation_minutes: int = Field(5, ge=1, le=60)


class Capture(_Model):
    sample_percent: int = Field(0, ge=0, le=100)


class Network(_Model):
    private: bool = False
    subnet_ids: list[str] = []
    security_group_ids: list[str] = []
    isolation: bool = True
    """AWS: SageMaker network isolation (the container has no outbound network)."""
    isolation_opt_out_reason: str | None = None
    ingress: Literal["internal", "internal-and-load-balancer", "all"] = "internal"
    """GCP Cloud Run ingress."""
    allow_unauthenticated: bool = False
    """GCP Cloud Run: allUsers may invoke. Needs ``publicReason``."""
    public_reason: str | None = None


class Storage(_Model):
    protect: bool = True
    """Protect the bucket and key from deletion (``pulumi destroy`` refuses until set false and applied)."""
    noncurrent_version_days: int = Field(90, ge=1, le=3650)
    access_log_bucket: str | None = None
    """AWS: an existing bucket that receives server access logs."""


# --------------------------------------------------------------------------------------------- endpoint
class EndpointSpec(_Model):
    key: str = Field(exclude=True)
    model: str
    """A packaged artifact dir, or a published manifest URI (s3://, az://, gs://, file://)."""
    serving: Serving = Serving()
    compute: Compute = Compute()
    autoscaling: Autoscaling = Autoscaling()
    rollout: Rollout = Rollout()
    alerts: Alerts = Alerts()
    capture: Capture = Capture()
    network: Network = Network()
    storage: Storage = Storage()
    tags: dict[str, str] = {}
    overrides: dict[str, dict[str, Any]] = {}
    """Escape hatch: keyword arguments merged into a child resource, by role (``model``, ``endpointConfig``...)."""
    aws: dict[str, Any] = {}
    azure: dict[str, Any] = {}
    gcp: dict[str, Any] = {}

    @property
    def autoscales(self) -> bool:
        a = self.autoscaling
        return a.enabled and (a.min_instances != a.max_instances or bool(a.schedules))

    @property
    def alarms_enabled(self) -> list[str]:
        names = [
            "latency_p99_ms",
            "error_rate_percent",
            "cpu_utilization_percent",
            "memory_utilization_percent",
        ]
        if self.compute.accelerator == "gpu":
            names.append("gpu_utilization_percent")
        return [n for n in names if getattr(self.alerts, n) is not None]


class StackSpec(_Model):
    project: str = "mlinfra"
    base_dir: str = "."
    stack: str = "dev"
    cloud: Literal["aws", "azure", "gcp"]
    region: str
    gcp_project: str | None = None
    profile: Literal["dev", "prod"] = "dev"
    notify: Notify = Notify()
    endpoints: dict[str, EndpointSpec]
    tags: dict[str, str] = {}
    # Each endpoint's resolved model, resolved (and, for a local package, re-hashed) once per parse.
    _model_refs: dict[str, Any] = PrivateAttr(default_factory=dict)

    def model_ref(self, key: str) -> Any:
        """The endpoint's resolved ``ModelRef`` (``components._common.artifact``), cached on the spec."""
        if key not in self._model_refs:
            from components._common.artifact import resolve_model

            self._model_refs[key] = resolve_model(self.endpoints[key].model, self.base_dir)
        return self._model_refs[key]


# ------------------------------------------------------------------------------------------ parsing
SECTIONS: dict[str, type[_Model]] = {
    "serving": Serving,
    "compute": Compute,
    "autoscaling": Autoscaling,
    "rollout": Rollout,
    "alerts": Alerts,
    "capture": Capture,
    "network": Network,
    "storage": Storage,
}
ENDPOINT_KEYS = ["model", "tags", "overrides", "aws", "azure", "gcp", *SECTIONS]
STACK_KEYS = ["cloud", "endpoints", "notify", "profile", "tags"]
REGION_KEYS = {
    "aws": ("aws:region", "us-east-1"),
    "azure": ("azure-native:location", "westeurope"),
    "gcp": ("gcp:region", "us-central1"),
}


def _aliases(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def did_you_mean(word: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not match:
        lowered = {c.lower(): c for c in choices}
        if word.lower().replace("_", "") in {k.replace("_", "") for k in lowered}:
            match = [c for c in choices if c.lower() == word.lower().replace("_", "")]
    return f"did you mean '{match[0]}'?" if match else ""


def _allowed_for(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, type[BaseModel] | None]:
    """Walk ``loc`` through nested models; return the allowed-text for the leaf and its parent model."""
    current: Any = model
    parent: type[BaseModel] | None = None
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return "", parent
        field = next(
            (f for n, f in current.model_fields.items() if part in (n, f.alias)),
            None,
        )
        parent = current
        if field is None:
            return "", parent
        current = _unwrap(field.annotation)
    return _describe(current), parent


def _unwrap(annotation: Any) -> Any:
    args = getattr(annotation, "__args__", None)
    origin = getattr(annotation, "__origin__", None)
    if origin is list and args:
        return _unwrap(args[0])
    if args and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return _unwrap(rest[0])
    return annotation


def _describe(annotation: Any) -> str:
    if getattr(annotation, "__origin__", None) is Literal:
        return " | ".join(str(a) for a in annotation.__args__)
    return ""


def _field_issues(prefix: str, model: type[_Model], raw: Any) -> tuple[Any, list[ConfigIssue]]:
    """Validate ``raw`` against ``model``; return (instance or None, issues with user key paths)."""
    if raw is None:
        raw = {}
    try:
        return model.model_validate(raw), []
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            path = prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
            value = err.get("input")
            allowed, parent = _allowed_for(model, loc)
            etype = err["type"]
            if etype == "extra_forbidden":
                choices = _aliases(parent or model)
                hint = did_you_mean(str(loc[-1]), choices)
                issues.append(
                    ConfigIssue(
                        path,
                        value,
                        f"unknown key '{loc[-1]}'" + (f" ({hint})" if hint else ""),
                        "one of " + ", ".join(choices),
                        f"rename or remove '{loc[-1]}'",
                    )
                )
                continue
            if etype == "literal_error":
                allowed = allowed or str(err.get("ctx", {}).get("expected", ""))
                fix = "use one of the allowed values"
            elif etype in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
                ctx = err.get("ctx", {})
                allowed = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in ctx.items())
                fix = "change the value to lie in that range"
            elif etype == "missing":
                allowed = "a value"
                fix = f"add '{loc[-1]}'"
                value = None
            else:
                fix = "correct the type of the value"
            issues.append(ConfigIssue(path, value, err["msg"], allowed, fix))
        return None, issues


def parse_endpoint(
    key: str, raw: Any, prefix: str = "mlinfra:endpoints"
) -> tuple[EndpointSpec | None, list[ConfigIssue]]:
    path = f"{prefix}.{key}"
    issues: list[ConfigIssue] = []
    if not ENDPOINT_KEY.match(str(key)):
        issues.append(
            ConfigIssue(
                path,
                key,
                "endpoint key is not a valid name",
                "1-24 characters: lower-case letters, digits and '-', starting with a letter",
                "rename the endpoint key (resource names derive from it)",
            )
        )
    if not isinstance(raw, dict):
        issues.append(
            ConfigIssue(
                path,
                raw,
                "an endpoint must be a mapping",
                "a mapping with 'model' and sections",
                "see the config contract in the README",
            )
        )
        return None, issues
    for k in raw:
        if k not in ENDPOINT_KEYS:
            hint = did_you_mean(str(k), ENDPOINT_KEYS)
            issues.append(
                ConfigIssue(
                    f"{path}.{k}",
                    raw[k],
                    f"unknown key '{k}'" + (f" ({hint})" if hint else ""),
                    "one of " + ", ".join(ENDPOINT_KEYS),
                    f"rename or remove '{k}'",
                )
            )
    if not isinstance(raw.get("model"), str) or not raw.get("model"):
        issues.append(
            ConfigIssue(
                f"{path}.model",
                raw.get("model"),
                "model is required",
                "a packaged artifact directory or a manifest URI (s3://, az://, gs://, file://)",
                "run `mlinfra package` and point 'model' at its --out directory",
            )
        )
    sections: dict[str, Any] = {}
    for name, model in SECTIONS.items():
        value, errs = _field_issues(f"{path}.{name}", model, raw.get(name))
        issues.extend(errs)
        sections[name] = value
    for name in ("tags", "overrides", "aws", "azure", "gcp"):
        v = raw.get(name, {})
        if v is not None and not isinstance(v, dict):
            issues.append(
                ConfigIssue(
                    f"{path}.{name}",
                    v,
                    f"{name} must be a mapping",
                    "a mapping",
                    f"write {name} as key: value pairs",
                )
            )
    if issues or any(v is None for v in sections.values()):
        # Cross-field rules run on the sections that parsed, so one pass reports as much as it can.
        issues.extend(cross_rules_partial(path, sections))
        return None, issues
    spec = EndpointSpec.model_validate(
        {
            "key": key,
            "model": raw["model"],
            **sections,
            **{n: raw.get(n) or {} for n in ("tags", "overrides", "aws", "azure", "gcp")},
        }
    )
    issues.extend(cross_rules(path, spec))
    # Returned even with cross-field issues, so the cloud's rules can still run on it: one pass, every error.
    return spec, issues


# ------------------------------------------------------------------------------------- cross-field rules
Rule = Callable[[str, dict[str, Any]], list[ConfigIssue]]
_RULES: list[tuple[tuple[str, ...], Rule]] = []


def rule(*needs: str) -> Callable[[Rule], Rule]:
    """Register a cross-field rule; it runs when the sections it ``needs`` all parsed."""

    def register(fn: Rule) -> Rule:
        _RULES.append((needs, fn))
        return fn

    return register


def cross_rules_partial(path: str, sections: dict[str, Any]) -> list[ConfigIssue]:
    """Run every registered rule whose sections all parsed."""
    out: list[ConfigIssue] = []
    for needs, fn in _RULES:
        if all(sections.get(n) is not None for n in needs):
            out.extend(fn(path, sections))
    return out


def cross_rules(path: str, spec: EndpointSpec) -> list[ConfigIssue]:
    return cross_rules_partial(path, {n: getattr(spec, n) for n in SECTIONS})


@rule("compute", "autoscaling")
def _scaling_arithmetic(path: str, s: dict[str, Any]) -> list[ConfigIssue]:
    c: Compute = s["compute"]
    a: Autoscaling = s["autoscaling"]
    out: list[ConfigIssue] = []
    if c.serverless is not None:
        return out
    if a.enabled and a.min_instances > a.max_instances:
        out.append(
            ConfigIssue(
                f"{path}.autoscaling.minInstances",
                a.min_instances,
                f"minInstances ({a.min_instances}) is greater than maxInstances ({a.max_instances})",
                "minInstances <= maxInstances",
                "set minInstances <= maxInstances",
            )
        )
    if a.enabled and not (a.min_instances <= c.instances <= a.max_instances):
        out.append(
            ConfigIssue(
                f"{path}.compute.instances",
                c.instances,
                f"instances ({c.instances}) is outside autoscaling [{a.min_instances}, {a.max_instances}]",
                "minInstances <= instances <= maxInstances",
                "set compute.instances between minInstances and maxInstances",
            )
        )
    if (
        a.enabled
        and a.target_invocations_per_instance_per_minute is None
        and a.target_utilization_percent is None
        and a.min_instances != a.max_instances
    ):
        out.append(
            ConfigIssue(
                f"{path}.autoscaling",
                None,
                "autoscaling has no target: both targetInvocationsPerInstancePerMinute and targetUtilizationPercent are null",
                "at least one target",
                "set targetUtilizationPercent (e.g. 70) or targetInvocationsPerInstancePerMinute",
            )
        )
    for i, sch in enumerate(a.schedules):
        p = f"{path}.autoscaling.schedules[{i}]"
        if sch.min > sch.max:
            out.append(
                ConfigIssue(
                    f"{p}.min",
                    sch.min,
                    f"schedule min ({sch.min}) is greater than its max ({sch.max})",
                    "min <= max",
                    "swap or correct min and max",
                )
            )
        if not CRON.match(sch.cron.strip()):
            out.append(
                ConfigIssue(
                    f"{p}.cron",
                    sch.cron,
                    "not a 5-field cron expression",
                    "'minute hour day-of-month month day-of-week', e.g. '0 8 * * MON-FRI'",
                    "write the schedule as five space-separated fields",
                )
            )
        if sch.max > a.max_instances or sch.min < a.min_instances:
            out.append(
                ConfigIssue(
                    f"{p}",
                    {"min": sch.min, "max": sch.max},
                    f"schedule range [{sch.min}, {sch.max}] leaves the autoscaling range [{a.min_instances}, {a.max_instances}]",
                    "minInstances <= min <= max <= maxInstances",
                    "widen autoscaling.minInstances/maxInstances or narrow the schedule",
                )
            )
    return out


@rule("compute", "network", "capture")
def _serverless(path: str, s: dict[str, Any]) -> list[ConfigIssue]:
    c: Compute = s["compute"]
    n: Network = s["network"]
    cap: Capture = s["capture"]
    if c.serverless is None:
        return []
    out = []
    p = f"{path}.compute.serverless"
    why = "serverless inference does not support it"
    if c.accelerator != "cpu":
        out.append(
            ConfigIssue(
                f"{path}.compute.accelerator",
                c.accelerator,
                f"serverless is CPU only ({why})",
                "cpu",
                "set accelerator: cpu or remove compute.serverless",
            )
        )
    if c.instance_type is not None:
        out.append(
            ConfigIssue(
                f"{path}.compute.instanceType",
                c.instance_type,
                "serverless endpoints have no instance type",
                "null with serverless",
                "remove instanceType or remove compute.serverless",
            )
        )
    if n.private or n.subnet_ids or n.security_group_ids:
        out.append(
            ConfigIssue(
                f"{path}.network",
                {"private": n.private, "subnetIds": n.subnet_ids},
                f"VPC settings with serverless ({why})",
                "network.private false and no subnets",
                "remove the VPC settings or remove compute.serverless",
            )
        )
    if n.isolation:
        out.append(
            ConfigIssue(
                f"{p}",
                "serverless",
                f"network isolation is on ({why})",
                "network.isolation: false with network.isolationOptOutReason",
                "set network.isolation: false and give isolationOptOutReason, or use an instance type",
            )
        )
    if cap.sample_percent > 0:
        out.append(
            ConfigIssue(
                f"{path}.capture.samplePercent",
                cap.sample_percent,
                f"data capture with serverless ({why})",
                "0 with serverless",
                "set capture.samplePercent: 0 or use an instance type",
            )
        )
    return out


@rule("network")
def _network(path: str, s: dict[str, Any]) -> list[ConfigIssue]:
    n: Network = s["network"]
    out = []
    if not n.isolation and not (n.isolation_opt_out_reason or "").strip():
        out.append(
            ConfigIssue(
                f"{path}.network.isolation",
                False,
                "network isolation turned off without a reason",
                "isolation: true, or false with isolationOptOutReason",
                "keep isolation on, or add network.isolationOptOutReason explaining why the container needs outbound network",
            )
        )
    if bool(n.subnet_ids) != bool(n.security_group_ids):
        out.append(
            ConfigIssue(
                f"{path}.network.securityGroupIds" if n.subnet_ids else f"{path}.network.subnetIds",
                n.security_group_ids if n.subnet_ids else n.subnet_ids,
                "subnetIds and securityGroupIds go together",
                "both set or both empty",
                "set both subnetIds and securityGroupIds (VPC placement needs both)",
            )
        )
    if n.allow_unauthenticated and not (n.public_reason or "").strip():
        out.append(
            ConfigIssue(
                f"{path}.network.allowUnauthenticated",
                True,
                "public (unauthenticated) invocation asked without an opt-in reason",
                "false, or true with network.publicReason",
                "keep it false, or add network.publicReason saying why anyone on the internet may call this model",
            )
        )
    if n.ingress == "all" and not (n.public_reason or "").strip():
        out.append(
            ConfigIssue(
                f"{path}.network.ingress",
                n.ingress,
                "public ingress asked without an opt-in reason",
                "internal | internal-and-load-balancer, or all with network.publicReason",
                "keep ingress internal, or add network.publicReason",
            )
        )
    if n.private and (n.allow_unauthenticated or n.ingress == "all"):
        out.append(
            ConfigIssue(
                f"{path}.network.private",
                True,
                "a private endpoint cannot also be public",
                "private: true with ingress internal and allowUnauthenticated false",
                "choose private or public",
            )
        )
    return out


@rule("rollout")
def _rollout_steps(path: str, s: dict[str, Any]) -> list[ConfigIssue]:
    r: Rollout = s["rollout"]
    out = []
    if r.strategy in ("canary", "linear") and not (1 <= r.step_percent <= 50):
        out.append(
            ConfigIssue(
                f"{path}.rollout.stepPercent",
                r.step_percent,
                f"a {r.strategy} step must be 1..50 percent of capacity",
                "1..50",
                "set stepPercent to 50 or less (or use strategy: all-at-once)",
            )
        )
    if r.mirror_percent > 50:
        out.append(
            ConfigIssue(
                f"{path}.rollout.mirrorPercent",
                r.mirror_percent,
                "mirror traffic above 50 percent",
                "0..50",
                "set mirrorPercent to 50 or less",
            )
        )
    return out


@rule("rollout", "alerts", "compute")
def _rollback_needs_alarms(path: str, s: dict[str, Any]) -> list[ConfigIssue]:
    r: Rollout = s["rollout"]
    al: Alerts = s["alerts"]
    names = ["latency_p99_ms", "error_rate_percent", "cpu_utilization_percent", "memory_utilization_percent"]
    if s["compute"].accelerator == "gpu":
        names.append("gpu_utilization_percent")
    if r.auto_rollback and all(getattr(al, n) is None for n in names):
        return [
            ConfigIssue(
                f"{path}.rollout.autoRollback",
                True,
                "auto-rollback needs at least one alarm, and every alert is off",
                "autoRollback: false, or at least one alerts.* threshold",
                "turn an alert back on (e.g. alerts.errorRatePercent: 1) or set autoRollback: false",
            )
        ]
    return []


# ------------------------------------------------------------------------------------------ the stack
def parse_stack(
    config: dict[str, Any], stack: str = "dev", project: str = "mlinfra", base_dir: str = "."
) -> StackSpec:
    """Turn a flat Pulumi config (``{"mlinfra:cloud": "aws", "aws:region": ...}``) into a StackSpec.

    Raises ConfigError listing every problem found, including the cloud's own rules.
    """
    issues = Issues()
    ns = f"{project}:"
    own = {k[len(ns) :]: v for k, v in config.items() if k.startswith(ns)}
    for k, v in own.items():
        if k not in STACK_KEYS:
            hint = did_you_mean(k, STACK_KEYS)
            issues.add(
                f"{ns}{k}",
                v,
                f"unknown key '{k}'" + (f" ({hint})" if hint else ""),
                "one of " + ", ".join(ns + s for s in STACK_KEYS),
                f"rename or remove '{ns}{k}'",
            )
    cloud = own.get("cloud")
    if cloud not in CLOUDS:
        issues.add(
            f"{ns}cloud",
            cloud,
            "cloud is missing or unknown",
            " | ".join(CLOUDS),
            "set mlinfra:cloud to aws, azure or gcp",
        )
        cloud = None
    profile = own.get("profile", "dev")
    if profile not in ("dev", "prod"):
        issues.add(
            f"{ns}profile", profile, "unknown profile", "dev | prod", "set mlinfra:profile to dev or prod"
        )
    notify, errs = _field_issues(f"{ns}notify", Notify, own.get("notify"))
    issues.extend(errs)
    if notify is not None:
        for i, e in enumerate(notify.emails):
            if not EMAIL.match(e):
                issues.add(
                    f"{ns}notify.emails[{i}]",
                    e,
                    "not an email address",
                    "name@example.com",
                    "correct the address",
                )
        for i, w in enumerate(notify.webhooks):
            if not w.startswith("https://"):
                issues.add(
                    f"{ns}notify.webhooks[{i}]",
                    w,
                    "webhooks must be https:// URLs",
                    "https://...",
                    "use the https URL of the receiver",
                )
        if not notify.emails and not notify.webhooks:
            issues.add(
                f"{ns}notify",
                {"emails": [], "webhooks": []},
                "no notification target: alarms would notify nobody",
                "at least one email or webhook",
                "add mlinfra:notify.emails: [team@example.com]",
            )
    stack_tags = own.get("tags") or {}
    if not isinstance(stack_tags, dict):
        issues.add(
            f"{ns}tags", stack_tags, "tags must be a mapping", "key: value pairs", "write tags as a mapping"
        )
        stack_tags = {}
    raw_endpoints = own.get("endpoints")
    endpoints: dict[str, EndpointSpec] = {}
    model_refs: dict[str, Any] = {}
    if not isinstance(raw_endpoints, dict) or not raw_endpoints:
        issues.add(
            f"{ns}endpoints",
            raw_endpoints,
            "no endpoints declared",
            "a mapping of endpoint key -> endpoint",
            "add mlinfra:endpoints with at least one endpoint",
        )
    else:
        for key, raw in raw_endpoints.items():
            ep_spec, errs = parse_endpoint(str(key), raw, f"{ns}endpoints")
            issues.extend(errs)
            if isinstance(raw, dict) and isinstance(raw.get("model"), str) and raw["model"]:
                ref, errs = _resolve_model(f"{ns}endpoints.{key}.model", raw["model"], base_dir)
                issues.extend(errs)
                if ref is not None:
                    model_refs[str(key)] = ref
            if ep_spec is not None:
                endpoints[str(key)] = ep_spec
    region = None
    gcp_project = None
    if cloud:
        region_key, default_region = REGION_KEYS[cloud]
        region = config.get(region_key) or default_region
        if cloud == "gcp":
            gcp_project = config.get("gcp:project")
            if not gcp_project:
                issues.add(
                    "gcp:project",
                    None,
                    "the GCP project is not set",
                    "a project id",
                    "pulumi config set gcp:project <project-id>",
                )
    if issues:
        # Cloud rules still run on the endpoints that parsed, so one run lists everything.
        if cloud and endpoints:
            issues.extend(
                validate_for_cloud(
                    cloud,
                    region or "",
                    list(endpoints.values()),
                    profile if profile in ("dev", "prod") else "dev",
                )
            )
        issues.raise_if_any()
    assert cloud is not None and region is not None and notify is not None  # else issues were raised above
    spec = StackSpec(
        project=project,
        base_dir=str(base_dir),
        stack=stack,
        cloud=cloud,
        region=region,
        gcp_project=gcp_project,
        profile=profile,
        notify=notify,
        endpoints=endpoints,
        tags={str(k): str(v) for k, v in stack_tags.items()},
    )
    spec._model_refs.update(model_refs)
    issues.extend(validate_for_cloud(spec.cloud, spec.region, list(spec.endpoints.values()), spec.profile))
    issues.raise_if_any()
    return spec


def _resolve_model(path: str, ref: str, base_dir: str) -> tuple[Any, list[ConfigIssue]]:
    from components._common.artifact import ModelRefError, resolve_model

    try:
        return resolve_model(ref, base_dir), []
    except ModelRefError as exc:
        return None, [ConfigIssue(path, ref, exc.problem, exc.allowed, exc.fix)]


def validate_for_cloud(
    cloud: str, region: str, endpoints: list[EndpointSpec], profile: str = "dev"
) -> list[ConfigIssue]:
    """Run the cloud's own rules (imported lazily: each lives beside its component)."""
    if cloud == "aws":
        from components.aws.validate import validate_for_aws as fn
    elif cloud == "azure":
        from components.azure.validate import validate_for_azure as fn
    else:
        from components.gcp.validate import validate_for_gcp as fn
    out: list[ConfigIssue] = []
    for ep in endpoints:
        out.extend(fn(ep, region=region, profile=profile))
    return out


__all__ = [
    "Alerts",
    "Autoscaling",
    "Capture",
    "Compute",
    "ConfigError",
    "ConfigIssue",
    "EndpointSpec",
    "Network",
    "Notify",
    "Rollout",
    "Schedule",
    "Serverless",
    "Serving",
    "StackSpec",
    "Storage",
    "parse_endpoint",
    "parse_stack",
    "validate_for_cloud",
]
