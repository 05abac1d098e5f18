"""The config contract: parsing, defaults, and every validation rule's failing path (key path and value pinned)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from components._common.errors import ConfigError
from components.spec import EndpointSpec, did_you_mean, parse_stack

ROOT = Path(__file__).resolve().parents[2]
DEV = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]


def config(**endpoint_patch: Any) -> dict[str, Any]:
    """The dev stack's config with ``section.key=value`` patches on its endpoint (``__`` for dots)."""
    cfg = copy.deepcopy(DEV)
    ep = cfg["mlinfra:endpoints"]["iris"]
    for path, value in endpoint_patch.items():
        *parents, leaf = path.split("__")
        node = ep
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return cfg


def errors(cfg: dict[str, Any]) -> list[Any]:
    with pytest.raises(ConfigError) as info:
        parse_stack(cfg, base_dir=str(ROOT))
    return info.value.issues


def only(cfg: dict[str, Any], path: str) -> Any:
    issues = [i for i in errors(cfg) if i.path == path]
    assert issues, f"no issue at {path}; got {[str(i) for i in errors(cfg)]}"
    return issues[0]


def test_dev_stack_parses_with_contract_defaults() -> None:
    spec = parse_stack(DEV, base_dir=str(ROOT))
    ep = spec.endpoints["iris"]
    assert spec.cloud == "aws" and spec.region == "us-east-1"
    assert ep.compute.instance_type == "ml.c5.large"
    assert (ep.autoscaling.min_instances, ep.autoscaling.max_instances) == (1, 4)
    assert ep.rollout.strategy == "canary" and ep.rollout.step_percent == 10
    assert ep.network.isolation is True
    assert ep.storage.protect is True
    assert ep.alerts.gpu_utilization_percent == 90  # contract default, compiled only on GPU endpoints
    assert ep.alarms_enabled == [
        "latency_p99_ms",
        "error_rate_percent",
        "cpu_utilization_percent",
        "memory_utilization_percent",
    ]


def test_minimal_endpoint_gets_every_default() -> None:
    ep = EndpointSpec.model_validate({"key": "m", "model": "x"})
    assert ep.compute.accelerator == "cpu" and ep.compute.instance_type is None and ep.compute.instances == 1
    assert ep.autoscaling.target_utilization_percent == 70 and ep.autoscaling.scale_in_cooldown_seconds == 300
    assert ep.rollout.auto_rollback is True and ep.rollout.wait_minutes == 10
    assert ep.capture.sample_percent == 0 and ep.network.private is False


def test_all_errors_are_reported_at_once() -> None:
    cfg = config(
        compute__instances=9,
        autoscaling__minInstances=5,
        autoscaling__maxInstances=2,
        rollout__stepPercent=80,
        alerts__latencyP99ms=5,
    )
    cfg["mlinfra:notify"] = {"emails": ["not-an-email"], "webhooks": []}
    paths = {i.path for i in errors(cfg)}
    assert {
        "mlinfra:endpoints.iris.autoscaling.minInstances",
        "mlinfra:endpoints.iris.compute.instances",
        "mlinfra:endpoints.iris.rollout.stepPercent",
        "mlinfra:endpoints.iris.alerts.latencyP99ms",
        "mlinfra:notify.emails[0]",
    } <= paths


def test_error_message_names_path_value_allowed_and_fix() -> None:
    issue = only(
        config(autoscaling__minInstances=5, autoscaling__maxInstances=2, compute__instances=2),
        "mlinfra:endpoints.iris.autoscaling.minInstances",
    )
    text = str(issue)
    assert text.startswith("mlinfra:endpoints.iris.autoscaling.minInstances = 5:")
    assert "minInstances (5) is greater than maxInstances (2)" in text
    assert "allowed: minInstances <= maxInstances" in text
    assert "fix: set minInstances <= maxInstances" in text


def test_fails_unknown_key_with_did_you_mean() -> None:
    issue = only(config(alerts__latencyP99ms=5), "mlinfra:endpoints.iris.alerts.latencyP99ms")
    assert "unknown key 'latencyP99ms'" in issue.problem and "did you mean 'latencyP99Ms'?" in issue.problem


