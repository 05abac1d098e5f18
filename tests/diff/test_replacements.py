"""The replacement rules (components/catalog/replacements.py): sourced, matching real provider inputs, covering
every resource type the three components declare; and the diff's value handling on small synthetic plans."""

from __future__ import annotations

import copy
import importlib
import inspect
import re
from pathlib import Path

import pytest

from components.catalog import replacements as rp
from stacks.diff import SECRET, diff_plans, markdown
from tests.diff.conftest import base_config, endpoint
from tests.diff.test_diff_clouds import azure, gcp

ROOT = Path(__file__).resolve().parents[2]


def test_every_rule_has_a_source_a_reason_and_a_consequence():
    for r in rp.RULES:
        assert r.paths and r.why and r.consequence, r
        assert r.source.startswith("https://") or (ROOT / r.source).is_file(), (
            f"{r.type}: source {r.source!r}"
        )
    for n in rp.UPDATE_NOTES:
        assert n.source.startswith("https://") or (ROOT / n.source).is_file(), n


def _provider_inputs(type_: str) -> set[str] | None:
    """The camelCase input names of a provider resource type, from the installed SDK's signature."""
    pkg, module, name = type_.split(":")
    if pkg.startswith("pulumi-python"):
        return None
    mod = {"aws": "pulumi_aws", "gcp": "pulumi_gcp", "azure-native": "pulumi_azure_native"}[pkg]
    cls = getattr(importlib.import_module(f"{mod}.{module.split('/')[0]}"), name)
    params = [
        p
        for p in inspect.signature(cls._internal_init).parameters
        if p not in ("__self__", "resource_name", "opts", "__props__")
    ]
    # A trailing underscore avoids a clash with a Python name (resource_name_): the wire name has none.
    return {re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), p.rstrip("_")) for p in params}


@pytest.mark.parametrize("cloud", ["aws", "azure-native", "gcp"])
def test_rule_paths_are_inputs_of_the_provider_resource(cloud):
    """Each rule names inputs the provider SDK really has (catches typos and renamed arguments)."""
    problems = []
    for r in rp.RULES:
        if not r.type.startswith(cloud + ":"):
            continue
        inputs = _provider_inputs(r.type)
        if inputs is None:
            continue
        for p in r.paths:
            top = rp.split_path(p)[0]
            if p != "*" and top not in inputs:
                problems.append(f"{r.type}: {p} (inputs: {sorted(inputs)})")
    assert not problems, "\n".join(problems)


def test_dynamic_rules_match_the_providers_own_diff():
    from components.gcp.deploy import REPLACE_KEYS

    (vertex,) = rp.rules_for("pulumi-python:dynamic/mlinfra:VertexDeployment")
    assert set(vertex.paths) == set(REPLACE_KEYS)


@pytest.fixture(scope="session")
def declared_types(plan_for):
    aws_cfg = copy.deepcopy(base_config())
    plans = [
        plan_for("base", aws_cfg),
        plan_for("az-base", azure(), stack="azdev"),
        plan_for("gcp-base", gcp(), stack="gcpdev"),
        plan_for("gcp-cloudrun", gcp(backend="cloudrun"), stack="gcpdev"),
    ]
    return sorted({r["type"] for p in plans for r in p["resources"] if r["custom"]})


def test_every_declared_resource_type_has_replacement_rules(declared_types):
    missing = [t for t in declared_types if not rp.rules_for(t)]
    assert not missing, f"add replacement rules for {missing} to components/catalog/replacements.py"
    assert len(declared_types) >= 40


@pytest.mark.parametrize(
    "pattern, path, matches",
    [
        ("productionVariants[*].instanceType", "productionVariants[variantName=primary].instanceType", True),
        ("productionVariants[*].instanceType", "productionVariants[0].instanceType", True),
        ("productionVariants[*].instanceType", "productionVariants[0].modelName", False),
        ("properties.instanceType", "properties.instanceType", True),
        ("properties", "properties.model", True),
        ("properties.model", "properties", False),
        ("name", "namePrefix", False),
        ("*", "anything.at[3].all", True),
    ],
)
def test_path_matches(pattern, path, matches):
    assert rp.path_matches(pattern, path) is matches


def test_tags_never_replace_a_config_and_any_other_input_does():
    t = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
    assert rp.replacing(t, "tags.team") is None
    assert rp.replacing(t, "dataCaptureConfig.initialSamplingPercentage") is not None
    assert (
        rp.replacing(
            "azure-native:machinelearningservices:OnlineDeployment", "properties.instanceType"
        ).effect
        == "azure-deployment"
    )
    assert rp.replacing("azure-native:machinelearningservices:OnlineDeployment", "sku.capacity") is None


# ---- values, on small synthetic plans --------------------------------------------------------------------
def _plan(
    inputs: dict, stack: str = "dev", rid: str = "r-1", typ: str = "aws:iam/rolePolicy:RolePolicy"
) -> dict:
    return {
        "stack": stack,
        "cloud": "aws",
        "region": "us-east-1",
        "endpoints": [],
        "resources": [
            {
                "urn": f"urn:pulumi:{stack}::mlinfra::{typ}::p",
                "type": typ,
                "name": "p",
                "custom": True,
                "id": rid,
                "inputs": inputs,
                "outputs": {},
            }
        ],
        "findings": [],
        "cost": {"currency": "USD", "monthly_min": 0, "monthly_max": 0, "items": []},
    }


