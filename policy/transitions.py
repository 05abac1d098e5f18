"""Rules on a change between two plans (base -> head), for ``mlinfra diff``.

Some updates are fine as a destination and fail on the way there:

- ``aws-autoscaled-instance-type-change`` (error): SageMaker refuses an UpdateEndpoint that changes the instance
  type of a variant that is an Application Auto Scaling target. Pulumi deletes resources last, so removing the
  scaling target in the same update does not help: it takes two updates (see docs/policy.md, "Changing the
  instance type of an autoscaled endpoint").
- ``aws-autoscaled-capacity-reset`` (warning): any new endpoint configuration on an autoscaled variant restarts
  its capacity at the config's initial instance count. SageMaker's UpdateEndpoint can keep the live count
  (RetainAllVariantProperties), but pulumi-aws 7's ``sagemaker.Endpoint`` does not expose it.
- ``azure-deployment-instance-type-change`` (warning): an online deployment's instance type cannot change in
  place; the deployment is recreated.
"""

from __future__ import annotations

from typing import Any

from policy.engine import Res, Rule, Stack, as_list, finding, sort_findings

ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
TARGET = "aws:appautoscaling/target:Target"
AZ_DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"


def _noop(*_: Any) -> list[Any]:
    return []


TRANSITION_RULES = {
    r.id: r
    for r in (
        Rule(
            "aws-autoscaled-instance-type-change",
            "error",
            "The instance type of an autoscaled SageMaker variant changes only after its scalable target is removed.",
            "apply the change in two steps: (1) set autoscaling.enabled: false and pulumi up (deregisters the "
            "scalable target), (2) change compute.instanceType, set autoscaling.enabled: true and pulumi up",
            ("ours: SageMaker fails UpdateEndpoint when it changes the instance type of a scalable target",),
            (ENDPOINT,),
            "transition",
            "aws",
            _noop,
        ),
        Rule(
            "aws-autoscaled-capacity-reset",
            "warning",
            "A new endpoint configuration on an autoscaled variant restarts at its initial instance count.",
            "deploy outside peak load, or set compute.instances to the capacity the variant runs at now",
            (
                "ours: pulumi-aws's Endpoint has no RetainAllVariantProperties; UpdateEndpoint drops the live count",
            ),
            (ENDPOINT,),
            "transition",
            "aws",
            _noop,
        ),
        Rule(
            "azure-deployment-instance-type-change",
            "warning",
            "An online deployment's instance type cannot change in place.",
            "roll out a new deployment (blue/green by endpoint traffic) instead of changing the instance type",
            ("ours: Azure ML refuses an in-place instance type change",),
            (AZ_DEPLOYMENT,),
            "transition",
            "azure",
            _noop,
        ),
    )
}


def _variants(s: Stack, ep: Res) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for cfg in s.resolve(ep, "endpointConfigName", CONFIG):
        for v in as_list(cfg.get("productionVariants")):
            if isinstance(v, dict):
                out[str(v.get("variantName"))] = v
    return out


def _config_names(s: Stack, ep: Res) -> set[str]:
    return {
        str(c.get("name") or c.outputs.get("name") or c.id)
        for c in s.resolve(ep, "endpointConfigName", CONFIG)
    } | {str(ep.get("endpointConfigName"))}


def _scaled_variants(s: Stack, ep: Res) -> set[str]:
    names = {x for x in (ep.get("name"), ep.outputs.get("name"), ep.id) if isinstance(x, str)}
    out = set()
    for t in s.of(TARGET):
        rid = t.get("resourceId")
        if not isinstance(rid, str):
            continue
        parts = rid.split("/")
        if len(parts) == 4 and parts[0] == "endpoint" and parts[1] in names and parts[2] == "variant":
            out.add(parts[3])
    return out


def evaluate_transition(base_plan: dict[str, Any], head_plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Findings about going from ``base_plan`` to ``head_plan`` (two plans of the same stack)."""
    base = Stack(base_plan.get("resources") or [], profile=str(base_plan.get("profile") or "dev"))
    head = Stack(head_plan.get("resources") or [], profile=str(head_plan.get("profile") or "dev"))
    out: list[dict[str, Any]] = []
    for ep in head.of(ENDPOINT):
        old = base.by_urn.get(ep.urn)
        if old is None or old.type != ENDPOINT:
            continue
        scaled = _scaled_variants(base, old)
        if not scaled:
            continue
        before, after = _variants(base, old), _variants(head, ep)
        for name in sorted(scaled):
            b, a = before.get(name), after.get(name)
            if not b or not a:
                continue
            if b.get("instanceType") != a.get("instanceType"):
                out.append(
                    finding(
                        TRANSITION_RULES["aws-autoscaled-instance-type-change"],
                        ep.urn,
                        f"variant {name} of {ep.name} is autoscaled and its instance type changes from {b.get('instanceType')} to {a.get('instanceType')}: SageMaker rejects this update",
                    )
                )
        if _config_names(base, old) != _config_names(head, ep):
            counts = sorted({str(v.get("initialInstanceCount")) for n, v in after.items() if n in scaled})
            out.append(
                finding(
                    TRANSITION_RULES["aws-autoscaled-capacity-reset"],
                    ep.urn,
                    f"endpoint {ep.name} gets a new configuration: its autoscaled variant restarts at {', '.join(counts) or 'its initial'} instance(s) whatever it scaled to",
                )
            )
    for d in head.of(AZ_DEPLOYMENT):
        old = base.by_urn.get(d.urn)
        if old is not None and old.get("properties.instanceType") != d.get("properties.instanceType"):
            out.append(
                finding(
                    TRANSITION_RULES["azure-deployment-instance-type-change"],
                    d.urn,
                    f"deployment {d.name} changes instance type from {old.get('properties.instanceType')} to {d.get('properties.instanceType')}",
                )
            )
    return sort_findings(out)