def test_fails_unknown_endpoint_section() -> None:
    cfg = config()
    cfg["mlinfra:endpoints"]["iris"]["autoscale"] = {}
    issue = only(cfg, "mlinfra:endpoints.iris.autoscale")
    assert "did you mean 'autoscaling'?" in issue.problem


def test_fails_unknown_stack_key() -> None:
    cfg = config()
    cfg["mlinfra:endpoint"] = {}
    issue = only(cfg, "mlinfra:endpoint")
    assert "did you mean 'endpoints'?" in issue.problem


def test_did_you_mean_handles_snake_case() -> None:
    assert did_you_mean("min_instances", ["minInstances", "maxInstances"]) == "did you mean 'minInstances'?"


@pytest.mark.parametrize(
    ("patch", "path", "value"),
    [
        ({"compute__accelerator": "tpu"}, "compute.accelerator", "tpu"),
        ({"compute__instances": -1}, "compute.instances", -1),
        ({"autoscaling__maxInstances": 0}, "autoscaling.maxInstances", 0),
        ({"autoscaling__targetUtilizationPercent": 99}, "autoscaling.targetUtilizationPercent", 99),
        ({"rollout__strategy": "rolling"}, "rollout.strategy", "rolling"),
        ({"rollout__waitMinutes": 90}, "rollout.waitMinutes", 90),
        ({"capture__samplePercent": 101}, "capture.samplePercent", 101),
        ({"alerts__errorRatePercent": 0}, "alerts.errorRatePercent", 0),
        ({"compute__instances": "two"}, "compute.instances", "two"),
        ({"network__ingress": "public"}, "network.ingress", "public"),
    ],
)
def test_fails_field_types_and_ranges(patch: dict[str, Any], path: str, value: Any) -> None:
    issue = only(config(**patch), f"mlinfra:endpoints.iris.{path}")
    assert issue.value == value
    assert issue.fix


def test_fails_min_greater_than_max() -> None:
    issue = only(
        config(autoscaling__minInstances=3, autoscaling__maxInstances=2, compute__instances=2),
        "mlinfra:endpoints.iris.autoscaling.minInstances",
    )
    assert issue.value == 3


def test_fails_instances_outside_autoscaling_range() -> None:
    issue = only(config(compute__instances=7), "mlinfra:endpoints.iris.compute.instances")
    assert issue.value == 7 and "outside autoscaling [1, 4]" in issue.problem


def test_fails_autoscaling_without_any_target() -> None:
    issue = only(
        config(
            autoscaling__targetUtilizationPercent=None,
            autoscaling__targetInvocationsPerInstancePerMinute=None,
        ),
        "mlinfra:endpoints.iris.autoscaling",
    )
    assert "no target" in issue.problem


def test_fails_canary_step_above_50() -> None:
    issue = only(config(rollout__stepPercent=60), "mlinfra:endpoints.iris.rollout.stepPercent")
    assert issue.value == 60 and issue.allowed == "1..50"


def test_all_at_once_ignores_step() -> None:
    spec = parse_stack(config(rollout__strategy="all-at-once", rollout__stepPercent=100), base_dir=str(ROOT))
    assert spec.endpoints["iris"].rollout.strategy == "all-at-once"


def test_fails_rollback_without_alarms() -> None:
    off = {
        f"alerts__{k}": None
        for k in (
            "latencyP99Ms",
            "errorRatePercent",
            "cpuUtilizationPercent",
            "memoryUtilizationPercent",
            "gpuUtilizationPercent",
        )
    }
    issue = only(config(**off), "mlinfra:endpoints.iris.rollout.autoRollback")
    assert "needs at least one alarm" in issue.problem


def test_fails_mirror_above_50() -> None:
    assert only(config(rollout__mirrorPercent=60), "mlinfra:endpoints.iris.rollout.mirrorPercent").value == 60


def test_fails_schedule_outside_range_and_bad_cron() -> None:
    cfg = config(autoscaling__schedules=[{"cron": "0 8 * *", "min": 2, "max": 9}])
    paths = {i.path: i for i in errors(cfg)}
    assert paths["mlinfra:endpoints.iris.autoscaling.schedules[0].cron"].value == "0 8 * *"
    assert paths["mlinfra:endpoints.iris.autoscaling.schedules[0]"].value == {"min": 2, "max": 9}


