"""The AWS component under the recording mocks: exact inputs for what matters to users and security."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import PlanRun, edit_endpoint

ENDPOINT = "dev-iris"  # physical name: <stack>-<endpoint key>

# The dev stack's resource graph. A change here is a change in someone's production: update it on purpose.
DEV_GRAPH = [
    ("aws:appautoscaling/policy:Policy", "iris-scale-on-invocations"),
    ("aws:appautoscaling/policy:Policy", "iris-scale-on-utilization"),
    ("aws:appautoscaling/target:Target", "iris-scaling"),
    ("aws:cloudwatch/dashboard:Dashboard", "iris-dashboard"),
    ("aws:cloudwatch/logGroup:LogGroup", "iris-logs"),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "iris-alarm-cpu"),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "iris-alarm-error-rate"),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "iris-alarm-latency-p99"),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "iris-alarm-memory"),
    ("aws:iam/role:Role", "iris-role"),
    ("aws:iam/rolePolicy:RolePolicy", "iris-role-policy"),
    ("aws:kms/alias:Alias", "iris-key-alias"),
    ("aws:kms/key:Key", "iris-key"),
    ("aws:s3/bucket:Bucket", "iris-artifacts"),
    ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "iris-artifacts-lifecycle"),
    ("aws:s3/bucketObjectv2:BucketObjectv2", "iris-model-artifact"),
    ("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "iris-artifacts-ownership"),
    ("aws:s3/bucketPolicy:BucketPolicy", "iris-artifacts-policy"),
    ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "iris-artifacts-public-access"),
    (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "iris-artifacts-encryption",
    ),
    ("aws:s3/bucketVersioning:BucketVersioning", "iris-artifacts-versioning"),
    ("aws:sagemaker/endpoint:Endpoint", "iris"),
    ("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "iris-config"),
    ("aws:sagemaker/model:Model", "iris-model"),
    ("aws:sns/topic:Topic", "iris-alerts"),
    ("aws:sns/topicPolicy:TopicPolicy", "iris-alerts-policy"),
    ("aws:sns/topicSubscription:TopicSubscription", "iris-alerts-email-0"),
    ("mlinfra:aws:Endpoint", "iris"),
]


@pytest.fixture(scope="module")
def dev() -> PlanRun:
    from stacks.plan import load_spec, run_program
    from tests.conftest import ROOT

    spec, config, _ = load_spec("dev", ROOT)
    return PlanRun(*run_program(spec, config))


def variant(project, run_stack, **patch: Any) -> PlanRun:
    cfg = project.base()
    for path, value in patch.items():
        edit_endpoint(cfg, path.replace("__", "."), value)
    return run_stack(project.write("variant", cfg["config"]), project.dir)


def test_dev_graph_snapshot(dev: PlanRun) -> None:
    assert dev.graph() == DEV_GRAPH


def test_every_child_is_parented_to_the_component(dev: PlanRun) -> None:
    component = dev.one("mlinfra:aws:Endpoint")
    assert all(r["parent"] == component["urn"] for r in dev.resources if r["custom"])


def test_kms_key_rotates_and_is_protected(dev: PlanRun) -> None:
    key = dev.one("aws:kms/key:Key")
    assert key["inputs"]["enableKeyRotation"] is True
    assert key["inputs"]["deletionWindowInDays"] == 30
    assert key["protect"] is True
    statements = {s["Sid"]: s for s in dev.doc(key["inputs"]["policy"])["Statement"]}
    assert statements["AccountAdministersTheKey"]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert statements["CloudWatchAlarmsPublishToTheEncryptedTopic"]["Principal"] == {
        "Service": "cloudwatch.amazonaws.com"
    }
    assert all(s["Principal"] != "*" and s["Principal"] != {"AWS": "*"} for s in statements.values())


def test_bucket_is_encrypted_versioned_private_and_protected(dev: PlanRun) -> None:
    bucket = dev.one("aws:s3/bucket:Bucket")
    assert bucket["protect"] is True and bucket["inputs"]["forceDestroy"] is False
    bid = bucket["id"]
    key_arn = dev.one("aws:kms/key:Key")["outputs"]["arn"]
    enc = dev.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")[
        "inputs"
    ]
    assert enc == {
        "bucket": bid,
        "rules": [
            {
                "applyServerSideEncryptionByDefault": {"kmsMasterKeyId": key_arn, "sseAlgorithm": "aws:kms"},
                "bucketKeyEnabled": True,
            }
        ],
    }
    assert dev.one("aws:s3/bucketVersioning:BucketVersioning")["inputs"] == {
        "bucket": bid,
        "versioningConfiguration": {"status": "Enabled"},
    }
    assert dev.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")["inputs"] == {
        "bucket": bid,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    assert dev.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")["inputs"]["rule"] == {
        "objectOwnership": "BucketOwnerEnforced"
    }
    rules = {
        r["id"]: r
        for r in dev.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")["inputs"][
            "rules"
        ]
    }
    assert rules["abort-incomplete-multipart"]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    assert rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 90}


def test_bucket_policy_denies_plain_http(dev: PlanRun) -> None:
    arn = dev.one("aws:s3/bucket:Bucket")["outputs"]["arn"]
    (stmt,) = dev.doc(dev.one("aws:s3/bucketPolicy:BucketPolicy")["inputs"]["policy"])["Statement"]
    assert stmt == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def test_model_artifact_is_content_addressed_and_checksummed(dev: PlanRun) -> None:
    from model_packaging import manifest as mf
    from tests.conftest import ROOT

    man = mf.load(ROOT / "examples/iris/dist")
    obj = dev.one("aws:s3/bucketObjectv2:BucketObjectv2")["inputs"]
    assert obj["key"] == f"models/iris/sha256-{man.digest}/model.tar.gz"
    assert obj["checksumAlgorithm"] == "SHA256"
    assert obj["serverSideEncryption"] == "aws:kms"
    assert obj["metadata"] == {
        "mlinfra-digest": man.digest,
        "mlinfra-sha256": man.files["model.tar.gz"].sha256,
    }
    assert obj["source"]["path"].endswith("examples/iris/dist/model.tar.gz")


def test_role_is_for_sagemaker_only_and_least_privilege(dev: PlanRun) -> None:
    role = dev.one("aws:iam/role:Role")
    trust = dev.doc(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
        }
    ]
    bucket_arn = dev.one("aws:s3/bucket:Bucket")["outputs"]["arn"]
    key_arn = dev.one("aws:kms/key:Key")["outputs"]["arn"]
    log_arn = dev.one("aws:cloudwatch/logGroup:LogGroup")["outputs"]["arn"]
    stmts = {
        s["Sid"]: s
        for s in dev.doc(dev.one("aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"])["Statement"]
    }
    assert stmts["ReadItsModel"]["Action"] == ["s3:GetObject"]
    assert stmts["ReadItsModel"]["Resource"] == [f"{bucket_arn}/models/iris/*"]
    assert stmts["UseItsKeyThroughS3"]["Resource"] == [key_arn]
    assert stmts["UseItsKeyThroughS3"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    }
    assert stmts["WriteItsLogs"]["Resource"] == [f"{log_arn}:*"]
    assert stmts["PullItsImage"]["Resource"] == [
        "arn:aws:ecr:us-east-1:763104351884:repository/sagemaker-tritonserver"
    ]
    for s in stmts.values():
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        assert "*" not in actions and all(a.count(":") == 1 and not a.endswith(":*") for a in actions)
        if s["Resource"] == ["*"]:
            assert actions == ["ecr:GetAuthorizationToken"]  # no resource-level permissions exist for it
    assert "WriteItsCapture" not in stmts  # capture is off in the dev stack


def test_model_uses_triton_with_network_isolation(dev: PlanRun) -> None:
    model = dev.one("aws:sagemaker/model:Model")["inputs"]
    assert model["enableNetworkIsolation"] is True
    assert model["executionRoleArn"] == dev.one("aws:iam/role:Role")["outputs"]["arn"]
    c = model["primaryContainer"]
    assert c["image"] == "763104351884.dkr.ecr.us-east-1.amazonaws.com/sagemaker-tritonserver:25.04-py3"
    assert c["environment"]["SAGEMAKER_TRITON_DEFAULT_MODEL_NAME"] == "iris"
    assert (
        c["modelDataUrl"]
        == f"s3://{dev.one('aws:s3/bucket:Bucket')['id']}/"
        + dev.one("aws:s3/bucketObjectv2:BucketObjectv2")["inputs"]["key"]
    )
    assert "vpcConfig" not in model


def test_endpoint_config_is_autonamed_with_a_kms_volume_key(dev: PlanRun) -> None:
    cfg = dev.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration")
    assert (
        "name" not in cfg["inputs"] and "namePrefix" not in cfg["inputs"]
    )  # autonamed: replaced create-before-delete
    assert (
        cfg["inputs"]["kmsKeyArn"] == dev.one("aws:kms/key:Key")["outputs"]["arn"]
    )  # ml.c5.large is EBS-backed
    assert cfg["inputs"]["productionVariants"] == [
        {
            "variantName": "primary",
            "modelName": dev.one("aws:sagemaker/model:Model")["outputs"]["name"],
            "instanceType": "ml.c5.large",
            "initialInstanceCount": 1,
            "initialVariantWeight": 1,
            "containerStartupHealthCheckTimeoutInSeconds": 600,
            "modelDataDownloadTimeoutInSeconds": 600,
        }
    ]
    assert "dataCaptureConfig" not in cfg["inputs"]


def test_endpoint_rolls_out_canary_with_rollback_on_its_alarms(dev: PlanRun) -> None:
    ep = dev.one("aws:sagemaker/endpoint:Endpoint")["inputs"]
    assert ep["name"] == ENDPOINT
    assert (
        ep["endpointConfigName"]
        == dev.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration")["outputs"]["name"]
    )
    assert ep["deploymentConfig"] == {
        "blueGreenUpdatePolicy": {
            "trafficRoutingConfiguration": {
                "type": "CANARY",
                "waitIntervalInSeconds": 600,
                "canarySize": {"type": "CAPACITY_PERCENT", "value": 10},
            },
            "terminationWaitInSeconds": 0,
            "maximumExecutionTimeoutInSeconds": 3000,
        },
        "autoRollbackConfiguration": {
            "alarms": [{"alarmName": f"{ENDPOINT}-latency-p99"}, {"alarmName": f"{ENDPOINT}-error-rate"}]
        },
    }
    alarm_names = {a["inputs"]["name"] for a in dev.of("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert {f"{ENDPOINT}-latency-p99", f"{ENDPOINT}-error-rate"} <= alarm_names


def test_alarms_have_dimensions_units_and_actions(dev: PlanRun) -> None:
    topic_arn = dev.one("aws:sns/topic:Topic")["outputs"]["arn"]
    dims = {"EndpointName": ENDPOINT, "VariantName": "primary"}
    alarms = {a["name"]: a["inputs"] for a in dev.of("aws:cloudwatch/metricAlarm:MetricAlarm")}
    for a in alarms.values():
        assert a["alarmActions"] == [topic_arn] and a["okActions"] == [topic_arn]
        assert a["evaluationPeriods"] == 5 and a["datapointsToAlarm"] == 5
    lat = alarms["iris-alarm-latency-p99"]
    assert (lat["namespace"], lat["metricName"], lat["extendedStatistic"]) == (
        "AWS/SageMaker",
        "ModelLatency",
        "p99",
    )
    assert lat["threshold"] == 500_000 and lat["unit"] == "Microseconds"  # 500 ms in microseconds
    assert lat["dimensions"] == dims
    err = alarms["iris-alarm-error-rate"]
    queries = {q["id"]: q for q in err["metricQueries"]}
    assert (
        queries["errors"]["metric"]["metricName"] == "Invocation5XXErrors"
        and queries["errors"]["metric"]["dimensions"] == dims
    )
    assert queries["invocations"]["metric"]["metricName"] == "Invocations"
    assert queries["error_rate"]["expression"] == "IF(invocations > 0, 100 * errors / invocations, 0)"
    assert err["threshold"] == 1
    cpu = alarms["iris-alarm-cpu"]
    assert (cpu["namespace"], cpu["metricName"], cpu["dimensions"]) == (
        "/aws/sagemaker/Endpoints",
        "CPUUtilization",
        dims,
    )
    assert cpu["threshold"] == 170  # 85% x 2 vCPUs: SageMaker sums CPU utilization over cores
    assert alarms["iris-alarm-memory"]["threshold"] == 85
    assert "iris-alarm-gpu" not in alarms  # CPU endpoint


def test_topic_is_encrypted_and_notifies_the_team(dev: PlanRun) -> None:
    topic = dev.one("aws:sns/topic:Topic")
    assert topic["inputs"]["kmsMasterKeyId"] == dev.one("aws:kms/key:Key")["outputs"]["arn"]
    sub = dev.one("aws:sns/topicSubscription:TopicSubscription")["inputs"]
    assert (sub["protocol"], sub["endpoint"], sub["topic"]) == (
        "email",
        "ml-oncall@example.com",
        topic["outputs"]["arn"],
    )
    stmts = {
        s["Sid"]: s
        for s in dev.doc(dev.one("aws:sns/topicPolicy:TopicPolicy")["inputs"]["policy"])["Statement"]
    }
    assert stmts["CloudWatchAlarmsPublish"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}


def test_autoscaling_target_and_policies(dev: PlanRun) -> None:
    target = dev.one("aws:appautoscaling/target:Target")["inputs"]
    assert target == {
        "serviceNamespace": "sagemaker",
        "resourceId": f"endpoint/{ENDPOINT}/variant/primary",
        "scalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "minCapacity": 1,
        "maxCapacity": 4,
    }
    policies = {p["name"]: p["inputs"] for p in dev.of("aws:appautoscaling/policy:Policy")}
    inv = policies["iris-scale-on-invocations"]["targetTrackingScalingPolicyConfiguration"]
    assert inv == {
        "targetValue": 1000,
        "predefinedMetricSpecification": {"predefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
        "scaleInCooldown": 300,
        "scaleOutCooldown": 60,
    }
    util = policies["iris-scale-on-utilization"]["targetTrackingScalingPolicyConfiguration"]
    assert util["targetValue"] == 140  # 70% x 2 vCPUs
    assert util["customizedMetricSpecification"]["dimensions"] == [
        {"name": "EndpointName", "value": ENDPOINT},
        {"name": "VariantName", "value": "primary"},
    ]
    for p in policies.values():
        assert p["resourceId"] == target["resourceId"] and p["policyType"] == "TargetTrackingScaling"


def test_dashboard_shows_the_endpoint_and_its_alarms(dev: PlanRun) -> None:
    dash = dev.one("aws:cloudwatch/dashboard:Dashboard")["inputs"]
    body = json.loads(dash["dashboardBody"])
    assert dash["dashboardName"] == ENDPOINT
    alarms = next(w for w in body["widgets"] if w["type"] == "alarm")["properties"]["alarms"]
    assert sorted(alarms) == sorted(
        a["outputs"]["arn"] for a in dev.of("aws:cloudwatch/metricAlarm:MetricAlarm")
    )


def test_outputs(dev: PlanRun) -> None:
    out = dev.outputs["iris"]
    assert out["endpointName"] == ENDPOINT
    assert (
        out["invokeUrl"]
        == f"https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/{ENDPOINT}/invocations"
    )
    assert out["alarmNames"] == [
        f"{ENDPOINT}-latency-p99",
        f"{ENDPOINT}-error-rate",
        f"{ENDPOINT}-cpu",
        f"{ENDPOINT}-memory",
    ]
    assert out["modelDataUrl"].startswith(f"s3://{out['artifactBucket']}/models/iris/sha256-")
    assert out["dashboardUrl"].endswith(f"#dashboards:name={ENDPOINT}")
    assert out["roleArn"].startswith("arn:aws:iam::123456789012:role/iris-role-")


# ---- variants of the dev stack ---------------------------------------------------------------------------
def test_gpu_on_local_nvme_has_no_volume_key_and_gpu_alarm(project, run_stack) -> None:
    run = variant(project, run_stack, compute__accelerator="gpu", compute__instanceType="ml.g5.xlarge")
    cfg = run.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration")["inputs"]
    assert "kmsKeyArn" not in cfg
    gpu = run.by_name("iris-alarm-gpu")["inputs"]
    assert (gpu["metricName"], gpu["threshold"]) == ("GPUUtilization", 90)  # 90% x 1 GPU
    util = run.by_name("iris-scale-on-utilization")["inputs"]["targetTrackingScalingPolicyConfiguration"]
    assert (
        util["customizedMetricSpecification"]["metricName"] == "GPUUtilization" and util["targetValue"] == 70
    )


def test_capture_is_encrypted_and_the_role_may_write_it(project, run_stack) -> None:
    run = variant(project, run_stack, capture__samplePercent=20)
    key_arn = run.one("aws:kms/key:Key")["outputs"]["arn"]
    bucket = run.one("aws:s3/bucket:Bucket")
    dc = run.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration")["inputs"]["dataCaptureConfig"]
    assert dc["enableCapture"] is True and dc["initialSamplingPercentage"] == 20
    assert dc["kmsKeyId"] == key_arn and dc["destinationS3Uri"] == f"s3://{bucket['id']}/capture/iris"
    stmts = {
        s["Sid"]: s
        for s in run.doc(run.one("aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"])["Statement"]
    }
    assert stmts["WriteItsCapture"]["Resource"] == [f"{bucket['outputs']['arn']}/capture/iris/*"]


def test_vpc_placement(project, run_stack) -> None:
    run = variant(
        project,
        run_stack,
        network__private=True,
        network__subnetIds=["subnet-1"],
        network__securityGroupIds=["sg-1"],
    )
    assert run.one("aws:sagemaker/model:Model")["inputs"]["vpcConfig"] == {
        "subnets": ["subnet-1"],
        "securityGroupIds": ["sg-1"],
    }
    stmts = {
        s["Sid"] for s in run.doc(run.one("aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"])["Statement"]
    }
    assert {"PlaceInItsVpc", "ManageItsInterfaces", "DescribeItsVpc"} <= stmts


def test_linear_rollout_and_schedules(project, run_stack) -> None:
    run = variant(
        project,
        run_stack,
        rollout__strategy="linear",
        rollout__stepPercent=25,
        autoscaling__schedules=[{"name": "business-hours", "cron": "0 8 * * MON-FRI", "min": 2, "max": 4}],
    )
    routing = run.one("aws:sagemaker/endpoint:Endpoint")["inputs"]["deploymentConfig"][
        "blueGreenUpdatePolicy"
    ]["trafficRoutingConfiguration"]
    assert routing == {
        "type": "LINEAR",
        "waitIntervalInSeconds": 600,
        "linearStepSize": {"type": "CAPACITY_PERCENT", "value": 25},
    }
    action = run.one("aws:appautoscaling/scheduledAction:ScheduledAction")["inputs"]
    assert action["schedule"] == "cron(0 8 ? * MON-FRI *)" and action["scalableTargetAction"] == {
        "minCapacity": 2,
        "maxCapacity": 4,
    }
    assert action["name"] == "variant-iris-business-hours"


def test_fixed_size_endpoint_has_no_scaling_target(project, run_stack) -> None:
    run = variant(project, run_stack, autoscaling__enabled=False)
    assert run.of("aws:appautoscaling/target:Target") == []
    assert run.of("aws:appautoscaling/policy:Policy") == []


def test_serverless_endpoint(project, run_stack) -> None:
    cfg = project.base()
    ep = cfg["config"]["mlinfra:endpoints"]["iris"]
    ep["compute"] = {"serverless": {"memorySizeMb": 3072, "maxConcurrency": 10}}
    ep["network"] = {
        "isolation": False,
        "isolationOptOutReason": "serverless inference has no network isolation",
    }
    ep["rollout"] = {"strategy": "all-at-once"}
    del ep["autoscaling"]
    run = run_stack(project.write("sls", cfg["config"]), project.dir)
    (v,) = run.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration")["inputs"][
        "productionVariants"
    ]
    assert v["serverlessConfig"] == {"memorySizeInMb": 3072, "maxConcurrency": 10}
    assert "instanceType" not in v
    assert run.one("aws:sagemaker/model:Model")["inputs"]["enableNetworkIsolation"] is False
    assert sorted(a["name"] for a in run.of("aws:cloudwatch/metricAlarm:MetricAlarm")) == [
        "iris-alarm-error-rate",
        "iris-alarm-latency-p99",
    ]
    assert run.of("aws:appautoscaling/target:Target") == []


def test_published_s3_model_is_referenced_not_uploaded(project, run_stack) -> None:
    uri = "s3://models-bucket/prod/iris/sha256-" + "b" * 64 + "/manifest.json"
    run = variant(project, run_stack, model=uri)
    assert run.of("aws:s3/bucketObjectv2:BucketObjectv2") == []
    prefix = uri[: -len("manifest.json")]
    assert (
        run.one("aws:sagemaker/model:Model")["inputs"]["primaryContainer"]["modelDataUrl"]
        == prefix + "model.tar.gz"
    )
    stmts = {
        s["Sid"]: s
        for s in run.doc(run.one("aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"])["Statement"]
    }
    assert stmts["ReadItsModel"]["Resource"] == [
        "arn:aws:s3:::models-bucket/prod/iris/sha256-" + "b" * 64 + "/*"
    ]


def test_overrides_reach_the_child_and_protect_can_be_turned_off(project, run_stack) -> None:
    run = variant(
        project,
        run_stack,
        overrides={
            "endpointConfig": {
                "async_inference_config": {"output_config": {"s3_output_path": "s3://x/async"}}
            }
        },
        storage__protect=False,
    )
    cfg = run.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration")["inputs"]
    assert cfg["asyncInferenceConfig"] == {"outputConfig": {"s3OutputPath": "s3://x/async"}}
    assert (
        run.one("aws:s3/bucket:Bucket")["protect"] is False and run.one("aws:kms/key:Key")["protect"] is False
    )


def test_custom_image_and_webhook(project, run_stack) -> None:
    cfg = project.base()
    cfg["config"]["mlinfra:notify"]["webhooks"] = ["https://hooks.example.com/mlinfra"]
    edit_endpoint(cfg, "serving.image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-triton:1.2")
    run = run_stack(project.write("img", cfg["config"]), project.dir)
    assert run.one("aws:sagemaker/model:Model")["inputs"]["primaryContainer"]["image"].endswith(
        "/my-triton:1.2"
    )
    hook = run.by_name("iris-alerts-webhook-0")["inputs"]
    assert (hook["protocol"], hook["endpoint"]) == ("https", "https://hooks.example.com/mlinfra")
    stmts = {
        s["Sid"]: s
        for s in run.doc(run.one("aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"])["Statement"]
    }
    assert stmts["PullItsImage"]["Resource"] == ["arn:aws:ecr:us-east-1:123456789012:repository/my-triton"]


def test_a_changed_config_gets_a_new_endpoint_config_name(project, run_stack) -> None:
    a = run_stack("dev", project.dir).one("aws:sagemaker/endpointConfiguration:EndpointConfiguration")[
        "outputs"
    ]["name"]
    b = variant(project, run_stack, compute__instanceType="ml.m5.xlarge").one(
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
    )["outputs"]["name"]
    assert a != b and a.startswith("iris-config-") and b.startswith("iris-config-")
