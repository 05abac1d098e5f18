"""``AwsEndpoint``: a model behind a SageMaker real-time (or serverless) endpoint, secure by default.

Children, in order: KMS key; artifact bucket (SSE-KMS, versioning, public access block, owner-enforced,
TLS-only policy, lifecycle; protected); the model artifact; log group; execution role (least privilege);
SageMaker Model (Triton, network isolation); EndpointConfiguration (autonamed, so a change replaces it
create-before-delete); SNS topic and alarms (from ``monitoring``); Endpoint (blue/green with auto-rollback
on the alarms); autoscaling target, policies and schedules; dashboard.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from components._common import naming
from components._common.artifact import ModelRef
from components._common.errors import ConfigError
from components.aws.validate import aws_options, resolved_instance_type, triton_image, validate_for_aws
from components.spec import EndpointSpec, Notify
from model_packaging import manifest as mf
from monitoring import aws as cw
from monitoring.rules import alert_rules

TYPE = "mlinfra:aws:Endpoint"


class AwsEndpoint(pulumi.ComponentResource):
    """A SageMaker endpoint for one packaged model.

    Args:
        name: the endpoint key; every child's logical name derives from it.
        spec: the endpoint's validated config (``components.spec.EndpointSpec``).
        model: the resolved model reference (a local package is uploaded; an s3:// manifest is referenced).
        stack: the Pulumi stack name (part of physical names).
        region: the AWS region (picks the Triton image account).
        notify: who gets the alarms (emails, https webhooks).
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
        issues = validate_for_aws(spec, region, profile)
        if issues:
            raise ConfigError(issues)
        super().__init__(TYPE, name, None, opts)
        self.spec = spec
        self.options = aws_options(spec)
        self.variant = self.options.variantName
        self.region = region
        self.physical_name = naming.physical(stack, spec.key, max_len=63)
        self.instance = resolved_instance_type(spec, model.archive_size)
        self._tags = naming.tags(stack, spec.key, tags or {}, spec.tags)
        self._child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=spec.storage.protect)
        identity = aws.get_caller_identity_output()
        partition = aws.get_partition_output()
        self.account_id = identity.account_id

        # ---- encryption key --------------------------------------------------------------------------
        self.key = aws.kms.Key(
            naming.child(name, "key"),
            **self._over(
                "key",
                {
                    "description": f"mlinfra {self.physical_name}: model artifacts, captured data, alarms topic, logs",
                    "enable_key_rotation": True,
                    "deletion_window_in_days": 30,
                    "policy": pulumi.Output.all(identity.account_id, partition.partition).apply(
                        lambda v: json.dumps(_key_policy(v[0], v[1], region, self.physical_name))
                    ),
                    "tags": self._tags,
                },
            ),
            opts=stateful,
        )
        aws.kms.Alias(
            naming.child(name, "key-alias"),
            name=f"alias/mlinfra/{self.physical_name}",
            target_key_id=self.key.key_id,
            opts=self._child,
        )

        # ---- artifact bucket -------------------------------------------------------------------------
        self.bucket = aws.s3.Bucket(
            naming.child(name, "artifacts"),
            **self._over("bucket", {"force_destroy": False, "tags": self._tags}),
            opts=stateful,
        )
        bucket_controls = self._bucket_controls(name, spec)

        # ---- the model artifact ----------------------------------------------------------------------
        self.model_ref = model
        model_read_arns: list[pulumi.Input[str]]
        if model.published:
            assert model.prefix is not None
            self.model_data_url = pulumi.Output.from_input(model.prefix + mf.ARCHIVE)
            model_read_arns = [_s3_object_arn(model.prefix)]
            artifact_deps: list[pulumi.Resource] = []
        else:
            object_key = f"models/{model.name}/{model.version}/{mf.ARCHIVE}"
            archive = model.manifest.files[mf.ARCHIVE] if model.manifest else None
            self.artifact = aws.s3.BucketObjectv2(
                naming.child(name, "model-artifact"),
                bucket=self.bucket.id,
                key=object_key,
                source=pulumi.FileAsset(str(model.local_file(mf.ARCHIVE))),
                checksum_algorithm="SHA256",
                server_side_encryption="aws:kms",
                kms_key_id=self.key.arn,
                content_type="application/gzip",
                metadata={
                    "mlinfra-digest": model.digest,
                    "mlinfra-sha256": archive.sha256 if archive else "",
                },
                tags=self._tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=bucket_controls),
            )
            self.model_data_url = pulumi.Output.concat("s3://", self.bucket.bucket, "/", object_key)
            model_read_arns = [pulumi.Output.concat(self.bucket.arn, f"/models/{model.name}/*")]
            artifact_deps = [self.artifact]

        # ---- logs and the execution role -------------------------------------------------------------
        self.log_group = aws.cloudwatch.LogGroup(
            naming.child(name, "logs"),
            name=f"/aws/sagemaker/Endpoints/{self.physical_name}",
            retention_in_days=self.options.logRetentionDays,
            kms_key_id=self.key.arn,
            tags=self._tags,
            opts=self._child,
        )
        image = spec.serving.image or triton_image(region, self.options.tritonVersion)
        self.role = aws.iam.Role(
            naming.child(name, "role"),
            **self._over(
                "role",
                {
                    "description": f"mlinfra {self.physical_name}: SageMaker execution role (its model, key, logs, image)",
                    "assume_role_policy": identity.account_id.apply(
                        lambda acct: json.dumps(_trust_policy(acct))
                    ),
                    "max_session_duration": 3600,
                    "tags": self._tags,
                },
            ),
            opts=self._child,
        )
        self.role_policy = aws.iam.RolePolicy(
            naming.child(name, "role-policy"),
            role=self.role.id,
            name="mlinfra-endpoint",
            policy=pulumi.Output.all(
                model_read=model_read_arns,
                bucket_arn=self.bucket.arn,
                key_arn=self.key.arn,
                log_arn=self.log_group.arn,
                partition=partition.partition,
            ).apply(lambda v: json.dumps(self._role_policy(v, image))),
            opts=self._child,
        )

        # ---- SageMaker model -------------------------------------------------------------------------
        env = {
            "SAGEMAKER_TRITON_DEFAULT_MODEL_NAME": model.triton_model_name,
            "SAGEMAKER_TRITON_LOG_VERBOSE": "false",
            "MLINFRA_MODEL_DIGEST": model.digest,
            **spec.serving.env,
        }
        n = spec.network
        self.model = aws.sagemaker.Model(
            naming.child(name, "model"),
            **self._over(
                "model",
                {
                    "execution_role_arn": self.role.arn,
                    "primary_container": {
                        "image": image,
                        "model_data_url": self.model_data_url,
                        "environment": env,
                        "mode": "SingleModel",
                    },
                    "enable_network_isolation": n.isolation,
                    "vpc_config": {"subnets": n.subnet_ids, "security_group_ids": n.security_group_ids}
                    if n.subnet_ids
                    else None,
                    # policy rule aws-sagemaker-network-isolation reads the opt-out reason from this tag
                    "tags": {
                        **self._tags,
                        **(
                            {"mlinfra-isolation-opt-out": _tag_value(n.isolation_opt_out_reason or "")}
                            if not n.isolation
                            else {}
                        ),
                    },
                },
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role_policy, *artifact_deps]),
        )

        # ---- endpoint configuration (autonamed: any change replaces it, create-before-delete) ----------
        self.endpoint_config = aws.sagemaker.EndpointConfiguration(
            naming.child(name, "config"),
            **self._over(
                "endpointConfig",
                {
                    "production_variants": [self._variant()],
                    "kms_key_arn": self.key.arn if self.encrypts_volume else None,
                    "data_capture_config": self._data_capture(),
                    "tags": self._tags,
                },
            ),
            opts=self._child,
        )

        # ---- notifications and alarms ----------------------------------------------------------------
        self.topic = self._topic(name, notify)
        self.rules = alert_rules(spec)
        if spec.compute.serverless is not None:
            # Serverless endpoints publish no instance utilization metrics.
            self.rules = [r for r in self.rules if r.signal in cw.ROLLBACK_SIGNALS]
        self.alarms = [
            aws.cloudwatch.MetricAlarm(
                naming.child(name, f"alarm-{rule.id}"),
                **cw.alarm_args(
                    rule,
                    self.physical_name,
                    self.variant,
                    self.topic.arn,
                    vcpus=self.instance.vcpus if self.instance else 1,
                    gpus=self.instance.gpu_count if self.instance else 1,
                ),
                tags=self._tags,
                opts=self._child,
            )
            for rule in self.rules
        ]
        self.rollback_alarms = (
            cw.rollback_alarm_names(self.rules, self.physical_name) if spec.rollout.auto_rollback else []
        )

        # ---- endpoint --------------------------------------------------------------------------------
        self.endpoint = aws.sagemaker.Endpoint(
            name,
            **self._over(
                "endpoint",
                {
                    "name": self.physical_name,
                    "endpoint_config_name": self.endpoint_config.name,
                    "deployment_config": self._deployment_config(),
                    "tags": self._tags,
                },
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.alarms),
        )

        # ---- autoscaling -----------------------------------------------------------------------------
        self.scaling_target = (
            self._autoscaling(name) if spec.autoscales and spec.compute.serverless is None else None
        )

        # ---- dashboard -------------------------------------------------------------------------------
        self.dashboard = aws.cloudwatch.Dashboard(
            naming.child(name, "dashboard"),
            dashboard_name=self.physical_name,
            dashboard_body=pulumi.Output.all(*[a.arn for a in self.alarms]).apply(
                lambda arns: cw.dashboard_body(
                    self.physical_name, self.variant, region, list(arns), spec.compute.accelerator == "gpu"
                )
            ),
            opts=self._child,
        )

        # ---- outputs ---------------------------------------------------------------------------------
        self.endpoint_name = self.endpoint.name
        self.endpoint_arn = self.endpoint.arn
        domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
        self.invoke_url = self.endpoint.name.apply(
            lambda n_: f"https://runtime.sagemaker.{region}.{domain}/endpoints/{n_}/invocations"
        )
        self.artifact_bucket = self.bucket.bucket
        self.role_arn = self.role.arn
        self.alarm_names = pulumi.Output.all(*[a.name for a in self.alarms]).apply(list)
        self.dashboard_url = pulumi.Output.from_input(
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards:name={self.physical_name}"
        )
        self.register_outputs(self.exports())

    # ---- sections used by __init__ -------------------------------------------------------------------
    def _over(self, role: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Apply the ``overrides.<role>`` escape hatch (keyword arguments of the Pulumi resource)."""
        return _deep_merge(kwargs, self.spec.overrides.get(role, {}))

    def _bucket_controls(self, name: str, spec: EndpointSpec) -> list[pulumi.Resource]:
        b = self.bucket.id
        opts = self._child
        controls: list[pulumi.Resource] = [
            aws.s3.BucketServerSideEncryptionConfiguration(
                naming.child(name, "artifacts-encryption"),
                bucket=b,
                rules=[
                    {
                        "apply_server_side_encryption_by_default": {
                            "sse_algorithm": "aws:kms",
                            "kms_master_key_id": self.key.arn,
                        },
                        "bucket_key_enabled": True,
                    }
                ],
                opts=opts,
            ),
            aws.s3.BucketVersioning(
                naming.child(name, "artifacts-versioning"),
                bucket=b,
                versioning_configuration={"status": "Enabled"},
                opts=opts,
            ),
            aws.s3.BucketPublicAccessBlock(
                naming.child(name, "artifacts-public-access"),
                bucket=b,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
                opts=opts,
            ),
            aws.s3.BucketOwnershipControls(
                naming.child(name, "artifacts-ownership"),
                bucket=b,
                rule={"object_ownership": "BucketOwnerEnforced"},
                opts=opts,
            ),
        ]
        controls.append(
            aws.s3.BucketPolicy(
                naming.child(name, "artifacts-policy"),
                bucket=b,
                policy=self.bucket.arn.apply(lambda arn: json.dumps(_tls_only_policy(arn))),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[controls[2]]),
            )
        )
        controls.append(
            aws.s3.BucketLifecycleConfiguration(
                naming.child(name, "artifacts-lifecycle"),
                bucket=b,
                rules=[
                    {
                        "id": "abort-incomplete-multipart",
                        "status": "Enabled",
                        "filter": {"prefix": ""},
                        "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                    },
                    {
                        "id": "expire-noncurrent-versions",
                        "status": "Enabled",
                        "filter": {"prefix": ""},
                        "noncurrent_version_expiration": {
                            "noncurrent_days": spec.storage.noncurrent_version_days
                        },
                    },
                ],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[controls[1]]),
            )
        )
        if spec.storage.access_log_bucket:
            controls.append(
                aws.s3.BucketLogging(
                    naming.child(name, "artifacts-logging"),
                    bucket=b,
                    target_bucket=spec.storage.access_log_bucket,
                    target_prefix=f"s3-access/{self.physical_name}/",
                    opts=opts,
                )
            )
        return controls

    @property
    def encrypts_volume(self) -> bool:
        """KMS volume key: on for EBS-backed types, never on local-NVMe types (SageMaker refuses it)."""
        if self.instance is None:
            return False
        if self.spec.compute.encrypt_volume is None:
            return not self.instance.local_nvme
        return bool(self.spec.compute.encrypt_volume)

    def _variant(self) -> dict[str, Any]:
        c = self.spec.compute
        if c.serverless is not None:
            s = c.serverless
            return {
                "variant_name": self.variant,
                "model_name": self.model.name,
                "serverless_config": {
                    "memory_size_in_mb": s.memory_size_mb,
                    "max_concurrency": s.max_concurrency,
                    "provisioned_concurrency": s.provisioned_concurrency,
                },
            }
        assert self.instance is not None
        return {
            "variant_name": self.variant,
            "model_name": self.model.name,
            "instance_type": self.instance.name,
            "initial_instance_count": c.instances,
            "initial_variant_weight": 1.0,
            "container_startup_health_check_timeout_in_seconds": 600,
            "model_data_download_timeout_in_seconds": 600,
        }

    def _data_capture(self) -> dict[str, Any] | None:
        pct = self.spec.capture.sample_percent
        if not pct:
            return None
        return {
            "enable_capture": True,
            "initial_sampling_percentage": pct,
            "destination_s3_uri": pulumi.Output.concat(
                "s3://", self.bucket.bucket, f"/capture/{self.spec.key}"
            ),
            "kms_key_id": self.key.arn,
            "capture_options": [{"capture_mode": "Input"}, {"capture_mode": "Output"}],
            "capture_content_type_header": {"json_content_types": ["application/json"]},
        }

    def _deployment_config(self) -> dict[str, Any]:
        r = self.spec.rollout
        wait = r.wait_minutes * 60
        if r.strategy == "canary":
            routing = {
                "type": "CANARY",
                "wait_interval_in_seconds": wait,
                "canary_size": {"type": "CAPACITY_PERCENT", "value": r.step_percent},
            }
        elif r.strategy == "linear":
            routing = {
                "type": "LINEAR",
                "wait_interval_in_seconds": wait,
                "linear_step_size": {"type": "CAPACITY_PERCENT", "value": r.step_percent},
            }
        else:
            routing = {"type": "ALL_AT_ONCE", "wait_interval_in_seconds": 0}
        policy: dict[str, Any] = {
            "traffic_routing_configuration": routing,
            "termination_wait_in_seconds": r.termination_wait_minutes * 60,
        }
        steps = 1 if r.strategy != "linear" else -(-100 // r.step_percent)
        policy["maximum_execution_timeout_in_seconds"] = min(28800, max(600, 2 * wait * steps + 1800))
        config: dict[str, Any] = {"blue_green_update_policy": policy}
        if self.rollback_alarms:
            config["auto_rollback_configuration"] = {
                "alarms": [{"alarm_name": a} for a in self.rollback_alarms]
            }
        return config

    def _topic(self, name: str, notify: Notify) -> aws.sns.Topic:
        topic = aws.sns.Topic(
            naming.child(name, "alerts"),
            **self._over("topic", {"kms_master_key_id": self.key.arn, "tags": self._tags}),
            opts=self._child,
        )
        aws.sns.TopicPolicy(
            naming.child(name, "alerts-policy"),
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, self.account_id).apply(
                lambda v: json.dumps(_topic_policy(v[0], v[1]))
            ),
            opts=self._child,
        )
        for i, email in enumerate(notify.emails):
            aws.sns.TopicSubscription(
                naming.child(name, f"alerts-email-{i}"),
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=self._child,
            )
        for i, url in enumerate(notify.webhooks):
            aws.sns.TopicSubscription(
                naming.child(name, f"alerts-webhook-{i}"),
                topic=topic.arn,
                protocol="https",
                endpoint=url,
                endpoint_auto_confirms=False,
                opts=self._child,
            )
        return topic

    def _autoscaling(self, name: str) -> aws.appautoscaling.Target:
        a = self.spec.autoscaling
        resource_id = self.endpoint.name.apply(lambda n_: f"endpoint/{n_}/variant/{self.variant}")
        common: dict[str, Any] = {
            "service_namespace": "sagemaker",
            "scalable_dimension": "sagemaker:variant:DesiredInstanceCount",
        }
        target = aws.appautoscaling.Target(
            naming.child(name, "scaling"),
            **self._over(
                "scalingTarget",
                {
                    "resource_id": resource_id,
                    "min_capacity": a.min_instances,
                    "max_capacity": a.max_instances,
                    **common,
                },
            ),
            opts=self._child,
        )
        after = pulumi.ResourceOptions(parent=self, depends_on=[target])
        cooldowns: dict[str, Any] = {
            "scale_in_cooldown": a.scale_in_cooldown_seconds,
            "scale_out_cooldown": a.scale_out_cooldown_seconds,
        }
        if a.target_invocations_per_instance_per_minute is not None:
            aws.appautoscaling.Policy(
                naming.child(name, "scale-on-invocations"),
                name=f"{self.physical_name}-invocations",
                policy_type="TargetTrackingScaling",
                resource_id=target.resource_id,
                **common,
                target_tracking_scaling_policy_configuration=_any(
                    {
                        "target_value": float(a.target_invocations_per_instance_per_minute),
                        "predefined_metric_specification": {
                            "predefined_metric_type": "SageMakerVariantInvocationsPerInstance"
                        },
                        **cooldowns,
                    }
                ),
                opts=after,
            )
        if a.target_utilization_percent is not None:
            gpu = self.spec.compute.accelerator == "gpu"
            assert self.instance is not None
            metric, scale = (
                ("GPUUtilization", self.instance.gpu_count)
                if gpu
                else ("CPUUtilization", self.instance.vcpus)
            )
            aws.appautoscaling.Policy(
                naming.child(name, "scale-on-utilization"),
                name=f"{self.physical_name}-{metric.lower()}",
                policy_type="TargetTrackingScaling",
                resource_id=target.resource_id,
                **common,
                target_tracking_scaling_policy_configuration=_any(
                    {
                        # SageMaker sums utilization over cores (0..100 x vCPUs): scale the target the same way.
                        "target_value": float(a.target_utilization_percent * scale),
                        "customized_metric_specification": {
                            "namespace": cw.INSTANCE_NS,
                            "metric_name": metric,
                            "statistic": "Average",
                            "dimensions": [
                                {"name": k, "value": v}
                                for k, v in cw.dimensions(self.physical_name, self.variant).items()
                            ],
                        },
                        **cooldowns,
                    }
                ),
                opts=after,
            )
        for i, sch in enumerate(a.schedules):
            aws.appautoscaling.ScheduledAction(
                naming.child(name, f"schedule-{sch.name or i}"),
                name=f"{self.physical_name}-{sch.name or i}",
                resource_id=target.resource_id,
                **common,
                schedule=aws_cron(sch.cron),
                timezone=sch.timezone,
                scalable_target_action={"min_capacity": sch.min, "max_capacity": sch.max},
                opts=after,
            )
        return target

    def _role_policy(self, v: dict[str, Any], image: str) -> dict[str, Any]:
        region, spec = self.region, self.spec
        statements: list[dict[str, Any]] = [
            {
                "Sid": "ReadItsModel",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": list(v["model_read"]),
            },
            {
                "Sid": "UseItsKeyThroughS3",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": [v["key_arn"]],
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            },
            {
                "Sid": "WriteItsLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [f"{v['log_arn']}:*"],
            },
        ]
        if spec.capture.sample_percent:
            statements.append(
                {
                    "Sid": "WriteItsCapture",
                    "Effect": "Allow",
                    "Action": ["s3:PutObject"],
                    "Resource": [f"{v['bucket_arn']}/capture/{spec.key}/*"],
                }
            )
        repo = _ecr_repository_arn(image, v["partition"])
        if repo:
            statements.append(
                {
                    "Sid": "PullItsImage",
                    "Effect": "Allow",
                    "Action": [
                        "ecr:BatchGetImage",
                        "ecr:GetDownloadUrlForLayer",
                        "ecr:BatchCheckLayerAvailability",
                    ],
                    "Resource": [repo],
                }
            )
            # GetAuthorizationToken has no resource-level permissions: "*" is the only valid resource.
            statements.append(
                {
                    "Sid": "EcrLogin",
                    "Effect": "Allow",
                    "Action": ["ecr:GetAuthorizationToken"],
                    "Resource": ["*"],
                }
            )
        n = spec.network
        if n.subnet_ids:
            p = v["partition"]
            arns = [f"arn:{p}:ec2:{region}:*:subnet/{s}" for s in n.subnet_ids] + [
                f"arn:{p}:ec2:{region}:*:security-group/{g}" for g in n.security_group_ids
            ]
            statements.append(
                {
                    "Sid": "PlaceInItsVpc",
                    "Effect": "Allow",
                    "Action": ["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission"],
                    "Resource": [*arns, f"arn:{p}:ec2:{region}:*:network-interface/*"],
                }
            )
            statements.append(
                {
                    "Sid": "ManageItsInterfaces",
                    "Effect": "Allow",
                    "Action": ["ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"],
                    "Resource": [f"arn:{p}:ec2:{region}:*:network-interface/*"],
                }
            )
            # Describe* calls have no resource-level permissions.
            statements.append(
                {
                    "Sid": "DescribeItsVpc",
                    "Effect": "Allow",
                    "Action": [
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeVpcs",
                        "ec2:DescribeDhcpOptions",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeSecurityGroups",
                    ],
                    "Resource": ["*"],
                }
            )
        return {"Version": "2012-10-17", "Statement": statements}

    # ---- metric helpers and grants -------------------------------------------------------------------
    def metric_model_latency(self, stat: str = "p99") -> dict[str, Any]:
        """ModelLatency (microseconds) of this endpoint's variant, for your own alarms and dashboards."""
        return cw.metric(cw.INVOCATION_NS, "ModelLatency", self.physical_name, self.variant, stat)

    def metric_invocations(self) -> dict[str, Any]:
        return cw.metric(cw.INVOCATION_NS, "Invocations", self.physical_name, self.variant, "Sum")

    def metric_errors(self) -> dict[str, Any]:
        return cw.metric(cw.INVOCATION_NS, "Invocation5XXErrors", self.physical_name, self.variant, "Sum")

    def grant_invoke(self, role_name: pulumi.Input[str], name: str | None = None) -> aws.iam.RolePolicy:
        """Let an IAM role invoke this endpoint (sagemaker:InvokeEndpoint on this endpoint only)."""
        return aws.iam.RolePolicy(
            name or naming.child(self.spec.key, "invoke-grant"),
            role=role_name,
            policy=self.endpoint.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": ["sagemaker:InvokeEndpoint"], "Resource": [arn]}
                        ],
                    }
                )
            ),
            opts=self._child,
        )

    def exports(self) -> dict[str, Any]:
        return {
            "endpointName": self.endpoint_name,
            "endpointArn": self.endpoint_arn,
            "invokeUrl": self.invoke_url,
            "artifactBucket": self.artifact_bucket,
            "modelDataUrl": self.model_data_url,
            "roleArn": self.role_arn,
            "alarmNames": self.alarm_names,
            "dashboardUrl": self.dashboard_url,
            "instanceType": self.instance.name if self.instance else "serverless",
        }


