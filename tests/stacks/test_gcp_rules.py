"""GCP rules on top of the contract (validate_for_gcp), the advisories the plan prints, the catalog and cost."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import catalog
from components._common.artifact import resolve_model
from components.gcp import cost as gcp_cost
from components.gcp.validate import advisories, resolved_shape
from components.spec import ConfigError, parse_stack

ROOT = Path(__file__).resolve().parents[2]
P = "mlinfra:endpoints.iris"
VERTEX = yaml.safe_load((ROOT / "Pulumi.gcp-vertex-dev.yaml").read_text())["config"]
CLOUDRUN = yaml.safe_load((ROOT / "Pulumi.gcp-cloudrun-dev.yaml").read_text())["config"]


def config(base: dict[str, Any] | None = None, **patch: Any) -> dict[str, Any]:
    """A GCP stack config with ``section__key=value`` patches on its endpoint (default: the Vertex example)."""
    cfg = copy.deepcopy(base or VERTEX)
    ep = cfg["mlinfra:endpoints"]["iris"]
    for path, value in patch.items():
        if path == "region":
            cfg["gcp:region"] = value
            continue
        *parents, leaf = path.split("__")
        node = ep
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return cfg


def run(**patch: Any) -> dict[str, Any]:
    return config(CLOUDRUN, **patch)


def errors(cfg: dict[str, Any]) -> list[Any]:
    with pytest.raises(ConfigError) as info:
        parse_stack(cfg, base_dir=str(ROOT))
    return info.value.issues


def only(cfg: dict[str, Any], path: str) -> Any:
    found = errors(cfg)
    issues = [i for i in found if i.path == path]
    assert issues, f"no issue at {path}; got {[str(i) for i in found]}"
    return issues[0]


def spec_of(cfg: dict[str, Any]):
    return parse_stack(cfg, base_dir=str(ROOT)).endpoints["iris"]


# ---- the examples and the acceptance shapes parse ------------------------------------------------------
def test_examples_parse() -> None:
    assert resolved_shape(spec_of(VERTEX)).machine.name == "e2-standard-2"
    shape = resolved_shape(spec_of(CLOUDRUN))
    assert (shape.machine.name, shape.accelerator_type, shape.cloudrun_accelerator) == (
        "run-l4-4cpu-16gi",
        "NVIDIA_L4",
        "nvidia-l4",
    )


def test_every_key_of_the_aws_dev_stack_is_accepted_on_gcp() -> None:
    dev = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    cfg = {k: v for k, v in dev.items() if not k.startswith("aws:")} | {
        "mlinfra:cloud": "gcp",
        "gcp:project": "demo-project",
        "gcp:region": "us-central1",
    }
    for backend, extra in (("vertex", {}), ("cloudrun", {"accelerator": "gpu", "minInstances": 0})):
        c = copy.deepcopy(cfg)
        ep = c["mlinfra:endpoints"]["iris"]
        ep["compute"]["instanceType"] = None
        ep.setdefault("serving", {})["backend"] = backend
        if extra:
            ep["compute"]["accelerator"] = "gpu"
            ep["autoscaling"]["minInstances"] = 0
        parse_stack(c, base_dir=str(ROOT))


# ---- compute -------------------------------------------------------------------------------------------
def test_fails_unknown_vertex_machine_with_suggestion() -> None:
    issue = only(config(compute__instanceType="e2-standard-3"), f"{P}.compute.instanceType")
    assert (
        issue.value == "e2-standard-3"
        and "not a Vertex AI machine type" in issue.problem
        and "did you mean" in issue.problem
    )


def test_fails_cloud_run_shape_on_vertex() -> None:
    issue = only(config(compute__instanceType="run-2cpu-4gi"), f"{P}.compute.instanceType")
    assert "a Cloud Run shape, not one for serving.backend: vertex" in issue.problem


def test_fails_vertex_machine_on_cloud_run() -> None:
    issue = only(run(compute__instanceType="g2-standard-4"), f"{P}.compute.instanceType")
    assert "a Vertex AI machine type, not one for serving.backend: cloudrun" in issue.problem


def test_fails_accelerator_the_machine_cannot_take() -> None:
    issue = only(
        config(
            compute__accelerator="gpu",
            compute__instanceType="n1-standard-4",
            compute__acceleratorType="NVIDIA_L4",
        ),
        f"{P}.compute.acceleratorType",
    )
    assert issue.value == "NVIDIA_L4"
    assert "n1-standard-4 cannot take NVIDIA_L4 (it takes NVIDIA_TESLA_T4)" in issue.problem
    assert "g2-standard-4" in issue.allowed


def test_fails_t4_on_g2() -> None:
    issue = only(
        config(
            compute__accelerator="gpu",
            compute__instanceType="g2-standard-8",
            compute__acceleratorType="nvidia-tesla-t4",
        ),
        f"{P}.compute.acceleratorType",
    )
    assert "g2-standard-8 cannot take NVIDIA_TESLA_T4" in issue.problem


def test_fails_gpu_endpoint_on_a_machine_without_accelerators() -> None:
    issue = only(
        config(compute__accelerator="gpu", compute__instanceType="e2-standard-4"), f"{P}.compute.instanceType"
    )
    assert "e2-standard-4 takes no accelerator" in issue.problem and "n1-standard-4" in issue.allowed


def test_fails_accelerator_count_the_machine_cannot_take() -> None:
    issue = only(
        config(
            compute__accelerator="gpu", compute__instanceType="n1-standard-8", compute__acceleratorCount=3
        ),
        f"{P}.compute.acceleratorCount",
    )
    assert issue.value == 3 and "counts of 1, 2, 4" in issue.problem


def test_fails_accelerator_count_no_machine_takes() -> None:
    cfg = config(
        compute__accelerator="gpu", compute__acceleratorType="NVIDIA_L4", compute__acceleratorCount=2
    )
    issue = only(cfg, f"{P}.compute.acceleratorCount")
    assert "no Vertex machine in the catalog takes 2 x NVIDIA_L4" in issue.problem and issue.allowed == "1"


def test_fails_vertex_fixed_size_of_zero() -> None:
    issue = only(
        config(autoscaling__enabled=False, autoscaling__minInstances=1, compute__instances=0),
        f"{P}.compute.instances",
    )
    assert issue.value == 0 and "keeps at least one replica" in issue.problem


def test_fails_unknown_vertex_accelerator() -> None:
    issue = only(
        config(compute__accelerator="gpu", compute__acceleratorType="NVIDIA_H100_80GB"),
        f"{P}.compute.acceleratorType",
    )
    assert "not an accelerator this project knows on Vertex AI" in issue.problem


def test_fails_accelerator_on_a_cpu_endpoint() -> None:
    issue = only(config(compute__acceleratorType="NVIDIA_TESLA_T4"), f"{P}.compute.acceleratorType")
    assert "accelerator: cpu" in issue.problem


def test_fails_gpu_machine_on_a_cpu_endpoint() -> None:
    issue = only(config(compute__instanceType="g2-standard-4"), f"{P}.compute.instanceType")
    assert "comes with a GPU (NVIDIA L4)" in issue.problem


def test_fails_cloud_run_gpu_other_than_l4() -> None:
    issue = only(run(compute__acceleratorType="NVIDIA_TESLA_T4"), f"{P}.compute.acceleratorType")
    assert "Cloud Run offers NVIDIA L4 GPUs only" in issue.problem


def test_fails_cloud_run_more_than_one_gpu() -> None:
    issue = only(run(compute__acceleratorCount=2), f"{P}.compute.acceleratorCount")
    assert issue.value == 2 and "exactly one GPU" in issue.problem


def test_fails_cloud_run_cpu_shape_on_gpu_endpoint() -> None:
    issue = only(run(compute__instanceType="run-2cpu-4gi"), f"{P}.compute.instanceType")
    assert "at least 4 vCPU and 16 GiB" in issue.problem and "run-l4-4cpu-16gi" in issue.allowed


def test_fails_serverless() -> None:
    # A serverless config the contract itself accepts (as on AWS): GCP still refuses it, saying why.
    cfg = config(
        compute__serverless={"memorySizeMb": 2048},
        compute__instanceType=None,
        network__isolation=False,
        network__isolationOptOutReason="x",
    )
    issue = only(cfg, f"{P}.compute.serverless")
    assert "SageMaker feature" in issue.problem and "cloudrun" in issue.fix


def test_fails_encrypt_volume() -> None:
    issue = only(config(compute__encryptVolume=True), f"{P}.compute.encryptVolume")
    assert "CMEK" in issue.problem


# ---- scaling, rollout, capture ---------------------------------------------------------------------------
def test_fails_vertex_scale_to_zero_with_the_reason() -> None:
    issue = only(config(autoscaling__minInstances=0, compute__instances=0), f"{P}.autoscaling.minInstances")
    assert (
        issue.value == 0
        and "keeps at least one replica" in issue.problem
        and "serving.backend: cloudrun" in issue.fix
    )


def test_cloud_run_scales_to_zero() -> None:
    assert spec_of(run(autoscaling__minInstances=0)).autoscaling.min_instances == 0


def test_fails_schedules() -> None:
    issue = only(
        config(autoscaling__schedules=[{"cron": "0 8 * * 1-5", "min": 2, "max": 4}]),
        f"{P}.autoscaling.schedules",
    )
    assert "has scheduled scaling" in issue.problem and issue.value[0]["cron"] == "0 8 * * 1-5"


def test_fails_mirror_percent() -> None:
    issue = only(config(rollout__mirrorPercent=20), f"{P}.rollout.mirrorPercent")
    assert issue.value == 20 and "mirror" in issue.problem


def test_fails_capture_on_cloud_run() -> None:
    issue = only(run(capture__samplePercent=10), f"{P}.capture.samplePercent")
    assert "Cloud Run has no request/response capture" in issue.problem


# ---- network, options, model -----------------------------------------------------------------------------
def test_fails_public_vertex_ingress() -> None:
    issue = only(config(network__ingress="all", network__publicReason="demo"), f"{P}.network.ingress")
    assert "always called with IAM credentials" in issue.problem


def test_fails_unauthenticated_vertex() -> None:
    issue = only(
        config(network__allowUnauthenticated=True, network__publicReason="demo"),
        f"{P}.network.allowUnauthenticated",
    )
    assert issue.value is True


def test_fails_aws_subnets_and_security_groups() -> None:
    issue = only(
        config(network__subnetIds=["subnet-1"], network__securityGroupIds=["sg-1"]), f"{P}.network.subnetIds"
    )
    assert "AWS settings" in issue.problem


def test_fails_psc_allowlist_on_cloud_run() -> None:
    issue = only(run(gcp={"pscProjectAllowlist": ["other"]}), f"{P}.gcp.pscProjectAllowlist")
    assert "Private Service Connect is for Vertex AI" in issue.problem


def test_fails_vpc_subnetwork_on_vertex() -> None:
    issue = only(
        config(gcp={"vpcSubnetwork": "projects/p/regions/us-central1/subnetworks/s"}),
        f"{P}.gcp.vpcSubnetwork",
    )
    assert "Cloud Run setting" in issue.problem


def test_fails_unknown_gcp_option_and_long_rotation() -> None:
    found = {i.path: i for i in errors(config(gcp={"keyRotationDays": 365, "tritonVer": "24.01"}))}
    assert found[f"{P}.gcp.keyRotationDays"].value == 365
    assert "unknown key 'tritonVer'" in found[f"{P}.gcp.tritonVer"].problem


def test_fails_unknown_override_role() -> None:
    issue = only(config(overrides={"endpointConfig": {}}), f"{P}.overrides.endpointConfig")
    assert "deployment" in issue.allowed


def test_fails_model_in_another_cloud() -> None:
    uri = "s3://bucket/models/iris/sha256-" + "a" * 64 + "/manifest.json"
    issue = only(config(model=uri), f"{P}.model")
    assert "reads its model from Cloud Storage" in issue.problem


def test_fails_unknown_region() -> None:
    issue = only(config(region="mars-central1"), "gcp:region")
    assert issue.value == "mars-central1"


def test_fails_aws_backend_key_elsewhere_is_refused_by_the_contract() -> None:
    issue = only(config(serving__backend="sagemaker"), f"{P}.serving.backend")
    assert "vertex" in issue.allowed and "cloudrun" in issue.allowed


# ---- advisories ------------------------------------------------------------------------------------------
def rules_of(spec, region: str = "us-central1") -> dict[str, str]:
    return {a["rule"]: a["message"] for a in advisories(spec, region=region)}


def test_advisories_say_what_vertex_does_differently() -> None:
    dev = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    cfg = {k: v for k, v in dev.items() if not k.startswith("aws:")} | {
        "mlinfra:cloud": "gcp",
        "gcp:project": "demo-project",
    }
    cfg["mlinfra:endpoints"]["iris"]["compute"]["instanceType"] = None
    found = rules_of(parse_stack(cfg, base_dir=str(ROOT)).endpoints["iris"])
    assert set(found) == {
        "gcp-vertex-request-scaling",
        "gcp-no-cooldowns",
        "gcp-vertex-rollout",
        "gcp-vertex-rollback",
        "gcp-vertex-memory-alert",
    }
    assert "request_count" in found["gcp-vertex-request-scaling"]
    assert all(
        a["severity"] == "warning" for a in advisories(parse_stack(cfg, base_dir=str(ROOT)).endpoints["iris"])
    )


def test_advisories_for_cloud_run_gpu_quota_and_region() -> None:
    found = rules_of(spec_of(run(region="europe-west2")), region="europe-west2")
    assert "gcp-cloudrun-gpu-region" in found and "gcp-cloudrun-gpu-quota" in found
    assert "gcp-cloudrun-gpu-region" not in rules_of(spec_of(CLOUDRUN))


# ---- catalog and cost ------------------------------------------------------------------------------------
def test_catalog_separates_backends_and_records_accelerators() -> None:
    vertex = {t.name for t in catalog.types("gcp", backend="vertex")}
    cloudrun = {t.name for t in catalog.types("gcp", backend="cloudrun")}
    assert not vertex & cloudrun
    assert {
        "n1-standard-2",
        "n1-standard-4",
        "n1-standard-8",
        "g2-standard-4",
        "g2-standard-8",
        "e2-standard-2",
        "e2-standard-4",
        "n2-standard-2",
        "n2-standard-4",
    } <= vertex
    assert catalog.get("gcp", "n1-standard-4").extra["accelerators"] == {"NVIDIA_TESLA_T4": (1, 2, 4)}
    assert catalog.get("gcp", "g2-standard-4").extra["accelerators"] == {"NVIDIA_L4": (1,)}
    for t in catalog.types("gcp", "gpu", "cloudrun"):
        assert t.vcpus >= 4 and t.memory_gib >= 16 and t.extra["node_accelerator"] == "nvidia-l4"
    assert catalog.source("gcp").region == "us-central1" and catalog.source("gcp").as_of


def test_default_gpu_machine_is_the_cheapest_that_takes_the_asked_accelerator() -> None:
    l4 = resolved_shape(spec_of(config(compute__accelerator="gpu", compute__acceleratorType="nvidia-l4")))
    assert (l4.machine.name, l4.accelerator_type, l4.accelerator_count) == ("g2-standard-4", "NVIDIA_L4", 1)
    assert (
        resolved_shape(spec_of(config(compute__accelerator="gpu"))).machine.name == "n1-standard-2"
    )  # + T4: cheapest
    t4 = resolved_shape(
        spec_of(config(compute__accelerator="gpu", compute__acceleratorType="NVIDIA_TESLA_T4"))
    )
    assert (t4.machine.name, t4.accelerator_type, t4.accelerator_count) == (
        "n1-standard-2",
        "NVIDIA_TESLA_T4",
        1,
    )
    assert t4.hourly_usd == pytest.approx(0.1093 + 0.4025)


def test_cost_cloud_run_scale_to_zero_has_a_zero_floor_and_a_positive_ceiling() -> None:
    spec = spec_of(CLOUDRUN)
    (item,) = gcp_cost.compute_items("iris", spec, resolve_model(spec.model, ROOT))
    assert item["monthly_min"] == 0.0
    assert item["monthly_max"] == pytest.approx(2 * (4 * 0.0648 + 16 * 0.0072 + 0.672) * 730, rel=1e-3)


def test_cost_vertex_bills_min_to_max_replicas_with_accelerators() -> None:
    spec = spec_of(
        config(compute__accelerator="gpu", compute__instanceType="n1-standard-4", compute__acceleratorCount=2)
    )
    (item,) = gcp_cost.compute_items("iris", spec, resolve_model(spec.model, ROOT))
    rate = 0.2186 + 2 * 0.4025
    assert item["monthly_min"] == pytest.approx(1 * rate * 730, abs=0.01)
    assert item["monthly_max"] == pytest.approx(4 * rate * 730, abs=0.01)
    assert "2x NVIDIA_TESLA_T4" in item["item"]
