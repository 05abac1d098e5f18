"""The Azure component under the recording mocks: exact inputs (wire names) for what matters to users and
security, the traffic ordering, the capacity that autoscale owns, and a snapshot of the example stack."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import PlanRun, edit_endpoint

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
RG = f"{SUB}/resourceGroups/mlinfra-azure-dev-iris"
WS = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/azure-dev-iris-ws"
ENDPOINT_ID = f"{WS}/onlineEndpoints/azure-dev-iris-12b9"
ACCOUNT_ID = f"{RG}/providers/Microsoft.Storage/storageAccounts/azuredeviris962d94"
ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
ALERT = "azure-native:monitor:MetricAlert"
AUTOSCALE = "azure-native:monitor:AutoscaleSetting"

# The azure-dev stack's resource graph. A change here is a change in someone's production: update it on purpose.
AZURE_DEV_GRAPH = [
    ("azure-native:applicationinsights:Component", "iris-appinsights"),
    ("azure-native:applicationinsights:Workbook", "iris-dashboard"),
    ("azure-native:authorization:RoleAssignment", "iris-grant-endpoint-capture-write"),
    ("azure-native:authorization:RoleAssignment", "iris-grant-endpoint-model-read"),
    ("azure-native:keyvault:Vault", "iris-vault"),
    ("azure-native:machinelearningservices:ModelContainer", "iris-model"),
    ("azure-native:machinelearningservices:ModelVersion", "iris-model-2e138d1ba33c"),
    ("azure-native:machinelearningservices:OnlineDeployment", "iris-blue"),
    ("azure-native:machinelearningservices:OnlineDeployment", "iris-green"),
    ("azure-native:machinelearningservices:OnlineEndpoint", "iris"),
    ("azure-native:machinelearningservices:Workspace", "iris-workspace"),
    ("azure-native:monitor:ActionGroup", "iris-alerts"),
    ("azure-native:monitor:AutoscaleSetting", "iris-autoscale-blue"),
    ("azure-native:monitor:AutoscaleSetting", "iris-autoscale-green"),
    ("azure-native:monitor:DiagnosticSetting", "iris-diagnostics"),
    ("azure-native:monitor:MetricAlert", "iris-alert-capacity-blue"),
    ("azure-native:monitor:MetricAlert", "iris-alert-capacity-green"),
    ("azure-native:monitor:MetricAlert", "iris-alert-cpu-blue"),
    ("azure-native:monitor:MetricAlert", "iris-alert-cpu-green"),
    ("azure-native:monitor:MetricAlert", "iris-alert-error-rate"),
    ("azure-native:monitor:MetricAlert", "iris-alert-latency-p99"),
    ("azure-native:monitor:MetricAlert", "iris-alert-memory-blue"),
    ("azure-native:monitor:MetricAlert", "iris-alert-memory-green"),
    ("azure-native:operationalinsights:Workspace", "iris-logs"),
    ("azure-native:resources:ResourceGroup", "iris-rg"),
    ("azure-native:storage:Blob", "iris-blob-2e138d1ba33c-triton/iris/1/model.onnx"),
    ("azure-native:storage:Blob", "iris-blob-2e138d1ba33c-triton/iris/config.pbtxt"),
    ("azure-native:storage:BlobContainer", "iris-artifacts"),
    ("azure-native:storage:BlobServiceProperties", "iris-blob-service"),
    ("azure-native:storage:StorageAccount", "iris-storage"),
    ("mlinfra:azure:Endpoint", "iris"),
    ("pulumi-python:dynamic/mlinfra:EndpointTraffic", "iris-traffic"),
]


@pytest.fixture(scope="module")
def dev() -> PlanRun:
    from stacks.plan import load_spec, run_program
    from tests.conftest import ROOT

    spec, config, _ = load_spec("azure-dev", ROOT)
    return PlanRun(*run_program(spec, config))


def variant(project, run_stack, **patch: Any) -> PlanRun:
    cfg = project.base("azure-dev")
    for path, value in patch.items():
        edit_endpoint(cfg, path.replace("__", "."), value)
    return run_stack(project.write("variant", cfg["config"]), project.dir)


def urn(run: PlanRun, typ: str, name: str) -> str:
    return run.one(typ, name)["urn"]


# ---------------------------------------------------------------------------------------------- graph
def test_azure_dev_graph_snapshot(dev: PlanRun) -> None:
    assert dev.graph() == AZURE_DEV_GRAPH


def test_every_child_is_parented_to_the_component(dev: PlanRun) -> None:
    component = dev.one("mlinfra:azure:Endpoint")
    assert all(r["parent"] == component["urn"] for r in dev.resources if r["custom"])


# ---------------------------------------------------------------------------------------------- storage, vault, workspace
def test_storage_account_is_locked_down_and_protected(dev: PlanRun) -> None:
    acct = dev.one("azure-native:storage:StorageAccount")
    i = acct["inputs"]
    assert (
        i["accountName"] == "azuredeviris962d94"
        and len(i["accountName"]) <= 24
        and i["accountName"].isalnum()
    )
    assert i["enableHttpsTrafficOnly"] is True
    assert i["minimumTlsVersion"] == "TLS1_2"
    assert i["allowBlobPublicAccess"] is False
    assert i["allowSharedKeyAccess"] is False
    assert i["defaultToOAuthAuthentication"] is True
    assert i["allowCrossTenantReplication"] is False
    assert i["encryption"] == {
        "keySource": "Microsoft.Storage",
        "requireInfrastructureEncryption": True,
        "services": {
            "blob": {"enabled": True, "keyType": "Account"},
            "file": {"enabled": True, "keyType": "Account"},
        },
    }
    assert i["sku"] == {"name": "Standard_LRS"}
    assert acct["protect"] is True


def test_blob_soft_delete_versioning_and_private_container(dev: PlanRun) -> None:
    svc = dev.one("azure-native:storage:BlobServiceProperties")["inputs"]
    assert svc["isVersioningEnabled"] is True
    assert svc["deleteRetentionPolicy"] == {"enabled": True, "days": 30}
    assert svc["containerDeleteRetentionPolicy"] == {"enabled": True, "days": 30}
    container = dev.one("azure-native:storage:BlobContainer")
    assert (
        container["inputs"]["publicAccess"] == "None" and container["inputs"]["containerName"] == "artifacts"
    )
    assert (
        urn(dev, "azure-native:storage:BlobServiceProperties", "iris-blob-service")
        in container["dependencies"]
    )


def test_key_vault_is_rbac_purge_protected_and_soft_deleted(dev: PlanRun) -> None:
    vault = dev.one("azure-native:keyvault:Vault")
    p = vault["inputs"]["properties"]
    assert p["enableRbacAuthorization"] is True
    assert p["enablePurgeProtection"] is True
    assert p["enableSoftDelete"] is True and p["softDeleteRetentionInDays"] == 90
    assert p["publicNetworkAccess"] == "Enabled"
    assert p["tenantId"] == "11111111-1111-1111-1111-111111111111"
    assert "accessPolicies" not in p
    assert vault["protect"] is True


def test_workspace_has_identity_hbi_and_identity_datastores(dev: PlanRun) -> None:
    ws = dev.one("azure-native:machinelearningservices:Workspace")
    i = ws["inputs"]
    assert i["identity"] == {"type": "SystemAssigned"}
    assert i["hbiWorkspace"] is True
    assert i["publicNetworkAccess"] == "Enabled"
    assert i["systemDatastoresAuthMode"] == "Identity"
    assert i["storageAccount"] == ACCOUNT_ID
    assert i["keyVault"].endswith("/providers/Microsoft.KeyVault/vaults/kvazuredeviris5d6f46")
    assert i["applicationInsights"].endswith("/providers/Microsoft.Insights/components/azure-dev-iris-appi")
    assert ws["protect"] is True
    appi = dev.one("azure-native:applicationinsights:Component")["inputs"]
    assert appi["ingestionMode"] == "LogAnalytics" and appi["kind"] == "web"
    assert (
        appi["workspaceResourceId"]
        == f"{RG}/providers/Microsoft.OperationalInsights/workspaces/azure-dev-iris-logs"
    )


def test_role_assignments(dev: PlanRun) -> None:
    got = {
        r["name"]: (
            r["inputs"]["roleDefinitionId"].rsplit("/", 1)[1],
            r["inputs"]["scope"],
            r["inputs"]["principalType"],
        )
        for r in dev.of("azure-native:authorization:RoleAssignment")
    }
    container = f"{ACCOUNT_ID}/blobServices/default/containers/artifacts"
    assert got == {
        "iris-grant-endpoint-model-read": (
            "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
            container,
            "ServicePrincipal",
        ),
        "iris-grant-endpoint-capture-write": (
            "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
            ACCOUNT_ID,
            "ServicePrincipal",
        ),
    }
    endpoint = dev.one(ENDPOINT)
    reader = dev.one("azure-native:authorization:RoleAssignment", "iris-grant-endpoint-model-read")
    assert reader["inputs"]["principalId"] == endpoint["outputs"]["identity"]["principalId"]
    # the workspace's own identity gets its roles from Azure ML at creation: none declared here (no duplicates)
    workspace = dev.one("azure-native:machinelearningservices:Workspace")
    assert all(
        r["inputs"]["principalId"] != workspace["outputs"]["identity"]["principalId"]
        for r in dev.of("azure-native:authorization:RoleAssignment")
    )


# ---------------------------------------------------------------------------------------------- model
def test_model_is_uploaded_content_addressed_and_registered_as_triton(dev: PlanRun) -> None:
    blobs = {r["inputs"]["blobName"]: r for r in dev.of("azure-native:storage:Blob")}
    prefix = "models/iris/sha256-2e138d1ba33c63f3c1f8916feedcd4ff7242e3f02792835e4d4b962a279e4fc5/triton/iris"
    assert set(blobs) == {f"{prefix}/1/model.onnx", f"{prefix}/config.pbtxt"}
    onnx = blobs[f"{prefix}/1/model.onnx"]["inputs"]
    assert (
        onnx["metadata"]["mlinfra_sha256"]
        == "720bfe39a3a48618a237c35d1f4b4b244f35af2018e1ba35131c8b5c033e810d"
    )
    assert onnx["source"] == {"asset": "file", "path": onnx["source"]["path"]} and onnx["source"][
        "path"
    ].endswith("examples/iris/dist/triton/iris/1/model.onnx")
    version = dev.one("azure-native:machinelearningservices:ModelVersion")
    assert version["inputs"]["properties"]["modelType"] == "triton_model"
    assert (
        version["inputs"]["properties"]["modelUri"]
        == "https://azuredeviris962d94.blob.core.windows.net/artifacts/" + prefix.rsplit("/", 1)[0]
    )
    assert version["inputs"]["version"] == "2e138d1ba33c"
    assert {b["urn"] for b in blobs.values()} <= set(version["dependencies"])


# ---------------------------------------------------------------------------------------------- endpoint, deployments, traffic
def test_endpoint_authenticates_with_aad_tokens(dev: PlanRun) -> None:
    ep = dev.one(ENDPOINT)
    assert ep["inputs"]["endpointName"] == "azure-dev-iris-12b9"
    assert ep["inputs"]["properties"]["authMode"] == "AADToken"
    assert ep["inputs"]["properties"]["publicNetworkAccess"] == "Enabled"
    assert ep["inputs"]["identity"] == {"type": "SystemAssigned"}
    assert "traffic" not in ep["inputs"]["properties"] and "mirrorTraffic" not in ep["inputs"]["properties"]
    assert ep["ignoreChanges"] == ["properties.mirrorTraffic", "properties.traffic"]


def test_deployments_run_triton_with_probes_requests_app_insights_and_capture(dev: PlanRun) -> None:
    green = dev.one(DEPLOYMENT, "iris-green")
    p = green["inputs"]["properties"]
    assert (
        green["inputs"]["deploymentName"] == "green"
        and green["inputs"]["endpointName"] == "azure-dev-iris-12b9"
    )
    assert green["inputs"]["sku"] == {"name": "Default", "capacity": 1}
    assert p["endpointComputeType"] == "Managed"
    assert p["instanceType"] == "Standard_F4s_v2"
    assert p["model"] == f"{WS}/models/iris/versions/2e138d1ba33c"
    assert "environmentId" not in p  # triton_model: Azure's Triton, no scoring script, no environment
    assert p["appInsightsEnabled"] is True
    assert p["egressPublicNetworkAccess"] == "Enabled"
    assert (
        p["requestSettings"]["requestTimeout"] == "PT60S"
        and p["requestSettings"]["maxConcurrentRequestsPerInstance"] == 4
    )
    assert p["livenessProbe"] == {
        "initialDelay": "PT30S",
        "period": "PT10S",
        "timeout": "PT2S",
        "failureThreshold": 30,
        "successThreshold": 1,
    }
    assert p["readinessProbe"]["initialDelay"] == "PT10S"
    assert p["dataCollector"] == {
        "collections": {
            "request": {"dataCollectionMode": "Enabled", "samplingRate": 0.05},
            "response": {"dataCollectionMode": "Enabled", "samplingRate": 0.05},
        },
        "rollingRate": "Hour",
    }
    reader = urn(dev, "azure-native:authorization:RoleAssignment", "iris-grant-endpoint-model-read")
    assert reader in green["dependencies"]
    # one operation at a time on the endpoint: green after blue
    assert urn(dev, DEPLOYMENT, "iris-blue") in green["dependencies"]


def test_autoscaled_capacity_is_not_reset_by_the_next_up(dev: PlanRun) -> None:
    for d in dev.of(DEPLOYMENT):
        assert d["ignoreChanges"] == ["sku.capacity"], d["name"]


def test_traffic_is_set_after_both_deployments_exist(dev: PlanRun) -> None:
    step = dev.one("pulumi-python:dynamic/mlinfra:EndpointTraffic", "iris-traffic")
    assert step["inputs"]["endpointId"] == ENDPOINT_ID
    assert step["inputs"]["traffic"] == {"blue": 90, "green": 10}
    assert sum(step["inputs"]["traffic"].values()) == 100
    assert step["inputs"]["mirrorTraffic"] == {}
    assert step["inputs"]["__provider"] == "[secret]"
    assert {urn(dev, DEPLOYMENT, "iris-blue"), urn(dev, DEPLOYMENT, "iris-green")} <= set(
        step["dependencies"]
    )


# ---------------------------------------------------------------------------------------------- autoscale
def test_autoscale_targets_each_deployment_with_rules_cooldowns_and_schedules(dev: PlanRun) -> None:
    s = dev.one(AUTOSCALE, "iris-autoscale-green")
    dep_id = f"{ENDPOINT_ID}/deployments/green"
    assert s["inputs"]["targetResourceUri"] == dep_id
    assert s["inputs"]["enabled"] is True
    assert s["inputs"]["autoscaleSettingName"] == "azure-dev-iris-green"
    default, business, off = s["inputs"]["profiles"]
    assert default["capacity"] == {"minimum": "1", "maximum": "4", "default": "1"}
    rules = [
        (
            r["metricTrigger"]["metricName"],
            r["metricTrigger"]["operator"],
            r["metricTrigger"]["threshold"],
            r["metricTrigger"]["dividePerInstance"],
            r["scaleAction"]["direction"],
            r["scaleAction"]["cooldown"],
        )
        for r in default["rules"]
    ]
    assert rules == [
        ("CpuUtilizationPercentage", "GreaterThan", 70, False, "Increase", "PT1M"),
        ("CpuUtilizationPercentage", "LessThan", 42, False, "Decrease", "PT5M"),
        ("RequestsPerMinute", "GreaterThan", 1000, True, "Increase", "PT1M"),
        ("RequestsPerMinute", "LessThan", 600, True, "Decrease", "PT5M"),
        ("RequestLatency_P99", "GreaterThan", 400, False, "Increase", "PT1M"),
    ]
    assert all(r["metricTrigger"]["metricResourceUri"] == dep_id for r in default["rules"])
    assert all(
        r["metricTrigger"]["metricNamespace"]
        == "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
        for r in default["rules"]
    )
    assert business["name"] == "business-hours" and business["capacity"] == {
        "minimum": "2",
        "maximum": "4",
        "default": "2",
    }
    assert business["recurrence"] == {
        "frequency": "Week",
        "schedule": {
            "timeZone": "W. Europe Standard Time",
            "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
            "hours": [8],
            "minutes": [0],
        },
    }
    assert off["recurrence"]["schedule"]["hours"] == [19]
    assert (
        dev.one(AUTOSCALE, "iris-autoscale-blue")["inputs"]["targetResourceUri"]
        == f"{ENDPOINT_ID}/deployments/blue"
    )


# ---------------------------------------------------------------------------------------------- alerts
def test_alert_criteria_scopes_and_actions(dev: PlanRun) -> None:
    group = dev.one("azure-native:monitor:ActionGroup")
    assert group["inputs"]["emailReceivers"] == [
        {"name": "email-0", "emailAddress": "ml-oncall@example.com", "useCommonAlertSchema": True}
    ]
    assert group["inputs"]["enabled"] is True and group["inputs"]["groupShortName"] == "mliris"
    group_id = f"{RG}/providers/microsoft.insights/actionGroups/azure-dev-iris-alerts"
    alerts = {a["name"]: a["inputs"] for a in dev.of(ALERT)}
    for a in alerts.values():
        assert a["actions"] == [{"actionGroupId": group_id}]
        assert a["enabled"] is True and a["evaluationFrequency"] == "PT1M" and a["windowSize"] == "PT5M"
        assert a["criteria"]["odataType"] == "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"

    def crit(name: str) -> tuple[Any, ...]:
        c = alerts[name]["criteria"]["allOf"]
        assert len(c) == 1 and c[0]["criterionType"] == "StaticThresholdCriterion"
        return (
            alerts[name]["scopes"],
            c[0]["metricName"],
            c[0]["timeAggregation"],
            c[0]["operator"],
            c[0]["threshold"],
            c[0].get("dimensions"),
        )

    assert crit("iris-alert-latency-p99") == (
        [ENDPOINT_ID],
        "RequestLatency_P99",
        "Average",
        "GreaterThan",
        500,
        None,
    )
    assert crit("iris-alert-error-rate") == (
        [ENDPOINT_ID],
        "RequestsPerMinute",
        "Average",
        "GreaterThan",
        10,
        [{"name": "statusCodeClass", "operator": "Exclude", "values": ["2xx"]}],
    )
    for slot in ("blue", "green"):
        dep = f"{ENDPOINT_ID}/deployments/{slot}"
        assert crit(f"iris-alert-cpu-{slot}") == (
            [dep],
            "CpuUtilizationPercentage",
            "Average",
            "GreaterThan",
            85,
            None,
        )
        assert crit(f"iris-alert-memory-{slot}") == (
            [dep],
            "CpuMemoryUtilizationPercentage",
            "Average",
            "GreaterThan",
            85,
            None,
        )
        assert crit(f"iris-alert-capacity-{slot}") == (
            [dep],
            "DeploymentCapacity",
            "Minimum",
            "LessThan",
            1,
            None,
        )
    assert (
        alerts["iris-alert-error-rate"]["severity"] == 1 and alerts["iris-alert-latency-p99"]["severity"] == 2
    )


def test_workbook_and_diagnostics(dev: PlanRun) -> None:
    wb = dev.one("azure-native:applicationinsights:Workbook")["inputs"]
    assert wb["kind"] == "shared" and wb["category"] == "workbook"
    data = json.loads(wb["serializedData"])
    titles = [i["name"] for i in data["items"]]
    assert "Request latency P50 / P99 (ms)" in titles and "Deployment capacity (instances)" in titles
    util = next(i for i in data["items"] if i["name"] == "Utilization (%) per deployment")["content"]
    assert util["resourceIds"] == [f"{ENDPOINT_ID}/deployments/blue", f"{ENDPOINT_ID}/deployments/green"]
    diag = dev.one("azure-native:monitor:DiagnosticSetting")["inputs"]
    assert diag["resourceUri"] == ENDPOINT_ID and diag["logs"] == [
        {"categoryGroup": "allLogs", "enabled": True}
    ]
    assert (
        diag["workspaceId"] == f"{RG}/providers/Microsoft.OperationalInsights/workspaces/azure-dev-iris-logs"
    )


def test_outputs(dev: PlanRun) -> None:
    out = dev.outputs["iris"]
    assert out["endpointName"] == "azure-dev-iris-12b9"
    assert out["invokeUrl"] == "https://azure-dev-iris-12b9.westeurope.inference.ml.azure.com/score"
    assert out["artifactBucket"] == "azuredeviris962d94/artifacts"
    assert out["modelDataUrl"].endswith("/triton") and out["modelDataUrl"].startswith(
        "https://azuredeviris962d94.blob.core.windows.net/artifacts/models/iris/"
    )
    assert len(out["alarmNames"]) == 8 and "azure-dev-iris-error-rate" in out["alarmNames"]
    assert out["dashboardUrl"].startswith(
        "https://portal.azure.com/#@11111111-1111-1111-1111-111111111111/resource/"
    ) and out["dashboardUrl"].endswith("/workbook")
    assert out["traffic"] == {"blue": 90, "green": 10}


# ---------------------------------------------------------------------------------------------- variants
def test_mirror_all_at_once_and_fixed_size(project, run_stack) -> None:
    run = variant(project, run_stack, rollout__mirrorPercent=20)
    step = run.one("pulumi-python:dynamic/mlinfra:EndpointTraffic", "iris-traffic")["inputs"]
    assert step["traffic"] == {"blue": 100, "green": 0} and step["mirrorTraffic"] == {"green": 20}
    single = variant(
        project,
        run_stack,
        rollout__strategy="all-at-once",
        autoscaling__enabled=False,
        capture__samplePercent=0,
    )
    assert [d["name"] for d in single.of(DEPLOYMENT)] == ["iris-green"]
    assert "ignoreChanges" not in single.of(DEPLOYMENT)[0]  # no autoscale: the declared capacity is the truth
    assert single.of(AUTOSCALE) == []
    assert single.one("pulumi-python:dynamic/mlinfra:EndpointTraffic")["inputs"]["traffic"] == {"green": 100}
    assert "iris-grant-endpoint-capture-write" not in {
        r["name"] for r in single.of("azure-native:authorization:RoleAssignment")
    }
    assert "dataCollector" not in single.one(DEPLOYMENT)["inputs"]["properties"]


def test_private_network_locks_workspace_endpoint_egress_storage_and_vault(project, run_stack) -> None:
    run = variant(project, run_stack, network={"private": True})
    assert (
        run.one("azure-native:machinelearningservices:Workspace")["inputs"]["publicNetworkAccess"]
        == "Disabled"
    )
    assert run.one("azure-native:machinelearningservices:Workspace")["inputs"]["managedNetwork"] == {
        "isolationMode": "AllowOnlyApprovedOutbound"
    }
    assert run.one(ENDPOINT)["inputs"]["properties"]["publicNetworkAccess"] == "Disabled"
    assert all(
        d["inputs"]["properties"]["egressPublicNetworkAccess"] == "Disabled" for d in run.of(DEPLOYMENT)
    )
    acct = run.one("azure-native:storage:StorageAccount")["inputs"]
    assert acct["publicNetworkAccess"] == "Disabled" and acct["networkRuleSet"]["defaultAction"] == "Deny"
    assert run.one("azure-native:keyvault:Vault")["inputs"]["properties"]["publicNetworkAccess"] == "Disabled"


def test_gpu_existing_group_published_model_custom_image_and_overrides(project, run_stack) -> None:
    uri = "az://mlartifacts/models/prod/iris/sha256-" + "a" * 64 + "/manifest.json"
    run = variant(
        project,
        run_stack,
        model=uri,
        compute__accelerator="gpu",
        compute__instanceType=None,
        alerts__gpuUtilizationPercent=90,
        serving={"image": "nvcr.io/nvidia/tritonserver:25.04-py3", "port": 8000},
        azure={"resourceGroupName": "ml-shared", "candidateSlot": "blue"},
        overrides={"endpoint": {"properties": {"description": "team endpoint"}}},
        storage={"protect": False},
    )
    assert run.of("azure-native:resources:ResourceGroup") == []
    assert run.one(ENDPOINT)["inputs"]["resourceGroupName"] == "ml-shared"
    assert run.one(ENDPOINT)["inputs"]["properties"] == {
        "authMode": "AADToken",
        "publicNetworkAccess": "Enabled",
        "description": "team endpoint",
    }
    assert run.of("azure-native:storage:Blob") == []
    version = run.one("azure-native:machinelearningservices:ModelVersion")["inputs"]["properties"]
    assert (
        version["modelUri"]
        == f"https://mlartifacts.blob.core.windows.net/models/prod/iris/sha256-{'a' * 64}/triton"
    )
    blue = run.one(DEPLOYMENT, "iris-blue")["inputs"]["properties"]
    assert blue["instanceType"] == "Standard_NC4as_T4_v3"
    env = run.one("azure-native:machinelearningservices:EnvironmentVersion")
    assert (
        blue["environmentId"]
        == f"{SUB}/resourceGroups/ml-shared/providers/Microsoft.MachineLearningServices/workspaces/variant-iris-ws/environments/variant-iris-serving/versions/{env['inputs']['version']}"
    )
    assert env["inputs"]["properties"]["image"] == "nvcr.io/nvidia/tritonserver:25.04-py3"
    assert env["inputs"]["properties"]["inferenceConfig"]["readinessRoute"] == {
        "path": "/v2/health/ready",
        "port": 8000,
    }
    assert {a["name"] for a in run.of(ALERT)} >= {"iris-alert-gpu-blue", "iris-alert-gpu-green"}
    rules = run.one(AUTOSCALE, "iris-autoscale-blue")["inputs"]["profiles"][0]["rules"]
    assert rules[0]["metricTrigger"]["metricName"] == "GpuUtilizationPercentage"
    assert run.one("azure-native:storage:StorageAccount")["protect"] is False
    assert run.one("pulumi-python:dynamic/mlinfra:EndpointTraffic")["inputs"]["traffic"] == {
        "blue": 10,
        "green": 90,
    }


def test_traffic_is_reapplied_when_the_endpoint_changes_and_only_then(project, run_stack) -> None:
    def revision(**patch: Any) -> str:
        return variant(project, run_stack, **patch).one("pulumi-python:dynamic/mlinfra:EndpointTraffic")[
            "inputs"
        ]["endpointRevision"]

    base = revision(alerts__latencyP99Ms=600)
    assert revision(alerts__latencyP99Ms=700) == base  # the endpoint is untouched: no traffic write
    assert revision(alerts__latencyP99Ms=600, azure={"authMode": "AMLToken"}) != base


def test_blue_green_with_two_models_routes_each_slot_to_its_version(project, run_stack) -> None:
    v1 = "az://mlartifacts/models/prod/iris/sha256-" + "b" * 64 + "/manifest.json"
    run = variant(project, run_stack, azure={"stableModel": v1, "candidateTrafficPercent": 25})
    versions = {
        r["inputs"]["version"]: r for r in run.of("azure-native:machinelearningservices:ModelVersion")
    }
    assert set(versions) == {"2e138d1ba33c", "bbbbbbbbbbbb"}
    assert versions["bbbbbbbbbbbb"]["inputs"]["properties"]["modelUri"].startswith(
        "https://mlartifacts.blob.core.windows.net/models/prod/iris/"
    )
    ws = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mlinfra-variant-iris/providers/Microsoft.MachineLearningServices/workspaces/variant-iris-ws"
    assert (
        run.one(DEPLOYMENT, "iris-blue")["inputs"]["properties"]["model"]
        == f"{ws}/models/iris/versions/bbbbbbbbbbbb"
    )
    assert (
        run.one(DEPLOYMENT, "iris-green")["inputs"]["properties"]["model"]
        == f"{ws}/models/iris/versions/2e138d1ba33c"
    )
    assert run.one("pulumi-python:dynamic/mlinfra:EndpointTraffic")["inputs"]["traffic"] == {
        "blue": 75,
        "green": 25,
    }
    assert len(run.of("azure-native:machinelearningservices:ModelContainer")) == 1
