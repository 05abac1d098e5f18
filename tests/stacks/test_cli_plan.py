"""`mlinfra plan` as a user runs it: exit codes, every error listed, the JSON plan, Markdown, advisories."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlinfra.cli import app
from tests.conftest import edit_endpoint

runner = CliRunner()


@pytest.fixture
def in_project(project):
    old = os.getcwd()
    os.chdir(project.dir)
    yield project
    os.chdir(old)


def test_plan_writes_the_canonical_json_plan(in_project) -> None:
    result = runner.invoke(app, ["plan", "--stack", "dev", "--out", "plan.json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(Path("plan.json").read_text())
    assert (plan["project"], plan["stack"], plan["cloud"], plan["region"]) == (
        "mlinfra",
        "dev",
        "aws",
        "us-east-1",
    )
    assert len(plan["resources"]) == 28
    assert plan["findings"] == []
    assert plan["cost"]["currency"] == "USD" and 0 < plan["cost"]["monthly_min"] < plan["cost"]["monthly_max"]
    r = next(r for r in plan["resources"] if r["type"] == "aws:sagemaker/endpoint:Endpoint")
    assert set(r) >= {"urn", "type", "name", "parent", "custom", "id", "inputs", "outputs", "protect"}
    assert "Plan: 28 resources, 0 error and 0 warning findings" in result.output.replace("\n", " ")
    # the same program always gives the same bytes
    assert runner.invoke(app, ["plan", "--stack", "dev", "--out", "again.json"]).exit_code == 0
    assert Path("again.json").read_bytes() == Path("plan.json").read_bytes()


def test_plan_markdown(in_project) -> None:
    result = runner.invoke(app, ["plan", "--stack", "dev", "--format", "markdown"])
    assert result.exit_code == 0
    assert result.output.startswith("## mlinfra plan: `dev` on aws (us-east-1)")
    assert "| iris | ml.c5.large instances | 1..4 x $0.102/h x 730 h | $74.46 | $297.84 |" in result.output


def test_fails_bad_config_exit_2_with_every_error(in_project) -> None:
    cfg = in_project.base()
    edit_endpoint(cfg, "autoscaling.minInstances", 5)
    edit_endpoint(cfg, "autoscaling.maxInstances", 2)
    edit_endpoint(cfg, "compute.instanceType", "ml.g4dn.xlarge")
    edit_endpoint(cfg, "rollout.stepPercent", 70)
    cfg["config"]["mlinfra:notify"] = {"emails": [], "webhooks": []}
    in_project.write("bad", cfg["config"])
    result = runner.invoke(app, ["plan", "--stack", "bad", "--out", "bad.json"])
    assert result.exit_code == 2
    out = result.output
    assert "Invalid mlinfra stack config: 5 errors" in out
    for path in (
        "mlinfra:endpoints.iris.autoscaling.minInstances = 5",
        "mlinfra:endpoints.iris.compute.instances = 1",
        "mlinfra:endpoints.iris.compute.instanceType = 'ml.g4dn.xlarge'",
        "mlinfra:endpoints.iris.rollout.stepPercent = 70",
        "mlinfra:notify = ",
    ):
        assert path in out
    assert not Path("bad.json").exists()  # nothing written for a refused config


def test_fails_unknown_stack(in_project) -> None:
    result = runner.invoke(app, ["plan", "--stack", "nope"])
    assert result.exit_code == 2 and "no stack file Pulumi.nope.yaml" in result.output


def test_policy_error_exits_1(in_project) -> None:
    cfg = in_project.base()
    edit_endpoint(
        cfg, "overrides", {"bucket": {"force_destroy": True}, "key": {"enable_key_rotation": False}}
    )
    in_project.write("weak", cfg["config"])
    result = runner.invoke(app, ["plan", "--stack", "weak", "--out", "weak.json"])
    assert result.exit_code == 1, result.output
    errors = [f for f in json.loads(Path("weak.json").read_text())["findings"] if f["severity"] == "error"]
    assert any("rotation" in f["message"].lower() for f in errors)


def test_gpu_built_model_on_a_cpu_endpoint_is_flagged(in_project) -> None:
    dist = in_project.dir / "examples/iris/gpu-dist"
    shutil.copytree(in_project.dir / "examples/iris/dist", dist)
    man = json.loads((dist / "manifest.json").read_text())
    man["target"] = "gpu"  # the digest covers the files, not this field
    (dist / "manifest.json").write_text(json.dumps(man))
    cfg = in_project.base()
    edit_endpoint(cfg, "model", "examples/iris/gpu-dist")
    in_project.write("gpumodel", cfg["config"])
    result = runner.invoke(app, ["plan", "--stack", "gpumodel", "--out", "g.json"])
    assert result.exit_code == 0
    (finding,) = [
        f
        for f in json.loads(Path("g.json").read_text())["findings"]
        if f["rule"] == "model-built-for-gpu-on-cpu"
    ]
    assert finding["severity"] == "warning" and "--target cpu" in finding["message"]
    assert finding["resource"].endswith("mlinfra:aws:Endpoint::iris")


def test_export_for_scanners(in_project) -> None:
    assert runner.invoke(app, ["plan", "--stack", "dev", "--out", "plan.json"]).exit_code == 0
    result = runner.invoke(app, ["export", "plan.json", "--out", "scan"])
    assert result.exit_code == 0, result.output
    tf = json.loads((Path("scan") / "main.tf.json").read_text())
    assert "aws_sagemaker_endpoint_configuration" in tf["resource"]


def test_monitoring_export(in_project) -> None:
    result = runner.invoke(app, ["monitoring", "export", "--stack", "dev", "--out", "mon"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in Path("mon").iterdir()) == ["grafana-iris.json", "prometheus-rules.yml"]
    dash = json.loads((Path("mon") / "grafana-iris.json").read_text())
    assert dash["panels"] and "uid" in dash
