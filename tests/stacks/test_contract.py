"""What the shared protocol promises, on every cloud: one parametrized matrix over the same config.

Each case takes the dev stack (AWS) and moves it to another cloud the way a user would: change
``mlinfra:cloud`` and the region keys, let the catalog pick the instance type. The same endpoint spec must give,
everywhere: one component per endpoint that parents everything; the same stack outputs; at least one alarm per
signal, each with a notification; customer-managed encryption and deletion protection on the artifact store;
a positive cost range; and the same refusal of bad config.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components._common.errors import ConfigError
from components._common.protocol import EXPORT_KEYS
from tests.conftest import edit_endpoint

CASES: dict[str, dict[str, Any]] = {
    "aws": {
        "cloud": {"mlinfra:cloud": "aws", "aws:region": "us-east-1"},
        "patch": {},
        "component": "mlinfra:aws:Endpoint",
        "alarm": ("aws:cloudwatch/metricAlarm:MetricAlarm", "alarmActions"),
        "store": "aws:s3/bucket:Bucket",
        "cmk": (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "kmsMasterKeyId",
        ),
        "tags": "tags",
    },
    "azure": {
        "cloud": {"mlinfra:cloud": "azure", "azure-native:location": "westeurope"},
        "patch": {"compute.instanceType": None},
        "component": "mlinfra:azure:Endpoint",
        "alarm": ("azure-native:monitor:MetricAlert", "actions"),
        "store": "azure-native:storage:StorageAccount",
        "cmk": ("azure-native:storage:StorageAccount", "encryption"),
        "tags": "tags",
    },
    "gcp-vertex": {
        "cloud": {"mlinfra:cloud": "gcp", "gcp:project": "demo-project", "gcp:region": "us-central1"},
        "patch": {"compute.instanceType": None, "serving.backend": "vertex"},
        "component": "mlinfra:gcp:Endpoint",
        "alarm": ("gcp:monitoring/alertPolicy:AlertPolicy", "notificationChannels"),
        "store": "gcp:storage/bucket:Bucket",
        "cmk": ("gcp:storage/bucket:Bucket", "defaultKmsKeyName"),
        "tags": "labels",
    },
    "gcp-cloudrun": {
        "cloud": {"mlinfra:cloud": "gcp", "gcp:project": "demo-project", "gcp:region": "us-central1"},
        "patch": {"compute.instanceType": None, "serving.backend": "cloudrun"},
        "component": "mlinfra:gcp:Endpoint",
        "alarm": ("gcp:monitoring/alertPolicy:AlertPolicy", "notificationChannels"),
        "store": "gcp:storage/bucket:Bucket",
        "cmk": ("gcp:storage/bucket:Bucket", "defaultKmsKeyName"),
        "tags": "labels",
    },
}


USER_LABELS = {
    "gcp:monitoring/notificationChannel:NotificationChannel": "userLabels",
    "gcp:monitoring/alertPolicy:AlertPolicy": "userLabels",
}


def stack_config(project, case: dict[str, Any], **extra: Any) -> dict[str, Any]:
    cfg = project.base()["config"]
    for k in [k for k in cfg if k.startswith("aws:")]:
        del cfg[k]
    cfg.update(case["cloud"])
    for path, value in {**case["patch"], **extra}.items():
        edit_endpoint(cfg, path, value)
    return cfg


@pytest.fixture(params=list(CASES))
def case(request) -> tuple[str, dict[str, Any]]:
    return request.param, CASES[request.param]


def test_one_component_parents_everything(case, project, run_stack) -> None:
    name, c = case
    run = run_stack(project.write(f"c-{name}", stack_config(project, c)), project.dir)
    component = run.one(c["component"], "iris")
    by_urn = {r["urn"]: r for r in run.resources}
    for r in run.resources:
        if r is component:
            continue
        cur = r
        while cur.get("parent") and cur["parent"] != component["urn"]:
            cur = by_urn[cur["parent"]]
        assert cur.get("parent") == component["urn"], (
            f"{r['type']} {r['name']} is not under the endpoint component"
        )


def test_same_outputs_everywhere(case, project, run_stack) -> None:
    name, c = case
    run = run_stack(project.write(f"c-{name}", stack_config(project, c)), project.dir)
    out = run.outputs["iris"]
    assert set(EXPORT_KEYS) <= set(out)
    assert out["endpointName"] and out["invokeUrl"].startswith("https://")
    assert out["dashboardUrl"].startswith("https://")
    assert out["artifactBucket"] and out["modelDataUrl"]


def test_every_signal_has_an_alarm_that_notifies(case, project, run_stack) -> None:
    name, c = case
    run = run_stack(project.write(f"c-{name}", stack_config(project, c)), project.dir)
    typ, action_key = c["alarm"]
    alarms = run.of(typ)
    # latency, errors, CPU and memory are on in the dev stack (GPU is for GPU endpoints)
    assert len(alarms) >= 4
    assert all(a["inputs"].get(action_key) for a in alarms)
    assert len(run.outputs["iris"]["alarmNames"]) == len(alarms)


def test_artifact_store_uses_a_customer_managed_key_and_is_protected(case, project, run_stack) -> None:
    name, c = case
    run = run_stack(project.write(f"c-{name}", stack_config(project, c)), project.dir)
    store = run.one(c["store"])
    assert store["protect"] is True or store.get("retainOnDelete") is True
    typ, key = c["cmk"]
    assert all(key in json.dumps(r["inputs"]) for r in run.of(typ)) and run.of(typ)


def test_resources_carry_the_mlinfra_tags(case, project, run_stack) -> None:
    name, c = case
    run = run_stack(project.write(f"c-{name}", stack_config(project, c)), project.dir)

    def tags_of(r: dict[str, Any]) -> Any:
        # a notification channel's `labels` is its configuration (the email address): its labels are userLabels
        key = USER_LABELS.get(r["type"], c["tags"])
        return r["inputs"].get(key)

    tagged = [r for r in run.resources if r["custom"] and isinstance(tags_of(r), dict)]
    assert tagged, "no resource carries tags/labels"
    for r in tagged:
        assert tags_of(r).get("managed-by") == "mlinfra", (r["type"], r["name"])
        assert tags_of(r).get("mlinfra-endpoint") == "iris", (r["type"], r["name"])


def test_plan_has_a_cost_range_and_no_error_findings(case, project) -> None:
    from stacks.plan import run_plan

    name, c = case
    plan = run_plan(project.write(f"c-{name}", stack_config(project, c)), project.dir)
    assert plan["cost"]["monthly_max"] >= plan["cost"]["monthly_min"] > 0
    assert [f for f in plan["findings"] if f["severity"] == "error"] == []


def test_fails_the_same_bad_config_everywhere(case, project) -> None:
    from stacks.plan import load_spec

    name, c = case
    cfg = stack_config(
        project, c, **{"autoscaling.minInstances": 3, "autoscaling.maxInstances": 2, "compute.instances": 2}
    )
    with pytest.raises(ConfigError) as info:
        load_spec(project.write(f"bad-{name}", cfg), project.dir)
    issue = next(i for i in info.value.issues if i.path == "mlinfra:endpoints.iris.autoscaling.minInstances")
    assert issue.value == 3
