"""AWS rules on top of the contract (validate_for_aws), the catalog they use, and the cron translation."""

from __future__ import annotations

from typing import Any

import pytest

from components import catalog
from components.aws.endpoint import _ecr_repository_arn, aws_cron
from components.aws.validate import triton_image
from components.spec import parse_stack
from tests.unit.test_spec import ROOT, config, errors, only

P = "mlinfra:endpoints.iris"


def test_fails_unknown_instance_type_with_suggestion() -> None:
    issue = only(config(compute__instanceType="ml.c5.larg"), f"{P}.compute.instanceType")
    assert issue.value == "ml.c5.larg" and "did you mean ml.c5.large" in issue.problem


def test_fails_gpu_type_on_cpu_endpoint() -> None:
    issue = only(config(compute__instanceType="ml.g4dn.xlarge"), f"{P}.compute.instanceType")
    assert "a GPU type on an endpoint declared accelerator: cpu" in issue.problem
    assert "set compute.accelerator: gpu" in issue.fix


def test_fails_cpu_type_on_gpu_endpoint() -> None:
    issue = only(
        config(compute__accelerator="gpu", compute__instanceType="ml.m5.large"), f"{P}.compute.instanceType"
    )
    assert "a CPU type on an endpoint declared accelerator: gpu" in issue.problem


def test_fails_autoscaling_burstable() -> None:
    issue = only(config(compute__instanceType="ml.t2.medium"), f"{P}.compute.instanceType")
    assert "burstable" in issue.problem and issue.value == "ml.t2.medium"


def test_burstable_at_fixed_size_is_fine() -> None:
    spec = parse_stack(
        config(compute__instanceType="ml.t2.medium", autoscaling__enabled=False), base_dir=str(ROOT)
    )
    assert spec.endpoints["iris"].autoscales is False


def test_fails_kms_volume_key_on_local_nvme() -> None:
    issue = only(
        config(compute__accelerator="gpu", compute__instanceType="ml.g5.xlarge", compute__encryptVolume=True),
        f"{P}.compute.encryptVolume",
    )
    assert "local NVMe" in issue.problem


def test_fails_scale_to_zero() -> None:
    issue = only(config(autoscaling__minInstances=0, compute__instances=1), f"{P}.autoscaling.minInstances")
    assert "cannot scale to zero" in issue.problem


def test_fails_unknown_region() -> None:
    cfg = config()
    cfg["aws:region"] = "mars-north-1"
    assert only(cfg, "aws:region").value == "mars-north-1"


def test_fails_private_without_subnets() -> None:
    assert "needs subnets" in only(config(network__private=True), f"{P}.network.private").problem


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"serving__backend": "vertex"}, "serving.backend"),
        ({"compute__acceleratorType": "NVIDIA_L4"}, "compute.acceleratorType"),
        ({"network__ingress": "all", "network__publicReason": "demo"}, "network.ingress"),
        ({"rollout__mirrorPercent": 10}, "rollout.mirrorPercent"),
        ({"overrides": {"bucketz": {}}}, "overrides.bucketz"),
        ({"model": "gs://b/p/iris/sha256-" + "a" * 64 + "/manifest.json"}, "model"),
        ({"aws": {"variantName": "bad name!"}}, "aws.variantName"),
        ({"aws": {"variant": "x"}}, "aws.variant"),
    ],
)
def test_fails_what_aws_cannot_do(patch: dict[str, Any], path: str) -> None:
    assert only(config(**patch), f"{P}.{path}").fix


def test_fails_serverless_with_canary_and_instance_autoscaling() -> None:
    cfg = config(
        compute__instanceType=None,
        compute__serverless={"memorySizeMb": 2048, "maxConcurrency": 5},
        network__isolation=False,
        network__isolationOptOutReason="serverless has no network isolation",
    )
    paths = {i.path for i in errors(cfg)}
    assert f"{P}.rollout.strategy" in paths and f"{P}.autoscaling" in paths


def test_serverless_is_accepted_when_consistent() -> None:
    cfg = config(
        compute__instanceType=None,
        compute__serverless={"memorySizeMb": 2048, "maxConcurrency": 5},
        network__isolation=False,
        network__isolationOptOutReason="serverless has no network isolation",
        rollout__strategy="all-at-once",
    )
    del cfg["mlinfra:endpoints"]["iris"]["autoscaling"]
    assert parse_stack(cfg, base_dir=str(ROOT)).endpoints["iris"].compute.serverless.max_concurrency == 5


def test_default_instance_is_the_cheapest_that_fits() -> None:
    assert catalog.default_type("aws", "cpu", 10_000).name == "ml.c5.large"
    assert catalog.default_type("aws", "cpu", 10_000, allow_burstable=True).name == "ml.t2.medium"
    assert catalog.default_type("aws", "gpu", 10_000).name == "ml.g4dn.xlarge"
    # 3 GiB of model needs 2 + 12 GiB of memory: the smallest CPU type with 16 GiB
    assert catalog.default_type("aws", "cpu", 3 * 2**30).memory_gib >= 14
    # 10 GiB needs 20 GiB of GPU memory: A10G (24 GiB), not T4 (16 GiB)
    assert catalog.default_type("aws", "gpu", 10 * 2**30).gpu_memory_gib == 24


def test_catalog_entries_are_consistent() -> None:
    for t in catalog.types("aws"):
        assert t.name.startswith("ml.") and t.hourly_usd > 0 and t.vcpus > 0
        assert (t.gpu_count > 0) == (t.gpu_model is not None)
        if t.name.startswith(("ml.g4dn", "ml.g5", "ml.g6", "ml.p4d")):
            assert t.local_nvme, t.name
        if t.name.startswith("ml.t"):
            assert t.burstable, t.name
    src = catalog.source("aws")
    assert src.region == "us-east-1" and src.url.startswith("https://") and src.as_of


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("0 8 * * MON-FRI", "cron(0 8 ? * MON-FRI *)"),
        ("30 18 * * *", "cron(30 18 * * ? *)"),
        ("0 6 1 * *", "cron(0 6 1 * ? *)"),
        ("0 8 * * 1-5", "cron(0 8 ? * 2-6 *)"),
    ],
)
def test_aws_cron(cron: str, expected: str) -> None:
    assert aws_cron(cron) == expected


def test_triton_image_account_per_region() -> None:
    assert (
        triton_image("us-east-1", "25.04")
        == "763104351884.dkr.ecr.us-east-1.amazonaws.com/sagemaker-tritonserver:25.04-py3"
    )
    assert triton_image("af-south-1").startswith("626614931356.dkr.ecr.af-south-1.amazonaws.com/")
    assert triton_image("cn-north-1").startswith("727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/")


def test_ecr_repository_arn() -> None:
    img = triton_image("us-east-1", "25.04")
    assert (
        _ecr_repository_arn(img, "aws")
        == "arn:aws:ecr:us-east-1:763104351884:repository/sagemaker-tritonserver"
    )
    assert _ecr_repository_arn("nvcr.io/nvidia/tritonserver:25.04-py3", "aws") is None
