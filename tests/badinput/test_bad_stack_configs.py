"""Deliberately wrong stack configs on the three clouds, through the real command line (``mlinfra plan``, in
process with typer's CliRunner): each ends in a clear error (exit 2, before any resource is declared) or an error
finding (exit 1), and the message names the key path and the bad value."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from mlinfra.cli import app
from tests.badinput.conftest import ROOT

EP = "mlinfra:endpoints.iris"


@dataclass(frozen=True)
class Case:
    id: str
    base: str  # the example stack it starts from
    edit: Callable[[dict[str, Any]], None]
    exit: int
    needles: tuple[str, ...]  # stable parts of the message (key path, value, rule id)


def ep(cfg: dict[str, Any]) -> dict[str, Any]:
    return cfg["mlinfra:endpoints"]["iris"]


def setp(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """An edit that sets ``section.key`` (or ``section.key.sub``) on the iris endpoint."""

    def edit(cfg: dict[str, Any]) -> None:
        node = ep(cfg)
        *parents, leaf = path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value

    return edit


def both(*edits: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def edit(cfg: dict[str, Any]) -> None:
        for e in edits:
            e(cfg)

    return edit


def top(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(cfg: dict[str, Any]) -> None:
        if value is _DELETE:
            cfg.pop(key, None)
        else:
            cfg[key] = value

    return edit


_DELETE = object()


def _all_alerts_off(cfg: dict[str, Any]) -> None:
    ep(cfg)["alerts"] = {
        k: None
        for k in (
            "latencyP99Ms",
            "errorRatePercent",
            "cpuUtilizationPercent",
            "gpuUtilizationPercent",
            "memoryUtilizationPercent",
        )
    }


CASES = [
    # ---------------------------------------------------------------------------------- AWS: types, ranges, keys
    Case(
        "aws-instances-not-a-number",
        "dev",
        setp("compute.instances", "two"),
        2,
        (f"{EP}.compute.instances", "'two'"),
    ),
    Case(
        "aws-max-instances-out-of-range",
        "dev",
        setp("autoscaling.maxInstances", 500),
        2,
        (f"{EP}.autoscaling.maxInstances", "500"),
    ),
    Case(
        "aws-utilization-target-out-of-range",
        "dev",
        setp("autoscaling.targetUtilizationPercent", 5),
        2,
        (f"{EP}.autoscaling.targetUtilizationPercent", "5"),
    ),
    Case(
        "aws-capture-over-100-percent",
        "dev",
        setp("capture.samplePercent", 150),
        2,
        (f"{EP}.capture.samplePercent", "150"),
    ),
    Case(
        "aws-unknown-compute-key",
        "dev",
        setp("compute.instanceTyp", "ml.c5.large"),
        2,
        (f"{EP}.compute.instanceTyp", "unknown key 'instanceTyp'", "did you mean 'instanceType'"),
    ),
    Case(
        "aws-unknown-endpoint-section",
        "dev",
        setp("autoscale", {"minInstances": 1}),
        2,
        (f"{EP}.autoscale", "unknown key 'autoscale'"),
    ),
    Case(
        "aws-unknown-stack-key",
        "dev",
        top("mlinfra:notfy", {"emails": ["a@example.com"]}),
        2,
        ("mlinfra:notfy", "did you mean 'notify'"),
    ),
    Case(
        "aws-bad-strategy-literal",
        "dev",
        setp("rollout.strategy", "blue-green"),
        2,
        (f"{EP}.rollout.strategy", "'blue-green'", "all-at-once | canary | linear"),
    ),
    Case(
        "aws-bad-endpoint-key",
        "dev",
        lambda c: c["mlinfra:endpoints"].update({"Iris_Model": c["mlinfra:endpoints"].pop("iris")}),
        2,
        ("mlinfra:endpoints.Iris_Model", "not a valid name"),
    ),
    Case("aws-unknown-cloud", "dev", top("mlinfra:cloud", "oracle"), 2, ("mlinfra:cloud", "'oracle'")),
    Case("aws-unknown-region", "dev", top("aws:region", "mars-north-1"), 2, ("aws:region", "'mars-north-1'")),
    Case(
        "aws-unknown-instance-type",
        "dev",
        setp("compute.instanceType", "ml.c5.larg"),
        2,
        (f"{EP}.compute.instanceType", "'ml.c5.larg'", "did you mean"),
    ),
    Case(
        "aws-unknown-override-role",
        "dev",
        setp("overrides", {"bucketz": {"force_destroy": True}}),
        2,
        (f"{EP}.overrides.bucketz", "unknown resource role"),
    ),
    # ---------------------------------------------------------------------------------- AWS: accelerator vs instance
    Case(
        "aws-gpu-declared-on-cpu-type",
        "dev",
        setp("compute.accelerator", "gpu"),
        2,
        (f"{EP}.compute.instanceType", "'ml.c5.large'", "accelerator: gpu"),
    ),
    Case(
        "aws-cpu-declared-on-gpu-type",
        "dev",
        setp("compute.instanceType", "ml.g5.xlarge"),
        2,
        (f"{EP}.compute.instanceType", "'ml.g5.xlarge'", "a GPU type"),
    ),
    Case(
        "aws-volume-key-on-nvme-type",
        "dev",
        both(
            setp("compute.accelerator", "gpu"),
            setp("compute.instanceType", "ml.g5.xlarge"),
            setp("compute.encryptVolume", True),
        ),
        2,
        (f"{EP}.compute.encryptVolume", "local NVMe"),
    ),
    Case(
        "aws-serverless-on-gpu",
        "dev",
        both(
            setp("compute.accelerator", "gpu"),
            setp("compute.instanceType", None),
            setp("compute.serverless", {"memorySizeMb": 2048}),
        ),
        2,
        (f"{EP}.compute.accelerator", "serverless is CPU only"),
    ),
    Case(
        "aws-accelerator-type-is-gcp-only",
        "dev",
        setp("compute.acceleratorType", "NVIDIA_TESLA_T4"),
        2,
        (f"{EP}.compute.acceleratorType", "'NVIDIA_TESLA_T4'"),
    ),
    # ---------------------------------------------------------------------------------- AWS: autoscaling arithmetic
    Case(
        "aws-min-above-max",
        "dev",
        both(
            setp("autoscaling.minInstances", 5),
            setp("autoscaling.maxInstances", 2),
            setp("compute.instances", 2),
        ),
        2,
        (f"{EP}.autoscaling.minInstances", "minInstances (5) is greater than maxInstances (2)"),
    ),
    Case(
        "aws-instances-outside-range",
        "dev",
        setp("compute.instances", 9),
        2,
        (f"{EP}.compute.instances", "instances (9) is outside autoscaling [1, 4]"),
    ),
    Case(
        "aws-scale-to-zero",
        "dev",
        both(setp("autoscaling.minInstances", 0), setp("compute.instances", 1)),
        2,
        (f"{EP}.autoscaling.minInstances", "cannot scale to zero"),
    ),
    Case(
        "aws-autoscaling-without-target",
        "dev",
        both(
            setp("autoscaling.targetUtilizationPercent", None),
            setp("autoscaling.targetInvocationsPerInstancePerMinute", None),
        ),
        2,
        (f"{EP}.autoscaling", "no target"),
    ),
    Case(
        "aws-schedule-bad-cron",
        "dev",
        setp("autoscaling.schedules", [{"cron": "every day", "min": 1, "max": 2}]),
        2,
        (f"{EP}.autoscaling.schedules[0].cron", "'every day'"),
    ),
    Case(
        "aws-schedule-outside-range",
        "dev",
        setp("autoscaling.schedules", [{"cron": "0 8 * * *", "min": 1, "max": 9}]),
        2,
        (f"{EP}.autoscaling.schedules[0]", "leaves the autoscaling range"),
    ),
    Case(
        "aws-burstable-autoscaled",
        "dev",
        setp("compute.instanceType", "ml.t2.medium"),
        2,
        (f"{EP}.compute.instanceType", "'ml.t2.medium'", "burstable"),
    ),
    # ---------------------------------------------------------------------------------- AWS: rollout limits
    Case(
        "aws-canary-above-50-percent",
        "dev",
        setp("rollout.stepPercent", 80),
        2,
        (f"{EP}.rollout.stepPercent", "80", "1..50"),
    ),
    Case(
        "aws-rollback-without-alarms",
        "dev",
        _all_alerts_off,
        2,
        (f"{EP}.rollout.autoRollback", "auto-rollback needs at least one alarm"),
    ),
    Case(
        "aws-mirror-traffic",
        "dev",
        setp("rollout.mirrorPercent", 20),
        2,
        (f"{EP}.rollout.mirrorPercent", "20"),
    ),
    # ---------------------------------------------------------------------------------- AWS: notification targets
    Case(
        "aws-no-notification-target",
        "dev",
        top("mlinfra:notify", {"emails": [], "webhooks": []}),
        2,
        ("mlinfra:notify", "no notification target"),
    ),
    Case(
        "aws-webhook-not-https",
        "dev",
        top("mlinfra:notify", {"webhooks": ["http://hooks.example.com/x"]}),
        2,
        ("mlinfra:notify.webhooks[0]", "'http://hooks.example.com/x'"),
    ),
    Case(
        "aws-email-malformed",
        "dev",
        top("mlinfra:notify", {"emails": ["oncall-at-example.com"]}),
        2,
        ("mlinfra:notify.emails[0]", "'oncall-at-example.com'"),
    ),
    # ---------------------------------------------------------------------------------- AWS: public access, isolation
    Case(
        "aws-public-invocation-asked",
        "dev",
        setp("network.allowUnauthenticated", True),
        2,
        (f"{EP}.network.allowUnauthenticated", "without an opt-in reason"),
    ),
    Case(
        "aws-isolation-off-without-reason",
        "dev",
        setp("network.isolation", False),
        2,
        (f"{EP}.network.isolation", "without a reason"),
    ),
    Case(
        "aws-private-without-subnets",
        "dev",
        setp("network.private", True),
        2,
        (f"{EP}.network.private", "needs subnets"),
    ),
    # ---------------------------------------------------------------------------------- AWS: model references
    Case(
        "aws-model-dir-missing",
        "dev",
        setp("model", "examples/nope/dist"),
        2,
        (f"{EP}.model", "'examples/nope/dist'", "no manifest.json"),
    ),
    Case(
        "aws-model-from-gcs",
        "dev",
        setp("model", "gs://bucket/models/iris/sha256-" + "0" * 64 + "/manifest.json"),
        2,
        (f"{EP}.model", "reads its model from S3"),
    ),
    Case(
        "aws-model-uri-malformed",
        "dev",
        setp("model", "s3://bucket/iris/manifest.json"),
        2,
        (f"{EP}.model", "not a published manifest URI"),
    ),
    # ---------------------------------------------------------------------------------- AWS: escape hatch that breaks a rule -> error finding
    Case(
        "aws-override-turns-key-rotation-off",
        "dev",
        setp("overrides", {"key": {"enable_key_rotation": False}}),
        1,
        ("aws-kms-key-rotation", "key rotation is off"),
    ),
    Case(
        "aws-override-unencrypted-topic",
        "dev",
        setp("overrides", {"topic": {"kms_master_key_id": None}}),
        1,
        ("aws-sns-topic-encrypted",),
    ),
    Case(
        "aws-override-drops-volume-key",
        "dev",
        setp("overrides", {"endpointConfig": {"kms_key_arn": None}}),
        1,
        ("aws-sagemaker-endpoint-config-kms", "ml.c5.large"),
    ),
    Case(
        "aws-override-isolation-off",
        "dev",
        setp("overrides", {"model": {"enable_network_isolation": False}}),
        1,
        ("aws-sagemaker-network-isolation",),
    ),
    Case(
        "aws-prod-single-instance",
        "dev",
        top("mlinfra:profile", "prod"),
        1,
        ("aws-prod-endpoint-guardrails", "starts with 1 instance"),
    ),
    Case(
        "aws-unknown-profile", "dev", top("mlinfra:profile", "staging"), 2, ("mlinfra:profile", "'staging'")
    ),
    # ---------------------------------------------------------------------------------- Azure
    Case(
        "azure-scale-to-zero",
        "azure-dev",
        both(setp("autoscaling.minInstances", 0), setp("autoscaling.schedules", [])),
        2,
        (f"{EP}.autoscaling.minInstances",),
    ),
    Case(
        "azure-mirror-above-50",
        "azure-dev",
        setp("rollout.mirrorPercent", 80),
        2,
        (f"{EP}.rollout.mirrorPercent", "80"),
    ),
    Case(
        "azure-unknown-sku",
        "azure-dev",
        setp("compute.instanceType", "Standard_F4s_v9"),
        2,
        (f"{EP}.compute.instanceType", "'Standard_F4s_v9'"),
    ),
    Case(
        "azure-gpu-declared-on-cpu-sku",
        "azure-dev",
        setp("compute.accelerator", "gpu"),
        2,
        (f"{EP}.compute.instanceType", "'Standard_F4s_v2'"),
    ),
    Case(
        "azure-public-unauthenticated",
        "azure-dev",
        both(setp("network.allowUnauthenticated", True), setp("network.publicReason", "demo")),
        2,
        (f"{EP}.network.allowUnauthenticated",),
    ),
    Case(
        "azure-key-auth-without-reason",
        "azure-dev",
        setp("azure.authMode", "Key"),
        2,
        (f"{EP}.azure.authMode", "'Key'"),
    ),
    Case(
        "azure-model-from-s3",
        "azure-dev",
        setp("model", "s3://bucket/models/iris/sha256-" + "0" * 64 + "/manifest.json"),
        2,
        (f"{EP}.model", "Azure Blob Storage"),
    ),
    Case(
        "azure-schedule-min-above-max",
        "azure-dev",
        setp("autoscaling.schedules", [{"cron": "0 8 * * MON-FRI", "min": 4, "max": 2}]),
        2,
        (f"{EP}.autoscaling.schedules[0].min", "greater than its max"),
    ),
    # ---------------------------------------------------------------------------------- GCP
    Case("gcp-project-missing", "gcp-vertex-dev", top("gcp:project", _DELETE), 2, ("gcp:project", "not set")),
    Case(
        "gcp-unknown-backend",
        "gcp-vertex-dev",
        setp("serving.backend", "lambda"),
        2,
        (f"{EP}.serving.backend", "'lambda'"),
    ),
    Case(
        "gcp-cloudrun-public-without-reason",
        "gcp-cloudrun-dev",
        setp("network.allowUnauthenticated", True),
        2,
        (f"{EP}.network.allowUnauthenticated", "without an opt-in reason"),
    ),
    Case(
        "gcp-cloudrun-ingress-all-without-reason",
        "gcp-cloudrun-dev",
        setp("network.ingress", "all"),
        2,
        (f"{EP}.network.ingress", "'all'"),
    ),
    Case(
        "gcp-cloudrun-private-and-public",
        "gcp-cloudrun-dev",
        both(
            setp("network.private", True),
            setp("network.ingress", "all"),
            setp("network.publicReason", "demo"),
        ),
        2,
        (f"{EP}.network.private", "cannot also be public"),
    ),
    Case(
        "gcp-accelerator-count-out-of-range",
        "gcp-cloudrun-dev",
        setp("compute.acceleratorCount", 16),
        2,
        (f"{EP}.compute.acceleratorCount", "16"),
    ),
    Case(
        "gcp-min-above-max",
        "gcp-cloudrun-dev",
        both(setp("autoscaling.minInstances", 3), setp("autoscaling.maxInstances", 2)),
        2,
        (f"{EP}.autoscaling.minInstances", "minInstances (3) is greater than maxInstances (2)"),
    ),
    Case(
        "gcp-model-from-azure",
        "gcp-vertex-dev",
        setp("model", "az://acct/models/iris/sha256-" + "0" * 64 + "/manifest.json"),
        2,
        (f"{EP}.model",),
    ),
]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A scratch project: Pulumi.yaml, the example stacks' configs and the sample model."""
    d = tmp_path_factory.mktemp("badinput")
    shutil.copy(ROOT / "Pulumi.yaml", d / "Pulumi.yaml")
    shutil.copytree(ROOT / "examples" / "iris" / "dist", d / "examples" / "iris" / "dist")
    return d


def _base(stack: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]


def run_plan_cli(project: Path, stack: str, config: dict[str, Any]) -> tuple[int, str, Path]:
    (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    out = project / f"plan-{stack}.json"
    result = CliRunner().invoke(
        app, ["plan", "--stack", stack, "--project-dir", str(project), "--out", str(out), "--format", "json"]
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    return result.exit_code, " ".join(text.split()), out


def test_enough_cases_across_the_three_clouds() -> None:
    assert len(CASES) >= 40
    assert {c.base.split("-")[0] for c in CASES} >= {"dev", "azure", "gcp"}
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_stack_config(case: Case, scratch: Path) -> None:
    config = copy.deepcopy(_base(case.base))
    case.edit(config)
    stack = f"bad-{case.id}"
    code, text, out = run_plan_cli(scratch, stack, config)
    assert code == case.exit, text[:2000]
    for needle in case.needles:
        assert needle in text, f"{needle!r} not in: {text[:2000]}"
    if case.exit == 2:
        # refused before any resource was declared: no plan written, no traceback
        assert not out.exists()
        assert "Traceback" not in text
    else:
        plan = json.loads(out.read_text())
        assert any(f["severity"] == "error" and f["rule"] == case.needles[0] for f in plan["findings"])
