"""The policy pack's wiring, called with pulumi-policy's own argument types: the same rules, the same verdicts."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy import evaluate
from policy.engine import load_rules
from policy.pack import build_policies
from tests.policy.conftest import ROOT, one


def opts(
    protect: bool = False, parent: str | None = None, ignore: list[str] | None = None
) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, ignore or [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def policies() -> dict[str, Any]:
    return {p.name: p for p in build_policies()}


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []

    def __call__(self, message: str, urn: str | None = None) -> None:
        self.calls.append((message, urn))


def validate_resource(
    policy: ResourceValidationPolicy, r: dict[str, Any], props: dict[str, Any] | None = None
) -> Recorder:
    rec = Recorder()
    args = ResourceValidationArgs(
        r["type"],
        unknown_checking_proxy(props if props is not None else r["inputs"]),
        r["urn"],
        r["name"],
        opts(r.get("protect", False), r.get("parent")),
        None,
        {},
        {},
    )
    policy.validate(args, rec)
    return rec


def stack_args(
    resources: list[dict[str, Any]], profile: str = "dev", unknown: dict[str, tuple[str, str]] | None = None
) -> StackValidationArgs:
    """PolicyResources as the analyzer builds them: props are the state (inputs + outputs), dependencies by URN.

    ``unknown`` maps a resource name to (input key, urn it depends on): that input becomes unknown, with a
    property dependency on the urn, as in a preview of a new stack.
    """
    unknown = unknown or {}
    by_urn: dict[str, PolicyResource] = {}
    for r in resources:
        props = {**r["inputs"], **r.get("outputs", {})}
        deps: dict[str, list[PolicyResource]] = {}
        if r["name"] in unknown:
            key, _ = unknown[r["name"]]
            props[key] = UNKNOWN_STRING_VALUE
        by_urn[r["urn"]] = PolicyResource(
            r["type"],
            unknown_checking_proxy(props),
            r["urn"],
            r["name"],
            opts(r.get("protect", False), r.get("parent")),
            None,
            None,
            [],
            deps,
        )
    for r in resources:
        pr = by_urn[r["urn"]]
        pr.parent = by_urn.get(r.get("parent") or "")
        if r["name"] in unknown:
            key, target = unknown[r["name"]]
            pr.property_dependencies[key] = [by_urn[target]]
    return StackValidationArgs(list(by_urn.values()), {"profile": profile}, {})


def test_one_policy_per_rule_with_enforcement_from_severity() -> None:
    ps = policies()
    rules = load_rules()
    assert set(ps) == set(rules)
    for name, p in ps.items():
        rule = rules[name]
        assert isinstance(p, ResourceValidationPolicy if rule.kind == "resource" else StackValidationPolicy)
        assert p.enforcement_level == (
            EnforcementLevel.MANDATORY if rule.severity == "error" else EnforcementLevel.ADVISORY
        )
        assert all(a in p.description for a in rule.anchors)


def test_resource_policies_pass_the_dev_plan(dev_plan: dict[str, Any]) -> None:
    ps = policies()
    for r in dev_plan["resources"]:
        for p in ps.values():
            if isinstance(p, ResourceValidationPolicy):
                assert validate_resource(p, r).calls == [], (p.name, r["name"])


def test_resource_policy_reports_a_violation(dev_plan: dict[str, Any]) -> None:
    key = one(dev_plan, "aws:kms/key:Key")
    key["inputs"]["enableKeyRotation"] = False
    rec = validate_resource(policies()["aws-kms-key-rotation"], key)
    assert len(rec.calls) == 1
    message, urn = rec.calls[0]
    assert urn == key["urn"]
    assert "key rotation is off" in message and "enable_key_rotation" in message
    # the same finding as the offline plan
    assert [f["message"] for f in evaluate(dev_plan) if f["rule"] == "aws-kms-key-rotation"] == [message]


def test_resource_policy_ignores_other_types(dev_plan: dict[str, Any]) -> None:
    bucket = one(dev_plan, "aws:s3/bucket:Bucket")
    assert validate_resource(policies()["aws-kms-key-rotation"], bucket).calls == []


def test_unknown_values_are_not_violations(dev_plan: dict[str, Any]) -> None:
    topic = one(dev_plan, "aws:sns/topic:Topic")
    rec = validate_resource(
        policies()["aws-sns-topic-encrypted"],
        topic,
        {**topic["inputs"], "kmsMasterKeyId": UNKNOWN_STRING_VALUE},
    )
    assert rec.calls == []


def test_stack_policies_pass_the_dev_plan(dev_plan: dict[str, Any]) -> None:
    args = stack_args(dev_plan["resources"])
    for p in policies().values():
        if isinstance(p, StackValidationPolicy):
            rec = Recorder()
            p.validate(args, rec)
            assert rec.calls == [], p.name


def test_stack_policy_reports_a_violation_with_the_resource_urn(dev_plan: dict[str, Any]) -> None:
    sse = one(
        dev_plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    sse["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] = "AES256"
    rec = Recorder()
    policies()["aws-s3-cmk-encryption"].validate(stack_args(dev_plan["resources"]), rec)
    bucket = one(dev_plan, "aws:s3/bucket:Bucket")
    assert rec.calls and rec.calls[0][1] == bucket["urn"]
    assert "'AES256'" in rec.calls[0][0]


def test_stack_policy_connects_references_unknown_at_preview(dev_plan: dict[str, Any]) -> None:
    """In a preview of a new stack the bucket's id is unknown: property dependencies still connect the controls."""
    bucket = one(dev_plan, "aws:s3/bucket:Bucket")
    names = [
        "iris-artifacts-encryption",
        "iris-artifacts-versioning",
        "iris-artifacts-public-access",
        "iris-artifacts-ownership",
        "iris-artifacts-policy",
        "iris-artifacts-lifecycle",
    ]
    args = stack_args(dev_plan["resources"], unknown={n: ("bucket", bucket["urn"]) for n in names})
    for rule in (
        "aws-s3-cmk-encryption",
        "aws-s3-versioning",
        "aws-s3-public-access-block",
        "aws-s3-acls-disabled",
        "aws-s3-lifecycle",
    ):
        rec = Recorder()
        policies()[rule].validate(args, rec)
        assert rec.calls == [], rule


def test_stack_policy_reads_the_profile_from_policy_config(dev_plan: dict[str, Any]) -> None:
    rec = Recorder()
    policies()["aws-prod-endpoint-guardrails"].validate(
        stack_args(dev_plan["resources"], profile="prod"), rec
    )
    assert any("starts with 1 instance" in m for m, _ in rec.calls)


def test_pack_files_are_valid() -> None:
    import yaml

    meta = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert meta["runtime"]["name"] == "python" and meta["version"]


@pytest.mark.slow
def test_pack_entry_point_serves(tmp_path) -> None:
    """``policy/__main__.py`` builds the pack and prints the analyzer's gRPC port, as the Pulumi CLI expects."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "policy" / "__main__.py")],
        cwd=ROOT / "policy",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        line = proc.stdout.readline().decode().strip()
        assert line.isdigit(), proc.stderr.read().decode() if proc.poll() is not None else line
    finally:
        proc.kill()
        proc.wait()


def test_prod_config_file_is_current() -> None:
    import json

    from policy.pack import prod_config

    assert json.loads((ROOT / "policy" / "prod-config.json").read_text()) == prod_config()
