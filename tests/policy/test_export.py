"""The scanner export: Terraform JSON names, blocks and references; ARM types and properties."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from policy.export import export, snake, tf_type, to_arm, to_terraform
from tests.policy.conftest import resource
from tests.policy.test_rules_azure_gcp import azure_stack, gcp_stack


def test_type_tokens_map_to_terraform_types() -> None:
    assert tf_type("aws:s3/bucket:Bucket") == "aws_s3_bucket"
    assert (
        tf_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
        == "aws_s3_bucket_server_side_encryption_configuration"
    )
    assert (
        tf_type("aws:sagemaker/endpointConfiguration:EndpointConfiguration")
        == "aws_sagemaker_endpoint_configuration"
    )
    assert tf_type("aws:cloudwatch/metricAlarm:MetricAlarm") == "aws_cloudwatch_metric_alarm"
    assert tf_type("aws:s3/bucketObjectv2:BucketObjectv2") == "aws_s3_object"
    assert tf_type("gcp:kms/cryptoKey:CryptoKey") == "google_kms_crypto_key"
    assert tf_type("gcp:vertex/aiEndpoint:AiEndpoint") == "google_vertex_ai_endpoint"
    assert tf_type("gcp:cloudrunv2/service:Service") == "google_cloud_run_v2_service"
    assert tf_type("azure-native:storage:StorageAccount") is None
    assert (
        snake("kmsMasterKeyId") == "kms_master_key_id"
        and snake("enableHttpsTrafficOnly") == "enable_https_traffic_only"
    )


def test_dev_plan_exports_blocks_and_references(dev_plan: dict[str, Any]) -> None:
    tf = to_terraform(dev_plan)["resource"]
    sse = tf["aws_s3_bucket_server_side_encryption_configuration"]["iris_artifacts_encryption"]
    assert sse["bucket"] == "${aws_s3_bucket.iris_artifacts.id}"
    assert sse["rule"][0]["apply_server_side_encryption_by_default"] == {
        "sse_algorithm": "aws:kms",
        "kms_master_key_id": "${aws_kms_key.iris_key.arn}",
    }
    cfg = tf["aws_sagemaker_endpoint_configuration"]["iris_config"]
    assert cfg["kms_key_arn"] == "${aws_kms_key.iris_key.arn}"
    assert cfg["production_variants"][0]["model_name"] == "${aws_sagemaker_model.iris_model.id}"
    alarm = tf["aws_cloudwatch_metric_alarm"]["iris_alarm_cpu"]
    assert alarm["alarm_actions"] == ["${aws_sns_topic.iris_alerts.arn}"]
    assert alarm["dimensions"] == {
        "EndpointName": "dev-iris",
        "VariantName": "primary",
    }  # maps keep their keys
    assert tf["aws_sagemaker_model"]["iris_model"]["enable_network_isolation"] is True
    assert tf["aws_s3_bucket"]["iris_artifacts"]["lifecycle"] == {"prevent_destroy": True}  # Pulumi protect
    assert tf["aws_kms_key"]["iris_key"]["tags"]["mlinfra-endpoint"] == "iris"
    assert isinstance(
        tf["aws_iam_role"]["iris_role"]["assume_role_policy"], str
    )  # JSON documents stay strings
    assert tf["aws_s3_object"]["iris_model_artifact"]["source"].endswith("model.tar.gz")


def test_gcp_resources_export() -> None:
    tf = to_terraform(gcp_stack())["resource"]
    assert tf["google_storage_bucket"]["iris_artifacts"]["uniform_bucket_level_access"] is True
    assert tf["google_kms_crypto_key"]["iris_key"]["rotation_period"] == "7776000s"
    assert tf["google_cloud_run_v2_service"]["iris_run"]["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    assert tf["google_monitoring_alert_policy"]["iris_alert_latency"]["notification_channels"] == [
        "${google_monitoring_notification_channel.iris_email_0.id}"
    ]


def test_azure_resources_export_as_arm() -> None:
    arm = to_arm(azure_stack())
    by_type = {r["type"]: r for r in arm["resources"]}
    acct = by_type["Microsoft.Storage/storageAccounts"]
    assert acct["name"] == "deviris1a2b3c"
    assert acct["properties"]["supportsHttpsTrafficOnly"] is True  # azure-native's enableHttpsTrafficOnly
    assert acct["properties"]["networkAcls"]["defaultAction"] == "Deny"
    assert "accountName" not in acct["properties"]
    vault = by_type["Microsoft.KeyVault/vaults"]
    assert vault["properties"]["enablePurgeProtection"] is True
    assert (
        by_type["Microsoft.Storage/storageAccounts/blobServices/containers"]["name"]
        == "deviris1a2b3c/default/iris-models"
    )
    assert by_type["Microsoft.MachineLearningServices/workspaces"]["identity"] == {"type": "SystemAssigned"}


def test_export_command(tmp_path: Path, dev_plan: dict[str, Any]) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(dev_plan))
    out = io.StringIO()
    assert export(str(plan), str(tmp_path / "x"), out=out, err=io.StringIO()) == 0
    assert (tmp_path / "x" / "main.tf.json").is_file() and not (tmp_path / "x" / "azuredeploy.json").exists()
    assert export(str(tmp_path / "missing.json"), str(tmp_path / "y"), out=out, err=io.StringIO()) == 2


def test_same_names_in_two_types_do_not_collide() -> None:
    plan = {
        "resources": [
            resource("aws:kms/key:Key", "x", id="key-1234"),
            resource("aws:kms/alias:Alias", "x", {"targetKeyId": "key-1234"}, id="alias/x"),
        ]
    }
    tf = to_terraform(plan)["resource"]
    assert tf["aws_kms_alias"]["x"]["target_key_id"] == "${aws_kms_key.x.id}"
