"""``AzureEndpoint``: a model behind an Azure ML managed online endpoint, secure by default.

Children, in order: resource group (or an existing one by name); artifact storage account (HTTPS only,
TLS 1.2, no public blob access, no shared keys, infrastructure encryption; protected), its blob service
(soft delete, versioning) and private container; Key Vault (RBAC, soft delete, purge protection); Log
Analytics and Application Insights; the Azure ML workspace (system identity, high business impact, identity
auth to its datastores; protected); the model files and their registered model
version (``triton_model``); the online endpoint (AAD token auth); one deployment (all-at-once) or two
(blue/green), their identity's read grant, the traffic step that runs after both exist; autoscale settings on
each deployment; the action group and metric alerts (from ``monitoring``); diagnostics; a workbook.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import pulumi
from pulumi_azure_native import (
    applicationinsights,
    authorization,
    keyvault,
    monitor,
    operationalinsights,
    resources,
    storage,
)
from pulumi_azure_native import machinelearningservices as ml

from components._common import naming
from components._common.artifact import ModelRef, resolve_model
from components._common.errors import ConfigError
from components.azure.traffic import EndpointTraffic
from components.azure.validate import (
    ENDPOINT_NAME_MAX,
    azure_options,
    endpoint_name,
    error_count_threshold,
    iso_minutes,
    key_vault_name,
    recurrence,
    resolved_instance_type,
    storage_account_name,
    traffic_split,
    validate_for_azure,
)
from components.spec import EndpointSpec, Notify
from model_packaging import manifest as mf
from monitoring import azure as am
from monitoring.rules import AlertRule, alert_rules

TYPE = "mlinfra:azure:Endpoint"
CONTAINER = "artifacts"
# Built-in role definition ids (the same in every subscription).
ROLE = {
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "AzureML Data Scientist": "f6c7c914-8db3-469d-8ca1-694a8f32e121",
}
SCALE_IN_SHARE = 0.6
"""Scale in when the metric falls below 60% of its target (Azure autoscale needs an explicit scale-in rule)."""
LATENCY_SCALE_SHARE = 0.8
"""Scale out when p99 latency passes 80% of the latency alert, before the alert fires."""


class AzureEndpoint(pulumi.ComponentResource):
    """An Azure ML managed online endpoint for one packaged model.

    Args:
        name: the endpoint key; every child's logical name derives from it.
        spec: the endpoint's validated config (``components.spec.EndpointSpec``); Azure-only options in
            ``spec.azure`` (``components.azure.validate.AzureOptions``).
        model: the resolved model reference (a local package is uploaded; an az:// manifest is referenced).
        stack: the Pulumi stack name (part of physical names).
        region: the Azure location (``azure-native:location``).
        notify: who gets the alerts (emails, https webhooks), through one action group.
        profile: dev | prod (prod: zone-redundant storage).
        tags: extra tags on every child.
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
        profile: str = "dev",
        tags: dict[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        issues = validate_for_azure(spec, region, profile)
        if issues:
            raise ConfigError(issues)
        super().__init__(TYPE, name, None, opts)
        self.spec = spec
        self.options = o = azure_options(spec)
        self.region = region
        self.stack = stack
        self.physical_name = naming.physical(stack, spec.key, max_len=ENDPOINT_NAME_MAX)
        """``<stack>-<key>``: the prefix of the resource-group-scoped names (alerts, autoscale, action group)."""
        self.instance = resolved_instance_type(spec, model.archive_size)
        self.traffic, self.mirror_traffic = traffic_split(spec)
        self._tags = naming.tags(stack, spec.key, tags or {}, spec.tags)
        self._child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=spec.storage.protect)
        private = spec.network.private
        public = "Disabled" if private else "Enabled"
        client = authorization.get_client_config_output()
        self.subscription_id = client.subscription_id
        sub = self.subscription_id

        # ---- resource group --------------------------------------------------------------------------
        if o.resourceGroupName:
            self.resource_group = None
            rg_name: pulumi.Input[str] = o.resourceGroupName
        else:
            self.resource_group = resources.ResourceGroup(
                naming.child(name, "rg"),
                **self._over(
                    "resourceGroup",
                    {
                        "resource_group_name": f"mlinfra-{naming.physical(stack, spec.key, max_len=80)}",
                        "location": region,
                        "tags": self._tags,
                    },
                ),
                opts=self._child,
            )
            rg_name = self.resource_group.name
        self.resource_group_name = pulumi.Output.from_input(rg_name)
        where = {"resource_group_name": rg_name, "location": region}

        # ---- artifact storage ------------------------------------------------------------------------
        network_rules = {"default_action": "Deny" if private else "Allow", "bypass": "AzureServices"}
        self.storage_account = storage.StorageAccount(
            naming.child(name, "storage"),
            **self._over(
                "storage",
                {
                    **where,
                    "account_name": sub.apply(lambda s_: storage_account_name(stack, spec.key, s_)),
                    "kind": "StorageV2",
                    "sku": {
                        "name": o.storageSku or ("Standard_ZRS" if profile == "prod" else "Standard_LRS")
                    },
                    "access_tier": "Hot",
                    "enable_https_traffic_only": True,
                    "minimum_tls_version": "TLS1_2",
                    "allow_blob_public_access": False,
                    "allow_shared_key_access": o.allowSharedKeyUpload,
                    "default_to_o_auth_authentication": True,
                    "allow_cross_tenant_replication": False,
                    "public_network_access": public,
                    "network_rule_set": network_rules,
                    "encryption": {
                        "key_source": "Microsoft.Storage",
                        "require_infrastructure_encryption": True,
                        "services": {
                            "blob": {"enabled": True, "key_type": "Account"},
                            "file": {"enabled": True, "key_type": "Account"},
                        },
                    },
                    "tags": self._tags,
                },
            ),
            opts=stateful,
        )
        account = {"resource_group_name": rg_name, "account_name": self.storage_account.name}
        self.blob_service = storage.BlobServiceProperties(
            naming.child(name, "blob-service"),
            **self._over(
                "blobService",
                {
                    **account,
                    "blob_services_name": "default",
                    "is_versioning_enabled": True,
                    "delete_retention_policy": {"enabled": True, "days": 30},
                    "container_delete_retention_policy": {"enabled": True, "days": 30},
                },
            ),
            opts=self._child,
        )
        self.container = storage.BlobContainer(
            naming.child(name, "artifacts"),
            **self._over("container", {**account, "container_name": CONTAINER, "public_access": "None"}),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.blob_service], protect=spec.storage.protect
            ),
        )

        # ---- key vault, logs ---------------------------------------------------------------------------
        self.vault = keyvault.Vault(
            naming.child(name, "vault"),
            **self._over(
                "keyVault",
                {
                    **where,
                    "vault_name": sub.apply(lambda s_: key_vault_name(stack, spec.key, s_)),
                    "properties": {
                        "tenant_id": client.tenant_id,
                        "sku": {"family": "A", "name": "standard"},
                        "enable_rbac_authorization": True,
                        "enable_soft_delete": True,
                        "soft_delete_retention_in_days": 90,
                        "enable_purge_protection": True,
                        "public_network_access": public,
                        "network_acls": network_rules,
                    },
                    "tags": self._tags,
                },
            ),
            opts=stateful,
        )
        self.log_workspace = operationalinsights.Workspace(
            naming.child(name, "logs"),
            **self._over(
                "logs",
                {
                    **where,
                    "workspace_name": naming.physical(stack, spec.key, "logs"),
                    "sku": {"name": "PerGB2018"},
                    "retention_in_days": o.logRetentionDays,
                    "tags": self._tags,
                },
            ),
            opts=self._child,
        )
        self.app_insights = applicationinsights.Component(
            naming.child(name, "appinsights"),
            **self._over(
                "appInsights",
                {
                    **where,
                    "resource_name_": naming.physical(stack, spec.key, "appi"),
                    "kind": "web",
                    "application_type": "web",
                    "ingestion_mode": "LogAnalytics",
                    "workspace_resource_id": self.log_workspace.id,
                    "tags": self._tags,
                },
            ),
            opts=self._child,
        )

        # ---- Azure ML workspace --------------------------------------------------------------------------
        self.workspace = ml.Workspace(
            naming.child(name, "workspace"),
            **self._over(
                "workspace",
                {
                    **where,
                    "workspace_name": naming.physical(stack, spec.key, "ws", max_len=33),
                    "friendly_name": f"mlinfra {stack} {spec.key}",
                    "identity": {"type": "SystemAssigned"},
                    "sku": {"name": "Basic", "tier": "Basic"},
                    "hbi_workspace": True,
                    "public_network_access": public,
                    "managed_network": {"isolation_mode": "AllowOnlyApprovedOutbound"} if private else None,
                    "storage_account": self.storage_account.id,
                    "key_vault": self.vault.id,
                    "application_insights": self.app_insights.id,
                    "system_datastores_auth_mode": "Identity",
                    "tags": self._tags,
                },
            ),
            opts=stateful,
        )
        # The workspace's system identity gets its roles on the storage account, vault and registry from Azure ML
        # itself at creation (the identity running `pulumi up` needs rights to assign roles); declaring the same
        # assignments here would collide with them (RoleAssignmentExists).
        self.workspace_principal_id = self.workspace.identity.apply(lambda i: i.principal_id if i else "")
        ws = {"resource_group_name": rg_name, "workspace_name": self.workspace.name}

        # ---- the model: files and registered versions ----------------------------------------------------
        stable_ref = _resolve_stable(o.stableModel, model)
        self.model_ref = model
        self.stable_model_ref = stable_ref
        self.model_uris: dict[str, pulumi.Output[str]] = {}
        self.model_versions: dict[str, ml.ModelVersion] = {}
        self.model_blobs: list[storage.Blob] = []
        self.model_containers: dict[str, ml.ModelContainer] = {}
        for model_name in dict.fromkeys((model.name, stable_ref.name)):
            self.model_containers[model_name] = ml.ModelContainer(
                naming.child(name, "model" if model_name == model.name else f"model-{model_name}"),
                **ws,
                name=model_name,
                properties={"description": f"mlinfra {spec.key}: {model_name}", "tags": self._tags},
                opts=self._child,
            )
        for ref in {r.digest: r for r in (model, stable_ref)}.values():
            self.model_uris[ref.digest] = uri = self._model_files(name, ref)
            self.model_versions[ref.digest] = ml.ModelVersion(
                naming.child(name, f"model-{ref.digest[:12]}"),
                **self._over(
                    "model",
                    {
                        **ws,
                        "name": self.model_containers[ref.name].name,
                        "version": ref.digest[:12],
                        "properties": {
                            "model_type": "triton_model",
                            "model_uri": uri,
                            "description": f"{ref.name} {ref.version} ({ref.target})",
                            "properties": {"mlinfra-digest": ref.digest, "mlinfra-ref": ref.ref},
                            "tags": self._tags,
                        },
                    },
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=self.model_blobs),
            )
        self.model_data_url = self.model_uris[model.digest]
        self.environment = self._environment(name, ws) if spec.serving.image else None

        # ---- endpoint ----------------------------------------------------------------------------------
        endpoint_props = {
            "auth_mode": o.authMode,
            "public_network_access": public,
            "description": f"mlinfra {stack}/{spec.key}",
        }
        endpoint_args = self._over(
            "endpoint",
            {
                **ws,
                "location": region,
                "endpoint_name": sub.apply(lambda s_: endpoint_name(stack, spec.key, s_)),
                "kind": "Managed",
                "identity": {"type": "SystemAssigned"},
                "properties": endpoint_props,
                "tags": self._tags,
            },
        )
        self.endpoint = ml.OnlineEndpoint(
            name,
            **endpoint_args,
            # Traffic belongs to the traffic step (after the deployments exist): never reset it here.
            opts=pulumi.ResourceOptions(
                parent=self, ignore_changes=["properties.traffic", "properties.mirrorTraffic"]
            ),
        )
        self.endpoint_principal_id = self.endpoint.identity.apply(lambda i: i.principal_id if i else "")
        reader = [
            self._grant(
                "endpoint-model-read",
                self.endpoint_principal_id,
                "Storage Blob Data Reader",
                self.container.id,
            )
        ]
        if spec.capture.sample_percent:
            reader.append(
                self._grant(
                    "endpoint-capture-write",
                    self.endpoint_principal_id,
                    "Storage Blob Data Contributor",
                    self.storage_account.id,
                )
            )

        # ---- deployments (one, or blue/green), then the traffic step --------------------------------------
        slots = sorted(self.traffic)
        stable_slot = next((s for s in slots if s != o.candidateSlot), o.candidateSlot)
        self.deployments: dict[str, ml.OnlineDeployment] = {}
        previous: list[pulumi.Resource] = []
        for slot in slots:
            ref = model if slot == o.candidateSlot else stable_ref
            self.deployments[slot] = dep = ml.OnlineDeployment(
                naming.child(name, slot),
                **self._over(
                    "deployment",
                    {
                        **ws,
                        "location": region,
                        "endpoint_name": self.endpoint.name,
                        "deployment_name": slot,
                        "kind": "Managed",
                        "sku": {"name": "Default", "capacity": spec.compute.instances},
                        "properties": self._deployment_properties(ref, slot == o.candidateSlot),
                        "tags": {
                            **self._tags,
                            "mlinfra-slot": slot,
                            "mlinfra-role": "candidate"
                            if slot == o.candidateSlot and len(slots) > 1
                            else "stable",
                        },
                    },
                ),
                # Deployments are created one at a time (the endpoint takes one operation at a time); once
                # autoscale owns the instance count, `pulumi up` must not reset it.
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[*reader, self.model_versions[ref.digest], *previous],
                    ignore_changes=["sku.capacity"] if spec.autoscales else None,
                ),
            )
            previous = [dep]
        self.stable_slot = stable_slot
        self.traffic_step = EndpointTraffic(
            naming.child(name, "traffic"),
            endpoint_id=self.endpoint.id,
            traffic=self.traffic,
            mirror_traffic=self.mirror_traffic,
            endpoint_revision=_digest(
                {k: v for k, v in endpoint_args.items() if not isinstance(v, pulumi.Output)}
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.deployments.values())),
        )

        # ---- autoscaling -------------------------------------------------------------------------------
        self.autoscale = (
            {slot: self._autoscale(name, slot, dep, rg_name) for slot, dep in self.deployments.items()}
            if spec.autoscales
            else {}
        )

        # ---- alerts, diagnostics, workbook ------------------------------------------------------------------
        self.action_group = monitor.ActionGroup(
            naming.child(name, "alerts"),
            **self._over(
                "actionGroup",
                {
                    "resource_group_name": rg_name,
                    "action_group_name": f"{self.physical_name}-alerts",
                    **am.action_group_args(f"ml{spec.key}".replace("-", ""), notify.emails, notify.webhooks),
                    "tags": self._tags,
                },
            ),
            opts=self._child,
        )
        self.rules = self._rules()
        self.alerts = self._alerts(name, rg_name)
        self.diagnostics = monitor.DiagnosticSetting(
            naming.child(name, "diagnostics"),
            name="mlinfra-logs",
            resource_uri=self.endpoint.id,
            workspace_id=self.log_workspace.id,
            logs=[{"category_group": "allLogs", "enabled": True}],
            metrics=[{"category": "AllMetrics", "enabled": True}],
            opts=self._child,
        )
        gpu = spec.compute.accelerator == "gpu"
        self.workbook = applicationinsights.Workbook(
            naming.child(name, "dashboard"),
            **self._over(
                "workbook",
                {
                    **where,
                    "resource_name_": str(
                        uuid.uuid5(uuid.NAMESPACE_URL, f"mlinfra/{stack}/{spec.key}/workbook")
                    ),
                    "kind": "shared",
                    "category": "workbook",
                    "display_name": f"mlinfra {self.physical_name}",
                    "source_id": "azure monitor",
                    "serialized_data": pulumi.Output.all(
                        self.endpoint.id, *[d.id for d in self.deployments.values()]
                    ).apply(
                        lambda ids: am.workbook(
                            self.physical_name, ids[0], dict(zip(self.deployments, ids[1:], strict=True)), gpu
                        )
                    ),
                    "tags": self._tags,
                },
            ),
            opts=self._child,
        )

        # ---- outputs -----------------------------------------------------------------------------------
        self.endpoint_name = self.endpoint.name
        self.endpoint_id = self.endpoint.id
        self.invoke_url = self.endpoint.name.apply(
            lambda n_: f"https://{n_}.{region}.inference.ml.azure.com/score"
        )
        self.artifact_bucket = pulumi.Output.concat(self.storage_account.name, "/", self.container.name)
        self.alarm_names = pulumi.Output.all(*[a.name for a in self.alerts]).apply(list)
        self.dashboard_url = pulumi.Output.all(client.tenant_id, self.workbook.id).apply(
            lambda v: f"https://portal.azure.com/#@{v[0]}/resource{v[1]}/workbook"
        )
        self.register_outputs(self.exports())

    # ---- sections used by __init__ -------------------------------------------------------------------
    def _over(self, role: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Apply the ``overrides.<role>`` escape hatch (keyword arguments of the Pulumi resource)."""
        return _deep_merge(kwargs, self.spec.overrides.get(role, {}))

    def _grant(
        self, role_name: str, principal_id: pulumi.Input[str], role: str, scope: pulumi.Input[str]
    ) -> authorization.RoleAssignment:
        """A role assignment with a deterministic name (so a re-run never duplicates it)."""
        return authorization.RoleAssignment(
            naming.child(self.spec.key, f"grant-{role_name}"),
            role_assignment_name=str(
                uuid.uuid5(uuid.NAMESPACE_URL, f"mlinfra/{self.stack}/{self.spec.key}/{role_name}")
            ),
            principal_id=principal_id,
            principal_type="ServicePrincipal",
            role_definition_id=self.subscription_id.apply(
                lambda sub: (
                    f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{ROLE[role]}"
                )
            ),
            scope=scope,
            description=f"mlinfra {self.physical_name}: {role}",
            opts=self._child,
        )

    def _model_files(self, name: str, ref: ModelRef) -> pulumi.Output[str]:
        """Upload a local package's Triton repository (content-addressed paths); return the model URI."""
        if ref.kind == "az":
            account, _, rest = ref.prefix[len("az://") :].partition("/")
            return pulumi.Output.from_input(f"https://{account}.blob.core.windows.net/{rest}{mf.TRITON_DIR}")
        assert ref.manifest is not None and ref.local_dir is not None
        base = f"models/{ref.name}/{ref.version}"
        for rel, entry in sorted(ref.manifest.files.items()):
            if not rel.startswith(mf.TRITON_DIR + "/"):
                continue
            self.model_blobs.append(
                storage.Blob(
                    naming.child(name, f"blob-{ref.digest[:12]}-{rel}"),
                    resource_group_name=self.resource_group_name,
                    account_name=self.storage_account.name,
                    container_name=self.container.name,
                    blob_name=f"{base}/{rel}",
                    type="Block",
                    source=pulumi.FileAsset(str(ref.local_file(rel))),
                    content_type="application/octet-stream",
                    metadata={"mlinfra_sha256": entry.sha256, "mlinfra_digest": ref.digest},
                    opts=self._child,
                )
            )
        return self.storage_account.name.apply(
            lambda acct: f"https://{acct}.blob.core.windows.net/{CONTAINER}/{base}/{mf.TRITON_DIR}"
        )

    def _environment(self, name: str, ws: dict[str, Any]) -> ml.EnvironmentVersion:
        """A custom serving container (``serving.image``) with the routes Azure ML probes and scores on."""
        s, o = self.spec.serving, self.options
        routes = {
            "liveness_route": o.livenessRoute,
            "readiness_route": o.readinessRoute,
            "scoring_route": o.scoringRoute,
        }
        return ml.EnvironmentVersion(
            naming.child(name, "environment"),
            **self._over(
                "environment",
                {
                    **ws,
                    "name": f"{self.physical_name}-serving",
                    "version": _digest([s.image, s.port, routes]),
                    "properties": {
                        "image": s.image,
                        "os_type": "Linux",
                        "inference_config": {k: {"path": v, "port": s.port} for k, v in routes.items()},
                        "tags": self._tags,
                    },
                },
            ),
            opts=self._child,
        )

    def _deployment_properties(self, ref: ModelRef, candidate: bool) -> ml.ManagedOnlineDeploymentArgs:
        s, spec = self.spec.serving, self.spec
        probe = {"failure_threshold": 30, "success_threshold": 1, "timeout": "PT2S", "period": "PT10S"}
        capture = None
        if spec.capture.sample_percent:
            rate = spec.capture.sample_percent / 100
            capture = ml.DataCollectorArgs(
                collections={
                    c: ml.CollectionArgs(data_collection_mode="Enabled", sampling_rate=rate)
                    for c in ("request", "response")
                },
                rolling_rate="Hour",
            )
        return ml.ManagedOnlineDeploymentArgs(
            endpoint_compute_type="Managed",
            description=f"mlinfra {self.physical_name}: {ref.name} {ref.version}"
            + (" (candidate)" if candidate and len(self.traffic) > 1 else ""),
            instance_type=self.instance.name,
            model=self.model_versions[ref.digest].id,
            environment_id=self.environment.id if self.environment else None,
            environment_variables={"MLINFRA_MODEL_DIGEST": ref.digest, **s.env},
            app_insights_enabled=True,
            egress_public_network_access="Disabled" if spec.network.private else "Enabled",
            request_settings=ml.OnlineRequestSettingsArgs(
                request_timeout=f"PT{s.request_timeout_seconds}S",
                max_concurrent_requests_per_instance=s.max_concurrent_requests or 4,
            ),
            liveness_probe=ml.ProbeSettingsArgs(initial_delay="PT30S", **probe),
            readiness_probe=ml.ProbeSettingsArgs(initial_delay="PT10S", **probe),
            data_collector=capture,
        )

    def _autoscale(
        self, name: str, slot: str, dep: ml.OnlineDeployment, rg_name: pulumi.Input[str]
    ) -> monitor.AutoscaleSetting:
        a = self.spec.autoscaling
        rules = self._scale_rules(dep.id)
        profiles: list[dict[str, Any]] = [
            {
                "name": "default",
                "capacity": {
                    "minimum": str(a.min_instances),
                    "maximum": str(a.max_instances),
                    "default": str(self.spec.compute.instances),
                },
                "rules": rules,
            }
        ]
        for i, sch in enumerate(a.schedules):
            profiles.append(
                {
                    "name": sch.name or f"schedule-{i}",
                    "capacity": {"minimum": str(sch.min), "maximum": str(sch.max), "default": str(sch.min)},
                    "rules": rules,
                    "recurrence": recurrence(sch.cron, sch.timezone),
                }
            )
        return monitor.AutoscaleSetting(
            naming.child(name, f"autoscale-{slot}"),
            **self._over(
                "autoscale",
                {
                    "resource_group_name": rg_name,
                    "location": self.region,
                    "autoscale_setting_name": f"{self.physical_name}-{slot}",
                    "enabled": True,
                    "target_resource_uri": dep.id,
                    "target_resource_location": self.region,
                    "profiles": profiles,
                    "tags": self._tags,
                },
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[dep]),
        )

    def _scale_rules(self, deployment_id: pulumi.Output[str]) -> list[dict[str, Any]]:
        a, spec = self.spec.autoscaling, self.spec
        out_cd, in_cd = iso_minutes(a.scale_out_cooldown_seconds), iso_minutes(a.scale_in_cooldown_seconds)

        def rule(
            metric: str, op: str, threshold: float, direction: str, cooldown: str, per_instance: bool = False
        ) -> dict[str, Any]:
            return {
                "metric_trigger": {
                    "metric_name": metric,
                    "metric_namespace": am.DEPLOYMENT_TYPE,
                    "metric_resource_uri": deployment_id,
                    "time_grain": "PT1M",
                    "statistic": "Average",
                    "time_window": "PT5M",
                    "time_aggregation": "Average",
                    "operator": op,
                    "threshold": float(threshold),
                    "divide_per_instance": per_instance,
                },
                "scale_action": {
                    "direction": direction,
                    "type": "ChangeCount",
                    "value": "1",
                    "cooldown": cooldown,
                },
            }

        rules = []
        if a.target_utilization_percent is not None:
            metric = (
                "GpuUtilizationPercentage"
                if spec.compute.accelerator == "gpu"
                else "CpuUtilizationPercentage"
            )
            t = a.target_utilization_percent
            rules += [
                rule(metric, "GreaterThan", t, "Increase", out_cd),
                rule(metric, "LessThan", round(t * SCALE_IN_SHARE), "Decrease", in_cd),
            ]
        if a.target_invocations_per_instance_per_minute is not None:
            t = a.target_invocations_per_instance_per_minute
            rules += [
                rule("RequestsPerMinute", "GreaterThan", t, "Increase", out_cd, per_instance=True),
                rule(
                    "RequestsPerMinute",
                    "LessThan",
                    round(t * SCALE_IN_SHARE),
                    "Decrease",
                    in_cd,
                    per_instance=True,
                ),
            ]
        if spec.alerts.latency_p99_ms is not None:
            rules.append(
                rule(
                    "RequestLatency_P99",
                    "GreaterThan",
                    round(spec.alerts.latency_p99_ms * LATENCY_SCALE_SHARE),
                    "Increase",
                    out_cd,
                )
            )
        return rules

    def _rules(self) -> list[AlertRule]:
        rules = alert_rules(self.spec)
        a = self.spec.autoscaling
        rules.append(
            am.capacity_rule(
                a.min_instances if a.enabled else self.spec.compute.instances,
                self.spec.alerts.evaluation_minutes,
            )
        )
        return rules

    def _alerts(self, name: str, rg_name: pulumi.Input[str]) -> list[monitor.MetricAlert]:
        out = []
        count = error_count_threshold(self.spec)
        for rule in self.rules:
            targets: list[tuple[str, Any]] = (
                [("", self.endpoint.id)]
                if rule.signal in am.ENDPOINT_SIGNALS
                else [(f"-{s}", d.id) for s, d in self.deployments.items()]
            )
            for suffix, scope in targets:
                alert_name = f"{self.physical_name}-{rule.id}{suffix}"
                out.append(
                    monitor.MetricAlert(
                        naming.child(name, f"alert-{rule.id}{suffix}"),
                        resource_group_name=rg_name,
                        **am.metric_alert_args(rule, alert_name, scope, self.action_group.id, count),
                        tags=self._tags,
                        opts=self._child,
                    )
                )
        return out

    # ---- metric helpers and grants -------------------------------------------------------------------
    def metric_request_latency(self, percentile: int = 99) -> dict[str, Any]:
        """The endpoint's request latency (ms) for your own alerts and workbooks: namespace, metric, resource."""
        return {
            "namespace": am.ENDPOINT_TYPE,
            "metric": f"RequestLatency_P{percentile}",
            "resource_id": self.endpoint.id,
        }

    def metric_requests_per_minute(self) -> dict[str, Any]:
        return {
            "namespace": am.ENDPOINT_TYPE,
            "metric": "RequestsPerMinute",
            "resource_id": self.endpoint.id,
            "dimensions": ["deployment", "statusCodeClass"],
        }

    def metric_utilization(self, slot: str, kind: str = "Cpu") -> dict[str, Any]:
        return {
            "namespace": am.DEPLOYMENT_TYPE,
            "metric": f"{kind}UtilizationPercentage",
            "resource_id": self.deployments[slot].id,
        }

    def grant_invoke(
        self, principal_id: pulumi.Input[str], name: str = "invoke"
    ) -> authorization.RoleAssignment:
        """Let a principal call this endpoint with an AAD token ('AzureML Data Scientist' on this endpoint only)."""
        return self._grant(name, principal_id, "AzureML Data Scientist", self.endpoint.id)

    def exports(self) -> dict[str, Any]:
        return {
            "endpointName": self.endpoint_name,
            "endpointId": self.endpoint_id,
            "invokeUrl": self.invoke_url,
            "artifactBucket": self.artifact_bucket,
            "modelDataUrl": self.model_data_url,
            "alarmNames": self.alarm_names,
            "dashboardUrl": self.dashboard_url,
            "instanceType": self.instance.name,
            "resourceGroup": self.resource_group_name,
            "workspaceName": self.workspace.name,
            "endpointPrincipalId": self.endpoint_principal_id,
            "workspacePrincipalId": self.workspace_principal_id,
            "traffic": self.traffic,
            "mirrorTraffic": self.mirror_traffic,
        }


def _resolve_stable(ref: str | None, model: ModelRef) -> ModelRef:
    """The stable slot's model: ``azure.stableModel`` resolved like ``model`` (default: the same model)."""
    if not ref:
        return model
    base = Path.cwd()
    if model.local_dir is not None and "://" not in model.ref and not Path(model.ref).is_absolute():
        base = Path(str(model.local_dir)[: -len(model.ref.rstrip("/"))] or ".")
    return resolve_model(ref, base)


def _digest(value: Any) -> str:
    """12 hex of the sha256 of a JSON value: a stable revision or version id."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


__all__ = ["AzureEndpoint"]
