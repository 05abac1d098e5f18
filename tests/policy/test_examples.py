"""Every example stack of the project plans with zero error findings, and exports for the scanners."""

from __future__ import annotations

import json

import pytest

from policy import evaluate
from policy.export import export_plan
from tests.policy.conftest import ROOT

STACKS = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))


@pytest.fixture(scope="module", params=STACKS)
def example_plan(request):
    from stacks.plan import run_plan

    return run_plan(request.param, ROOT)


def test_example_stack_has_no_error_findings(example_plan) -> None:
    errors = [f for f in example_plan["findings"] if f["severity"] == "error"]
    assert errors == []
    assert [f for f in evaluate(example_plan) if f["severity"] == "error"] == []


def test_example_stack_exports_for_scanners(example_plan, tmp_path) -> None:
    written = export_plan(example_plan, tmp_path)
    assert written
    for p in written:
        doc = json.loads(p.read_text())
        if p.name == "main.tf.json":
            assert doc["resource"]
            # references between resources are Terraform references, so graph checks connect them
            assert "${" in p.read_text()
        else:
            assert doc["resources"] and all(r["type"].startswith("Microsoft.") for r in doc["resources"])


def _ep(c: dict) -> dict:
    return c["mlinfra:endpoints"]["iris"]


VARIANTS = {
    "aws-gpu-nvme": (
        "dev",
        lambda c: _ep(c).update(
            compute={"accelerator": "gpu", "instanceType": "ml.g5.xlarge", "instances": 1}
        ),
    ),
    "aws-serverless": (
        "dev",
        lambda c: _ep(c).update(
            compute={"accelerator": "cpu", "serverless": {"memorySizeMb": 2048}},
            autoscaling={"enabled": False},
            rollout={"strategy": "all-at-once"},
            network={"isolation": False, "isolationOptOutReason": "serverless has no network isolation"},
        ),
    ),
    "aws-prod": (
        "dev",
        lambda c: (
            c.update({"mlinfra:profile": "prod"}),
            _ep(c)["compute"].update(instances=2),
            _ep(c)["autoscaling"].update(minInstances=2),
            _ep(c).update(storage={"accessLogBucket": "my-logs"}, capture={"samplePercent": 5}),
        ),
    ),
    "aws-published-model": (
        "dev",
        lambda c: _ep(c).update(model="s3://models/prefix/iris/sha256-" + "a" * 64 + "/manifest.json"),
    ),
    "aws-vpc": (
        "dev",
        lambda c: _ep(c).update(
            network={"private": True, "subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]}
        ),
    ),
    "gcp-cloudrun-public-with-reason": (
        "gcp-cloudrun-dev",
        lambda c: _ep(c).update(
            network={"ingress": "all", "allowUnauthenticated": True, "publicReason": "public demo"}
        ),
    ),
    "gcp-vertex-prod-private": (
        "gcp-vertex-dev",
        lambda c: (
            c.update({"mlinfra:profile": "prod"}),
            _ep(c).setdefault("compute", {}).update(instances=2),
            _ep(c).setdefault("autoscaling", {}).update(minInstances=2),
            _ep(c).update(network={"private": True}),
        ),
    ),
    "azure-prod-private": (
        "azure-dev",
        lambda c: (
            c.update({"mlinfra:profile": "prod"}),
            _ep(c)["compute"].update(instances=2),
            _ep(c)["autoscaling"].update(minInstances=2, schedules=[]),
            _ep(c).update(network={"private": True}),
        ),
    ),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_secure_variants_have_no_policy_findings(variant: str, project) -> None:
    """Legitimate configurations (GPU/NVMe, serverless, prod, private, public with a reason) raise no rule."""
    from stacks.plan import run_plan

    base, edit = VARIANTS[variant]
    config = project.base(base)["config"]
    edit(config)
    project.write(variant, config)
    plan = run_plan(variant, project.dir)
    assert [f for f in plan["findings"] if f["rule"] in _rule_ids()] == []


def _rule_ids() -> set[str]:
    from policy.engine import load_rules

    return set(load_rules())
