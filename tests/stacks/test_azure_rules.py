"""Azure rules on top of the contract (validate_for_azure), the advisories the plan prints, and the pure
helpers the component uses (names, traffic split, recurrences, cooldowns, the non-2xx threshold)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import catalog
from components._common.errors import ConfigError, ConfigIssue
from components.azure.validate import (
    advisories,
    endpoint_name,
    error_count_threshold,
    iso_minutes,
    key_vault_name,
    recurrence,
    storage_account_name,
    traffic_split,
    validate_for_azure,
)
from components.spec import EndpointSpec, parse_stack

ROOT = Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((ROOT / "Pulumi.azure-dev.yaml").read_text())["config"]
P = "mlinfra:endpoints.iris"


def config(**patch: Any) -> dict[str, Any]:
    """The azure-dev stack config with ``section__key=value`` patches on the iris endpoint."""
    cfg = copy.deepcopy(BASE)
    ep = cfg["mlinfra:endpoints"]["iris"]
    for path, value in patch.items():
        *parents, leaf = path.split("__")
        d = ep
        for p in parents:
            d = d.setdefault(p, {})
        d[leaf] = value
    return cfg


def errors(cfg: dict[str, Any]) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as info:
        parse_stack(cfg, stack="azure-dev", base_dir=str(ROOT))
    return info.value.issues


def only(cfg: dict[str, Any], path: str) -> ConfigIssue:
    found = [i for i in errors(cfg) if i.path == path]
    assert len(found) == 1, [str(i) for i in errors(cfg)]
    return found[0]


def spec(**patch: Any):
    return parse_stack(config(**patch), stack="azure-dev", base_dir=str(ROOT)).endpoints["iris"]


# ---------------------------------------------------------------------------------------------- accepted
def test_example_stack_and_the_dev_stack_moved_to_azure_parse() -> None:
    assert spec().compute.instance_type == "Standard_F4s_v2"
    dev = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    dev = {k: v for k, v in dev.items() if not k.startswith("aws:")}
    dev.update({"mlinfra:cloud": "azure", "azure-native:location": "westeurope"})
    dev["mlinfra:endpoints"]["iris"]["compute"]["instanceType"] = None
    parsed = parse_stack(dev, base_dir=str(ROOT))
    assert parsed.region == "westeurope" and parsed.endpoints["iris"].rollout.auto_rollback is True


def test_default_sku_is_the_cheapest_that_fits_and_skips_the_tight_two_vcpu_ones() -> None:
    assert catalog.default_type("azure", "cpu").name == "Standard_E2s_v3"
    assert catalog.default_type("azure", "gpu").name == "Standard_NC4as_T4_v3"
    assert catalog.get("azure", "Standard_NC24ads_A100_v4").gpu_memory_gib == 80
    assert catalog.source("azure").region == "eastus"


# ---------------------------------------------------------------------------------------------- refused
def test_fails_unknown_sku_with_suggestion() -> None:
    issue = only(config(compute__instanceType="Standard_F4s_v3"), f"{P}.compute.instanceType")
    assert issue.value == "Standard_F4s_v3" and "did you mean Standard_F4s_v2" in issue.problem


def test_fails_gpu_sku_on_cpu_endpoint() -> None:
    issue = only(config(compute__instanceType="Standard_NC6s_v3"), f"{P}.compute.instanceType")
    assert (
        issue.value == "Standard_NC6s_v3"
        and "a GPU SKU on an endpoint declared accelerator: cpu" in issue.problem
    )


def test_fails_cpu_sku_on_gpu_endpoint() -> None:
    issue = only(
        config(compute__accelerator="gpu", compute__instanceType="Standard_DS3_v2"),
        f"{P}.compute.instanceType",
    )
    assert "a CPU SKU on an endpoint declared accelerator: gpu" in issue.problem


def test_fails_min_instances_zero_because_managed_deployments_cannot_scale_to_zero() -> None:
    cfg = config(autoscaling__minInstances=0, autoscaling__schedules=[])
    issue = only(cfg, f"{P}.autoscaling.minInstances")
    assert issue.value == 0 and "cannot scale to zero" in issue.problem


def test_fails_zero_instances() -> None:
    issue = only(config(compute__instances=0, autoscaling__enabled=False), f"{P}.compute.instances")
    assert issue.value == 0 and "cannot scale to zero" in issue.problem


def test_fails_schedule_min_zero() -> None:
    sched = [{"cron": "0 20 * * *", "min": 0, "max": 2}]
    issues = errors(config(autoscaling__schedules=sched, autoscaling__minInstances=0))
    assert any(i.path == f"{P}.autoscaling.schedules[0].min" and i.value == 0 for i in issues)


def test_fails_schedule_azure_recurrences_cannot_express() -> None:
    issue = only(
        config(autoscaling__schedules=[{"cron": "0 8 1 * *", "min": 1, "max": 2}]),
        f"{P}.autoscaling.schedules[0].cron",
    )
    assert issue.value == "0 8 1 * *" and "day-of-month and month must be '*'" in issue.problem


def test_fails_schedule_unknown_time_zone() -> None:
    issue = only(
        config(
            autoscaling__schedules=[{"cron": "0 8 * * 1-5", "min": 1, "max": 2, "timezone": "Mars/Olympus"}]
        ),
        f"{P}.autoscaling.schedules[0].timezone",
    )
    assert issue.value == "Mars/Olympus"


def test_fails_mirror_above_50() -> None:
    issues = [i for i in errors(config(rollout__mirrorPercent=60)) if i.path == f"{P}.rollout.mirrorPercent"]
    assert issues and all(i.value == 60 for i in issues)
    assert all(i.allowed == "0..50" for i in issues)
    # and the Azure rule itself, on a spec that skipped the contract's cross-field rules
    raw = spec().model_dump(by_alias=True)
    raw["rollout"]["mirrorPercent"] = 60
    direct = validate_for_azure(EndpointSpec.model_validate({**raw, "key": "iris"}), "westeurope")
    assert [(i.path, i.value) for i in direct if "mirror" in i.path] == [(f"{P}.rollout.mirrorPercent", 60)]


def test_fails_mirror_and_live_traffic_to_the_same_deployment() -> None:
    issue = only(
        config(rollout__mirrorPercent=20, azure={"candidateTrafficPercent": 10}),
        f"{P}.azure.candidateTrafficPercent",
    )
    assert issue.value == 10 and "live traffic or mirrored traffic, not both" in issue.problem


def test_fails_serverless_which_is_sagemaker_only() -> None:
    cfg = config(
        compute__serverless={"memorySizeMb": 2048},
        compute__instanceType=None,
        capture__samplePercent=0,
        network={"isolation": False, "isolationOptOutReason": "test"},
    )
    issues = errors(cfg)
    issue = next(i for i in issues if i.path == f"{P}.compute.serverless")
    assert issue.value["memorySizeMb"] == 2048 and "SageMaker-only" in issue.problem


def test_fails_serving_backend() -> None:
    issue = only(config(serving={"backend": "vertex"}), f"{P}.serving.backend")
    assert issue.value == "vertex"


def test_fails_gcp_accelerator_type() -> None:
    issue = only(config(compute__acceleratorType="NVIDIA_L4"), f"{P}.compute.acceleratorType")
    assert issue.value == "NVIDIA_L4"


def test_fails_aws_volume_encryption_key() -> None:
    issue = only(config(compute__encryptVolume=True), f"{P}.compute.encryptVolume")
    assert issue.value is True


def test_fails_subnets_because_managed_deployments_use_the_managed_network() -> None:
    issues = errors(config(network={"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]}))
    issue = next(i for i in issues if i.path == f"{P}.network.subnetIds")
    assert issue.value == ["subnet-1"] and "managed network" in issue.problem


def test_fails_unauthenticated_invocation() -> None:
    issues = errors(config(network={"allowUnauthenticated": True, "publicReason": "demo"}))
    issue = next(i for i in issues if i.path == f"{P}.network.allowUnauthenticated")
    assert issue.value is True


def test_fails_request_timeout_above_azure_limit() -> None:
    issue = only(config(serving={"requestTimeoutSeconds": 300}), f"{P}.serving.requestTimeoutSeconds")
    assert issue.value == 300 and "180" in issue.allowed


def test_fails_key_auth_without_reason() -> None:
    issue = only(config(azure={"authMode": "Key"}), f"{P}.azure.authMode")
    assert issue.value == "Key"


def test_fails_unknown_azure_option_with_suggestion() -> None:
    issue = only(config(azure={"candidateSlott": "blue"}), f"{P}.azure.candidateSlott")
    assert "did you mean 'candidateSlot'" in issue.problem


def test_fails_s3_model_on_azure() -> None:
    uri = "s3://b/p/iris/sha256-" + "0" * 64 + "/manifest.json"
    issues = [i for i in errors(config(model=uri)) if i.path == f"{P}.model" and "Azure Blob" in i.problem]
    assert issues and issues[0].value == uri


def test_fails_unknown_override_role() -> None:
    issue = only(config(overrides={"bucket": {"x": 1}}), f"{P}.overrides.bucket")
    assert "unknown resource role" in issue.problem


def test_fails_shared_key_upload_in_prod() -> None:
    cfg = config(azure={"allowSharedKeyUpload": True})
    cfg["mlinfra:profile"] = "prod"
    issues = errors(cfg)
    assert any(i.path == f"{P}.azure.allowSharedKeyUpload" and i.value is True for i in issues)


def test_fails_unknown_region() -> None:
    cfg = config()
    cfg["azure-native:location"] = "West Europe"
    issue = only(cfg, "azure-native:location")
    assert issue.value == "West Europe"


# ------------------------------------------------------------------------------------------ helpers
def test_names_follow_azure_rules_and_are_unique_per_subscription() -> None:
    sub = "00000000-0000-0000-0000-000000000000"
    assert endpoint_name("azure-dev", "iris", sub) == "azure-dev-iris-12b9"
    assert endpoint_name("azure-dev", "iris", "another-subscription") != endpoint_name(
        "azure-dev", "iris", sub
    )
    long = endpoint_name("a-very-long-stack-name-for-tests", "an-even-longer-endpoint-key", sub)
    assert len(long) == 32 and long[0].isalpha() and re.fullmatch(r"[a-z][a-z0-9-]{2,31}", long)
    assert endpoint_name("1prod", "iris", sub)[0].isalpha()
    for stack, key in (("azure-dev", "iris"), ("a-very-long-stack-name-for-tests", "x"), ("1", "ab")):
        acct = storage_account_name(stack, key, sub)
        assert 3 <= len(acct) <= 24 and re.fullmatch(r"[a-z0-9]+", acct), acct
        kv = key_vault_name(stack, key, sub)
        assert 3 <= len(kv) <= 24 and re.fullmatch(r"[a-z][a-z0-9]+", kv), kv
    assert storage_account_name("azure-dev", "iris", sub) != storage_account_name(
        "azure-dev", "iris", "other"
    )


def test_traffic_sums_to_100_and_mirror_goes_to_the_candidate() -> None:
    assert traffic_split(spec()) == ({"blue": 90, "green": 10}, {})
    live, mirror = traffic_split(spec(rollout__mirrorPercent=20))
    assert live == {"blue": 100, "green": 0} and mirror == {"green": 20}
    assert traffic_split(spec(rollout__strategy="all-at-once")) == ({"green": 100}, {})
    live, _ = traffic_split(spec(azure={"candidateSlot": "blue", "candidateTrafficPercent": 100}))
    assert live == {"green": 0, "blue": 100}


def test_cron_becomes_a_weekly_recurrence() -> None:
    assert recurrence("30 8,12 * * MON-FRI", "Europe/Amsterdam") == {
        "frequency": "Week",
        "schedule": {
            "time_zone": "W. Europe Standard Time",
            "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
            "hours": [8, 12],
            "minutes": [30],
        },
    }
    assert recurrence("0 22 * * FRI-MON", "UTC")["schedule"]["days"] == [
        "Sunday",
        "Monday",
        "Friday",
        "Saturday",
    ]
    assert recurrence("0 0 * * *", "UTC")["schedule"]["days"][0] == "Sunday"


def test_cooldowns_are_whole_iso_minutes() -> None:
    assert [iso_minutes(s) for s in (0, 60, 90, 300, 3600, 3660)] == [
        "PT1M",
        "PT1M",
        "PT2M",
        "PT5M",
        "PT1H",
        "PT1H1M",
    ]


def test_non_2xx_threshold_is_a_share_of_the_reference_traffic() -> None:
    assert error_count_threshold(spec()) == 10  # 1% of 1000 rpm x minInstances 1
    assert error_count_threshold(spec(azure={"expectedRequestsPerMinute": 50})) == 1
    assert (
        error_count_threshold(spec(alerts__errorRatePercent=5, azure={"expectedRequestsPerMinute": 2000}))
        == 100
    )


def test_advisories_say_what_azure_does_differently() -> None:
    rules = {a["rule"]: a for a in advisories(spec())}
    assert {
        "azure-no-auto-rollback",
        "azure-traffic-not-stepped",
        "azure-error-rate-as-count",
        "azure-capacity-owned-by-autoscale",
        "azure-local-model-upload",
    } <= set(rules)
    assert all(a["severity"] == "warning" for a in rules.values())
    assert "{'blue': 90, 'green': 10}" in rules["azure-no-auto-rollback"]["message"]
    assert "above 10 non-2xx requests per minute" in rules["azure-error-rate-as-count"]["message"]
    assert "azure-private-endpoint-not-declared" not in rules
    assert "azure-private-endpoint-not-declared" in {
        a["rule"] for a in advisories(spec(network={"private": True}))
    }
    quiet = {
        a["rule"] for a in advisories(spec(rollout__autoRollback=False, rollout__strategy="all-at-once"))
    }
    assert "azure-no-auto-rollback" not in quiet and "azure-traffic-not-stepped" not in quiet


def test_fails_cloud_run_ingress() -> None:
    issue = only(config(network={"ingress": "all", "publicReason": "demo"}), f"{P}.network.ingress")
    assert issue.value == "all" and "network.private" in issue.problem


def test_fails_stable_model_that_is_not_a_manifest_uri() -> None:
    issue = only(config(azure={"stableModel": "az://acct/container/iris/v1"}), f"{P}.azure.stableModel")
    assert issue.value == "az://acct/container/iris/v1" and "not a published manifest URI" in issue.problem
