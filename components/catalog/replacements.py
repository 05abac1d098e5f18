"""Replacement rules: which input changes make the cloud replace a resource rather than update it.

Data, kept next to the instance catalog, read by ``stacks.diff``. The Pulumi providers decide this at run time
(``pulumi preview`` asks the provider's Diff); the offline diff has no provider, so the project records what
the providers and the cloud APIs document, per resource type, with the source of each rule.

A rule's ``paths`` are input paths in wire names (camelCase), as the plan records them:
``productionVariants[*].instanceType`` (``[*]`` matches any list item), ``properties.instanceType``.
A path matches itself and everything under it. ``"*"`` matches every input except ``except_paths``.

``UPDATE_NOTES`` are the in-place updates that still do something a reviewer should know (a blue/green
deployment, a new Cloud Run revision, a capacity change).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TAGS = ("tags", "tagsAll")


@dataclass(frozen=True)
class ReplacementRule:
    type: str
    paths: tuple[str, ...]
    why: str
    """Why a change of these inputs replaces the resource (the cloud's or provider's reason)."""
    consequence: str
    """What happens when it does. ``stacks.diff`` adds context from the head plan for ``effect`` rules."""
    source: str
    except_paths: tuple[str, ...] = TAGS
    effect: str = ""
    """A key ``stacks.diff`` knows how to explain from the plan (e.g. the endpoint's rollout)."""


@dataclass(frozen=True)
class UpdateNote:
    type: str
    paths: tuple[str, ...]
    note: str
    source: str
    effect: str = ""


AWS_PROVIDER = "https://www.pulumi.com/registry/packages/aws/api-docs/"
AZURE_PROVIDER = "https://www.pulumi.com/registry/packages/azure-native/api-docs/"
GCP_PROVIDER = "https://www.pulumi.com/registry/packages/gcp/api-docs/"
AZURE_ID = (
    "azure-native replaces a resource when a property that is part of its Azure resource ID (its name or a "
    "parent's name) or its location changes"
)


def _r(
    type_: str, paths: tuple[str, ...] | str, why: str, consequence: str, source: str, **kw
) -> ReplacementRule:
    return ReplacementRule(
        type_, (paths,) if isinstance(paths, str) else paths, why, consequence, source, **kw
    )


def _named(
    type_: str, paths: tuple[str, ...], what: str, source: str, consequence: str = ""
) -> ReplacementRule:
    """A resource whose name, parent or location cannot change: a new one is created, the old one deleted."""
    return _r(
        type_,
        paths,
        f"{what} cannot be renamed or moved: a new one is created",
        consequence
        or f"a new {what} is created and the old one deleted; anything that refers to it by name follows",
        source,
    )


# ---- AWS (pulumi-aws 7) ------------------------------------------------------------------------------------
AWS: tuple[ReplacementRule, ...] = (
    _r(
        "aws:sagemaker/model:Model",
        "*",
        "SageMaker has no UpdateModel API: a model is immutable once created",
        "a new SageMaker model is created (a new autonamed name); every endpoint configuration that names it is replaced with it",
        "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModel.html",
        effect="sagemaker-model",
    ),
    _r(
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        "*",
        "SageMaker has no UpdateEndpointConfig API: any change creates a new endpoint configuration",
        "EndpointConfiguration replaced: a new configuration is created, the endpoint is updated to it, then the old one is deleted",
        "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html",
        effect="sagemaker-endpoint-config",
    ),
    _r(
        "aws:sagemaker/endpoint:Endpoint",
        "name",
        "a SageMaker endpoint's name is its identity",
        "a new endpoint (new invoke URL) is created and the old one deleted: clients calling the old name fail",
        AWS_PROVIDER + "sagemaker/endpoint/",
    ),
    _r(
        "aws:s3/bucket:Bucket",
        ("bucket", "bucketPrefix", "objectLockEnabled", "region"),
        "an S3 bucket cannot be renamed or moved to another region",
        "a new, empty bucket is created; the old bucket must be emptied before it can be deleted (the artifacts bucket is protected, so `pulumi up` stops first)",
        AWS_PROVIDER + "s3/bucket/",
    ),
    *(
        _r(
            f"aws:s3/{t}",
            ("bucket", "region", *extra),
            "the setting belongs to one bucket",
            "the setting is removed from the old bucket and applied to the new one",
            AWS_PROVIDER + "s3/" + t.split(":")[1].lower() + "/",
        )
        for t, extra in (
            (
                "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                ("expectedBucketOwner",),
            ),
            ("bucketVersioning:BucketVersioning", ("expectedBucketOwner",)),
            ("bucketPublicAccessBlock:BucketPublicAccessBlock", ()),
            ("bucketOwnershipControls:BucketOwnershipControls", ()),
            ("bucketPolicy:BucketPolicy", ()),
            ("bucketLifecycleConfiguration:BucketLifecycleConfiguration", ("expectedBucketOwner",)),
            ("bucketLogging:BucketLogging", ("expectedBucketOwner",)),
        )
    ),
    _r(
        "aws:s3/bucketObjectv2:BucketObjectv2",
        ("bucket", "key", "region"),
        "an S3 object's bucket and key are its identity",
        "a new object is uploaded at the new key and the old one deleted",
        AWS_PROVIDER + "s3/bucketobjectv2/",
    ),
    _r(
        "aws:kms/key:Key",
        ("customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId", "region"),
        "a KMS key's spec, usage and key store are fixed at creation",
        "a NEW KEY is created and the old one scheduled for deletion: data encrypted under the old key (artifacts, captured data, logs) becomes unreadable once it is deleted",
        AWS_PROVIDER + "kms/key/",
    ),
    _r(
        "aws:kms/alias:Alias",
        ("name", "namePrefix", "region"),
        "a KMS alias name is its identity",
        "the alias is recreated under the new name",
        AWS_PROVIDER + "kms/alias/",
    ),
    _named(
        "aws:iam/role:Role",
        ("name", "namePrefix", "path"),
        "an IAM role",
        AWS_PROVIDER + "iam/role/",
        "a new role (new ARN) is created; the model and anything trusting the old ARN move to it",
    ),
    _named(
        "aws:iam/rolePolicy:RolePolicy",
        ("name", "namePrefix", "role"),
        "an inline role policy",
        AWS_PROVIDER + "iam/rolepolicy/",
    ),
    _named(
        "aws:cloudwatch/logGroup:LogGroup",
        ("name", "namePrefix", "logGroupClass", "region"),
        "a log group",
        AWS_PROVIDER + "cloudwatch/loggroup/",
        "a new log group is created; the old log group and its logs are deleted",
    ),
    _named(
        "aws:sns/topic:Topic",
        ("name", "namePrefix", "fifoTopic", "region"),
        "an SNS topic",
        AWS_PROVIDER + "sns/topic/",
        "a new topic is created: email subscribers must confirm the new subscription before they receive alarms",
    ),
    _r(
        "aws:sns/topicSubscription:TopicSubscription",
        ("topic", "protocol", "endpoint", "region"),
        "an SNS subscription's topic, protocol and endpoint are fixed",
        "a new subscription is created: an email recipient must confirm it before alarms reach them",
        AWS_PROVIDER + "sns/topicsubscription/",
    ),
    _r(
        "aws:sns/topicPolicy:TopicPolicy",
        ("arn", "region"),
        "the policy belongs to one topic",
        "the policy moves to the new topic",
        AWS_PROVIDER + "sns/topicpolicy/",
    ),
    _named(
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        ("name", "region"),
        "a CloudWatch alarm",
        AWS_PROVIDER + "cloudwatch/metricalarm/",
        "a new alarm is created (state INSUFFICIENT_DATA until it is evaluated); rollback configurations naming the old alarm follow",
    ),
    _named(
        "aws:cloudwatch/dashboard:Dashboard",
        ("dashboardName", "region"),
        "a CloudWatch dashboard",
        AWS_PROVIDER + "cloudwatch/dashboard/",
    ),
    _r(
        "aws:appautoscaling/target:Target",
        ("resourceId", "scalableDimension", "serviceNamespace", "region"),
        "a scalable target is identified by its resource and dimension",
        "the variant stops autoscaling while the target is recreated (its policies are recreated with it)",
        AWS_PROVIDER + "appautoscaling/target/",
    ),
    _r(
        "aws:appautoscaling/policy:Policy",
        ("name", "resourceId", "scalableDimension", "serviceNamespace", "region"),
        "a scaling policy is identified by its name and target",
        "the scaling policy is deleted and created again",
        AWS_PROVIDER + "appautoscaling/policy/",
    ),
    _r(
        "aws:appautoscaling/scheduledAction:ScheduledAction",
        ("name", "resourceId", "scalableDimension", "serviceNamespace", "region"),
        "a scheduled action is identified by its name and target",
        "the scheduled action is deleted and created again",
        AWS_PROVIDER + "appautoscaling/scheduledaction/",
    ),
)

# ---- Azure (azure-native 3) --------------------------------------------------------------------------------
_ML = "azure-native:machinelearningservices:"
AZURE: tuple[ReplacementRule, ...] = (
    _r(
        _ML + "OnlineDeployment",
        ("properties.instanceType", "properties.endpointComputeType"),
        "the instance type (and compute type) of an Azure ML managed online deployment cannot change in place",
        "Azure deployment instance type changed: the deployment is recreated (deleted, then created again with the same name): its share of the endpoint's traffic fails meanwhile unless traffic is moved to another deployment first",
        "https://learn.microsoft.com/azure/machine-learning/how-to-safely-rollout-online-endpoints",
        effect="azure-deployment",
    ),
    _named(
        _ML + "OnlineDeployment",
        ("deploymentName", "endpointName", "workspaceName", "resourceGroupName", "location"),
        "an Azure ML deployment",
        AZURE_PROVIDER + "machinelearningservices/onlinedeployment/",
    ),
    _named(
        _ML + "OnlineEndpoint",
        ("endpointName", "workspaceName", "resourceGroupName", "location", "properties.authMode", "kind"),
        "an Azure ML online endpoint (name, workspace, location, auth mode)",
        AZURE_PROVIDER + "machinelearningservices/onlineendpoint/",
        "a new endpoint (new scoring URI and keys) is created with all its deployments; clients of the old URI fail",
    ),
    _named(
        _ML + "Workspace",
        (
            "workspaceName",
            "resourceGroupName",
            "location",
            "kind",
            "storageAccount",
            "keyVault",
            "applicationInsights",
            "hbiWorkspace",
        ),
        "an Azure ML workspace",
        AZURE_PROVIDER + "machinelearningservices/workspace/",
        "a new workspace is created and the old one deleted with every model, environment and endpoint in it",
    ),
    _r(
        _ML + "ModelVersion",
        (
            "name",
            "version",
            "workspaceName",
            "resourceGroupName",
            "properties.modelUri",
            "properties.modelType",
            "properties.flavors",
        ),
        "an Azure ML model version is immutable (only its description, tags and stage change)",
        "a new model version is registered; deployments that use it are updated to it (a rolling update)",
        "https://learn.microsoft.com/azure/machine-learning/how-to-manage-models",
    ),
    _named(
        _ML + "ModelContainer",
        ("name", "workspaceName", "resourceGroupName"),
        "an Azure ML model container",
        AZURE_PROVIDER + "machinelearningservices/modelcontainer/",
    ),
    _r(
        _ML + "EnvironmentVersion",
        (
            "name",
            "version",
            "workspaceName",
            "resourceGroupName",
            "properties.image",
            "properties.build",
            "properties.condaFile",
            "properties.inferenceConfig",
            "properties.osType",
        ),
        "an Azure ML environment version is immutable",
        "a new environment version is registered; deployments that use it are updated to it (a rolling update)",
        "https://learn.microsoft.com/azure/machine-learning/how-to-manage-environments-v2",
    ),
    _named(
        _ML + "EnvironmentContainer",
        ("name", "workspaceName", "resourceGroupName"),
        "an Azure ML environment container",
        AZURE_PROVIDER + "machinelearningservices/environmentcontainer/",
    ),
    _named(
        "azure-native:resources:ResourceGroup",
        ("resourceGroupName", "location"),
        "a resource group",
        AZURE_PROVIDER + "resources/resourcegroup/",
        "a new resource group is created and THE OLD ONE DELETED WITH EVERYTHING IN IT",
    ),
    _named(
        "azure-native:storage:StorageAccount",
        ("accountName", "resourceGroupName", "location", "isHnsEnabled"),
        "a storage account",
        AZURE_PROVIDER + "storage/storageaccount/",
        "a new, empty storage account is created; the model artifacts must be published to it again",
    ),
    _named(
        "azure-native:storage:BlobContainer",
        ("containerName", "accountName", "resourceGroupName"),
        "a blob container",
        AZURE_PROVIDER + "storage/blobcontainer/",
    ),
    _r(
        "azure-native:storage:Blob",
        ("blobName", "containerName", "accountName", "resourceGroupName", "type", "source"),
        "a blob is uploaded once: its name, place and content are fixed",
        "the blob is uploaded again",
        AZURE_PROVIDER + "storage/blob/",
    ),
    _named(
        "azure-native:storage:BlobServiceProperties",
        ("accountName", "resourceGroupName", "blobServicesName"),
        "the blob service settings",
        AZURE_PROVIDER + "storage/blobserviceproperties/",
    ),
    _named(
        "azure-native:storage:ManagementPolicy",
        ("accountName", "resourceGroupName", "managementPolicyName"),
        "a storage lifecycle policy",
        AZURE_PROVIDER + "storage/managementpolicy/",
    ),
    _named(
        "azure-native:keyvault:Vault",
        ("vaultName", "resourceGroupName", "location"),
        "a key vault",
        AZURE_PROVIDER + "keyvault/vault/",
        "a new vault (and new keys) is created; data encrypted under the old keys needs them until re-encrypted",
    ),
    _r(
        "azure-native:keyvault:Key",
        (
            "keyName",
            "vaultName",
            "resourceGroupName",
            "properties.kty",
            "properties.keySize",
            "properties.curveName",
        ),
        "a Key Vault key's name, type and size are fixed",
        "a NEW KEY is created: storage encrypted under the old key must be re-keyed before the old key goes",
        AZURE_PROVIDER + "keyvault/key/",
    ),
    _named(
        "azure-native:managedidentity:UserAssignedIdentity",
        ("resourceName", "resourceGroupName", "location"),
        "a managed identity",
        AZURE_PROVIDER + "managedidentity/userassignedidentity/",
        "a new identity (new principal id) is created; its role assignments are recreated",
    ),
    _r(
        "azure-native:authorization:RoleAssignment",
        ("scope", "roleAssignmentName", "principalId", "roleDefinitionId", "principalType", "condition"),
        "a role assignment cannot be modified, only deleted and created",
        "the access is revoked and granted again (a short window without it)",
        "https://learn.microsoft.com/azure/role-based-access-control/role-assignments-rest",
    ),
    _named(
        "azure-native:monitor:ActionGroup",
        ("actionGroupName", "resourceGroupName", "location"),
        "an action group",
        AZURE_PROVIDER + "monitor/actiongroup/",
        "a new action group is created: email receivers are notified again that they were added",
    ),
    _named(
        "azure-native:monitor:MetricAlert",
        ("ruleName", "resourceGroupName", "location"),
        "a metric alert rule",
        AZURE_PROVIDER + "monitor/metricalert/",
    ),
    _named(
        "azure-native:monitor:AutoscaleSetting",
        ("autoscaleSettingName", "resourceGroupName", "location"),
        "an autoscale setting",
        AZURE_PROVIDER + "monitor/autoscalesetting/",
        "the deployment stops autoscaling while the setting is recreated",
    ),
    _named(
        "azure-native:monitor:DiagnosticSetting",
        ("name", "resourceUri"),
        "a diagnostic setting",
        AZURE_PROVIDER + "monitor/diagnosticsetting/",
    ),
    _named(
        "azure-native:operationalinsights:Workspace",
        ("workspaceName", "resourceGroupName", "location"),
        "a Log Analytics workspace",
        AZURE_PROVIDER + "operationalinsights/workspace/",
        "a new Log Analytics workspace is created; the old logs stay in the old one until it is deleted",
    ),
    _named(
        "azure-native:applicationinsights:Component",
        ("resourceName", "resourceGroupName", "location", "kind"),
        "an Application Insights component",
        AZURE_PROVIDER + "applicationinsights/component/",
    ),
    _named(
        "azure-native:applicationinsights:Workbook",
        ("resourceName", "resourceGroupName", "location", "kind"),
        "a workbook",
        AZURE_PROVIDER + "applicationinsights/workbook/",
    ),
    *(
        _r(
            t,
            ("endpointId",),
            "the traffic step belongs to one online endpoint (EndpointTrafficProvider.diff; delete before replace)",
            "the old endpoint's traffic is cleared, then the new endpoint's traffic is set",
            "components/azure/traffic.py",
        )
        for t in ("pulumi-python:dynamic/mlinfra:EndpointTraffic",)
    ),
    _named(
        "azure-native:portal:Dashboard",
        ("dashboardName", "resourceGroupName", "location"),
        "a portal dashboard",
        AZURE_PROVIDER + "portal/dashboard/",
    ),
    _named(
        "azure-native:dashboard:Grafana",
        ("workspaceName", "resourceGroupName", "location"),
        "a managed Grafana",
        AZURE_PROVIDER + "dashboard/grafana/",
    ),
)

# ---- GCP (pulumi-gcp 10) -----------------------------------------------------------------------------------
GCP: tuple[ReplacementRule, ...] = (
    _r(
        "gcp:vertex/aiEndpoint:AiEndpoint",
        (
            "name",
            "location",
            "region",
            "project",
            "network",
            "encryptionSpec",
            "dedicatedEndpointEnabled",
            "privateServiceConnectConfig",
        ),
        "a Vertex AI endpoint's id, location, network and encryption key are fixed at creation",
        "a new Vertex AI endpoint (new URL) is created and the model deployed to it again; clients of the old endpoint fail",
        GCP_PROVIDER + "vertex/aiendpoint/",
    ),
    _r(
        "pulumi-python:dynamic/mlinfra:VertexDeployment",
        ("project", "region", "endpoint"),
        "the deployment belongs to one Vertex AI endpoint in one project and region (VertexDeploymentProvider.diff)",
        "the model is deployed to the new endpoint and undeployed (and deleted) from the old one",
        "components/gcp/deploy.py",
    ),
    _named(
        "gcp:vertex/aiEndpointIamMember:AiEndpointIamMember",
        ("endpoint", "location", "project", "role", "member", "condition"),
        "an IAM binding",
        GCP_PROVIDER + "vertex/aiendpointiammember/",
    ),
    _r(
        "gcp:cloudrunv2/service:Service",
        ("name", "location", "project"),
        "a Cloud Run service's name, region and project are its identity",
        "a new Cloud Run service (new URL) is created and the old one deleted; clients of the old URL fail",
        GCP_PROVIDER + "cloudrunv2/service/",
    ),
    _named(
        "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
        ("name", "location", "project", "role", "member", "condition"),
        "an IAM binding",
        GCP_PROVIDER + "cloudrunv2/serviceiammember/",
    ),
    _r(
        "gcp:kms/keyRing:KeyRing",
        ("name", "location", "project"),
        "a Cloud KMS key ring can be neither renamed nor deleted",
        "a NEW KEY RING is created; the old one cannot be deleted (Cloud KMS keeps key rings forever) and stays, with its keys, in the project",
        "https://cloud.google.com/kms/docs/resource-hierarchy#retention",
    ),
    _r(
        "gcp:kms/cryptoKey:CryptoKey",
        (
            "name",
            "keyRing",
            "purpose",
            "importOnly",
            "skipInitialVersionCreation",
            "cryptoKeyBackend",
            "versionTemplate.protectionLevel",
        ),
        "a Cloud KMS key's name, ring, purpose and protection level are fixed",
        "a NEW KEY is created; the old key's versions are scheduled for destruction: data encrypted under them (artifacts in the bucket) becomes unreadable",
        GCP_PROVIDER + "kms/cryptokey/",
    ),
    _named(
        "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
        ("cryptoKeyId", "role", "member", "condition"),
        "an IAM binding",
        GCP_PROVIDER + "kms/cryptokeyiammember/",
    ),
    _named(
        "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding",
        ("cryptoKeyId", "role", "condition"),
        "an IAM binding",
        GCP_PROVIDER + "kms/cryptokeyiambinding/",
    ),
    _r(
        "gcp:storage/bucket:Bucket",
        ("name", "location", "project"),
        "a Cloud Storage bucket cannot be renamed or moved",
        "a new, empty bucket is created; the old one must be emptied before it can be deleted (the artifacts bucket is protected, so `pulumi up` stops first)",
        GCP_PROVIDER + "storage/bucket/",
    ),
    _r(
        "gcp:storage/bucketObject:BucketObject",
        (
            "name",
            "bucket",
            "source",
            "content",
            "contentType",
            "kmsKeyName",
            "customerEncryption",
            "detectMd5hash",
            "storageClass",
        ),
        "a Cloud Storage object is immutable: a change uploads a new object",
        "the object is uploaded again",
        GCP_PROVIDER + "storage/bucketobject/",
    ),
    _named(
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        ("bucket", "role", "member", "condition"),
        "an IAM binding",
        GCP_PROVIDER + "storage/bucketiammember/",
    ),
    _named(
        "gcp:storage/bucketIAMBinding:BucketIAMBinding",
        ("bucket", "role", "condition"),
        "an IAM binding",
        GCP_PROVIDER + "storage/bucketiambinding/",
    ),
    _r(
        "gcp:serviceaccount/account:Account",
        ("accountId", "project"),
        "a service account's id is its email address",
        "a new service account (new email) is created; every IAM binding to the old one is recreated",
        GCP_PROVIDER + "serviceaccount/account/",
    ),
    _named(
        "gcp:serviceaccount/iAMMember:IAMMember",
        ("serviceAccountId", "role", "member", "condition"),
        "an IAM binding",
        GCP_PROVIDER + "serviceaccount/iammember/",
    ),
    _named(
        "gcp:projects/iAMMember:IAMMember",
        ("project", "role", "member", "condition"),
        "an IAM binding",
        GCP_PROVIDER + "projects/iammember/",
    ),
    _named(
        "gcp:artifactregistry/repository:Repository",
        ("repositoryId", "location", "project", "format", "mode", "kmsKeyName"),
        "an Artifact Registry repository",
        GCP_PROVIDER + "artifactregistry/repository/",
        "a new, empty repository is created: the serving image must be pushed to it again",
    ),
    _named(
        "gcp:monitoring/notificationChannel:NotificationChannel",
        ("type", "project"),
        "a notification channel",
        GCP_PROVIDER + "monitoring/notificationchannel/",
        "a new channel is created; email channels must be verified again",
    ),
    _named(
        "gcp:monitoring/alertPolicy:AlertPolicy",
        ("project",),
        "an alert policy",
        GCP_PROVIDER + "monitoring/alertpolicy/",
    ),
    _named(
        "gcp:monitoring/dashboard:Dashboard",
        ("project",),
        "a monitoring dashboard",
        GCP_PROVIDER + "monitoring/dashboard/",
    ),
    _named(
        "gcp:bigquery/dataset:Dataset",
        ("datasetId", "location", "project"),
        "a BigQuery dataset",
        GCP_PROVIDER + "bigquery/dataset/",
        "a new, empty dataset is created; the old one (and the logged requests in it) is deleted unless deleteContentsOnDestroy is false, which stops `pulumi up`",
    ),
    _named(
        "gcp:logging/projectBucketConfig:ProjectBucketConfig",
        ("bucketId", "location", "project"),
        "a log bucket",
        GCP_PROVIDER + "logging/projectbucketconfig/",
    ),
)

RULES: tuple[ReplacementRule, ...] = AWS + AZURE + GCP

UPDATE_NOTES: tuple[UpdateNote, ...] = (
    UpdateNote(
        "aws:sagemaker/endpoint:Endpoint",
        ("endpointConfigName",),
        "the endpoint moves to the new configuration",
        "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green.html",
        effect="sagemaker-rollout",
    ),
    UpdateNote(
        "aws:appautoscaling/target:Target",
        ("minCapacity", "maxCapacity"),
        "the autoscaling bounds change (instances are added or removed by the next scaling activity)",
        AWS_PROVIDER + "appautoscaling/target/",
    ),
    UpdateNote(
        _ML + "OnlineDeployment",
        (
            "properties.model",
            "properties.environmentId",
            "properties.environmentVariables",
            "properties.requestSettings",
            "properties.codeConfiguration",
        ),
        "Azure ML runs a rolling update of the deployment's instances (same instance type)",
        "https://learn.microsoft.com/azure/machine-learning/how-to-safely-rollout-online-endpoints",
    ),
    UpdateNote(
        _ML + "OnlineDeployment",
        ("sku.capacity",),
        "the deployment's instance count changes (autoscale may have moved it since the last `pulumi up`)",
        AZURE_PROVIDER + "machinelearningservices/onlinedeployment/",
    ),
    *(
        UpdateNote(
            t,
            ("traffic", "mirrorTraffic"),
            "the endpoint's traffic split between its deployments changes (an ARM update of the endpoint)",
            "components/azure/traffic.py",
        )
        for t in ("pulumi-python:dynamic/mlinfra:EndpointTraffic",)
    ),
    UpdateNote(
        _ML + "OnlineEndpoint",
        ("properties.traffic", "properties.mirrorTraffic"),
        "the endpoint's traffic split between deployments changes",
        "https://learn.microsoft.com/azure/machine-learning/how-to-safely-rollout-online-endpoints",
    ),
    UpdateNote(
        "pulumi-python:dynamic/mlinfra:VertexDeployment",
        ("model", "machine", "serviceAccount", "deployedModelDisplayName"),
        "a Vertex AI rollout: the new model is deployed beside the old one and takes traffic as `rollout` says (canary / linear / all at once), then the old one is undeployed",
        "components/gcp/deploy.py",
        effect="vertex-rollout",
    ),
    UpdateNote(
        "pulumi-python:dynamic/mlinfra:VertexDeployment",
        ("replicas", "autoscaling"),
        "the deployed model's replicas or autoscaling change in place (MutateDeployedModel)",
        "components/gcp/deploy.py",
    ),
    UpdateNote(
        "gcp:cloudrunv2/service:Service",
        ("template",),
        "Cloud Run creates a new revision and moves the traffic to it as the service's `traffic` says",
        "https://cloud.google.com/run/docs/rollouts-rollbacks-traffic-migration",
    ),
)


def rules_for(type_: str) -> tuple[ReplacementRule, ...]:
    return tuple(r for r in RULES if r.type == type_)


def known_types() -> set[str]:
    return {r.type for r in RULES}


_SEGMENT = re.compile(r"\[[^\]]*\]|[^.\[]+")


def split_path(path: str) -> tuple[str, ...]:
    """``a.b[0].c`` -> ("a", "b", "[0]", "c"); ``a[Sid=X]`` -> ("a", "[Sid=X]"); ``l["x.y"]`` keeps "x.y"."""
    return tuple(_SEGMENT.findall(path))


def path_matches(pattern: str, path: str) -> bool:
    """True when ``path`` is ``pattern`` or lies under it (``[*]`` matches any list item)."""
    if pattern == "*":
        return True
    p, q = split_path(pattern), split_path(path)
    if len(q) < len(p):
        return False
    return all(a == b or (a == "[*]" and b.startswith("[")) for a, b in zip(p, q[: len(p)], strict=True))


def replacing(type_: str, path: str) -> ReplacementRule | None:
    """The first rule by which a change of ``path`` replaces a ``type_`` resource, or None (an update)."""
    for rule in rules_for(type_):
        if any(path_matches(p, path) for p in rule.paths) and not any(
            path_matches(e, path) for e in rule.except_paths if rule.paths == ("*",)
        ):
            return rule
    return None


def update_note(type_: str, path: str) -> UpdateNote | None:
    for note in UPDATE_NOTES:
        if note.type == type_ and any(path_matches(p, path) for p in note.paths):
            return note
    return None