def test_fails_serverless_on_gpu_with_vpc_capture_and_isolation() -> None:
    cfg = config(
        compute__serverless={"memorySizeMb": 2048},
        compute__accelerator="gpu",
        compute__instanceType=None,
        network__subnetIds=["subnet-1"],
        network__securityGroupIds=["sg-1"],
        capture__samplePercent=5,
    )
    paths = {i.path for i in errors(cfg)}
    assert {
        "mlinfra:endpoints.iris.compute.accelerator",
        "mlinfra:endpoints.iris.network",
        "mlinfra:endpoints.iris.compute.serverless",
        "mlinfra:endpoints.iris.capture.samplePercent",
    } <= paths


def test_fails_isolation_off_without_reason() -> None:
    issue = only(config(network__isolation=False), "mlinfra:endpoints.iris.network.isolation")
    assert "without a reason" in issue.problem


def test_isolation_off_with_reason_is_accepted() -> None:
    spec = parse_stack(
        config(network__isolation=False, network__isolationOptOutReason="calls a feature store"),
        base_dir=str(ROOT),
    )
    assert spec.endpoints["iris"].network.isolation is False


def test_fails_subnets_without_security_groups() -> None:
    assert (
        only(config(network__subnetIds=["subnet-1"]), "mlinfra:endpoints.iris.network.securityGroupIds").value
        == []
    )


def test_fails_public_invoker_without_opt_in() -> None:
    issue = only(
        config(network__allowUnauthenticated=True), "mlinfra:endpoints.iris.network.allowUnauthenticated"
    )
    assert "opt-in reason" in issue.problem


def test_fails_no_notification_target() -> None:
    cfg = config()
    cfg["mlinfra:notify"] = {"emails": [], "webhooks": []}
    assert "notify nobody" in only(cfg, "mlinfra:notify").problem


def test_fails_plain_http_webhook() -> None:
    cfg = config()
    cfg["mlinfra:notify"] = {"emails": [], "webhooks": ["http://hooks.example.com/x"]}
    assert only(cfg, "mlinfra:notify.webhooks[0]").value == "http://hooks.example.com/x"


def test_fails_missing_or_unknown_cloud() -> None:
    cfg = config()
    cfg["mlinfra:cloud"] = "oracle"
    assert only(cfg, "mlinfra:cloud").value == "oracle"


def test_fails_bad_endpoint_key() -> None:
    cfg = config()
    cfg["mlinfra:endpoints"]["Iris_Model"] = cfg["mlinfra:endpoints"].pop("iris")
    assert only(cfg, "mlinfra:endpoints.Iris_Model").value == "Iris_Model"


def test_fails_model_dir_without_manifest(tmp_path: Path) -> None:
    issue = only(config(model=str(tmp_path)), "mlinfra:endpoints.iris.model")
    assert "no manifest.json" in issue.problem and "mlinfra package" in issue.fix


def test_fails_malformed_model_uri() -> None:
    issue = only(config(model="s3://bucket/iris/model.tar.gz"), "mlinfra:endpoints.iris.model")
    assert "not a published manifest URI" in issue.problem


def test_published_s3_manifest_is_accepted_offline() -> None:
    uri = "s3://models-bucket/prod/iris/sha256-" + "a" * 64 + "/manifest.json"
    spec = parse_stack(config(model=uri), base_dir=str(ROOT))
    assert spec.endpoints["iris"].model == uri


def test_fails_no_endpoints() -> None:
    cfg = config()
    cfg["mlinfra:endpoints"] = {}
    assert only(cfg, "mlinfra:endpoints").problem == "no endpoints declared"


def test_fails_rollback_when_only_the_gpu_alert_is_left_on_a_cpu_endpoint() -> None:
    off = {
        f"alerts__{k}": None
        for k in ("latencyP99Ms", "errorRatePercent", "cpuUtilizationPercent", "memoryUtilizationPercent")
    }
    issue = only(config(**off), "mlinfra:endpoints.iris.rollout.autoRollback")
    assert issue.value is True
