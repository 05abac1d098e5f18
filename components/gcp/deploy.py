"""The Vertex AI model deployment that no pulumi-gcp resource offers, as a Pulumi dynamic resource.

``VertexDeployment`` uploads the Triton model (container image + the artifact folder in Cloud Storage) to the
Vertex AI Model Registry and deploys it to an endpoint (machine, accelerator, replicas, autoscaling metric
targets, traffic split). The provider talks to the API through a small client interface
(``upload_model``, ``deploy_model``, ``undeploy_model``, ``set_traffic``, ``mutate_deployed_model``,
``delete_model``, ``deployed_model_healthy``): ``AiPlatformClient`` is the real one (google-cloud-aiplatform,
imported inside its methods, never on the Pulumi program's import path), and tests pass a fake.

Lifecycle:
- create: upload, deploy with 100% of traffic. If the deploy fails, the uploaded model is deleted; if that
  fails too, the error names the model left behind.
- diff: endpoint, project or region -> replace; model, machine or service account -> update (a rollout);
  replicas or autoscaling -> update in place (MutateDeployedModel); rollout settings only -> stored.
- update (rollout): upload the new model, deploy it beside the old one with ``stepPercent`` of traffic
  (canary / linear) or all of it (all-at-once), wait ``waitMinutes`` per step and check the new deployment;
  then move all traffic to it and undeploy the old one. A failure before the switch rolls back (traffic to
  the old deployment, the new one undeployed, its model deleted) and raises; a failure after the switch
  raises naming what is left and the command to remove it. Old models stay in the registry (free) so that
  reverting the config redeploys a known model.
- delete: undeploy, then delete the model (missing ones are fine).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ResourceProvider, UpdateResult

REPLACE_KEYS = ("project", "region", "endpoint")
ROLLOUT_KEYS = ("model", "machine", "serviceAccount", "deployedModelDisplayName")
MUTATE_KEYS = ("replicas", "autoscaling")
STORED_KEYS = ("traffic", "timeoutSeconds")
OUTPUT_KEYS = ("modelName", "deployedModelId", "trafficSplit")


class VertexClient(Protocol):
    """What the provider needs from the Vertex AI API (one project and region)."""

    def upload_model(self, model: dict[str, Any], timeout: float) -> str: ...
    def deploy_model(
        self,
        endpoint: str,
        model_name: str,
        deployment: dict[str, Any],
        traffic_split: dict[str, int],
        timeout: float,
    ) -> str: ...
    def undeploy_model(
        self, endpoint: str, deployed_model_id: str, traffic_split: dict[str, int], timeout: float
    ) -> None: ...
    def set_traffic(self, endpoint: str, traffic_split: dict[str, int]) -> None: ...
    def mutate_deployed_model(
        self, endpoint: str, deployed_model_id: str, deployment: dict[str, Any], timeout: float
    ) -> None: ...
    def delete_model(self, model_name: str, timeout: float) -> None: ...
    def deployed_model_healthy(self, endpoint: str, deployed_model_id: str) -> bool: ...
    def is_not_found(self, exc: BaseException) -> bool: ...


class DeploymentError(Exception):
    """A deployment step failed; the message says what was rolled back and what, if anything, is left."""


def real_client(project: str, region: str) -> VertexClient:
    return AiPlatformClient(project, region)


class VertexDeploymentProvider(ResourceProvider):
    """CRUD for one deployed model on a Vertex AI endpoint. ``client_factory(project, region)`` and ``sleep``
    are injectable (tests pass a fake client and a no-op sleep)."""

    serialize_as_secret_always = True

    def __init__(
        self,
        client_factory: Callable[[str, str], VertexClient] | None = None,
        sleep: Callable[[float], None] | None = None,
    ):
        super().__init__()
        self.client_factory = client_factory
        self.sleep = sleep

    # ---- helpers -----------------------------------------------------------------------------------
    def _client(self, props: dict[str, Any]) -> VertexClient:
        factory = self.client_factory or real_client
        return factory(props["project"], props["region"])

    def _sleep(self, seconds: float) -> None:
        (self.sleep or time.sleep)(seconds)

    @staticmethod
    def _timeout(props: dict[str, Any]) -> float:
        return float(props.get("timeoutSeconds") or 2700)

    @staticmethod
    def _deployment(props: dict[str, Any]) -> dict[str, Any]:
        return {
            "displayName": props["deployedModelDisplayName"],
            "machine": props["machine"],
            "replicas": props["replicas"],
            "autoscaling": props.get("autoscaling") or [],
            "serviceAccount": props.get("serviceAccount"),
        }

    # ---- check / diff ------------------------------------------------------------------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        for key in (
            "project",
            "region",
            "endpoint",
            "model",
            "machine",
            "replicas",
            "deployedModelDisplayName",
        ):
            if not news.get(key):
                failures.append(CheckFailure(key, f"{key} is required"))
        replicas = news.get("replicas") or {}
        if replicas and not (1 <= int(replicas.get("min", 0)) <= int(replicas.get("max", 0))):
            failures.append(CheckFailure("replicas", f"need 1 <= min <= max, got {replicas}"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = REPLACE_KEYS + ROLLOUT_KEYS + MUTATE_KEYS + STORED_KEYS
        changed = [k for k in keys if _plain(olds.get(k)) != _plain(news.get(k))]
        replaces = [k for k in changed if k in REPLACE_KEYS]
        # The deployed model (and its ids) survive only in-place changes; a rollout or a replacement makes new ones.
        stables = [] if replaces or set(changed) & set(ROLLOUT_KEYS) else list(OUTPUT_KEYS)
        return DiffResult(
            changes=bool(changed), replaces=replaces, stables=stables, delete_before_replace=False
        )

    # ---- create ------------------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self._client(props)
        timeout = self._timeout(props)
        model_name = client.upload_model(props["model"], timeout)
        try:
            deployed_id = client.deploy_model(
                props["endpoint"], model_name, self._deployment(props), {"0": 100}, timeout
            )
        except Exception as exc:
            left = self._delete_model_quietly(client, model_name, timeout)
            raise DeploymentError(
                f"deploying {model_name} to {props['endpoint']} failed: {exc}. "
                + (
                    f"The uploaded model could not be deleted ({left}): delete it with `gcloud ai models delete {model_name}`."
                    if left
                    else "The uploaded model was deleted; nothing is left."
                )
            ) from exc
        split = {deployed_id: 100}
        outs = {**props, "modelName": model_name, "deployedModelId": deployed_id, "trafficSplit": split}
        # The id names the endpoint and the model's display name (stable across rollouts; an update keeps its id).
        return CreateResult(id_=f"{props['endpoint']}#{props['model']['displayName']}", outs=outs)

    # ---- update ------------------------------------------------------------------------------------
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self._client(news)
        timeout = self._timeout(news)
        changed = {k for k in ROLLOUT_KEYS + MUTATE_KEYS if _plain(olds.get(k)) != _plain(news.get(k))}
        carried = {k: olds.get(k) for k in OUTPUT_KEYS}
        if changed & set(ROLLOUT_KEYS):
            return UpdateResult(outs={**news, **self._rollout(client, olds, news, timeout)})
        if changed & set(MUTATE_KEYS):
            client.mutate_deployed_model(
                news["endpoint"], olds["deployedModelId"], self._deployment(news), timeout
            )
        return UpdateResult(outs={**news, **carried})

    def _rollout(
        self, client: VertexClient, olds: dict[str, Any], news: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        endpoint = news["endpoint"]
        old_id = olds["deployedModelId"]
        reuse = _plain(olds.get("model")) == _plain(news.get("model"))
        model_name = olds["modelName"] if reuse else client.upload_model(news["model"], timeout)
        traffic = news.get("traffic") or {}
        strategy = traffic.get("strategy", "all-at-once")
        step = int(traffic.get("stepPercent", 100)) if strategy != "all-at-once" else 100
        wait = float(traffic.get("waitMinutes", 0)) * 60
        auto_rollback = bool(traffic.get("autoRollback", True))
        try:
            new_id = client.deploy_model(
                endpoint,
                model_name,
                self._deployment(news),
                {"0": step, old_id: 100 - step} if step < 100 else {"0": 100},
                timeout,
            )
        except Exception as exc:
            left = None if reuse else self._delete_model_quietly(client, model_name, timeout)
            raise DeploymentError(
                f"deploying the new model {model_name} to {endpoint} failed: {exc}. The old deployment {old_id} keeps all traffic"
                + (
                    f"; the new model could not be deleted ({left}): `gcloud ai models delete {model_name}`."
                    if left
                    else "; nothing new is left."
                )
            ) from exc
        share = step
        while share < 100:
            self._sleep(wait)
            if not client.deployed_model_healthy(endpoint, new_id):
                if auto_rollback:
                    self._roll_back(client, endpoint, old_id, new_id, None if reuse else model_name, timeout)
                raise DeploymentError(
                    f"the new deployment {new_id} on {endpoint} was unhealthy at {share}% of traffic; "
                    + (
                        "rolled back: the old deployment has all traffic, the new one was undeployed."
                        if auto_rollback
                        else f"autoRollback is off: it still has {share}% of traffic."
                    )
                )
            share = min(100, share + step) if strategy == "linear" else 100
            if share < 100:
                client.set_traffic(endpoint, {new_id: share, old_id: 100 - share})
        try:
            if step < 100:
                client.set_traffic(endpoint, {new_id: 100, old_id: 0})
            client.undeploy_model(endpoint, old_id, {new_id: 100}, timeout)
        except Exception as exc:
            raise DeploymentError(
                f"the new deployment {new_id} serves {endpoint}, but the old deployment {old_id} could not be retired: {exc}. "
                f"Left: deployed model {old_id}. Finish by hand: `gcloud ai endpoints update-traffic` (all to {new_id}) then "
                f"`gcloud ai endpoints undeploy-model {endpoint} --deployed-model-id={old_id}`."
            ) from exc
        return {"modelName": model_name, "deployedModelId": new_id, "trafficSplit": {new_id: 100}}

    def _roll_back(
        self,
        client: VertexClient,
        endpoint: str,
        old_id: str,
        new_id: str,
        model_name: str | None,
        timeout: float,
    ) -> None:
        problems = []
        try:
            client.set_traffic(endpoint, {old_id: 100, new_id: 0})
            client.undeploy_model(endpoint, new_id, {old_id: 100}, timeout)
        except Exception as exc:
            problems.append(f"deployed model {new_id} ({exc})")
        if model_name:
            left = self._delete_model_quietly(client, model_name, timeout)
            if left:
                problems.append(f"model {model_name} ({left})")
        if problems:
            raise DeploymentError(
                f"rolling back on {endpoint} left: {'; '.join(problems)}; remove them by hand"
            )

    # ---- delete ------------------------------------------------------------------------------------
    def delete(self, _id: str, props: dict[str, Any]) -> None:
        client = self._client(props)
        timeout = self._timeout(props)
        dm = props.get("deployedModelId")
        if dm:
            try:
                client.undeploy_model(props["endpoint"], dm, {}, timeout)
            except Exception as exc:
                if not client.is_not_found(exc):
                    raise DeploymentError(
                        f"undeploying {dm} from {props['endpoint']} failed: {exc}; nothing was deleted"
                    ) from exc
        model_name = props.get("modelName")
        if model_name:
            left = self._delete_model_quietly(client, model_name, timeout)
            if left:
                raise DeploymentError(
                    f"{dm} was undeployed, but the model {model_name} could not be deleted: {left}; `gcloud ai models delete {model_name}`"
                )

    @staticmethod
    def _delete_model_quietly(client: VertexClient, model_name: str, timeout: float) -> str | None:
        """Delete a model; return None on success (or if already gone), else the error text."""
        try:
            client.delete_model(model_name, timeout)
        except Exception as exc:
            if client.is_not_found(exc):
                return None
            return str(exc) or type(exc).__name__
        return None


def _plain(value: Any) -> Any:
    """Compare inputs structurally (ints and floats alike, dict order ignored)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items()) if not k.startswith("__")}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class VertexDeployment(pulumi.dynamic.Resource, module="mlinfra", name="VertexDeployment"):
    """A model uploaded to Vertex AI and deployed to an endpoint (see the module docstring)."""

    model_name: pulumi.Output[str]
    deployed_model_id: pulumi.Output[str]
    traffic_split: pulumi.Output[dict[str, int]]

    def __init__(
        self,
        name: str,
        props: dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
        provider: VertexDeploymentProvider | None = None,
    ):
        super().__init__(
            provider or VertexDeploymentProvider(),
            name,
            {**props, "modelName": None, "deployedModelId": None, "trafficSplit": None},
            opts,
        )


