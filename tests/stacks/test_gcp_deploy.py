"""The Vertex AI deployment provider (components.gcp.deploy) against a fake of the API client: create, diff,
update (rollout and in-place scaling), delete, and failures mid-way. No network, no Pulumi engine."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.gcp.deploy import DeploymentError, VertexDeploymentProvider

ENDPOINT = "projects/demo-project/locations/us-central1/endpoints/2369564069"


class NotFound(Exception):
    pass


class FakeVertex:
    """An in-memory Vertex AI: models, the endpoint's deployed models and its traffic split. ``fail`` maps a
    method name to the call number (1-based) that raises."""

    def __init__(self, fail: dict[str, int] | None = None, unhealthy: set[str] | None = None):
        self.models: dict[str, dict[str, Any]] = {}
        self.deployed: dict[str, dict[str, Any]] = {}
        self.traffic: dict[str, int] = {}
        self.calls: list[tuple[str, Any]] = []
        self.fail = fail or {}
        self.unhealthy = unhealthy or set()
        self._n: dict[str, int] = {}
        self._ids = 0

    def _step(self, name: str, detail: Any) -> None:
        self.calls.append((name, detail))
        self._n[name] = self._n.get(name, 0) + 1
        if self.fail.get(name) == self._n[name]:
            raise RuntimeError(f"{name} failed (injected)")

    def _id(self) -> str:
        self._ids += 1
        return str(1000 + self._ids)

    def upload_model(self, model: dict[str, Any], timeout: float) -> str:
        self._step("upload_model", model["displayName"])
        name = f"projects/1/locations/us-central1/models/{self._id()}"
        self.models[name] = model
        return name

    def deploy_model(
        self,
        endpoint: str,
        model_name: str,
        deployment: dict[str, Any],
        traffic_split: dict[str, int],
        timeout: float,
    ) -> str:
        self._step("deploy_model", (model_name, dict(traffic_split)))
        assert model_name in self.models, "deploying a model that does not exist"
        assert sum(traffic_split.values()) == 100
        dm = self._id()
        self.deployed[dm] = {"model": model_name, **copy.deepcopy(deployment)}
        self.traffic = {(dm if k == "0" else k): v for k, v in traffic_split.items() if v}
        return dm

    def undeploy_model(
        self, endpoint: str, deployed_model_id: str, traffic_split: dict[str, int], timeout: float
    ) -> None:
        self._step("undeploy_model", deployed_model_id)
        if deployed_model_id not in self.deployed:
            raise NotFound(deployed_model_id)
        # Vertex undeploys a model only if it has no traffic, the new split takes it away, or it is the last one.
        last = len(self.deployed) == 1
        assert (
            last
            or self.traffic.get(deployed_model_id, 0) == 0
            or traffic_split.get(deployed_model_id, 0) == 0
            and traffic_split
        ), "undeploying a model that has traffic"
        del self.deployed[deployed_model_id]
        self.traffic = {
            k: v for k, v in (traffic_split or self.traffic).items() if v and k != deployed_model_id
        }

    def set_traffic(self, endpoint: str, traffic_split: dict[str, int]) -> None:
        self._step("set_traffic", dict(traffic_split))
        assert sum(traffic_split.values()) == 100
        self.traffic = {k: v for k, v in traffic_split.items() if v}

    def mutate_deployed_model(
        self, endpoint: str, deployed_model_id: str, deployment: dict[str, Any], timeout: float
    ) -> None:
        self._step("mutate_deployed_model", deployed_model_id)
        self.deployed[deployed_model_id].update(
            replicas=deployment["replicas"], autoscaling=deployment["autoscaling"]
        )

    def delete_model(self, model_name: str, timeout: float) -> None:
        self._step("delete_model", model_name)
        if model_name not in self.models:
            raise NotFound(model_name)
        assert not any(d["model"] == model_name for d in self.deployed.values()), "deleting a deployed model"
        del self.models[model_name]

    def deployed_model_healthy(self, endpoint: str, deployed_model_id: str) -> bool:
        self._step("deployed_model_healthy", deployed_model_id)
        return (
            deployed_model_id in self.deployed
            and self.deployed[deployed_model_id]["model"] not in self.unhealthy
        )

    def is_not_found(self, exc: BaseException) -> bool:
        return isinstance(exc, NotFound)

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]


def props(
    digest: str = "aaa",
    machine: str = "e2-standard-2",
    strategy: str = "canary",
    step: int = 10,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "project": "demo-project",
        "region": "us-central1",
        "endpoint": ENDPOINT,
        "deployedModelDisplayName": "dev-iris",
        "model": {
            "displayName": "dev-iris-iris",
            "artifactUri": f"gs://b/models/iris/sha256-{digest}/triton/",
            "imageUri": "img",
            "digest": digest,
        },
        "machine": {"machineType": machine, "acceleratorCount": 0},
        "replicas": {"min": 1, "max": 4},
        "autoscaling": [
            {"metricName": "aiplatform.googleapis.com/prediction/online/cpu/utilization", "target": 70}
        ],
        "traffic": {"strategy": strategy, "stepPercent": step, "waitMinutes": 10, "autoRollback": True},
        "serviceAccount": "ml-dev-iris@demo-project.iam.gserviceaccount.com",
        "timeoutSeconds": 600,
        **extra,
    }


@pytest.fixture
def fake() -> FakeVertex:
    return FakeVertex()


def provider(fake: FakeVertex, slept: list[float] | None = None) -> VertexDeploymentProvider:
    return VertexDeploymentProvider(
        client_factory=lambda project, region: fake,
        sleep=(slept.append if slept is not None else lambda s: None),
    )


def created(fake: FakeVertex) -> tuple[VertexDeploymentProvider, dict[str, Any]]:
    prov = provider(fake)
    result = prov.create(props())
    return prov, result.outs


# ---- create --------------------------------------------------------------------------------------------
def test_create_uploads_then_deploys_with_all_traffic(fake: FakeVertex) -> None:
    _, outs = created(fake)
    assert fake.names() == ["upload_model", "deploy_model"]
    dm = outs["deployedModelId"]
    assert fake.traffic == {dm: 100}
    assert outs["trafficSplit"] == {dm: 100}
    assert fake.deployed[dm]["machine"] == {"machineType": "e2-standard-2", "acceleratorCount": 0}
    assert fake.deployed[dm]["replicas"] == {"min": 1, "max": 4}
    assert fake.deployed[dm]["autoscaling"] == [
        {"metricName": "aiplatform.googleapis.com/prediction/online/cpu/utilization", "target": 70}
    ]
    assert fake.deployed[dm]["serviceAccount"] == "ml-dev-iris@demo-project.iam.gserviceaccount.com"
    assert outs["modelName"] in fake.models


def test_create_id_names_the_endpoint_and_the_model(fake: FakeVertex) -> None:
    assert provider(fake).create(props()).id == f"{ENDPOINT}#dev-iris-iris"


def test_create_failing_deploy_deletes_the_uploaded_model(fake: FakeVertex) -> None:
    fake.fail = {"deploy_model": 1}
    with pytest.raises(DeploymentError, match="uploaded model was deleted; nothing is left"):
        provider(fake).create(props())
    assert fake.models == {} and fake.deployed == {}


def test_create_failing_deploy_and_cleanup_names_what_is_left(fake: FakeVertex) -> None:
    fake.fail = {"deploy_model": 1, "delete_model": 1}
    with pytest.raises(DeploymentError) as err:
        provider(fake).create(props())
    left = next(iter(fake.models))
    assert left in str(err.value) and "gcloud ai models delete" in str(err.value)


def test_check_refuses_missing_fields_and_zero_replicas(fake: FakeVertex) -> None:
    bad = props(replicas={"min": 0, "max": 2})
    del bad["endpoint"]
    failures = provider(fake).check({}, bad).failures
    assert {f.property for f in failures} == {"endpoint", "replicas"}


# ---- diff ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "replaces"),
    [
        ({"endpoint": ENDPOINT.replace("2369564069", "1111111111")}, ["endpoint"]),
        ({"region": "europe-west4"}, ["region"]),
        (
            {
                "machine": {
                    "machineType": "n1-standard-4",
                    "acceleratorType": "NVIDIA_TESLA_T4",
                    "acceleratorCount": 1,
                }
            },
            [],
        ),
        ({"replicas": {"min": 2, "max": 6}}, []),
    ],
)
def test_diff_replaces_only_on_endpoint_project_or_region(
    fake: FakeVertex, change: dict[str, Any], replaces: list[str]
) -> None:
    prov, outs = created(fake)
    d = prov.diff("id", outs, {**props(), **change})
    assert d.changes is True
    assert d.replaces == replaces
    assert d.delete_before_replace is False


def test_diff_keeps_the_deployed_model_stable_only_for_in_place_changes(fake: FakeVertex) -> None:
    prov, outs = created(fake)
    assert prov.diff("id", outs, props(replicas={"min": 2, "max": 6})).stables == [
        "modelName",
        "deployedModelId",
        "trafficSplit",
    ]
    assert prov.diff("id", outs, props(digest="bbb")).stables == []


def test_diff_of_the_same_inputs_is_no_change(fake: FakeVertex) -> None:
    prov, outs = created(fake)
    # The engine hands back ints as floats and may reorder keys: neither is a change.
    news = props()
    news["replicas"] = {"max": 4.0, "min": 1.0}
    assert prov.diff("id", outs, news).changes is False


# ---- update --------------------------------------------------------------------------------------------
def test_update_canary_moves_traffic_then_undeploys_the_old_model(fake: FakeVertex) -> None:
    slept: list[float] = []
    prov = provider(fake, slept)
    outs = prov.create(props()).outs
    old = outs["deployedModelId"]
    fake.calls.clear()
    new_outs = prov.update("id", outs, props(digest="bbb")).outs
    new = new_outs["deployedModelId"]
    assert new != old
    assert fake.names() == [
        "upload_model",
        "deploy_model",
        "deployed_model_healthy",
        "set_traffic",
        "undeploy_model",
    ]
    assert fake.calls[1][1][1] == {"0": 10, old: 90}  # the canary step
    assert fake.calls[3][1] == {new: 100, old: 0}
    assert slept == [600.0]  # waitMinutes
    assert fake.traffic == {new: 100}
    assert list(fake.deployed) == [new]
    assert new_outs["trafficSplit"] == {new: 100}
    assert outs["modelName"] in fake.models  # the old model stays in the registry for a rollback by config


def test_update_linear_steps_until_all_traffic(fake: FakeVertex) -> None:
    prov = provider(fake)
    outs = prov.create(props(strategy="linear", step=40)).outs
    old = outs["deployedModelId"]
    fake.calls.clear()
    new = prov.update("id", outs, props(digest="bbb", strategy="linear", step=40)).outs["deployedModelId"]
    splits = [c[1] for c in fake.calls if c[0] == "set_traffic"]
    assert fake.calls[1][1][1] == {"0": 40, old: 60}
    assert splits == [{new: 80, old: 20}, {new: 100, old: 0}]
    assert fake.names().count("deployed_model_healthy") == 2


def test_update_all_at_once_needs_no_wait(fake: FakeVertex) -> None:
    slept: list[float] = []
    prov = provider(fake, slept)
    outs = prov.create(props(strategy="all-at-once")).outs
    fake.calls.clear()
    prov.update("id", outs, props(digest="bbb", strategy="all-at-once"))
    assert fake.calls[1][1][1] == {"0": 100}
    assert fake.names() == ["upload_model", "deploy_model", "undeploy_model"]
    assert slept == []


def test_update_machine_only_redeploys_the_same_model(fake: FakeVertex) -> None:
    prov, outs = created(fake)
    fake.calls.clear()
    new = prov.update("id", outs, props(machine="n2-standard-4")).outs
    assert "upload_model" not in fake.names()
    assert new["modelName"] == outs["modelName"]
    assert fake.deployed[new["deployedModelId"]]["machine"]["machineType"] == "n2-standard-4"


def test_update_scaling_only_mutates_in_place(fake: FakeVertex) -> None:
    prov, outs = created(fake)
    fake.calls.clear()
    new = prov.update("id", outs, props(replicas={"min": 2, "max": 8})).outs
    assert fake.names() == ["mutate_deployed_model"]
    assert new["deployedModelId"] == outs["deployedModelId"]
    assert fake.deployed[outs["deployedModelId"]]["replicas"] == {"min": 2, "max": 8}


def test_update_rollout_settings_only_calls_nothing(fake: FakeVertex) -> None:
    prov, outs = created(fake)
    fake.calls.clear()
    new = prov.update("id", outs, props(step=20)).outs
    assert fake.calls == []
    assert new["deployedModelId"] == outs["deployedModelId"]


def test_update_failing_deploy_keeps_the_old_model_serving(fake: FakeVertex) -> None:
    prov, outs = created(fake)
    old = outs["deployedModelId"]
    fake.fail = {"deploy_model": 2}
    with pytest.raises(DeploymentError, match=f"old deployment {old} keeps all traffic; nothing new is left"):
        prov.update("id", outs, props(digest="bbb"))
    assert fake.traffic == {old: 100}
    assert list(fake.deployed) == [old]
    assert list(fake.models) == [outs["modelName"]]


def test_update_unhealthy_canary_rolls_back(fake: FakeVertex) -> None:
    prov, outs = created(fake)
    old = outs["deployedModelId"]
    fake.unhealthy = {"projects/1/locations/us-central1/models/1003"}  # the next upload
    with pytest.raises(DeploymentError, match="unhealthy at 10% of traffic; rolled back"):
        prov.update("id", outs, props(digest="bbb"))
    assert fake.traffic == {old: 100}
    assert list(fake.deployed) == [old]
    assert list(fake.models) == [outs["modelName"]]


def test_update_unhealthy_canary_without_auto_rollback_says_what_serves(fake: FakeVertex) -> None:
    prov, outs = created(fake)
    fake.unhealthy = {"projects/1/locations/us-central1/models/1003"}
    news = props(digest="bbb")
    news["traffic"]["autoRollback"] = False
    with pytest.raises(DeploymentError, match="autoRollback is off: it still has 10% of traffic"):
        prov.update("id", outs, news)
    assert sorted(fake.traffic.values()) == [10, 90]


def test_update_failing_to_retire_the_old_model_names_it(fake: FakeVertex) -> None:
    prov, outs = created(fake)
    old = outs["deployedModelId"]
    fake.fail = {"undeploy_model": 1}
    with pytest.raises(DeploymentError) as err:
        prov.update("id", outs, props(digest="bbb"))
    text = str(err.value)
    assert f"Left: deployed model {old}" in text and f"--deployed-model-id={old}" in text
    new = next(k for k in fake.deployed if k != old)
    assert fake.traffic == {new: 100}  # the new model serves; only the cleanup is left


# ---- delete --------------------------------------------------------------------------------------------
def test_delete_undeploys_then_deletes_the_model(fake: FakeVertex) -> None:
    prov, outs = created(fake)
    fake.calls.clear()
    prov.delete("id", outs)
    assert fake.names() == ["undeploy_model", "delete_model"]
    assert fake.deployed == {} and fake.models == {}


def test_delete_of_already_removed_things_succeeds(fake: FakeVertex) -> None:
    prov, outs = created(fake)
    fake.deployed.clear()
    fake.models.clear()
    prov.delete("id", outs)


def test_delete_failing_undeploy_deletes_nothing(fake: FakeVertex) -> None:
    prov, outs = created(fake)
    fake.fail = {"undeploy_model": 1}
    with pytest.raises(DeploymentError, match="nothing was deleted"):
        prov.delete("id", outs)
    assert outs["modelName"] in fake.models


def test_the_provider_pickles_and_the_program_never_imports_the_client_library() -> None:
    """Pulumi serializes the provider into the state; aiplatform is imported only inside AiPlatformClient."""
    import subprocess
    import sys

    from pulumi.dynamic.dynamic import serialize_provider

    from tests.conftest import ROOT

    assert serialize_provider(VertexDeploymentProvider())
    code = "import sys, components.gcp.endpoint; print(sorted(m for m in sys.modules if m.startswith('google.cloud.aiplatform')))"
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# ---- the real client's request mapping (google-cloud-aiplatform types, no network) -----------------------
class _Op:
    def __init__(self, result: Any):
        self._result = result

    def result(self, timeout: float | None = None) -> Any:
        return self._result


class _Recorder:
    """Stands in for the GAPIC Model/Endpoint service clients: records each request, answers like the API."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def upload_model(self, **kw: Any) -> _Op:
        self.requests.append(("upload_model", kw))
        return _Op(type("R", (), {"model": "projects/1/locations/us-central1/models/77"})())

    def deploy_model(self, **kw: Any) -> _Op:
        self.requests.append(("deploy_model", kw))
        return _Op(type("R", (), {"deployed_model": type("D", (), {"id": "88"})()})())