def test_policy_documents_are_diffed_as_json_paths_by_sid():
    before = '{"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Action": ["s3:GetObject"]}, {"Sid": "Logs", "Action": ["logs:PutLogEvents"]}]}'
    after = '{"Version": "2012-10-17", "Statement": [{"Sid": "Logs", "Action": ["logs:PutLogEvents"]}, {"Sid": "Read", "Action": ["s3:GetObject", "s3:PutObject"]}]}'
    d = diff_plans(
        _plan({"policy": before, "role": "r"}), _plan({"policy": after, "role": "r"}), transitions=[]
    )
    (e,) = d["resources"]
    assert e["action"] == "update"
    assert [(c["path"], c["before"], c["after"]) for c in e["changes"]] == [
        ("policy.Statement[Sid=Read].Action", ["s3:GetObject"], ["s3:GetObject", "s3:PutObject"])
    ]


def test_secrets_stay_masked_and_secret_looking_names_are_masked():
    d = diff_plans(
        _plan({"password": "hunter2", "settings": {"apiKey": "abc"}, "x": SECRET}),
        _plan({"password": "hunter3", "settings": {"apiKey": "abd"}, "x": SECRET}),
        transitions=[],
    )
    changes = {c["path"]: (c["before"], c["after"]) for c in d["resources"][0]["changes"]}
    assert changes == {"password": (SECRET, SECRET), "settings.apiKey": (SECRET, SECRET)}
    assert "hunter" not in markdown(d) and "abd" not in markdown(d)


def test_a_rename_in_a_named_input_replaces_and_says_why():
    d = diff_plans(_plan({"role": "a", "name": "x"}), _plan({"role": "b", "name": "x"}), transitions=[])
    (e,) = d["resources"]
    assert e["action"] == "replace"
    assert e["causes"][0]["why"] == "an inline role policy cannot be renamed or moved: a new one is created"


def test_unknown_type_with_a_new_id_is_a_replacement_not_add_and_delete():
    t = "example:index/thing:Thing"
    d = diff_plans(
        _plan({"size": 1}, typ=t, rid="thing-aaaa"),
        _plan({"size": 2}, typ=t, rid="thing-bbbb"),
        transitions=[],
    )
    assert d["summary"] == {"add": 0, "update": 0, "replace": 1, "delete": 0, "unchanged": 0}
    assert d["resources"][0]["causes"][0]["path"] == "(id)"


def test_endpoint_key_is_unchanged_in_an_unrelated_endpoint():
    cfg = copy.deepcopy(base_config())
    assert endpoint(cfg)["compute"]["instanceType"] == "ml.c5.large"


def test_findings_new_and_resolved_by_rule_and_resource():
    base, head = _plan({"role": "r"}), _plan({"role": "r"})
    urn = base["resources"][0]["urn"]
    base["findings"] = [
        {"rule": "kept", "severity": "warning", "resource": urn, "message": "m"},
        {"rule": "fixed", "severity": "error", "resource": urn, "message": "was broken"},
    ]
    head["findings"] = [
        {"rule": "kept", "severity": "warning", "resource": urn, "message": "m (reworded)"},
        {"rule": "introduced", "severity": "error", "resource": urn, "message": "now broken"},
    ]
    d = diff_plans(base, head, transitions=[])
    assert [f["rule"] for f in d["findings"]["new"]] == ["introduced"]
    assert [f["rule"] for f in d["findings"]["resolved"]] == ["fixed"]
    md = markdown(d)
    assert "- **new** error `introduced` on `p`: now broken" in md
    assert "- **resolved** error `fixed` on `p`: was broken" in md


def test_a_reference_moving_to_a_new_content_addressed_resource_follows_it():
    t, u = (
        "azure-native:machinelearningservices:ModelVersion",
        "azure-native:machinelearningservices:OnlineDeployment",
    )

    def plan(version: str) -> dict:
        p = _plan(
            {"properties": {"model": f"/models/iris/versions/{version}", "instanceType": "Standard_DS3_v2"}},
            typ=u,
            rid="dep",
        )
        p["resources"].append(
            {
                "urn": f"urn:pulumi:dev::mlinfra::{t}::model-{version}",
                "type": t,
                "name": f"model-{version}",
                "custom": True,
                "id": f"/models/iris/versions/{version}",
                "inputs": {"version": version},
                "outputs": {},
            }
        )
        return p

    d = diff_plans(plan("aaa"), plan("bbb"), transitions=[])
    assert d["summary"] == {"add": 1, "update": 1, "replace": 0, "delete": 1, "unchanged": 0}
    dep = next(e for e in d["resources"] if e["type"] == u)
    assert dep["follows"] == ["model-bbb"] and dep["notes"] == [
        "Azure ML runs a rolling update of the deployment's instances (same instance type)"
    ]
