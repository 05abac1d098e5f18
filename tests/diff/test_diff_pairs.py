"""``mlinfra diff`` on pairs of real plans of the example stacks: the summary, the replacement causes and
consequences, the cascade, the cost delta, findings, determinism, and a snapshot of one full comment."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from stacks.diff import cli_diff, diff_plans, markdown, mermaid, signed, summary_line, to_json
from tests.diff.conftest import base_config, endpoint

SNAPSHOTS = Path(__file__).parent / "snapshots"
ROLLOUT = "blue/green deployment (canary 10%, then the rest after 10 min; rollback alarms: dev-iris-latency-p99, dev-iris-error-rate)"


@pytest.fixture(scope="session")
def base(plan_for):
    return plan_for("base", base_config())


def _edit(**paths) -> dict:
    cfg = copy.deepcopy(base_config())
    ep = endpoint(cfg)
    for path, value in paths.items():
        section, key = path.split("__")
        ep.setdefault(section, {})[key] = value
    return cfg


@pytest.fixture(scope="session")
def scale_up_plan(plan_for):
    return plan_for("scale-up", _edit(autoscaling__maxInstances=8))


@pytest.fixture(scope="session")
def instance_type_plan(plan_for):
    return plan_for("instance-type", _edit(compute__instanceType="ml.m5.xlarge"))


@pytest.fixture(scope="session")
def model_v2_plan(plan_for):
    cfg = copy.deepcopy(base_config())
    endpoint(cfg)["model"] = "examples/iris/dist-v2"
    return plan_for("model-v2", cfg, model_v2=True)


@pytest.fixture(scope="session")
def scale_up(base, scale_up_plan):
    return diff_plans(base, scale_up_plan)


@pytest.fixture(scope="session")
def instance_type(base, instance_type_plan):
    return diff_plans(base, instance_type_plan)


@pytest.fixture(scope="session")
def model_change(base, model_v2_plan):
    return diff_plans(base, model_v2_plan)


@pytest.fixture(scope="session")
def new_alert(plan_for, base):
    before = _edit(alerts__memoryUtilizationPercent=None)
    return diff_plans(plan_for("no-memory-alert", before), base)


@pytest.fixture(scope="session")
def endpoint_removed(plan_for, base):
    two = copy.deepcopy(base_config())
    two["mlinfra:endpoints"]["iris-b"] = copy.deepcopy(endpoint(two))
    return diff_plans(plan_for("two-endpoints", two), base)


def _res(d, name):
    found = [e for e in d["resources"] if e["name"] == name]
    assert len(found) == 1, [e["name"] for e in d["resources"]]
    return found[0]


def _ep(d, key="iris"):
    return next(e for e in d["endpoints"] if e["endpoint"] == key)


# ---- scale up -------------------------------------------------------------------------------------------
def test_scale_up_is_one_in_place_update(scale_up):
    assert summary_line(scale_up) == "0 to add, 1 to change, 0 to replace, 0 to delete"
    target = _res(scale_up, "iris-scaling")
    assert target["action"] == "update"
    assert [(c["path"], c["before"], c["after"], c["replaces"]) for c in target["changes"]] == [
        ("maxCapacity", 4, 8, False)
    ]
    assert target["notes"] == [
        "the autoscaling bounds change (instances are added or removed by the next scaling activity)"
    ]


def test_scale_up_costs_four_more_instances_at_most(scale_up):
    # 4 more ml.c5.large at $0.102/h x 730 h on the monthly maximum; the minimum does not move.
    assert scale_up["cost"]["delta"] == {"min": 0.0, "max": 297.84}
    assert _ep(scale_up)["cost"] == {
        "before": {"min": 78.86, "max": 302.24},
        "after": {"min": 78.86, "max": 600.08},
        "delta": {"min": 0.0, "max": 297.84},
    }
    md = markdown(scale_up)
    assert "**Monthly cost:** $78.86 – $302.24 → $78.86 – $600.08 (**$0.00** min, **+$297.84** max)" in md


# ---- instance type ---------------------------------------------------------------------------------------
def test_instance_type_replaces_the_endpoint_configuration(instance_type):
    assert summary_line(instance_type) == "0 to add, 3 to change, 1 to replace, 0 to delete"
    config = _res(instance_type, "iris-config")
    assert config["action"] == "replace"
    assert [c["path"] for c in config["causes"]] == ["productionVariants[variantName=primary].instanceType"]
    assert (
        config["causes"][0]["why"]
        == "SageMaker has no UpdateEndpointConfig API: any change creates a new endpoint configuration"
    )
    assert config["notes"][0] == (
        f"EndpointConfiguration replaced: the endpoint `dev-iris` runs a {ROLLOUT}; "
        "the old configuration is deleted once the endpoint runs on the new one"
    )
    assert (
        config["id_before"] != config["id_after"]
    )  # autonamed from its inputs: a new name, not add + delete


def test_instance_type_cascades_to_the_endpoint_and_rescales_cpu_targets(instance_type):
    ep = _res(instance_type, "iris")
    assert ep["action"] == "update"
    assert [(c["path"], c["follows"]) for c in ep["changes"]] == [("endpointConfigName", "iris-config")]
    assert ep["notes"] == [f"the endpoint `dev-iris` moves to the new configuration by a {ROLLOUT}"]
    # CPU utilization is summed over vCPUs: 2 -> 4 vCPUs doubles the alarm threshold and the scaling target.
    assert [
        (c["path"], c["before"], c["after"]) for c in _res(instance_type, "iris-alarm-cpu")["changes"]
    ] == [("threshold", 170, 340)]
    assert [
        (c["before"], c["after"]) for c in _res(instance_type, "iris-scale-on-utilization")["changes"]
    ] == [(140, 280)]


def test_instance_type_cost_delta(instance_type):
    # ml.c5.large $0.102/h -> ml.m5.xlarge $0.230/h, 1..4 instances, 730 h.
    assert instance_type["cost"]["delta"] == {"min": 93.44, "max": 373.76}
    md = markdown(instance_type)
    assert "(**+$93.44** min, **+$373.76** max)" in md
    assert (
        "| ml.m5.xlarge instances | - | $167.90 – $671.60 (1..4 x $0.230/h x 730 h) | +$167.90 – +$671.60 |"
        in md
    )


def test_instance_type_markdown_names_replacement_cause_and_input(instance_type):
    md = markdown(instance_type)
    assert "**0 to add, 3 to change, 1 to replace, 0 to delete**" in md
    assert "> **1 to replace:** `iris-config` (EndpointConfiguration)" in md
    assert (
        "- `iris-config` (EndpointConfiguration) **is replaced** because `productionVariants[variantName=primary].instanceType` "
        "changes (`ml.c5.large` → `ml.m5.xlarge`): SageMaker has no UpdateEndpointConfig API"
    ) in md
    assert (
        "| `iris-config` | `productionVariants[variantName=primary].instanceType` (replaces) | `ml.c5.large` | `ml.m5.xlarge` |"
        in md
    )


def test_instance_type_on_an_autoscaled_variant_is_a_transition_error(instance_type):
    # policy.transitions (issue 7): SageMaker refuses the instance type change while the variant autoscales.
    rules = {(f["rule"], f["severity"]) for f in instance_type["findings"]["transitions"]}
    assert ("aws-autoscaled-instance-type-change", "error") in rules
    assert "**risk of this change** error `aws-autoscaled-instance-type-change`" in markdown(instance_type)


# ---- model change ----------------------------------------------------------------------------------------
def test_model_change_cascades_model_to_config_to_endpoint(model_change):
    assert summary_line(model_change) == "0 to add, 1 to change, 3 to replace, 0 to delete"
    artifact = _res(model_change, "iris-model-artifact")
    assert artifact["action"] == "replace" and [c["path"] for c in artifact["causes"]] == ["key"]
    model = _res(model_change, "iris-model")
    assert model["action"] == "replace"
    assert model["follows"] == ["iris-model-artifact"]
    assert {c["path"] for c in model["causes"]} == {
        "primaryContainer.environment.MLINFRA_MODEL_DIGEST",
        "primaryContainer.modelDataUrl",
    }
    assert model["notes"][0].startswith("Model replaced: a new SageMaker model `iris-model-")
    assert model["notes"][0].endswith(
        "the endpoint configuration `iris-config` that names it is replaced with it"
    )
    config = _res(model_change, "iris-config")
    assert config["action"] == "replace"
    assert [(c["path"], c.get("follows")) for c in config["causes"]] == [
        ("productionVariants[variantName=primary].modelName", "iris-model")
    ]
    ep = _res(model_change, "iris")
    assert ep["action"] == "update" and ep["follows"] == ["iris-config"]
    assert model_change["cost"]["delta"] == {"min": 0.0, "max": 0.0}


def test_model_change_graph_draws_the_cascade(model_change):
    g = mermaid(model_change)
    ids = {line.split("[")[0].strip(): line for line in g.splitlines() if "<br/>" in line}
    name = {v.split('["')[1].split("<br/>")[0]: k for k, v in ids.items()}
    assert f'{name["iris-model-artifact"]} -->|"modelDataUrl"| {name["iris-model"]}' in g
    assert f'{name["iris-model"]} -->|"modelName"| {name["iris-config"]}' in g
    assert f'{name["iris-config"]} -->|"endpointConfigName"| {name["iris"]}' in g
    assert "classDef replace" in g


def test_model_change_snapshot(base, model_v2_plan):
    """The whole comment, byte for byte (UPDATE_SNAPSHOTS=1 rewrites it after an intended change).
    Without policy transitions, so that a reworded policy message does not break this snapshot."""
    md = markdown(diff_plans(base, model_v2_plan, transitions=[]))
    path = SNAPSHOTS / "model-change.md"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(md)
    assert path.exists(), f"no snapshot at {path}: run UPDATE_SNAPSHOTS=1 pytest tests/diff and review it"
    assert md == path.read_text(), (
        "the diff comment changed: review it, then UPDATE_SNAPSHOTS=1 pytest tests/diff"
    )


# ---- new alert -------------------------------------------------------------------------------------------
def test_new_alert_adds_an_alarm_and_updates_the_dashboard(new_alert):
    assert summary_line(new_alert) == "1 to add, 1 to change, 0 to replace, 0 to delete"
    assert _res(new_alert, "iris-alarm-memory")["action"] == "add"
    dash = _res(new_alert, "iris-dashboard")
    # The dashboard body is a JSON document in a string: compared as parsed JSON paths.
    assert [c["path"] for c in dash["changes"]] == ["dashboardBody.widgets[4].properties.alarms"]
    assert new_alert["cost"]["delta"] == {"min": 0.1, "max": 0.1}
    assert "(**+$0.10**)" in markdown(new_alert)


# ---- endpoint removed ------------------------------------------------------------------------------------
def test_endpoint_removed_deletes_its_resources_and_its_cost(endpoint_removed):
    assert summary_line(endpoint_removed) == "0 to add, 0 to change, 0 to replace, 27 to delete"
    gone = _ep(endpoint_removed, "iris-b")
    assert gone["status"] == "removed"
    assert gone["counts"] == {"add": 0, "update": 0, "replace": 0, "delete": 27}
    assert gone["cost"]["after"] is None and gone["cost"]["delta"] == {"min": -78.86, "max": -302.24}
    assert _ep(endpoint_removed, "iris")["status"] == "unchanged"
    md = markdown(endpoint_removed)
    assert "#### endpoint `iris-b` (endpoint removed)" in md
    assert "(**-$78.86** min, **-$302.24** max)" in md
    assert (
        "> **Protected resources deleted:** `iris-b-artifacts`, `iris-b-key` (`pulumi up` stops on them)"
        in md
    )
    assert "the endpoint `dev-iris-b` is deleted: its clients fail" in md


# ---- determinism, formats, gates -------------------------------------------------------------------------
def test_same_plans_give_byte_identical_comments(base, instance_type_plan, instance_type):
    again = diff_plans(json.loads(json.dumps(base)), json.loads(json.dumps(instance_type_plan)))
    assert markdown(again) == markdown(instance_type)
    assert to_json(again) == to_json(instance_type)


def test_no_change_says_so(base):
    d = diff_plans(base, base)
    assert summary_line(d) == "0 to add, 0 to change, 0 to replace, 0 to delete"
    assert d["resources"] == [] and mermaid(d) == ""
    assert "· monthly cost $78.86 – $302.24 (**$0.00**)" in markdown(d)


@pytest.mark.parametrize(
    "x, text", [(12.34, "+$12.34"), (-5, "-$5.00"), (0, "$0.00"), (1234.5, "+$1,234.50"), (-0.004, "$0.00")]
)
def test_signed_money(x, text):
    assert signed(x) == text


def _write(tmp_path, name, plan):
    p = tmp_path / name
    p.write_text(json.dumps(plan))
    return str(p)


def test_cli_exit_codes_and_gates(tmp_path, capsys, base, scale_up_plan, instance_type_plan):
    b = _write(tmp_path, "base.json", base)
    scale = _write(tmp_path, "scale.json", scale_up_plan)
    itype = _write(tmp_path, "itype.json", instance_type_plan)
    assert cli_diff(b, scale, "markdown") == 0
    assert cli_diff(b, scale, "markdown", ["replace,delete"]) == 0
    assert cli_diff(b, scale, "markdown", ["cost:+100"]) == 1
    assert cli_diff(b, scale, "markdown", ["cost:+300"]) == 0
    assert cli_diff(b, scale, "markdown", ["cost:+50%"]) == 1  # 297.84 / 302.24 = 98.5%
    out = capsys.readouterr()
    assert "**CI gate: failed** – cost:+50%: the monthly maximum rises by +$297.84 (98.5%)" in out.out
    assert "mlinfra diff: cost:+50%" in out.err
    # the instance type change brings a new error transition: exit 1 without any gate
    assert cli_diff(b, itype, "json") == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["gates"]["failed"] is True and doc["summary"]["replace"] == 1
    assert cli_diff(b, str(tmp_path / "missing.json")) == 2
    (tmp_path / "bad.json").write_text("{not json")
    assert cli_diff(b, str(tmp_path / "bad.json")) == 2
    (tmp_path / "other.json").write_text('{"hello": 1}')
    assert cli_diff(b, str(tmp_path / "other.json")) == 2
    assert cli_diff(b, scale, "markdown", ["sometimes"]) == 2
    assert cli_diff(b, scale, "yaml") == 2
    err = capsys.readouterr().err
    assert (
        "unknown --fail-on gate(s): sometimes" in err
        and "not an mlinfra plan" in err
        and "is not JSON" in err
    )


def test_text_format_renders(tmp_path, capsys, base, scale_up_plan):
    assert cli_diff(_write(tmp_path, "b.json", base), _write(tmp_path, "h.json", scale_up_plan), "text") == 0
    out = capsys.readouterr().out
    assert "0 to add, 1 to change, 0 to replace, 0 to delete" in out
    assert "maxCapacity: 4 -> 8" in out
