"""``GcpEndpoint``: a model behind a Vertex AI endpoint or a Cloud Run service, secure by default.

Children, in order: dedicated service account (log and metric writer, reader of its model only); KMS key ring
and key (rotation <= 90 days; protected) with the Cloud Storage and serving service agents granted the key;
artifact bucket (uniform access, public access prevention, versioning, CMEK, lifecycle; protected) and the
Triton model repository in it; then, per ``serving.backend``:
- vertex: the endpoint (numeric name, CMEK, request-response logging to a CMEK BigQuery dataset when capture
  is on, Private Service Connect when ``network.private``) and the model deployment (``deploy.VertexDeployment``,
  a dynamic resource over the Vertex AI API);
- cloudrun: the service running Triton with the bucket mounted read-only (a Cloud Storage volume, so the
  model is read in place: no init step, no copy in the image), GPU through the node selector, internal
  ingress, CMEK, health probes; an allUsers invoker only when asked with a reason;
then notification channels, alert policies (``monitoring``) and a dashboard.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pulumi
import pulumi_gcp as gcp

from components._common import naming
from components._common.artifact import ModelRef
from components._common.errors import ConfigError
from components.gcp.deploy import VertexDeployment
from components.gcp.validate import (
    VERTEX_CPU_METRIC,
    VERTEX_GPU_METRIC,
    VERTEX_REQUESTS_METRIC,
    backend,
    gcp_options,
    resolved_shape,
    triton_image,
    validate_for_gcp,
)
from components.spec import EndpointSpec, Notify
from model_packaging import manifest as mf
from monitoring import gcp as cm
from monitoring.rules import alert_rules

TYPE = "mlinfra:gcp:Endpoint"
TRITON_MOUNT = "/mnt/artifacts"
INGRESS = {
    "internal": "INGRESS_TRAFFIC_INTERNAL_ONLY",
    "internal-and-load-balancer": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
    "all": "INGRESS_TRAFFIC_ALL",
}
# Service agents, by the project number (https://cloud.google.com/iam/docs/service-agents).
AGENTS = {
    "storage": "service-{n}@gs-project-accounts.iam.gserviceaccount.com",
    "vertex": "service-{n}@gcp-sa-aiplatform.iam.gserviceaccount.com",
    "cloudrun": "service-{n}@serverless-robot-prod.iam.gserviceaccount.com",
    "bigquery": "bq-{n}@bigquery-encryption.iam.gserviceaccount.com",
}
SA_PROJECT_ROLES = ("roles/logging.logWriter", "roles/monitoring.metricWriter")
KEY_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


class GcpEndpoint(pulumi.ComponentResource):
    """A Vertex AI endpoint (default) or a Cloud Run service for one packaged model.

    Args:
        name: the endpoint key; every child's logical name derives from it.
        spec: the endpoint's validated config (``components.spec.EndpointSpec``).
        model: the resolved model reference (a local package is uploaded; a gs:// manifest is referenced).
        stack: the Pulumi stack name (part of physical names).
        region: the GCP region (``gcp:region``).
        project: the GCP project id (``gcp:project``).
        notify: who gets the alerts (emails, https webhooks).
        tags: extra labels on every child (converted to GCP label rules: lower-case, ``[a-z0-9_-]``).
    """

    endpoint_name: pulumi.Output[str]
    invoke_url: pulumi.Output[str]
    artifact_bucket: pulumi.Output[str]
    model_data_url: pulumi.Output[str]
    alarm_names: pulumi.Output[list[str]]
    dashboard_url: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        spec: EndpointSpec,
        model: ModelRef,
        *,
        stack: str,
        region: str,
        notify: Notify,
        project: str | None = None,
        profile: str = "dev",
        tags: dict[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        issues = validate_for_gcp(spec, region, profile)
        if issues:
            raise ConfigError(issues)
        super().__init__(TYPE, name, None, opts)
        self.spec = spec
        self.backend = backend(spec)
        self.options = gcp_options(spec)
        self.region = region
        self.project = project or gcp.config.project or ""
        self.physical_name = naming.physical(stack, spec.key, max_len=49)
        self.shape = resolved_shape(spec, model.archive_size)
        self.labels = labels(naming.tags(stack, spec.key, tags or {}, spec.tags))
        self._child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=spec.storage.protect)
        p = self.project
        number = gcp.organizations.get_project_output(project_id=p).number
        agent = {k: number.apply(lambda n, t=t: "serviceAccount:" + t.format(n=n)) for k, t in AGENTS.items()}

        # ---- identity: a dedicated service account with only what it needs -------------------------------
        self.service_account = gcp.serviceaccount.Account(
            naming.child(name, "sa"),
            **self._over(
                "serviceAccount",
                {
                    "account_id": service_account_id(stack, spec.key),
                    "display_name": f"mlinfra {self.physical_name} serving",
                    "description": f"Runs the {spec.key} model ({self.backend}): reads its model, writes logs and metrics",
                    "project": p,
                },
            ),
            opts=self._child,
        )
        sa_member = self.service_account.email.apply(lambda e: f"serviceAccount:{e}")
        self.sa_roles = [
            gcp.projects.IAMMember(
                naming.child(name, f"sa-{role.split('/')[1].replace('.', '-').lower()}"),
                project=p,
                role=role,
                member=sa_member,
                opts=self._child,
            )
            for role in SA_PROJECT_ROLES
        ]

        # ---- encryption key --------------------------------------------------------------------------
        self.key_ring = gcp.kms.KeyRing(
            naming.child(name, "keyring"),
            **self._over("keyRing", {"name": self.physical_name, "location": region, "project": p}),
            opts=stateful,
        )
        self.key = gcp.kms.CryptoKey(
            naming.child(name, "key"),
            **self._over(
                "key",
                {
                    "name": self.physical_name,
                    "key_ring": self.key_ring.id,
                    "purpose": "ENCRYPT_DECRYPT",
                    "rotation_period": f"{self.options.keyRotationDays * 86400}s",
                    "destroy_scheduled_duration": f"{30 * 86400}s",
                    "labels": self.labels,
                },
            ),
            opts=stateful,
        )
        agents = ["storage", self.backend] + (["bigquery"] if self.captures else [])
        self.key_grants = {
            a: gcp.kms.CryptoKeyIAMMember(
                naming.child(name, f"key-{a}-agent"),
                crypto_key_id=self.key.id,
                role=KEY_ROLE,
                member=agent[a],
                opts=self._child,
            )
            for a in agents
        }

        # ---- artifact bucket -------------------------------------------------------------------------
        self.bucket = gcp.storage.Bucket(
            naming.child(name, "artifacts"),
            **self._over(
                "bucket",
                {
                    "name": naming.physical(p, f"{stack}-{spec.key}", "models", max_len=63),
                    "project": p,
                    "location": region.upper(),
                    "storage_class": "STANDARD",
                    "uniform_bucket_level_access": True,
                    "public_access_prevention": "enforced",
                    "versioning": {"enabled": True},
                    "encryption": {"default_kms_key_name": self.key.id},
                    "lifecycle_rules": [
                        {"action": {"type": "AbortIncompleteMultipartUpload"}, "condition": {"age": 7}},
                        {
                            "action": {"type": "Delete"},
                            "condition": {
                                "days_since_noncurrent_time": spec.storage.noncurrent_version_days,
                                "with_state": "ARCHIVED",
                            },
                        },
                    ],
                    "force_destroy": False,
                    "logging": {
                        "log_bucket": spec.storage.access_log_bucket,
                        "log_object_prefix": f"gcs-access/{self.physical_name}/",
                    }
                    if spec.storage.access_log_bucket
                    else None,
                    "labels": self.labels,
                },
            ),
            opts=pulumi.ResourceOptions(
                parent=self, protect=spec.storage.protect, depends_on=[self.key_grants["storage"]]
            ),
        )
        self.bucket_reader = gcp.storage.BucketIAMMember(
            naming.child(name, "artifacts-reader"),
            bucket=self.bucket.name,
            role="roles/storage.objectViewer",
            member=sa_member,
            opts=self._child,
        )

        # ---- the model (a Triton model repository) ---------------------------------------------------
        self.model_ref = model
        self.objects: list[pulumi.Resource] = []
        if model.published:
            self.model_data_url = pulumi.Output.from_input(f"{model.prefix}{mf.TRITON_DIR}/")
            model_bucket, model_path = _split_gs(f"{model.prefix}{mf.TRITON_DIR}")
            model_bucket_out: pulumi.Output[str] = pulumi.Output.from_input(model_bucket)
        else:
            base = f"models/{model.name}/{model.version}"
            files = sorted(
                k
                for k in (model.manifest.files if model.manifest else {})
                if k.startswith(f"{mf.TRITON_DIR}/")
            )
            for rel in files:
                entry = model.manifest.files[rel]  # type: ignore[union-attr]
                self.objects.append(
                    gcp.storage.BucketObject(
                        naming.child(
                            name,
                            "model-"
                            + re.sub(r"[^a-z0-9]+", "-", rel[len(mf.TRITON_DIR) + 1 :].lower()).strip("-"),
                        ),
                        bucket=self.bucket.name,
                        name=f"{base}/{rel}",
                        source=pulumi.FileAsset(str(model.local_file(rel))),
                        content_type="application/octet-stream",
                        metadata={"mlinfra-digest": model.digest, "mlinfra-sha256": entry.sha256},
                        opts=self._child,
                    )
                )
            self.model_data_url = pulumi.Output.concat("gs://", self.bucket.name, f"/{base}/{mf.TRITON_DIR}/")
            model_bucket_out, model_path = self.bucket.name, f"{base}/{mf.TRITON_DIR}"
        self.image = spec.serving.image or triton_image(region, p, self.options)

        # ---- serving ---------------------------------------------------------------------------------
        self.endpoint: gcp.vertex.AiEndpoint | None = None
        self.deployment: VertexDeployment | None = None
        self.service: gcp.cloudrunv2.Service | None = None
        if self.backend == "vertex":
            self._vertex(name, number)
        else:
            self._cloudrun(name, model_bucket_out, model_path)

        # ---- notifications, alerts, dashboard --------------------------------------------------------
        self.channels = self._channels(name, notify)
        self.rules = alert_rules(spec)
        watched = self.endpoint_id if self.backend == "vertex" else self.physical_name
        self.alert_policies = [
            gcp.monitoring.AlertPolicy(
                naming.child(name, f"alert-{rule.id}"),
                **self._over(
                    "alertPolicy",
                    {
                        "project": p,
                        **cm.alert_policy_args(
                            rule,
                            self.backend,
                            watched,
                            self.physical_name,
                            [c.id for c in self.channels],
                            self.shape.machine.memory_gib,
                            self.labels,
                        ),
                    },
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.endpoint or self.service]),  # type: ignore[list-item]
            )
            for rule in self.rules
        ]
        self.dashboard = gcp.monitoring.Dashboard(
            naming.child(name, "dashboard"),
            **self._over(
                "dashboard",
                {
                    "project": p,
                    "dashboard_json": cm.dashboard_json(
                        self.backend, watched, self.physical_name, self.shape.gpu
                    ),
                },
            ),
            opts=self._child,
        )

        # ---- outputs ---------------------------------------------------------------------------------
        self.artifact_bucket = self.bucket.name
        self.service_account_email = self.service_account.email
        self.alarm_names = pulumi.Output.all(*[a.display_name for a in self.alert_policies]).apply(list)
        self.dashboard_url = self.dashboard.id.apply(
            lambda i: (
                f"https://console.cloud.google.com/monitoring/dashboards/builder/{i.rsplit('/', 1)[-1]}?project={p}"
            )
        )
        if self.endpoint is not None:
            self.endpoint_name = self.endpoint.name
            self.invoke_url = self.endpoint.id.apply(
                lambda i: f"https://{region}-aiplatform.googleapis.com/v1/{i}:rawPredict"
            )
        else:
            assert self.service is not None
            self.endpoint_name = self.service.name
            self.invoke_url = self.service.uri
        self.register_outputs(self.exports())

    # ---- sections used by __init__ -------------------------------------------------------------------
    @property
    def captures(self) -> bool:
        return self.backend == "vertex" and self.spec.capture.sample_percent > 0

    @property
    def endpoint_id(self) -> str:
        """The Vertex endpoint's numeric name: up to 10 digits, no leading zero, stable per stack and key."""
        return endpoint_number(self.physical_name)

    def _over(self, role: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Apply the ``overrides.<role>`` escape hatch (keyword arguments of the Pulumi resource)."""
        return _deep_merge(kwargs, self.spec.overrides.get(role, {}))

    def _vertex(self, name: str, number: pulumi.Output[str]) -> None:
        spec, p, region = self.spec, self.project, self.region
        logging = None
        capture_deps: list[pulumi.Resource] = []
        if self.captures:
            dataset_id = re.sub(r"[^a-z0-9_]", "_", f"mlinfra_{self.physical_name}_capture")
            self.capture_dataset = gcp.bigquery.Dataset(
                naming.child(name, "capture"),
                dataset_id=dataset_id,
                project=p,
                location=region,
                description=f"mlinfra {self.physical_name}: sampled prediction requests and responses",
                default_encryption_configuration={"kms_key_name": self.key.id},
                delete_contents_on_destroy=False,
                labels=self.labels,
                opts=pulumi.ResourceOptions(
                    parent=self, protect=spec.storage.protect, depends_on=[self.key_grants["bigquery"]]
                ),
            )
            capture_deps.append(self.capture_dataset)
            logging = {
                "enabled": True,
                "sampling_rate": spec.capture.sample_percent / 100.0,
                "bigquery_destination": {"output_uri": f"bq://{p}.{dataset_id}"},
            }
        psc = None
        if spec.network.private:
            psc = {
                "enable_private_service_connect": True,
                "project_allowlists": self.options.pscProjectAllowlist or [p],
            }
        self.endpoint = gcp.vertex.AiEndpoint(
            name,
            **self._over(
                "endpoint",
                {
                    "name": self.endpoint_id,
                    "display_name": self.physical_name,
                    "description": f"mlinfra {spec.key}: Triton serving {self.model_ref.name} ({self.model_ref.version[:19]})",
                    "location": region,
                    "region": region,
                    "project": p,
                    "encryption_spec": {"kms_key_name": self.key.id},
                    "predict_request_response_logging_config": logging,
                    "private_service_connect_config": psc,
                    "labels": self.labels,
                },
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[self.key_grants["vertex"], *capture_deps],
                ignore_changes=["trafficSplit"],
            ),
        )
        a = spec.autoscaling
        lo, hi = (
            (a.min_instances, a.max_instances)
            if a.enabled
            else (spec.compute.instances, spec.compute.instances)
        )
        metrics = []
        if a.enabled and a.target_utilization_percent is not None:
            metrics.append(
                {
                    "metricName": VERTEX_GPU_METRIC if self.shape.gpu else VERTEX_CPU_METRIC,
                    "target": a.target_utilization_percent,
                }
            )
        if a.enabled and a.target_invocations_per_instance_per_minute is not None:
            metrics.append(
                {"metricName": VERTEX_REQUESTS_METRIC, "target": a.target_invocations_per_instance_per_minute}
            )
        m = self.model_ref
        props = {
            "project": p,
            "region": region,
            "endpoint": self.endpoint.id,
            "deployedModelDisplayName": f"{self.physical_name}-{m.digest[:12]}",
            "model": {
                "displayName": f"{self.physical_name}-{m.name}",
                "artifactUri": self.model_data_url,
                "imageUri": self.image,
                "command": ["tritonserver"],
                "args": [
                    "--model-repository=$(AIP_STORAGE_URI)",
                    "--allow-vertex-ai=true",
                    f"--vertex-ai-default-model={m.triton_model_name}",
                    "--log-verbose=0",
                ],
                "env": {"MLINFRA_MODEL_DIGEST": m.digest, **spec.serving.env},
                "ports": [spec.serving.port],
                "kmsKeyName": self.key.id,
                "labels": {**self.labels, "mlinfra-digest": m.digest[:63]},
                "digest": m.digest,
            },
            "machine": {
                "machineType": self.shape.machine.name,
                "acceleratorType": self.shape.accelerator_type,
                "acceleratorCount": self.shape.accelerator_count,
            },
            "replicas": {"min": lo, "max": hi},
            "autoscaling": metrics,
            "traffic": {
                "strategy": spec.rollout.strategy,
                "stepPercent": spec.rollout.step_percent,
                "waitMinutes": spec.rollout.wait_minutes,
                "autoRollback": spec.rollout.auto_rollback,
            },
            "serviceAccount": self.service_account.email,
            "timeoutSeconds": self.options.deployTimeoutMinutes * 60,
        }
        props = _deep_merge(props, spec.overrides.get("deployment", {}))
        self.deployment = VertexDeployment(
            naming.child(name, "deployment"),
            props,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.endpoint, *self.objects, self.bucket_reader, *self.sa_roles]
            ),
        )

    def _cloudrun(self, name: str, model_bucket: pulumi.Input[str], model_path: str) -> None:
        spec, p = self.spec, self.project
        t = self.shape.machine
        n = spec.network
        a = spec.autoscaling
        lo, hi = (
            (a.min_instances, a.max_instances)
            if a.enabled
            else (spec.compute.instances, spec.compute.instances)
        )
        port = spec.serving.port
        limits = {
            "cpu": str(t.extra.get("cpu", int(t.vcpus))),
            "memory": str(t.extra.get("memory", f"{int(t.memory_gib)}Gi")),
        }
        template: dict[str, Any] = {
            "service_account": self.service_account.email,
            "encryption_key": self.key.id,
            "execution_environment": "EXECUTION_ENVIRONMENT_GEN2",  # Cloud Storage volumes need gen2
            "max_instance_request_concurrency": spec.serving.max_concurrent_requests or 80,
            "timeout": f"{spec.serving.request_timeout_seconds}s",
            "scaling": {"min_instance_count": lo, "max_instance_count": hi},
            "labels": self.labels,
            "volumes": [{"name": "artifacts", "gcs": {"bucket": model_bucket, "read_only": True}}],
            "containers": [
                {
                    "image": self.image,
                    "commands": ["tritonserver"],
                    "args": [
                        f"--model-repository={TRITON_MOUNT}/{model_path}",
                        f"--http-port={port}",
                        "--allow-grpc=false",
                        "--log-verbose=0",
                    ],
                    "ports": {"container_port": port, "name": "http1"},
                    "envs": [
                        {"name": k, "value": v}
                        for k, v in sorted(
                            {"MLINFRA_MODEL_DIGEST": self.model_ref.digest, **spec.serving.env}.items()
                        )
                    ],
                    "resources": {
                        "limits": limits,
                        "cpu_idle": not self.shape.gpu,
                        "startup_cpu_boost": True,
                    },
                    "volume_mounts": [{"name": "artifacts", "mount_path": TRITON_MOUNT}],
                    "startup_probe": {
                        "http_get": {"path": "/v2/health/ready", "port": port},
                        "period_seconds": 10,
                        "timeout_seconds": 5,
                        "failure_threshold": 30,
                    },
                    "liveness_probe": {
                        "http_get": {"path": "/v2/health/live", "port": port},
                        "period_seconds": 30,
                        "timeout_seconds": 5,
                        "failure_threshold": 3,
                    },
                }
            ],
        }
        if self.shape.gpu:
            limits["nvidia.com/gpu"] = str(self.shape.accelerator_count)
            template["node_selector"] = {"accelerator": self.shape.cloudrun_accelerator}
            template["gpu_zonal_redundancy_disabled"] = not self.options.gpuZonalRedundancy
        if self.options.vpcSubnetwork:
            template["vpc_access"] = {
                "network_interfaces": [{"subnetwork": self.options.vpcSubnetwork}],
                "egress": "PRIVATE_RANGES_ONLY",
            }
        # A public service records why (network.publicReason) where the policy rules read it.
        public = (
            {"mlinfra-public-reason": labels({"r": n.public_reason or "yes"})["r"]}
            if (n.allow_unauthenticated or n.ingress == "all")
            else {}
        )
        self.service = gcp.cloudrunv2.Service(
            name,
            **self._over(
                "service",
                {
                    "name": self.physical_name,
                    "location": self.region,
                    "project": p,
                    "description": f"mlinfra {spec.key}: Triton serving {self.model_ref.name}",
                    "ingress": "INGRESS_TRAFFIC_INTERNAL_ONLY" if n.private else INGRESS[n.ingress],
                    "invoker_iam_disabled": False,
                    "deletion_protection": False,
                    "labels": {**self.labels, **public},
                    "annotations": {"mlinfra.dev/public-reason": n.public_reason} if public else None,
                    "template": template,
                    "traffics": [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}],
                },
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[self.key_grants["cloudrun"], self.bucket_reader, *self.objects, *self.sa_roles],
            ),
        )
        self.public_invoker = None
        if n.allow_unauthenticated:
            # Opted in with network.publicReason (checked by the spec): anyone may call the model.
            self.public_invoker = gcp.cloudrunv2.ServiceIamMember(
                naming.child(name, "public-invoker"),
                name=self.service.name,
                location=self.region,
                project=p,
                role="roles/run.invoker",
                member="allUsers",
                opts=self._child,
            )

    def _channels(self, name: str, notify: Notify) -> list[gcp.monitoring.NotificationChannel]:
        out = []
        for i, email in enumerate(notify.emails):
            out.append(
                gcp.monitoring.NotificationChannel(
                    naming.child(name, f"notify-email-{i}"),
                    project=self.project,
                    user_labels=self.labels,
                    **cm.channel_args("email", email, self.physical_name),
                    opts=self._child,
                )
            )
        for i, url in enumerate(notify.webhooks):
            out.append(
                gcp.monitoring.NotificationChannel(
                    naming.child(name, f"notify-webhook-{i}"),
                    project=self.project,
                    user_labels=self.labels,
                    **cm.channel_args("webhook", url, self.physical_name),
                    opts=self._child,
                )
            )
        return out

    # ---- metric helpers and grants -------------------------------------------------------------------
    def _watched(self) -> str:
        return self.endpoint_id if self.backend == "vertex" else self.physical_name

    def metric_model_latency(self) -> str:
        """The Cloud Monitoring filter of this endpoint's latency distribution (ms), for your own alerts."""
        return cm.metric_filter(self.backend, self._watched(), "latency_p99")

    def metric_invocations(self) -> str:
        return cm.metric_filter(self.backend, self._watched(), "requests")

    def metric_errors(self) -> str:
        return cm.metric_filter(self.backend, self._watched(), "errors")

    def grant_invoke(self, member: pulumi.Input[str], name: str | None = None) -> pulumi.CustomResource:
        """Let ``member`` (``serviceAccount:...``, ``group:...``) call this endpoint, and only this one."""
        rname = name or naming.child(self.spec.key, "invoke-grant")
        if self.endpoint is not None:
            return gcp.vertex.AiEndpointIamMember(
                rname,
                endpoint=self.endpoint.name,
                location=self.region,
                project=self.project,
                role="roles/aiplatform.user",
                member=member,
                opts=self._child,
            )
        assert self.service is not None
        return gcp.cloudrunv2.ServiceIamMember(
            rname,
            name=self.service.name,
            location=self.region,
            project=self.project,
            role="roles/run.invoker",
            member=member,
            opts=self._child,
        )

    def exports(self) -> dict[str, Any]:
        return {
            "endpointName": self.endpoint_name,
            "invokeUrl": self.invoke_url,
            "artifactBucket": self.artifact_bucket,
            "modelDataUrl": self.model_data_url,
            "serviceAccount": self.service_account_email,
            "alarmNames": self.alarm_names,
            "dashboardUrl": self.dashboard_url,
            "backend": self.backend,
            "instanceType": self.shape.machine.name,
            "accelerator": f"{self.shape.accelerator_count}x {self.shape.accelerator_type}"
            if self.shape.gpu
            else "none",
        }


# ---- names -------------------------------------------------------------------------------------------
def endpoint_number(physical_name: str) -> str:
    """A stable 10-digit number (no leading zero) from the physical name: the Vertex endpoint's ``name``."""
    h = int(hashlib.sha256(physical_name.encode()).hexdigest(), 16)
    return str(1_000_000_000 + h % 9_000_000_000)


def service_account_id(stack: str, key: str) -> str:
    """6-30 characters, ``[a-z][a-z0-9-]*[a-z0-9]``: ``ml-<stack>-<key>`` shortened with a stable hash."""
    return naming.physical("ml", f"{stack}-{key}", max_len=30)


def labels(tags: dict[str, str]) -> dict[str, str]:
    """Tags as GCP labels: keys start with a letter, keys and values lower-case ``[a-z0-9_-]``, <= 63 chars."""
    out = {}
    for k, v in tags.items():
        key = re.sub(r"[^a-z0-9_-]", "_", k.lower())[:63]
        if not key or not key[0].isalpha():
            key = ("l" + key)[:63]
        out[key] = re.sub(r"[^a-z0-9_-]", "_", str(v).lower())[:63]
    return out


def _split_gs(uri: str) -> tuple[str, str]:
    rest = uri[len("gs://") :]
    bucket, _, path = rest.partition("/")
    return bucket, path.rstrip("/")


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


__all__ = ["GcpEndpoint", "endpoint_number", "labels", "service_account_id"]
