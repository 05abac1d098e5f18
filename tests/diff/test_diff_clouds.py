"""The diff on Azure and GCP plans of the same contract (same stack name on both sides, as in a PR)."""

from __future__ import annotations

import copy

import pytest

from stacks.diff import diff_plans, markdown, summary_line
from tests.diff.conftest import base_config, endpoint


def azure(instance_type: str | None = None) -> dict:
    c = copy.deepcopy(base_config())
    del c["aws:region"]
    c.update({"mlinfra:cloud": "azure", "azure-native:location": "westeurope"})
    endpoint(c)["compute"]["instanceType"] = instance_type
    return c


def gcp(instance_type: str | None = None, max_instances: int = 4, backend: str = "vertex") -> dict:
    c = copy.deepcopy(base_config())
    del c["aws:region"]
    c.update({"mlinfra:cloud": "gcp", "gcp:project": "demo-project", "gcp:region": "us-central1"})
    ep = endpoint(c)
    ep["compute"]["instanceType"] = instance_type
    ep["serving"] = {"backend": backend}
    ep["autoscaling"]["maxInstances"] = max_instances
    return c


@pytest.fixture(scope="session")
def azure_instance_type(plan_for):
    return diff_plans(
        plan_for("az-base", azure(), stack="azdev"),
        plan_for("az-ds3", azure("Standard_DS3_v2"), stack="azdev"),
    )


@pytest.fixture(scope="session")
def gcp_plans(plan_for):
    return plan_for("gcp-base", gcp(), stack="gcpdev")


def test_azure_instance_type_recreates_the_deployments(azure_instance_type):
    d = azure_instance_type
    assert summary_line(d) == "0 to add, 0 to change, 2 to replace, 0 to delete"
    by = {e["name"]: e for e in d["resources"]}
    assert set(by) == {"iris-blue", "iris-green"}
    blue = by["iris-blue"]
    assert [(c["path"], c["before"], c["after"]) for c in blue["changes"]] == [
        ("properties.instanceType", "Standard_E2s_v3", "Standard_DS3_v2")
    ]
    assert blue["notes"][0] == (
        "Azure deployment instance type changed: the deployment `blue` is recreated (deleted, then created again with "
        "the same name); it takes 90% of the endpoint's traffic (blue 90%, green 10%): move that traffic to another deployment first"
    )
    assert d["cost"]["delta"] == {"min": 243.82, "max": 975.28}
    md = markdown(d)
    assert "Azure deployment instance type changed" in md and "(**+$243.82** min, **+$975.28** max)" in md
    assert {f["rule"] for f in d["findings"]["transitions"]} == {"azure-deployment-instance-type-change"}


def test_gcp_vertex_machine_change_is_a_rollout_not_a_replacement(plan_for, gcp_plans):
    d = diff_plans(gcp_plans, plan_for("gcp-n1", gcp("n1-standard-4"), stack="gcpdev"))
    assert d["summary"]["replace"] == 0
    dep = next(e for e in d["resources"] if e["type"] == "pulumi-python:dynamic/mlinfra:VertexDeployment")
    assert dep["action"] == "update"
    assert [c["path"] for c in dep["changes"]] == ["machine.machineType"]
    assert dep["notes"] == [
        "Vertex AI rollout: the new model is deployed beside the old one (canary 10%, then the rest after 10 min; "
        "rolled back if the new deployment is unhealthy), then the old one is undeployed"
    ]
    assert d["cost"]["delta"]["min"] > 0


def test_gcp_scale_up_mutates_in_place(plan_for, gcp_plans):
    d = diff_plans(gcp_plans, plan_for("gcp-max8", gcp(max_instances=8), stack="gcpdev"))
    assert summary_line(d) == "0 to add, 1 to change, 0 to replace, 0 to delete"
    dep = d["resources"][0]
    assert [(c["path"], c["before"], c["after"]) for c in dep["changes"]] == [("replicas.max", 4, 8)]
    assert d["cost"]["delta"]["min"] == 0.0 and d["cost"]["delta"]["max"] > 0


def test_gcp_backend_switch_adds_cloud_run_and_removes_the_vertex_endpoint(plan_for, gcp_plans):
    d = diff_plans(gcp_plans, plan_for("gcp-cloudrun", gcp(backend="cloudrun"), stack="gcpdev"))
    actions = {(e["type"], e["action"]) for e in d["resources"]}
    assert ("gcp:cloudrunv2/service:Service", "add") in actions
    assert ("gcp:vertex/aiEndpoint:AiEndpoint", "delete") in actions
    assert "the endpoint `" in markdown(d)
