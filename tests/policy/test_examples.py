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