# ---- documents ---------------------------------------------------------------------------------------
def _trust_policy(account: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        ],
    }


def _key_policy(account: str, partition: str, region: str, name: str) -> dict[str, Any]:
    root = f"arn:{partition}:iam::{account}:root"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchAlarmsPublishToTheEncryptedTopic",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
            {
                "Sid": "CloudWatchLogsEncryptsItsLogGroup",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account}:log-group:/aws/sagemaker/Endpoints/{name}"
                    }
                },
            },
        ],
    }


def _tls_only_policy(bucket_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def _topic_policy(topic_arn: str, account: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CloudWatchAlarmsPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def _tag_value(text: str) -> str:
    """Free text as an AWS tag value (letters, digits, spaces and _.:/=+-@; at most 256 characters)."""
    import re

    return re.sub(r"[^\w\s.:/=+\-@]", " ", text).strip()[:256] or "unspecified"


def _s3_object_arn(prefix: str) -> str:
    """``s3://bucket/a/b/`` -> ``arn:aws:s3:::bucket/a/b/*``."""
    return "arn:aws:s3:::" + prefix[len("s3://") :].rstrip("/") + "/*"


def _ecr_repository_arn(image: str, partition: str) -> str | None:
    """``<acct>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`` -> the repository ARN (None if not ECR)."""
    host, _, rest = image.partition("/")
    parts = host.split(".")
    if len(parts) < 4 or parts[1:3] != ["dkr", "ecr"] or not rest:
        return None
    repo = rest.split("@")[0].rsplit(":", 1)[0]
    return f"arn:{partition}:ecr:{parts[3]}:{parts[0]}:repository/{repo}"


def aws_cron(expr: str) -> str:
    """5-field cron -> Application Auto Scaling ``cron(m h dom mon dow year)`` (one of dom/dow is '?')."""
    minute, hour, dom, month, dow = expr.split()
    if dow == "*":
        dow = "?"
    elif dom == "*":
        dom = "?"
    if dow not in ("?",) and dow.replace(",", "").replace("-", "").isdigit():
        dow = "".join(str(int(c) + 1) if c.isdigit() else c for c in dow)  # cron 0=SUN -> AWS 1=SUN
    return f"cron({minute} {hour} {dom} {month} {dow} *)"


def _any(value: dict[str, Any]) -> Any:
    """A plain dict where the SDK's stubs want its TypedDict (the wire form is the same)."""
    return value


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


__all__ = ["AwsEndpoint", "aws_cron"]
