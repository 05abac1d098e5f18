"""The GCP component under the recording mocks: exact inputs (wire names) for what matters to users and security,
and graph snapshots of the Vertex and Cloud Run example stacks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.gcp.endpoint import endpoint_number
from stacks.mocks.gcp import project_number
from tests.conftest import ROOT, PlanRun, edit_endpoint

PROJECT = "demo-project"
NUMBER = project_number(PROJECT)
KEY_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
CPU_METRIC = "aiplatform.googleapis.com/prediction/online/cpu/utilization"
DEPLOYMENT = "pulumi-python:dynamic/mlinfra:VertexDeployment"

# The example stacks' resource graphs. A change here is a change in someone's production: update it on purpose.
COMMON = [
    ("gcp:kms/cryptoKey:CryptoKey", "iris-key"),
    ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "iris-key-storage-agent"),
    ("gcp:kms/keyRing:KeyRing", "iris-keyring"),
    ("gcp:monitoring/alertPolicy:AlertPolicy", "iris-alert-cpu"),
    ("gcp:monitoring/alertPolicy:AlertPolicy", "iris-alert-error-rate"),
    ("gcp:monitoring/alertPolicy:AlertPolicy", "iris-alert-latency-p99"),
    ("gcp:monitoring/alertPolicy:AlertPolicy", "iris-alert-memory"),
    ("gcp:monitoring/dashboard:Dashboard", "iris-dashboard"),
    ("gcp:monitoring/notificationChannel:NotificationChannel", "iris-notify-email-0"),
    ("gcp:projects/iAMMember:IAMMember", "iris-sa-logging-logwriter"),
    ("gcp:projects/iAMMember:IAMMember", "iris-sa-monitoring-metricwriter"),
    ("gcp:serviceaccount/account:Account", "iris-sa"),
    ("gcp:storage/bucket:Bucket", "iris-artifacts"),
    ("gcp:storage/bucketIAMMember:BucketIAMMember", "iris-artifacts-reader"),
    ("gcp:storage/bucketObject:BucketObject", "iris-model-iris-1-model-onnx"),
    ("gcp:storage/bucketObject:BucketObject", "iris-model-iris-config-pbtxt"),
    ("mlinfra:gcp:Endpoint", "iris"),
]
VERTEX_GRAPH = sorted(
    COMMON
    + [
        ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "iris-key-vertex-agent"),
        ("gcp:vertex/aiEndpoint:AiEndpoint", "iris"),
        (DEPLOYMENT, "iris-deployment"),
    ]
)
CLOUDRUN_GRAPH = sorted(
    COMMON
    + [
        ("gcp:cloudrunv2/service:Service", "iris"),
        ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "iris-key-cloudrun-agent"),
        ("gcp:monitoring/alertPolicy:AlertPolicy", "iris-alert-gpu"),
    ]
)


def _run(stack: str) -> PlanRun:
    from stacks.plan import load_spec, run_program

    spec, config, _ = load_spec(stack, ROOT)
    return PlanRun(*run_program(spec, config))


@pytest.fixture(scope="module")
def vertex() -> PlanRun:
    return _run("gcp-vertex-dev")


@pytest.fixture(scope="module")
def cloudrun() -> PlanRun:
    return _run("gcp-cloudrun-dev")


def variant(project, run_stack, base: str = "gcp-vertex-dev", **patch: Any) -> PlanRun:
    cfg = project.base(base)
    for path, value in patch.items():
        edit_endpoint(cfg, path.replace("__", "."), value)
    return run_stack(project.write("variant", cfg["config"]), project.dir)


def key_id(stack: str) -> str:
    return f"projects/{PROJECT}/locations/us-central1/keyRings/{stack}-iris/cryptoKeys/{stack}-iris"


# ---- graphs ------------------------------------------------------------------------------------------
def test_vertex_graph_snapshot(vertex: PlanRun) -> None:
    assert vertex.graph() == VERTEX_GRAPH


def test_cloudrun_graph_snapshot(cloudrun: PlanRun) -> None:
    assert cloudrun.graph() == CLOUDRUN_GRAPH


@pytest.mark.parametrize("which", ["vertex", "cloudrun"])
def test_every_child_is_parented_to_the_component(which: str, request) -> None:
    run: PlanRun = request.getfixturevalue(which)
    component = run.one("mlinfra:gcp:Endpoint")
    assert all(r["parent"] == component["urn"] for r in run.resources if r["custom"])


# ---- key, grants, identity ---------------------------------------------------------------------------
def test_key_rotates_within_90_days_and_is_protected(vertex: PlanRun) -> None:
    key = vertex.one("gcp:kms/cryptoKey:CryptoKey")
    assert key["inputs"]["rotationPeriod"] == "7776000s"
    assert key["inputs"]["purpose"] == "ENCRYPT_DECRYPT"
    assert (
        key["inputs"]["keyRing"] == f"projects/{PROJECT}/locations/us-central1/keyRings/gcp-vertex-dev-iris"
    )
    assert key["protect"] is True
    assert vertex.one("gcp:kms/keyRing:KeyRing")["protect"] is True


def test_service_agents_are_granted_the_key(vertex: PlanRun, cloudrun: PlanRun) -> None:
    def grants(run: PlanRun) -> dict[str, str]:
        out = {}
        for g in run.of("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"):
            assert g["inputs"]["role"] == KEY_ROLE
            out[g["name"]] = (g["inputs"]["member"], g["inputs"]["cryptoKeyId"])
        return out

    assert grants(vertex) == {
        "iris-key-storage-agent": (
            f"serviceAccount:service-{NUMBER}@gs-project-accounts.iam.gserviceaccount.com",
            key_id("gcp-vertex-dev"),
        ),
        "iris-key-vertex-agent": (
            f"serviceAccount:service-{NUMBER}@gcp-sa-aiplatform.iam.gserviceaccount.com",
            key_id("gcp-vertex-dev"),
        ),
    }
    assert grants(cloudrun)["iris-key-cloudrun-agent"] == (
        f"serviceAccount:service-{NUMBER}@serverless-robot-prod.iam.gserviceaccount.com",
        key_id("gcp-cloudrun-dev"),
    )


def test_dedicated_service_account_with_narrow_roles(vertex: PlanRun) -> None:
    sa = vertex.one("gcp:serviceaccount/account:Account")
    assert sa["inputs"]["accountId"] == "ml-gcp-vertex-dev-iris"
    email = f"ml-gcp-vertex-dev-iris@{PROJECT}.iam.gserviceaccount.com"
    roles = sorted(
        (m["inputs"]["role"], m["inputs"]["member"]) for m in vertex.of("gcp:projects/iAMMember:IAMMember")
    )
    assert roles == [
        ("roles/logging.logWriter", f"serviceAccount:{email}"),
        ("roles/monitoring.metricWriter", f"serviceAccount:{email}"),
    ]
    reader = vertex.one("gcp:storage/bucketIAMMember:BucketIAMMember")["inputs"]
    assert reader == {
        "bucket": f"{PROJECT}-gcp-vertex-dev-iris-models",
        "role": "roles/storage.objectViewer",
        "member": f"serviceAccount:{email}",
    }


# ---- bucket and model ----------------------------------------------------------------------------------
def test_bucket_is_uniform_private_versioned_cmek_with_lifecycle(vertex: PlanRun) -> None:
    b = vertex.one("gcp:storage/bucket:Bucket")
    i = b["inputs"]
    assert i["uniformBucketLevelAccess"] is True
    assert i["publicAccessPrevention"] == "enforced"
    assert i["versioning"] == {"enabled": True}
    assert i["encryption"] == {"defaultKmsKeyName": key_id("gcp-vertex-dev")}
    assert i["forceDestroy"] is False
    assert i["location"] == "US-CENTRAL1"
    assert i["lifecycleRules"] == [
        {"action": {"type": "AbortIncompleteMultipartUpload"}, "condition": {"age": 7}},
        {"action": {"type": "Delete"}, "condition": {"daysSinceNoncurrentTime": 90, "withState": "ARCHIVED"}},
    ]
    assert b["protect"] is True
    # CMEK on a bucket needs the Cloud Storage agent's grant first.
    grant = vertex.one("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "iris-key-storage-agent")
    assert grant["urn"] in b["dependencies"]


def test_triton_repository_is_uploaded_content_addressed(vertex: PlanRun) -> None:
    objs = {o["inputs"]["name"]: o["inputs"] for o in vertex.of("gcp:storage/bucketObject:BucketObject")}
    base = "models/iris/sha256-2e138d1ba33c63f3c1f8916feedcd4ff7242e3f02792835e4d4b962a279e4fc5/triton/iris"
    assert sorted(objs) == [f"{base}/1/model.onnx", f"{base}/config.pbtxt"]
    onnx = objs[f"{base}/1/model.onnx"]
    assert onnx["source"] == {
        "asset": "file",
        "path": str(ROOT / "examples/iris/dist/triton/iris/1/model.onnx"),
    }
    assert (
        onnx["metadata"]["mlinfra-sha256"]
        == "720bfe39a3a48618a237c35d1f4b4b244f35af2018e1ba35131c8b5c033e810d"
    )


# ---- Vertex ------------------------------------------------------------------------------------------
def test_vertex_endpoint_numeric_name_and_cmek(vertex: PlanRun) -> None:
    e = vertex.one("gcp:vertex/aiEndpoint:AiEndpoint")["inputs"]
    assert e["name"] == endpoint_number("gcp-vertex-dev-iris")
    assert e["name"].isdigit() and len(e["name"]) == 10 and e["name"][0] != "0"
    assert e["encryptionSpec"] == {"kmsKeyName": key_id("gcp-vertex-dev")}
    assert e["location"] == "us-central1"
    assert "predictRequestResponseLoggingConfig" not in e and "privateServiceConnectConfig" not in e


def test_vertex_deployment_inputs(vertex: PlanRun) -> None:
    d = vertex.one(DEPLOYMENT)
    i = d["inputs"]
    endpoint = vertex.one("gcp:vertex/aiEndpoint:AiEndpoint")
    assert i["endpoint"] == endpoint["id"]
    assert i["machine"] == {"machineType": "e2-standard-2", "acceleratorCount": 0}
    assert i["replicas"] == {"min": 1, "max": 4}
    assert i["autoscaling"] == [{"metricName": CPU_METRIC, "target": 70}]
    assert i["traffic"] == {"strategy": "canary", "stepPercent": 10, "waitMinutes": 10, "autoRollback": True}
    assert i["serviceAccount"] == f"ml-gcp-vertex-dev-iris@{PROJECT}.iam.gserviceaccount.com"
    m = i["model"]
    assert m["imageUri"] == f"us-central1-docker.pkg.dev/{PROJECT}/mlinfra/tritonserver:25.04-py3"
    assert m["args"][:3] == [
        "--model-repository=$(AIP_STORAGE_URI)",
        "--allow-vertex-ai=true",
        "--vertex-ai-default-model=iris",
    ]
    assert m["artifactUri"].startswith(
        f"gs://{PROJECT}-gcp-vertex-dev-iris-models/models/iris/sha256-"
    ) and m["artifactUri"].endswith("/triton/")
    assert m["kmsKeyName"] == key_id("gcp-vertex-dev")
    assert i["__provider"] == "[secret]"  # the pickled provider never shows in a plan
    assert d["outputs"]["trafficSplit"] == {d["outputs"]["deployedModelId"]: 100}
    # It deploys only after the model files and the service account's grants exist.
    deps = set(d["dependencies"])
    assert {r["urn"] for r in vertex.of("gcp:storage/bucketObject:BucketObject")} <= deps
    assert vertex.one("gcp:storage/bucketIAMMember:BucketIAMMember")["urn"] in deps


def test_vertex_gpu_scales_on_duty_cycle_and_requests(project, run_stack) -> None:
    run = variant(
        project,
        run_stack,
        compute__accelerator="gpu",
        compute__acceleratorType="NVIDIA_L4",
        autoscaling__targetInvocationsPerInstancePerMinute=600,
    )
    i = run.one(DEPLOYMENT)["inputs"]
    assert i["machine"] == {
        "machineType": "g2-standard-4",
        "acceleratorType": "NVIDIA_L4",
        "acceleratorCount": 1,
    }
    assert i["autoscaling"] == [
        {"metricName": "aiplatform.googleapis.com/prediction/online/accelerator/duty_cycle", "target": 70},
        {"metricName": "aiplatform.googleapis.com/prediction/online/request_count", "target": 600},
    ]
    gpu = run.one("gcp:monitoring/alertPolicy:AlertPolicy", "iris-alert-gpu")["inputs"]["conditions"][0][
        "conditionThreshold"
    ]
    assert 'metric.type="aiplatform.googleapis.com/prediction/online/accelerator/duty_cycle"' in gpu["filter"]
    assert gpu["thresholdValue"] == 0.9


def test_vertex_capture_logs_to_a_cmek_dataset(project, run_stack) -> None:
    run = variant(project, run_stack, capture__samplePercent=20)
    e = run.one("gcp:vertex/aiEndpoint:AiEndpoint")["inputs"]
    ds = run.one("gcp:bigquery/dataset:Dataset")
    assert e["predictRequestResponseLoggingConfig"] == {
        "enabled": True,
        "samplingRate": 0.2,
        "bigqueryDestination": {"outputUri": f"bq://{PROJECT}.mlinfra_variant_iris_capture"},
    }
    assert ds["inputs"]["defaultEncryptionConfiguration"] == {"kmsKeyName": key_id("variant")}
    bq = run.one("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "iris-key-bigquery-agent")["inputs"]
    assert bq["member"] == f"serviceAccount:bq-{NUMBER}@bigquery-encryption.iam.gserviceaccount.com"


def test_vertex_private_uses_private_service_connect(project, run_stack) -> None:
    run = variant(project, run_stack, network__private=True)
    e = run.one("gcp:vertex/aiEndpoint:AiEndpoint")["inputs"]
    assert e["privateServiceConnectConfig"] == {
        "enablePrivateServiceConnect": True,
        "projectAllowlists": [PROJECT],
    }


# ---- Cloud Run -----------------------------------------------------------------------------------------
def test_cloudrun_service_gpu_scaling_probes_and_cmek(cloudrun: PlanRun) -> None:
    s = cloudrun.one("gcp:cloudrunv2/service:Service")["inputs"]
    t = s["template"]
    assert s["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    assert s["invokerIamDisabled"] is False
    assert t["serviceAccount"] == f"ml-gcp-cloudrun-dev-iris@{PROJECT}.iam.gserviceaccount.com"
    assert t["encryptionKey"] == key_id("gcp-cloudrun-dev")
    assert t["nodeSelector"] == {"accelerator": "nvidia-l4"}
    assert t["gpuZonalRedundancyDisabled"] is True
    assert t["scaling"] == {"minInstanceCount": 0, "maxInstanceCount": 2}
    assert t["maxInstanceRequestConcurrency"] == 16
    (c,) = t["containers"]
    assert c["resources"] == {
        "limits": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"},
        "cpuIdle": False,
        "startupCpuBoost": True,
    }
    assert c["startupProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": 8080}
    assert c["livenessProbe"]["httpGet"] == {"path": "/v2/health/live", "port": 8080}
    # The model is read in place from the bucket, mounted read-only.
    assert t["volumes"] == [
        {"name": "artifacts", "gcs": {"bucket": f"{PROJECT}-gcp-cloudrun-dev-iris-models", "readOnly": True}}
    ]
    assert c["volumeMounts"] == [{"name": "artifacts", "mountPath": "/mnt/artifacts"}]
    assert c["args"][0].startswith("--model-repository=/mnt/artifacts/models/iris/sha256-") and c["args"][
        0
    ].endswith("/triton")
    assert not cloudrun.of("gcp:cloudrunv2/serviceIamMember:ServiceIamMember")


def test_cloudrun_cpu_shape(project, run_stack) -> None:
    run = variant(
        project,
        run_stack,
        base="gcp-cloudrun-dev",
        compute__accelerator="cpu",
        compute__acceleratorType=None,
        compute__instanceType="run-2cpu-4gi",
    )
    t = run.one("gcp:cloudrunv2/service:Service")["inputs"]["template"]
    assert "nodeSelector" not in t and "gpuZonalRedundancyDisabled" not in t
    assert t["containers"][0]["resources"]["limits"] == {"cpu": "2", "memory": "4Gi"}
    assert t["containers"][0]["resources"]["cpuIdle"] is True
    assert {r["name"] for r in run.of("gcp:monitoring/alertPolicy:AlertPolicy")} == {
        "iris-alert-cpu",
        "iris-alert-error-rate",
        "iris-alert-latency-p99",
        "iris-alert-memory",
    }


def test_cloudrun_public_only_with_a_reason(project, run_stack) -> None:
    run = variant(
        project,
        run_stack,
        base="gcp-cloudrun-dev",
        network__allowUnauthenticated=True,
        network__ingress="all",
        network__publicReason="public demo model",
    )
    s = run.one("gcp:cloudrunv2/service:Service")["inputs"]
    assert s["ingress"] == "INGRESS_TRAFFIC_ALL"
    assert s["annotations"] == {"mlinfra.dev/public-reason": "public demo model"}
    assert s["labels"]["mlinfra-public-reason"] == "public_demo_model"
    inv = run.one("gcp:cloudrunv2/serviceIamMember:ServiceIamMember")["inputs"]
    assert (inv["role"], inv["member"], inv["name"]) == ("roles/run.invoker", "allUsers", "variant-iris")


# ---- alerts, dashboard, outputs ------------------------------------------------------------------------
def test_vertex_alert_conditions_and_channels(vertex: PlanRun) -> None:
    channel = vertex.one("gcp:monitoring/notificationChannel:NotificationChannel")
    assert channel["inputs"]["type"] == "email" and channel["inputs"]["labels"] == {
        "email_address": "ml-oncall@example.com"
    }  # a map: keys stay as the API spells them
    eid = endpoint_number("gcp-vertex-dev-iris")
    res = f'resource.type="aiplatform.googleapis.com/Endpoint" AND resource.labels.endpoint_id="{eid}"'
    policies = {p["name"]: p["inputs"] for p in vertex.of("gcp:monitoring/alertPolicy:AlertPolicy")}
    for p in policies.values():
        assert p["notificationChannels"] == [channel["id"]]
        assert p["combiner"] == "OR" and len(p["conditions"]) == 1
    lat = policies["iris-alert-latency-p99"]["conditions"][0]["conditionThreshold"]
    assert (
        lat["filter"]
        == f'metric.type="aiplatform.googleapis.com/prediction/online/prediction_latencies" AND {res}'
    )
    assert (lat["thresholdValue"], lat["duration"], lat["comparison"]) == (500, "300s", "COMPARISON_GT")
    assert lat["aggregations"][0]["perSeriesAligner"] == "ALIGN_PERCENTILE_99"
    err = policies["iris-alert-error-rate"]["conditions"][0]["conditionThreshold"]
    assert err["filter"].startswith('metric.type="aiplatform.googleapis.com/prediction/online/error_count"')
    assert err["denominatorFilter"].startswith(
        'metric.type="aiplatform.googleapis.com/prediction/online/prediction_count"'
    )
    assert err["thresholdValue"] == 0.01
    cpu = policies["iris-alert-cpu"]["conditions"][0]["conditionThreshold"]
    assert cpu["filter"].startswith(f'metric.type="{CPU_METRIC}"') and cpu["thresholdValue"] == 0.85
    mem = policies["iris-alert-memory"]["conditions"][0]["conditionThreshold"]
    assert mem["filter"].startswith(
        'metric.type="aiplatform.googleapis.com/prediction/online/memory/bytes_used"'
    )
    assert mem["thresholdValue"] == round(0.85 * 8 * 2**30)  # 85% of e2-standard-2's 8 GiB


def test_cloudrun_alert_metrics(cloudrun: PlanRun) -> None:
    policies = {
        p["name"]: p["inputs"]["conditions"][0]["conditionThreshold"]
        for p in cloudrun.of("gcp:monitoring/alertPolicy:AlertPolicy")
    }
    res = 'resource.type="cloud_run_revision" AND resource.labels.service_name="gcp-cloudrun-dev-iris"'
    assert (
        policies["iris-alert-latency-p99"]["filter"]
        == f'metric.type="run.googleapis.com/request_latencies" AND {res}'
    )
    assert (
        policies["iris-alert-error-rate"]["filter"]
        == f'metric.type="run.googleapis.com/request_count" AND {res} AND metric.labels.response_code_class="5xx"'
    )
    assert (
        policies["iris-alert-error-rate"]["denominatorFilter"]
        == f'metric.type="run.googleapis.com/request_count" AND {res}'
    )
    assert (
        policies["iris-alert-gpu"]["filter"]
        == f'metric.type="run.googleapis.com/container/gpu/utilizations" AND {res}'
    )
    assert policies["iris-alert-memory"]["filter"].startswith(
        'metric.type="run.googleapis.com/container/memory/utilizations"'
    )


def test_webhook_channel(project, run_stack) -> None:
    cfg = project.base("gcp-vertex-dev")
    cfg["config"]["mlinfra:notify"] = {"emails": [], "webhooks": ["https://hooks.example.com/mlinfra"]}
    run = run_stack(project.write("variant", cfg["config"]), project.dir)
    ch = run.one("gcp:monitoring/notificationChannel:NotificationChannel")
    assert ch["inputs"]["type"] == "webhook_tokenauth" and ch["inputs"]["labels"] == {
        "url": "https://hooks.example.com/mlinfra"
    }
    assert all(
        p["inputs"]["notificationChannels"] == [ch["id"]]
        for p in run.of("gcp:monitoring/alertPolicy:AlertPolicy")
    )


def test_dashboard_watches_the_endpoint(vertex: PlanRun) -> None:
    body = json.loads(vertex.one("gcp:monitoring/dashboard:Dashboard")["inputs"]["dashboardJson"])
    filters = [
        t["widget"]["xyChart"]["dataSets"][0]["timeSeriesQuery"]["timeSeriesFilter"]["filter"]
        for t in body["mosaicLayout"]["tiles"]
    ]
    assert len(filters) == 5 and all(
        f'endpoint_id="{endpoint_number("gcp-vertex-dev-iris")}"' in f for f in filters
    )


def test_outputs(vertex: PlanRun, cloudrun: PlanRun) -> None:
    v = vertex.outputs["iris"]
    eid = endpoint_number("gcp-vertex-dev-iris")
    assert v["endpointName"] == eid
    assert (
        v["invokeUrl"]
        == f"https://us-central1-aiplatform.googleapis.com/v1/projects/{PROJECT}/locations/us-central1/endpoints/{eid}:rawPredict"
    )
    assert v["artifactBucket"] == f"{PROJECT}-gcp-vertex-dev-iris-models"
    assert v["modelDataUrl"].endswith("/triton/")
    assert len(v["alarmNames"]) == 4 and v["dashboardUrl"].startswith(
        "https://console.cloud.google.com/monitoring/dashboards/"
    )
    c = cloudrun.outputs["iris"]
    assert c["invokeUrl"] == f"https://gcp-cloudrun-dev-iris-{NUMBER}.us-central1.run.app"
    assert (c["backend"], c["instanceType"], c["accelerator"]) == (
        "cloudrun",
        "run-l4-4cpu-16gi",
        "1x NVIDIA_L4",
    )


# ---- escape hatches and variants -----------------------------------------------------------------------
def test_overrides_and_protect_off(project, run_stack) -> None:
    run = variant(
        project,
        run_stack,
        storage__protect=False,
        overrides={"endpoint": {"dedicated_endpoint_enabled": True}, "deployment": {"timeoutSeconds": 1200}},
    )
    assert run.one("gcp:vertex/aiEndpoint:AiEndpoint")["inputs"]["dedicatedEndpointEnabled"] is True
    assert run.one(DEPLOYMENT)["inputs"]["timeoutSeconds"] == 1200
    assert run.one("gcp:storage/bucket:Bucket")["protect"] is False
    assert run.one("gcp:kms/cryptoKey:CryptoKey")["protect"] is False


def test_bucket_access_logs_to_an_existing_bucket(project, run_stack) -> None:
    run = variant(project, run_stack, storage__accessLogBucket="team-logs")
    assert run.one("gcp:storage/bucket:Bucket")["inputs"]["logging"] == {
        "logBucket": "team-logs",
        "logObjectPrefix": "gcs-access/variant-iris/",
    }


def test_published_gs_model_is_referenced_not_uploaded(project, run_stack) -> None:
    uri = "gs://models-bucket/registry/iris/sha256-" + "b" * 64 + "/manifest.json"
    run = variant(project, run_stack, model=uri)
    assert not run.of("gcp:storage/bucketObject:BucketObject")
    assert (
        run.one(DEPLOYMENT)["inputs"]["model"]["artifactUri"]
        == "gs://models-bucket/registry/iris/sha256-" + "b" * 64 + "/triton/"
    )


def test_plan_has_no_error_findings_and_a_cost_range() -> None:
    from stacks.plan import run_plan

    for stack in ("gcp-vertex-dev", "gcp-cloudrun-dev"):
        plan = run_plan(stack, ROOT)
        assert [f for f in plan["findings"] if f["severity"] == "error"] == []
        assert plan["cost"]["monthly_max"] > 0
    assert plan["cost"]["items"][0]["monthly_min"] == 0  # Cloud Run scales to zero