# ---- the real client ---------------------------------------------------------------------------------
class AiPlatformClient:
    """``VertexClient`` over google-cloud-aiplatform's v1 GAPIC clients (imported here, lazily)."""

    def __init__(self, project: str, region: str):
        self.project, self.region = project, region
        self._models = None
        self._endpoints = None

    def _clients(self):
        if self._models is None:
            from google.cloud import aiplatform_v1 as v1

            opts = {"api_endpoint": f"{self.region}-aiplatform.googleapis.com"}
            self._models = v1.ModelServiceClient(client_options=opts)
            self._endpoints = v1.EndpointServiceClient(client_options=opts)
        return self._models, self._endpoints

    def upload_model(self, model: dict[str, Any], timeout: float) -> str:
        from google.cloud import aiplatform_v1 as v1

        models, _ = self._clients()
        spec = v1.Model(
            display_name=model["displayName"],
            artifact_uri=model["artifactUri"],
            labels=model.get("labels") or {},
            encryption_spec=v1.EncryptionSpec(kms_key_name=model["kmsKeyName"])
            if model.get("kmsKeyName")
            else None,
            container_spec=v1.ModelContainerSpec(
                image_uri=model["imageUri"],
                command=model.get("command") or [],
                args=model.get("args") or [],
                env=[v1.EnvVar(name=k, value=v) for k, v in sorted((model.get("env") or {}).items())],
                ports=[v1.Port(container_port=int(p)) for p in model.get("ports") or []],
                predict_route=model.get("predictRoute") or "",
                health_route=model.get("healthRoute") or "",
            ),
        )
        op = models.upload_model(parent=f"projects/{self.project}/locations/{self.region}", model=spec)
        return op.result(timeout=timeout).model

    def _deployed(self, model_name: str, d: dict[str, Any]):
        from google.cloud import aiplatform_v1 as v1

        m = d["machine"]
        return v1.DeployedModel(
            model=model_name,
            display_name=d["displayName"],
            service_account=d.get("serviceAccount") or "",
            dedicated_resources=v1.DedicatedResources(
                machine_spec=v1.MachineSpec(
                    machine_type=m["machineType"],
                    accelerator_type=m.get("acceleratorType") or "ACCELERATOR_TYPE_UNSPECIFIED",
                    accelerator_count=int(m.get("acceleratorCount") or 0),
                ),
                min_replica_count=int(d["replicas"]["min"]),
                max_replica_count=int(d["replicas"]["max"]),
                autoscaling_metric_specs=[
                    v1.AutoscalingMetricSpec(metric_name=s["metricName"], target=int(s["target"]))
                    for s in d["autoscaling"]
                ],
            ),
        )

    def deploy_model(
        self,
        endpoint: str,
        model_name: str,
        deployment: dict[str, Any],
        traffic_split: dict[str, int],
        timeout: float,
    ) -> str:
        _, endpoints = self._clients()
        op = endpoints.deploy_model(
            endpoint=endpoint,
            deployed_model=self._deployed(model_name, deployment),
            traffic_split=traffic_split,
        )
        return op.result(timeout=timeout).deployed_model.id

    def undeploy_model(
        self, endpoint: str, deployed_model_id: str, traffic_split: dict[str, int], timeout: float
    ) -> None:
        _, endpoints = self._clients()
        endpoints.undeploy_model(
            endpoint=endpoint, deployed_model_id=deployed_model_id, traffic_split=traffic_split
        ).result(timeout=timeout)

    def set_traffic(self, endpoint: str, traffic_split: dict[str, int]) -> None:
        from google.protobuf import field_mask_pb2

        _, endpoints = self._clients()
        ep = endpoints.get_endpoint(name=endpoint)
        ep.traffic_split.clear()
        ep.traffic_split.update({k: v for k, v in traffic_split.items() if v})
        endpoints.update_endpoint(endpoint=ep, update_mask=field_mask_pb2.FieldMask(paths=["traffic_split"]))

    def mutate_deployed_model(
        self, endpoint: str, deployed_model_id: str, deployment: dict[str, Any], timeout: float
    ) -> None:
        from google.protobuf import field_mask_pb2

        _, endpoints = self._clients()
        dm = self._deployed("", deployment)
        dm.id = deployed_model_id
        paths = [
            "dedicated_resources.min_replica_count",
            "dedicated_resources.max_replica_count",
            "dedicated_resources.autoscaling_metric_specs",
        ]
        endpoints.mutate_deployed_model(
            endpoint=endpoint, deployed_model=dm, update_mask=field_mask_pb2.FieldMask(paths=paths)
        ).result(timeout=timeout)

    def delete_model(self, model_name: str, timeout: float) -> None:
        models, _ = self._clients()
        models.delete_model(name=model_name).result(timeout=timeout)

    def deployed_model_healthy(self, endpoint: str, deployed_model_id: str) -> bool:
        """The deployed model is still on the endpoint (Vertex undeploys replicas that fail their health route)."""
        _, endpoints = self._clients()
        ep = endpoints.get_endpoint(name=endpoint)
        return any(dm.id == deployed_model_id for dm in ep.deployed_models)

    def is_not_found(self, exc: BaseException) -> bool:
        from google.api_core import exceptions

        return isinstance(exc, exceptions.NotFound)


__all__ = ["AiPlatformClient", "DeploymentError", "VertexDeployment", "VertexDeploymentProvider"]
