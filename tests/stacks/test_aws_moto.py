"""The AWS program with its mocks backed by moto: every resource is created through the AWS API (moto's
in-process implementation), so IAM documents, bucket names, ARNs and the references between resources must
pass AWS's own request checks, and what the program wires together must exist on the other end.

What moto 5.2 does not hold, and where this project's own rules cover it instead:
- the KMS-volume-key refusal on local-NVMe instance types -> ``validate_for_aws`` (test_aws_rules.py)
- newer GPU families (ml.g5, g6, p4d...) are rejected by moto -> the GPU case here uses ml.g4dn
- UpdateEndpoint, duplicate endpoint-config names, deleting a config in use -> endpoint configs are
  autonamed (test_endpoint_config_is_autonamed_with_a_kms_volume_key) so a change creates a new one
- alarms created by target tracking, wrong upload checksums -> not asserted here
- CreateModel's EnableNetworkIsolation is accepted but not stored -> asserted on the recorded inputs
- the TLS-only bucket policy: moto evaluates it but cannot see TLS, so it is applied after the stack is in
- key policies are stored as given, not evaluated
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")  # part of the aws extra: always installed by .ci/run
from moto import mock_aws  # noqa: E402

from stacks.mocks import Context, RecordingMocks  # noqa: E402
from stacks.mocks import aws as aws_rules  # noqa: E402
from tests.conftest import PlanRun, edit_endpoint  # noqa: E402

REGION = "us-east-1"


def _dims(d: dict[str, str]) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in d.items()]


def _metric(m: dict[str, Any]) -> dict[str, Any]:
    return {"Namespace": m["namespace"], "MetricName": m["metricName"], "Dimensions": _dims(m["dimensions"])}


def _ints(x: Any) -> Any:
    """Numbers cross the Pulumi wire as floats; the AWS APIs want integers where they are integral."""
    if isinstance(x, float) and x.is_integer():
        return int(x)
    if isinstance(x, dict):
        return {k: _ints(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_ints(v) for v in x]
    return x


class MotoBackedMocks(RecordingMocks):
    """Creates each AWS resource in moto and answers with what moto returned (names, ARNs, ids)."""

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.c = {
            s: boto3.client(s, region_name=REGION)
            for s in (
                "s3",
                "kms",
                "iam",
                "logs",
                "sagemaker",
                "application-autoscaling",
                "cloudwatch",
                "sns",
                "sts",
            )
        }
        self.created: list[str] = []
        self.deferred_policies: list[tuple[str, str]] = []

    def new_resource(self, args):  # noqa: C901 (a dispatch table)
        from stacks.mocks import unwrap

        i = _ints(unwrap(args.inputs))
        t, n, c = args.typ, args.name, self.c
        if not t.startswith("aws:"):
            return super().new_resource(args)
        rid, out = aws_rules.outputs(t, n, i, self.ctx)  # deterministic names; moto supplies the ARNs below
        if t == "aws:kms/key:Key":
            meta = c["kms"].create_key(Policy=i["policy"], Description=i["description"])["KeyMetadata"]
            c["kms"].enable_key_rotation(KeyId=meta["KeyId"])
            rid, out = meta["KeyId"], {"keyId": meta["KeyId"], "arn": meta["Arn"]}
        elif t == "aws:kms/alias:Alias":
            c["kms"].create_alias(AliasName=i["name"], TargetKeyId=i["targetKeyId"])
        elif t == "aws:s3/bucket:Bucket":
            c["s3"].create_bucket(Bucket=rid)
        elif t == "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
            (r,) = i["rules"]
            d = r["applyServerSideEncryptionByDefault"]
            c["s3"].put_bucket_encryption(
                Bucket=i["bucket"],
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": {
                                "SSEAlgorithm": d["sseAlgorithm"],
                                "KMSMasterKeyID": d["kmsMasterKeyId"],
                            },
                            "BucketKeyEnabled": r["bucketKeyEnabled"],
                        }
                    ]
                },
            )
        elif t == "aws:s3/bucketVersioning:BucketVersioning":
            c["s3"].put_bucket_versioning(
                Bucket=i["bucket"], VersioningConfiguration={"Status": i["versioningConfiguration"]["status"]}
            )
        elif t == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
            flags = {
                k[0].upper() + k[1:]: i[k]
                for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
            }
            c["s3"].put_public_access_block(
                Bucket=i["bucket"],
                PublicAccessBlockConfiguration={k.replace("Acls", "Acls"): v for k, v in flags.items()},
            )
        elif t == "aws:s3/bucketOwnershipControls:BucketOwnershipControls":
            c["s3"].put_bucket_ownership_controls(
                Bucket=i["bucket"],
                OwnershipControls={"Rules": [{"ObjectOwnership": i["rule"]["objectOwnership"]}]},
            )
        elif t == "aws:s3/bucketPolicy:BucketPolicy":
            # moto evaluates bucket policies but cannot tell an in-process request came over TLS, so the
            # TLS-only deny would refuse every later call: apply it once the stack is in (see run_in_moto).
            self.deferred_policies.append((i["bucket"], i["policy"]))
        elif t == "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":
            rules = []
            for r in i["rules"]:
                rule = {"ID": r["id"], "Status": r["status"], "Filter": {"Prefix": r["filter"]["prefix"]}}
                if "abortIncompleteMultipartUpload" in r:
                    rule["AbortIncompleteMultipartUpload"] = {
                        "DaysAfterInitiation": r["abortIncompleteMultipartUpload"]["daysAfterInitiation"]
                    }
                if "noncurrentVersionExpiration" in r:
                    rule["NoncurrentVersionExpiration"] = {
                        "NoncurrentDays": r["noncurrentVersionExpiration"]["noncurrentDays"]
                    }
                rules.append(rule)
            c["s3"].put_bucket_lifecycle_configuration(
                Bucket=i["bucket"], LifecycleConfiguration={"Rules": rules}
            )
        elif t == "aws:s3/bucketObjectv2:BucketObjectv2":
            body = Path(
                i["source"].path if hasattr(i["source"], "path") else i["source"]["path"]
            ).read_bytes()
            r = c["s3"].put_object(
                Bucket=i["bucket"],
                Key=i["key"],
                Body=body,
                ChecksumAlgorithm="SHA256",
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=i["kmsKeyId"],
                Metadata=i["metadata"],
                ContentType=i["contentType"],
            )
            rid, out = (
                i["key"],
                {
                    "versionId": r.get("VersionId", ""),
                    "checksumSha256": r["ChecksumSHA256"],
                    "etag": r["ETag"],
                },
            )
        elif t == "aws:cloudwatch/logGroup:LogGroup":
            c["logs"].create_log_group(logGroupName=i["name"], kmsKeyId=i["kmsKeyId"])
            c["logs"].put_retention_policy(logGroupName=i["name"], retentionInDays=i["retentionInDays"])
            arn = (
                c["logs"]
                .describe_log_groups(logGroupNamePrefix=i["name"])["logGroups"][0]["arn"]
                .removesuffix(":*")
            )
            rid, out = i["name"], {"name": i["name"], "arn": arn}
        elif t == "aws:iam/role:Role":
            role = c["iam"].create_role(
                RoleName=rid,
                AssumeRolePolicyDocument=i["assumeRolePolicy"],
                Description=i["description"],
                MaxSessionDuration=i["maxSessionDuration"],
            )["Role"]
            out = {"name": rid, "arn": role["Arn"], "uniqueId": role["RoleId"]}
        elif t == "aws:iam/rolePolicy:RolePolicy":
            c["iam"].put_role_policy(RoleName=i["role"], PolicyName=i["name"], PolicyDocument=i["policy"])
        elif t == "aws:sagemaker/model:Model":
            pc = i["primaryContainer"]
            kw: dict[str, Any] = {
                "ModelName": rid,
                "ExecutionRoleArn": i["executionRoleArn"],
                "PrimaryContainer": {
                    "Image": pc["image"],
                    "ModelDataUrl": pc["modelDataUrl"],
                    "Environment": pc["environment"],
                    "Mode": pc["mode"],
                },
                "EnableNetworkIsolation": i["enableNetworkIsolation"],
            }
            if "vpcConfig" in i:
                kw["VpcConfig"] = {
                    "Subnets": i["vpcConfig"]["subnets"],
                    "SecurityGroupIds": i["vpcConfig"]["securityGroupIds"],
                }
            out = {"name": rid, "arn": c["sagemaker"].create_model(**kw)["ModelArn"]}
        elif t == "aws:sagemaker/endpointConfiguration:EndpointConfiguration":
            variants = []
            for v in i["productionVariants"]:
                variants.append({k[0].upper() + k[1:]: val for k, val in v.items()})
            kw = {"EndpointConfigName": rid, "ProductionVariants": variants}
            if "kmsKeyArn" in i:
                kw["KmsKeyId"] = i["kmsKeyArn"]
            if "dataCaptureConfig" in i:
                dc = i["dataCaptureConfig"]
                kw["DataCaptureConfig"] = {
                    "EnableCapture": dc["enableCapture"],
                    "InitialSamplingPercentage": dc["initialSamplingPercentage"],
                    "DestinationS3Uri": dc["destinationS3Uri"],
                    "KmsKeyId": dc["kmsKeyId"],
                    "CaptureOptions": [{"CaptureMode": o["captureMode"]} for o in dc["captureOptions"]],
                }
            out = {"name": rid, "arn": c["sagemaker"].create_endpoint_config(**kw)["EndpointConfigArn"]}
        elif t == "aws:sagemaker/endpoint:Endpoint":
            arn = c["sagemaker"].create_endpoint(
                EndpointName=i["name"], EndpointConfigName=i["endpointConfigName"]
            )["EndpointArn"]
            rid, out = i["name"], {"name": i["name"], "arn": arn}
        elif t == "aws:appautoscaling/target:Target":
            c["application-autoscaling"].register_scalable_target(
                ServiceNamespace=i["serviceNamespace"],
                ResourceId=i["resourceId"],
                ScalableDimension=i["scalableDimension"],
                MinCapacity=i["minCapacity"],
                MaxCapacity=i["maxCapacity"],
            )
        elif t == "aws:appautoscaling/policy:Policy":
            cfg = i["targetTrackingScalingPolicyConfiguration"]
            tt: dict[str, Any] = {
                "TargetValue": cfg["targetValue"],
                "ScaleInCooldown": cfg["scaleInCooldown"],
                "ScaleOutCooldown": cfg["scaleOutCooldown"],
            }
            if "predefinedMetricSpecification" in cfg:
                tt["PredefinedMetricSpecification"] = {
                    "PredefinedMetricType": cfg["predefinedMetricSpecification"]["predefinedMetricType"]
                }
            else:
                m = cfg["customizedMetricSpecification"]
                tt["CustomizedMetricSpecification"] = {
                    "MetricName": m["metricName"],
                    "Namespace": m["namespace"],
                    "Statistic": m["statistic"],
                    "Dimensions": [{"Name": d["name"], "Value": d["value"]} for d in m["dimensions"]],
                }
            r = c["application-autoscaling"].put_scaling_policy(
                PolicyName=i["name"],
                ServiceNamespace=i["serviceNamespace"],
                ResourceId=i["resourceId"],
                ScalableDimension=i["scalableDimension"],
                PolicyType=i["policyType"],
                TargetTrackingScalingPolicyConfiguration=tt,
            )
            rid, out = i["name"], {"arn": r["PolicyARN"], "name": i["name"]}
        elif t == "aws:appautoscaling/scheduledAction:ScheduledAction":
            a = i["scalableTargetAction"]
            c["application-autoscaling"].put_scheduled_action(
                ServiceNamespace=i["serviceNamespace"],
                ScheduledActionName=i["name"],
                ResourceId=i["resourceId"],
                ScalableDimension=i["scalableDimension"],
                Schedule=i["schedule"],
                Timezone=i["timezone"],
                ScalableTargetAction={"MinCapacity": a["minCapacity"], "MaxCapacity": a["maxCapacity"]},
            )
        elif t == "aws:sns/topic:Topic":
            arn = c["sns"].create_topic(Name=out["name"], Attributes={"KmsMasterKeyId": i["kmsMasterKeyId"]})[
                "TopicArn"
            ]
            rid, out = arn, {"name": out["name"], "arn": arn}
        elif t == "aws:sns/topicPolicy:TopicPolicy":
            c["sns"].set_topic_attributes(
                TopicArn=i["arn"], AttributeName="Policy", AttributeValue=i["policy"]
            )
        elif t == "aws:sns/topicSubscription:TopicSubscription":
            arn = c["sns"].subscribe(TopicArn=i["topic"], Protocol=i["protocol"], Endpoint=i["endpoint"])[
                "SubscriptionArn"
            ]
            rid, out = arn, {"arn": arn}
        elif t == "aws:cloudwatch/metricAlarm:MetricAlarm":
            kw = {
                "AlarmName": i["name"],
                "AlarmDescription": i["alarmDescription"],
                "ComparisonOperator": i["comparisonOperator"],
                "EvaluationPeriods": i["evaluationPeriods"],
                "DatapointsToAlarm": i["datapointsToAlarm"],
                "TreatMissingData": i["treatMissingData"],
                "AlarmActions": i["alarmActions"],
                "OKActions": i["okActions"],
                "Threshold": float(i["threshold"]),
            }
            if "metricQueries" in i:
                kw["Metrics"] = [
                    {
                        "Id": q["id"],
                        "ReturnData": q["returnData"],
                        **(
                            {"Expression": q["expression"], "Label": q["label"]}
                            if "expression" in q
                            else {
                                "MetricStat": {
                                    "Metric": _metric(q["metric"]),
                                    "Period": q["metric"]["period"],
                                    "Stat": q["metric"]["stat"],
                                }
                            }
                        ),
                    }
                    for q in i["metricQueries"]
                ]
            else:
                kw.update(
                    Namespace=i["namespace"],
                    MetricName=i["metricName"],
                    Period=i["period"],
                    Dimensions=_dims(i["dimensions"]),
                )
                kw.update(
                    {"ExtendedStatistic": i["extendedStatistic"], "Unit": i["unit"]}
                    if "extendedStatistic" in i
                    else {"Statistic": i["statistic"]}
                )
            c["cloudwatch"].put_metric_alarm(**kw)
            (alarm,) = c["cloudwatch"].describe_alarms(AlarmNames=[i["name"]])["MetricAlarms"]
            rid, out = i["name"], {"name": i["name"], "arn": alarm["AlarmArn"]}
        elif t == "aws:cloudwatch/dashboard:Dashboard":
            c["cloudwatch"].put_dashboard(DashboardName=i["dashboardName"], DashboardBody=i["dashboardBody"])
        else:
            raise AssertionError(
                f"no moto handler for {t}: add one, so every AWS resource the component declares meets AWS's checks"
            )
        self.created.append(t)
        state = {**i, **out}
        self.by_key[(t, n)] = (rid, out)
        return rid, state

    def call(self, args):
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            ident = self.c["sts"].get_caller_identity()
            return {
                "accountId": ident["Account"],
                "arn": ident["Arn"],
                "userId": ident["UserId"],
                "id": ident["Account"],
            }
        return super().call(args)


def run_in_moto(stack: str, project_dir: Path) -> tuple[PlanRun, MotoBackedMocks]:
    import pulumi
    from pulumi.runtime import mocks as pm
    from pulumi.runtime import settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from stacks.config import to_runtime
    from stacks.mocks import RecordingMonitor
    from stacks.plan import load_spec
    from stacks.program import build

    spec, config, _ = load_spec(stack, project_dir)
    mocks = MotoBackedMocks(Context(spec.project, spec.stack, spec.region))
    monitor = RecordingMonitor(mocks)
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    pm.set_mocks(mocks, project=spec.project, stack=spec.stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(to_runtime(config))
    _sync_await(run_pulumi_func(lambda: build(spec)))
    return PlanRun([r.to_plan() for r in monitor.records], {}), mocks


@pytest.fixture
def aws_env(monkeypatch):
    for k, v in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        yield


def test_dev_stack_is_accepted_by_the_aws_apis(aws_env, project) -> None:
    run, mocks = run_in_moto("dev", project.dir)
    custom = [r["type"] for r in run.resources if r["custom"]]
    assert sorted(mocks.created) == sorted(custom)  # every AWS resource went through an AWS API call
    c = mocks.c
    name = "dev-iris"

    endpoint = c["sagemaker"].describe_endpoint(EndpointName=name)
    config = c["sagemaker"].describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    (variant,) = config["ProductionVariants"]
    assert (variant["VariantName"], variant["InstanceType"], variant["InitialInstanceCount"]) == (
        "primary",
        "ml.c5.large",
        1,
    )
    model = c["sagemaker"].describe_model(ModelName=variant["ModelName"])
    assert run.one("aws:sagemaker/model:Model")["inputs"]["enableNetworkIsolation"] is True  # moto drops it
    role_name = model["ExecutionRoleArn"].rsplit("/", 1)[1]
    trust = c["iam"].get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    (policy_name,) = c["iam"].list_role_policies(RoleName=role_name)["PolicyNames"]
    doc = c["iam"].get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    assert {s["Sid"] for s in doc["Statement"]} == {
        "ReadItsModel",
        "UseItsKeyThroughS3",
        "WriteItsLogs",
        "PullItsImage",
        "EcrLogin",
    }

    # the model the endpoint serves is the bytes of the packaged archive, checksummed by S3
    url = model["PrimaryContainer"]["ModelDataUrl"]
    bucket, key = url[len("s3://") :].split("/", 1)
    head = c["s3"].head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    archive = (project.dir / "examples/iris/dist/model.tar.gz").read_bytes()
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(archive).digest()).decode()
    assert head["ServerSideEncryption"] == "aws:kms"
    enc = c["s3"].get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    key_arn = enc["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    assert c["kms"].get_key_rotation_status(KeyId=key_arn.rsplit("/", 1)[1])["KeyRotationEnabled"] is True
    assert c["s3"].get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert all(c["s3"].get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    for b, policy in mocks.deferred_policies:
        c["s3"].put_bucket_policy(Bucket=b, Policy=policy)
    assert json.loads(c["s3"].get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    # and the policy bites: moto cannot prove this request is TLS, so the bucket refuses it
    with pytest.raises(c["s3"].exceptions.ClientError, match="Forbidden|AccessDenied"):
        c["s3"].put_object(Bucket=bucket, Key="models/iris/x", Body=b"x")

    (target,) = c["application-autoscaling"].describe_scalable_targets(ServiceNamespace="sagemaker")[
        "ScalableTargets"
    ]
    assert target["ResourceId"] == f"endpoint/{name}/variant/primary" and (
        target["MinCapacity"],
        target["MaxCapacity"],
    ) == (1, 4)
    policies = c["application-autoscaling"].describe_scaling_policies(ServiceNamespace="sagemaker")[
        "ScalingPolicies"
    ]
    assert sorted(p["PolicyName"] for p in policies) == [f"{name}-cpuutilization", f"{name}-invocations"]

    topic_arn = c["sns"].list_topics()["Topics"][0]["TopicArn"]
    alarms = c["cloudwatch"].describe_alarms(AlarmNamePrefix=name)["MetricAlarms"]
    assert len(alarms) == 4 and all(a["AlarmActions"] == [topic_arn] for a in alarms)
    # the rollback alarms named by the endpoint exist by those names
    ep_inputs = run.one("aws:sagemaker/endpoint:Endpoint")["inputs"]
    rollback = [a["alarmName"] for a in ep_inputs["deploymentConfig"]["autoRollbackConfiguration"]["alarms"]]
    assert set(rollback) <= {a["AlarmName"] for a in alarms}
    attrs = c["sns"].get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    assert attrs["KmsMasterKeyId"] == key_arn


def test_gpu_capture_vpc_variant_is_accepted(aws_env, project) -> None:
    cfg = project.base()
    for path, value in {
        "compute.accelerator": "gpu",
        "compute.instanceType": "ml.g4dn.xlarge",
        "capture.samplePercent": 10,
        "network.private": True,
        "network.subnetIds": ["subnet-0abc"],
        "network.securityGroupIds": ["sg-0abc"],
        "autoscaling.schedules": [{"name": "nights", "cron": "0 20 * * *", "min": 1, "max": 2}],
    }.items():
        edit_endpoint(cfg, path, value)
    run, mocks = run_in_moto(project.write("gpu", cfg["config"]), project.dir)
    c = mocks.c
    config_name = c["sagemaker"].describe_endpoint(EndpointName="gpu-iris")["EndpointConfigName"]
    config = c["sagemaker"].describe_endpoint_config(EndpointConfigName=config_name)
    assert config["ProductionVariants"][0]["InstanceType"] == "ml.g4dn.xlarge"
    assert "KmsKeyId" not in config  # local NVMe: SageMaker refuses a volume key
    assert config["DataCaptureConfig"]["InitialSamplingPercentage"] == 10
    (action,) = c["application-autoscaling"].describe_scheduled_actions(ServiceNamespace="sagemaker")[
        "ScheduledActions"
    ]
    assert action["Schedule"] == "cron(0 20 * * ? *)"


def test_moto_checks_iam_documents(aws_env) -> None:
    """The IAM checks this suite relies on are live: a malformed statement is refused by the API."""
    iam = boto3.client("iam", region_name=REGION)
    iam.create_role(
        RoleName="r", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )
    bad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3GetObject", "Resource": "*"}],
    }
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException):
        iam.put_role_policy(RoleName="r", PolicyName="p", PolicyDocument=json.dumps(bad))
