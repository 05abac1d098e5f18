"""What AWS answers for each resource type: ids, physical names (autonamed like Pulumi does) and ARNs."""

from __future__ import annotations

from typing import Any

from stacks.mocks import Context, stable_hash


def _autoname(name: str, inputs: dict[str, Any], key: str = "name") -> str:
    """Pulumi autonaming: logical name + 7 hex. Seeded by the inputs so a replacement gets a new name."""
    if inputs.get(key):
        return inputs[key]
    return f"{name}-{stable_hash(name, inputs)}"


def outputs(typ: str, name: str, inputs: dict[str, Any], ctx: Context) -> tuple[str, dict[str, Any]]:
    r, a = ctx.region, ctx.account
    if typ == "aws:s3/bucket:Bucket":
        bucket = inputs.get("bucket") or f"{name}-{stable_hash(name)}"
        return bucket, {
            "bucket": bucket,
            "arn": f"arn:aws:s3:::{bucket}",
            "bucketRegionalDomainName": f"{bucket}.s3.{r}.amazonaws.com",
            "region": r,
        }
    if typ.startswith("aws:s3/bucket") and typ != "aws:s3/bucketObjectv2:BucketObjectv2":
        return inputs.get("bucket", name), {}
    if typ == "aws:s3/bucketObjectv2:BucketObjectv2":
        key = inputs["key"]
        return key, {
            "versionId": stable_hash(inputs.get("source"), key, n=32),
            "etag": stable_hash(key, n=32),
            "checksumSha256": inputs.get("checksumSha256", ""),
        }
    if typ == "aws:kms/key:Key":
        kid = f"{stable_hash(name, n=8)}-1234-5678-9abc-{stable_hash(name, 'k', n=12)}"
        return kid, {"keyId": kid, "arn": f"arn:aws:kms:{r}:{a}:key/{kid}"}
    if typ == "aws:kms/alias:Alias":
        return inputs["name"], {"arn": f"arn:aws:kms:{r}:{a}:{inputs['name']}"}
    if typ == "aws:iam/role:Role":
        n = _autoname(name, {"p": inputs.get("assumeRolePolicy")})
        return n, {
            "name": n,
            "arn": f"arn:aws:iam::{a}:role/{n}",
            "uniqueId": "AROA" + stable_hash(n, n=16).upper(),
        }
    if typ == "aws:iam/rolePolicy:RolePolicy":
        n = inputs.get("name") or _autoname(name, {})
        return f"{inputs.get('role')}:{n}", {"name": n}
    if typ == "aws:cloudwatch/logGroup:LogGroup":
        n = inputs.get("name") or _autoname(name, {})
        return n, {"name": n, "arn": f"arn:aws:logs:{r}:{a}:log-group:{n}"}
    if typ.startswith("aws:sagemaker/"):
        kind = {
            "model:Model": "model",
            "endpointConfiguration:EndpointConfiguration": "endpoint-config",
            "endpoint:Endpoint": "endpoint",
        }.get(typ.split("/", 1)[1], "resource")
        # Endpoint configurations are replaced whenever an input changes: autoname from the inputs.
        n = (
            inputs.get("name")
            or f"{name}-{stable_hash(name, inputs if kind in ('model', 'endpoint-config') else {})}"
        )
        return n, {"name": n, "arn": f"arn:aws:sagemaker:{r}:{a}:{kind}/{n.lower()}"}
    if typ == "aws:appautoscaling/target:Target":
        return f"{inputs['serviceNamespace']}/{inputs['resourceId']}/{inputs['scalableDimension']}", {
            "arn": f"arn:aws:application-autoscaling:{r}:{a}:scalable-target/{stable_hash(name, n=20)}"
        }
    if typ == "aws:appautoscaling/policy:Policy":
        n = inputs.get("name", name)
        return n, {
            "arn": f"arn:aws:autoscaling:{r}:{a}:scalingPolicy:{stable_hash(n, n=8)}:resource/{inputs.get('resourceId')}:policyName/{n}",
            "name": n,
        }
    if typ == "aws:appautoscaling/scheduledAction:ScheduledAction":
        return inputs.get("name", name), {
            "arn": f"arn:aws:autoscaling:{r}:{a}:scheduledAction:{stable_hash(name, n=8)}"
        }
    if typ == "aws:sns/topic:Topic":
        n = inputs.get("name") or _autoname(name, {})
        arn = f"arn:aws:sns:{r}:{a}:{n}"
        return arn, {"name": n, "arn": arn}
    if typ == "aws:sns/topicSubscription:TopicSubscription":
        arn = f"{inputs.get('topic')}:{stable_hash(name, n=8)}-0000-0000-0000-000000000000"
        return arn, {"arn": arn}
    if typ == "aws:sns/topicPolicy:TopicPolicy":
        return str(inputs.get("arn")), {}
    if typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
        n = inputs.get("name") or _autoname(name, {})
        return n, {"name": n, "arn": f"arn:aws:cloudwatch:{r}:{a}:alarm:{n}"}
    if typ == "aws:cloudwatch/dashboard:Dashboard":
        n = inputs["dashboardName"]
        return n, {"dashboardArn": f"arn:aws:cloudwatch::{a}:dashboard/{n}"}
    return f"{name}-id", {}


def call(token: str, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "accountId": ctx.account,
            "arn": f"arn:aws:iam::{ctx.account}:user/mlinfra",
            "userId": "AIDA000",
            "id": ctx.account,
        }
    if token == "aws:index/getPartition:getPartition":
        return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
    if token == "aws:index/getRegion:getRegion":
        return {"name": ctx.region, "region": ctx.region, "id": ctx.region}
    return {}
