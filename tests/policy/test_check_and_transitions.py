"""``mlinfra check`` (policy.cli.check) on plan files, and ``policy.transitions`` on pairs of plans."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from policy import evaluate, transitions
from policy.cli import check, rules_table
from tests.policy.conftest import one, rules_of


def run_check(path: Path, fmt: str = "text") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = check(str(path), fmt, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, plan: Any, name: str = "plan.json") -> Path:
    p = tmp_path / name
    p.write_text(plan if isinstance(plan, str) else json.dumps(plan))
    return p


def test_clean_plan_exits_0(tmp_path: Path, dev_plan: dict[str, Any]) -> None:
    code, out, _ = run_check(write(tmp_path, dev_plan))
    assert code == 0
    assert "0 error(s), 0 warning(s)" in out


def test_plan_edited_by_hand_is_judged_from_its_resources(tmp_path: Path, dev_plan: dict[str, Any]) -> None:
    one(dev_plan, "aws:kms/key:Key")["inputs"]["enableKeyRotation"] = False
    dev_plan["findings"] = []  # a file that claims to be clean
    code, out, _ = run_check(write(tmp_path, dev_plan), "json")
    assert code == 1
    report = json.loads(out)
    assert report["summary"]["errors"] == 1
    assert report["findings"] == evaluate(dev_plan)
    assert report["findings"][0]["rule"] == "aws-kms-key-rotation"


def test_claimed_findings_are_ignored(tmp_path: Path, dev_plan: dict[str, Any]) -> None:
    dev_plan["findings"] = [
        {"rule": "made-up", "severity": "error", "resource": "x", "message": "m", "anchors": []}
    ]
    assert run_check(write(tmp_path, dev_plan))[0] == 0


def test_warnings_only_exit_0(tmp_path: Path, dev_plan: dict[str, Any]) -> None:
    one(dev_plan, "aws:cloudwatch/logGroup:LogGroup")["inputs"].pop("kmsKeyId")
    code, out, _ = run_check(write(tmp_path, dev_plan))
    assert code == 0 and "WARNING aws-log-group-encrypted" in out


def test_findings_are_sorted_and_stable(dev_plan: dict[str, Any]) -> None:
    one(dev_plan, "aws:kms/key:Key")["inputs"]["enableKeyRotation"] = False
    one(dev_plan, "aws:cloudwatch/logGroup:LogGroup")["inputs"].pop("kmsKeyId")
    one(dev_plan, "aws:s3/bucket:Bucket")["protect"] = False
    first = evaluate(dev_plan)
    dev_plan["resources"].reverse()
    assert evaluate(dev_plan) == first
    assert [f["severity"] for f in first] == ["error", "warning", "warning"]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "a plan is a JSON object"),
        ('{"resources": {}}', "'resources' must be a list"),
        ('{"resources": [1]}', "resources[0] must be an object"),
        ('{"resources": [{"urn": "", "type": "t"}]}', "resources[0].urn must be a non-empty string"),
        (
            '{"resources": [{"urn": "u", "type": "t", "inputs": "x"}]}',
            "resources[0].inputs must be an object",
        ),
        ('{"resources": [{"urn": "u", "type": "t"}, {"urn": "u", "type": "t"}]}', "appears twice"),
        ('{"profile": "staging", "resources": []}', "'profile' must be dev or prod"),
    ],
)
def test_fails_invalid_plan_file_exits_2(tmp_path: Path, content: str, needle: str) -> None:
    code, out, err = run_check(write(tmp_path, content))
    assert code == 2 and needle in err and out == ""


def test_fails_missing_file_and_bad_format(tmp_path: Path) -> None:
    assert run_check(tmp_path / "nope.json")[0] == 2
    assert run_check(write(tmp_path, {"resources": []}), "yaml")[0] == 2


def test_rules_table_lists_every_rule_with_anchors() -> None:
    from policy.engine import load_rules

    table = rules_table()
    for rule in load_rules().values():
        assert f"`{rule.id}`" in table and rule.anchors[0] in table


# ------------------------------------------------------------------------------------------- transitions
def _config(plan: dict[str, Any]) -> dict[str, Any]:
    return one(plan, "aws:sagemaker/endpointConfiguration:EndpointConfiguration")


def _new_config(plan: dict[str, Any], instance_type: str | None = None) -> None:
    cfg = _config(plan)
    if instance_type:
        cfg["inputs"]["productionVariants"][0]["instanceType"] = instance_type
    cfg["id"] = cfg["outputs"]["name"] = "iris-config-0000000"
    one(plan, "aws:sagemaker/endpoint:Endpoint")["inputs"]["endpointConfigName"] = "iris-config-0000000"


def test_same_plan_has_no_transition_findings(dev_plan: dict[str, Any]) -> None:
    assert transitions(dev_plan, dev_plan) == []


def test_fails_instance_type_change_on_autoscaled_variant(dev_plan: dict[str, Any]) -> None:
    import copy

    head = copy.deepcopy(dev_plan)
    _new_config(head, "ml.c5.xlarge")
    found = transitions(dev_plan, head)
    assert rules_of(found) == {"aws-autoscaled-instance-type-change", "aws-autoscaled-capacity-reset"}
    err = next(f for f in found if f["severity"] == "error")
    assert (
        "from ml.c5.large to ml.c5.xlarge" in err["message"]
        and "autoscaling.enabled: false" in err["message"]
    )


def test_fails_even_when_head_drops_the_scaling_target(dev_plan: dict[str, Any]) -> None:
    """Pulumi deletes last: the endpoint update runs while the old target still exists."""
    import copy

    head = copy.deepcopy(dev_plan)
    _new_config(head, "ml.c5.xlarge")
    head["resources"] = [r for r in head["resources"] if r["type"] != "aws:appautoscaling/target:Target"]
    assert "aws-autoscaled-instance-type-change" in rules_of(transitions(dev_plan, head))


def test_passes_instance_type_change_without_autoscaling(dev_plan: dict[str, Any]) -> None:
    import copy

    base = copy.deepcopy(dev_plan)
    base["resources"] = [r for r in base["resources"] if r["type"] != "aws:appautoscaling/target:Target"]
    head = copy.deepcopy(base)
    _new_config(head, "ml.c5.xlarge")
    assert transitions(base, head) == []


def test_warns_capacity_reset_on_new_model(dev_plan: dict[str, Any]) -> None:
    import copy

    head = copy.deepcopy(dev_plan)
    _new_config(head)
    found = transitions(dev_plan, head)
    assert [f["rule"] for f in found] == ["aws-autoscaled-capacity-reset"]
    assert "restarts at 1 instance(s)" in found[0]["message"]


def test_warns_azure_instance_type_change() -> None:
    dep = {
        "urn": "u",
        "type": "azure-native:machinelearningservices:OnlineDeployment",
        "name": "blue",
        "inputs": {"properties": {"instanceType": "Standard_DS3_v2"}},
    }
    head = json.loads(json.dumps(dep))
    head["inputs"]["properties"]["instanceType"] = "Standard_NC4as_T4_v3"
    found = transitions({"resources": [dep]}, {"resources": [head]})
    assert rules_of(found) == {"azure-deployment-instance-type-change"}


def test_transitions_stays_a_function_after_the_submodule_is_imported() -> None:
    import importlib

    import policy

    importlib.import_module("policy.transitions")
    from policy.transitions import evaluate_transition  # noqa: F401

    assert callable(policy.transitions) and policy.transitions.__name__ == "transitions"


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def test_hand_edited_values_of_any_type_never_crash_the_rules(dev_plan: dict[str, Any]) -> None:
    """Every input of every resource replaced, one at a time, by values of the wrong type: the rules judge, never raise."""
    import copy

    weird = [None, 7, "x", [], {}, [1, "a"], {"a": None}, True]
    n = 0
    for i, r in enumerate(dev_plan["resources"]):
        for path in _paths(r["inputs"]):
            for w in weird[(n % 4) : (n % 4) + 4]:
                plan = copy.deepcopy(dev_plan)
                node = plan["resources"][i]["inputs"]
                for p in path[:-1]:
                    node = node[p]
                node[path[-1]] = w
                findings = evaluate(plan)
                assert all(f["severity"] in ("error", "warning") for f in findings)
            n += 1
    assert n > 100
    assert transitions(dev_plan, copy.deepcopy(dev_plan)) == []


@pytest.mark.parametrize("cloud", ["azure", "gcp"])
def test_hand_edited_azure_and_gcp_values_never_crash_the_rules(cloud: str) -> None:
    import copy

    from tests.policy.test_rules_azure_gcp import azure_stack, gcp_stack

    base = azure_stack() if cloud == "azure" else gcp_stack()
    for i, r in enumerate(base["resources"]):
        for path in _paths(r["inputs"]):
            for w in (None, 7, "x", [], {}, [1, "a"]):
                plan = copy.deepcopy(base)
                node = plan["resources"][i]["inputs"]
                for p in path[:-1]:
                    node = node[p]
                node[path[-1]] = w
                evaluate(plan)
                transitions(base, plan)


def test_mlinfra_check_command_on_a_hand_edited_plan(tmp_path: Path, dev_plan: dict[str, Any]) -> None:
    """Through the real command line: a clean plan exits 0; the same plan with rotation turned off by hand exits 1."""
    from typer.testing import CliRunner

    from mlinfra.cli import app

    clean = write(tmp_path, dev_plan, "clean.json")
    assert CliRunner().invoke(app, ["check", str(clean)]).exit_code == 0
    one(dev_plan, "aws:kms/key:Key")["inputs"]["enableKeyRotation"] = False
    edited = write(tmp_path, dev_plan, "edited.json")
    result = CliRunner().invoke(app, ["check", str(edited), "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["findings"][0]["rule"] == "aws-kms-key-rotation"
    assert CliRunner().invoke(app, ["check", str(write(tmp_path, "{", "broken.json"))]).exit_code == 2
