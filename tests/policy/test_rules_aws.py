"""Every AWS rule (and the cross-cloud protection rule) on the dev stack's real plan: the plan as declared
passes; one targeted edit makes the rule fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from policy import evaluate
from policy.engine import load_rules
from tests.policy.conftest import edit_doc, one, resource, rules_of

KEY = "aws:kms/key:Key"
BUCKET = "aws:s3/bucket:Bucket"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
MODEL = "aws:sagemaker/model:Model"
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
TARGET = "aws:appautoscaling/target:Target"
TOPIC = "aws:sns/topic:Topic"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def inputs(plan: dict[str, Any], typ: str, name: str | None = None) -> dict[str, Any]:
    return one(plan, typ, name)["inputs"]


def add_statement(plan: dict[str, Any], typ: str, key: str, stmt: dict[str, Any]) -> None:
    edit_doc(one(plan, typ), key, lambda d: d["Statement"].append(stmt))


def remove(plan: dict[str, Any], typ: str) -> None:
    plan["resources"] = [r for r in plan["resources"] if r["type"] != typ]


def prod_ready(plan: dict[str, Any]) -> None:
    plan["profile"] = "prod"
    inputs(plan, CONFIG)["productionVariants"][0]["initialInstanceCount"] = 2
    inputs(plan, TARGET)["minCapacity"] = 2
    plan["resources"].append(
        resource(
            "aws:s3/bucketLogging:BucketLogging",
            "iris-artifacts-logging",
            {"bucket": one(plan, BUCKET)["id"], "targetBucket": "logs"},
        )
    )


def _rollback_alarms(plan: dict[str, Any], names: list[str]) -> None:
    inputs(plan, ENDPOINT)["deploymentConfig"]["autoRollbackConfiguration"]["alarms"] = [
        {"alarmName": n} for n in names
    ]


def _gpu(plan: dict[str, Any], keep_key: bool) -> None:
    cfg = inputs(plan, CONFIG)
    cfg["productionVariants"][0]["instanceType"] = "ml.g5.xlarge"
    if not keep_key:
        cfg.pop("kmsKeyArn")


Edit = Callable[[dict[str, Any]], None]

# rule id -> (edit that must FAIL the rule, edit after which the rule must PASS (None: the plan as declared))
CASES: dict[str, tuple[Edit, Edit | None]] = {
    "aws-kms-key-rotation": (lambda p: inputs(p, KEY).update(enableKeyRotation=False), None),
    "aws-kms-key-policy": (
        lambda p: add_statement(
            p,
            KEY,
            "policy",
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"},
        ),
        None,
    ),
    "aws-iam-role-trust": (
        lambda p: edit_doc(
            one(p, ROLE), "assumeRolePolicy", lambda d: d["Statement"][0].update(Principal="*")
        ),
        None,
    ),
    "aws-iam-no-wildcard-actions": (
        lambda p: add_statement(
            p,
            ROLE_POLICY,
            "policy",
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::x/models/*"},
        ),
        None,
    ),
    "aws-iam-no-wildcard-resources": (
        lambda p: add_statement(
            p,
            ROLE_POLICY,
            "policy",
            {"Effect": "Allow", "Action": ["sagemaker:InvokeEndpoint"], "Resource": "*"},
        ),
        None,
    ),
    "aws-iam-no-managed-full-access": (
        lambda p: p["resources"].append(
            resource(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "extra",
                {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"},
            )
        ),
        None,
    ),
    "aws-sagemaker-execution-role": (
        lambda p: edit_doc(
            one(p, ROLE),
            "assumeRolePolicy",
            lambda d: d["Statement"][0].update(
                Principal={"Service": ["sagemaker.amazonaws.com", "ec2.amazonaws.com"]}
            ),
        ),
        None,
    ),
    "aws-sagemaker-role-reads-its-model": (
        lambda p: edit_doc(
            one(p, ROLE_POLICY),
            "policy",
            lambda d: d["Statement"][0].update(Resource=[f"arn:aws:s3:::{one(p, BUCKET)['id']}/*"]),
        ),
        None,
    ),
    "aws-s3-cmk-encryption": (
        lambda p: inputs(
            p, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        )["rules"][0]["applyServerSideEncryptionByDefault"].update(sseAlgorithm="AES256"),
        None,
    ),
    "aws-s3-versioning": (
        lambda p: inputs(p, "aws:s3/bucketVersioning:BucketVersioning")["versioningConfiguration"].update(
            status="Suspended"
        ),
        None,
    ),
    "aws-s3-lifecycle": (
        lambda p: remove(p, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"),
        None,
    ),
    "aws-s3-public-access-block": (
        lambda p: inputs(p, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").update(
            blockPublicPolicy=False
        ),
        None,
    ),
    "aws-s3-acls-disabled": (
        lambda p: inputs(p, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")["rule"].update(
            objectOwnership="ObjectWriter"
        ),
        None,
    ),
    "aws-s3-tls-only": (
        lambda p: edit_doc(
            one(p, "aws:s3/bucketPolicy:BucketPolicy"), "policy", lambda d: d.update(Statement=[])
        ),
        None,
    ),
    "aws-s3-access-logging": (lambda p: p.update(profile="prod"), prod_ready),
    "aws-s3-object-kms": (
        lambda p: inputs(p, "aws:s3/bucketObjectv2:BucketObjectv2").update(serverSideEncryption="AES256"),
        None,
    ),
    "aws-sagemaker-network-isolation": (
        lambda p: inputs(p, MODEL).update(enableNetworkIsolation=False),
        lambda p: inputs(p, MODEL).update(
            enableNetworkIsolation=False, tags={"mlinfra-isolation-opt-out": "calls a feature store"}
        ),
    ),
    "aws-sagemaker-endpoint-config-kms": (
        lambda p: inputs(p, CONFIG).pop("kmsKeyArn"),
        lambda p: _gpu(p, keep_key=False),
    ),
    "aws-sagemaker-capture-encrypted": (
        lambda p: inputs(p, CONFIG).update(
            dataCaptureConfig={
                "enableCapture": True,
                "initialSamplingPercentage": 5,
                "destinationS3Uri": "s3://b/capture",
            }
        ),
        None,
    ),
    "aws-sagemaker-rollback-alarms": (lambda p: _rollback_alarms(p, ["dev-iris-latency-p99"] * 11), None),
    "aws-sagemaker-rollback-alarms-declared": (lambda p: _rollback_alarms(p, ["dev-iris-typo"]), None),
    "aws-prod-endpoint-guardrails": (lambda p: p.update(profile="prod"), prod_ready),
    "aws-autoscaling-range": (lambda p: inputs(p, TARGET).update(minCapacity=5), None),
    "aws-sns-topic-encrypted": (lambda p: inputs(p, TOPIC).pop("kmsMasterKeyId"), None),
    "aws-cloudwatch-alarm-actions": (
        lambda p: inputs(p, ALARM, "iris-alarm-cpu").update(alarmActions=[]),
        None,
    ),
    "aws-alarm-topic-notifies": (lambda p: remove(p, "aws:sns/topicSubscription:TopicSubscription"), None),
    "aws-log-group-encrypted": (
        lambda p: inputs(p, "aws:cloudwatch/logGroup:LogGroup").pop("kmsKeyId"),
        None,
    ),
    "aws-kms-grants": (
        lambda p: p["resources"].append(
            resource(
                "aws:kms/grant:Grant", "g", {"keyId": "k", "granteePrincipal": "*", "operations": ["Decrypt"]}
            )
        ),
        lambda p: p["resources"].append(
            resource(
                "aws:kms/grant:Grant",
                "g",
                {
                    "keyId": "k",
                    "granteePrincipal": "arn:aws:iam::123456789012:role/x",
                    "operations": ["Decrypt"],
                },
            )
        ),
    ),
    "stateful-resources-protected": (
        lambda p: one(p, BUCKET).update(protect=False),
        lambda p: one(p, BUCKET).update(protect=False, retainOnDelete=True),
    ),
}


def test_every_aws_rule_has_a_case() -> None:
    ids = {r.id for r in load_rules().values() if r.cloud in ("aws", "any")}
    assert ids == set(CASES)


def test_dev_plan_has_no_findings(dev_plan: dict[str, Any]) -> None:
    assert evaluate(dev_plan) == []


@pytest.mark.parametrize("rule", sorted(CASES))
def test_passes(rule: str, dev_plan: dict[str, Any]) -> None:
    fix = CASES[rule][1]
    if fix is not None:
        fix(dev_plan)
    assert rule not in rules_of(evaluate(dev_plan))


@pytest.mark.parametrize("rule", sorted(CASES))
def test_fails(rule: str, dev_plan: dict[str, Any]) -> None:
    CASES[rule][0](dev_plan)
    found = [f for f in evaluate(dev_plan) if f["rule"] == rule]
    assert found, f"{rule} did not fire"
    f = found[0]
    r = load_rules()[rule]
    assert f["severity"] == r.severity
    assert f["anchors"] == list(r.anchors)
    assert "Fix:" in f["message"] or r.fix in f["message"]
    assert any(x["urn"] == f["resource"] for x in dev_plan["resources"])


def test_fails_nvme_type_with_volume_key(dev_plan: dict[str, Any]) -> None:
    _gpu(dev_plan, keep_key=True)
    msgs = [f["message"] for f in evaluate(dev_plan) if f["rule"] == "aws-sagemaker-endpoint-config-kms"]
    assert msgs and "ml.g5.xlarge has local NVMe storage" in msgs[0]


def test_fails_key_without_policy(dev_plan: dict[str, Any]) -> None:
    inputs(dev_plan, KEY).pop("policy")
    assert "aws-kms-key-policy" in rules_of(evaluate(dev_plan))


def test_ecr_login_and_describe_may_use_wildcard_resource(dev_plan: dict[str, Any]) -> None:
    add_statement(
        dev_plan,
        ROLE_POLICY,
        "policy",
        {"Effect": "Allow", "Action": ["ec2:DescribeSubnets", "ecr:GetAuthorizationToken"], "Resource": "*"},
    )
    assert "aws-iam-no-wildcard-resources" not in rules_of(evaluate(dev_plan))


def test_isolation_opt_out_by_plan_note(dev_plan: dict[str, Any]) -> None:
    inputs(dev_plan, MODEL)["enableNetworkIsolation"] = False
    dev_plan["notes"] = [
        {
            "rule": "aws-sagemaker-network-isolation",
            "resource": "iris-model",
            "reason": "calls a feature store",
        }
    ]
    assert "aws-sagemaker-network-isolation" not in rules_of(evaluate(dev_plan))


def test_isolation_opt_out_runs_through_the_component(project, run_stack) -> None:
    """The component records network.isolationOptOutReason as the model tag the rule reads."""
    config = project.base()["config"]
    config["mlinfra:endpoints"]["iris"]["network"] = {
        "isolation": False,
        "isolationOptOutReason": "calls a feature store",
    }
    project.write("optout", config)
    run = run_stack("optout", project.dir)
    model = run.one(MODEL)
    assert model["inputs"]["enableNetworkIsolation"] is False
    assert model["inputs"]["tags"]["mlinfra-isolation-opt-out"] == "calls a feature store"
    assert "aws-sagemaker-network-isolation" not in rules_of(evaluate({"resources": run.resources}))