def test_real_client_builds_the_vertex_requests() -> None:
    from components.gcp.deploy import AiPlatformClient

    client = AiPlatformClient("demo-project", "us-central1")
    rec = _Recorder()
    client._models, client._endpoints = rec, rec  # type: ignore[assignment]
    p = props()
    p["model"].update(
        command=["tritonserver"],
        args=["--allow-vertex-ai=true"],
        env={"A": "1"},
        ports=[8080],
        kmsKeyName="projects/p/locations/r/keyRings/k/cryptoKeys/k",
    )
    p["machine"] = {"machineType": "g2-standard-4", "acceleratorType": "NVIDIA_L4", "acceleratorCount": 1}
    assert client.upload_model(p["model"], 60) == "projects/1/locations/us-central1/models/77"
    deployment = VertexDeploymentProvider._deployment(p)
    assert (
        client.deploy_model(
            ENDPOINT, "projects/1/locations/us-central1/models/77", deployment, {"0": 100}, 60
        )
        == "88"
    )
    (_, up), (_, dep) = rec.requests
    m = up["model"]
    assert up["parent"] == "projects/demo-project/locations/us-central1"
    assert m.artifact_uri == "gs://b/models/iris/sha256-aaa/triton/" and m.container_spec.image_uri == "img"
    assert (
        list(m.container_spec.args) == ["--allow-vertex-ai=true"]
        and m.container_spec.ports[0].container_port == 8080
    )
    assert m.encryption_spec.kms_key_name == "projects/p/locations/r/keyRings/k/cryptoKeys/k"
    dm = dep["deployed_model"]
    r = dm.dedicated_resources
    assert (
        r.machine_spec.machine_type,
        r.machine_spec.accelerator_type.name,
        r.machine_spec.accelerator_count,
    ) == ("g2-standard-4", "NVIDIA_L4", 1)
    assert (r.min_replica_count, r.max_replica_count) == (1, 4)
    assert [(s.metric_name, s.target) for s in r.autoscaling_metric_specs] == [
        ("aiplatform.googleapis.com/prediction/online/cpu/utilization", 70)
    ]
    assert dm.service_account == "ml-dev-iris@demo-project.iam.gserviceaccount.com"
    assert dict(dep["traffic_split"]) == {"0": 100}
