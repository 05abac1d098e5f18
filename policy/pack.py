"""The rules as a Pulumi policy pack: ``pulumi preview --policy-pack policy/``.

One policy per rule (name = rule id; error -> mandatory, warning -> advisory). Each policy adapts the pack's
arguments (``ResourceValidationArgs`` / ``StackValidationArgs``) to the resource dicts of a plan and runs the
same rule function as ``mlinfra plan`` and ``mlinfra check``.

The production rules need the stack's profile: set it per stack with the policy config ``profile`` (a
``--policy-pack-config`` file ``{"all": {"profile": "prod"}}``) or the stack tag ``mlinfra:profile``.
Values unknown during preview count as unknown, never as a violation.
"""

from __future__ import annotations

from typing import Any

from policy.engine import SECRET, UNKNOWN, Res, Rule, Stack, load_rules, run_resource_rule, run_stack_rule

PACK_NAME = "mlinfra"
PROFILE_SCHEMA = {"profile": {"type": "string", "enum": ["dev", "prod"], "default": "dev"}}


def plain(value: Any) -> Any:
    """Unwrap pulumi-policy's unknown-checking proxies into plain values; unknowns become ``UNKNOWN``."""
    from pulumi_policy import proxy

    if isinstance(value, (proxy._DictProxy, proxy._ListProxy)):
        value = value["__target"]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, str) and proxy._is_unknown(value):
        return UNKNOWN
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if type(value).__name__ == "Secret":
        return SECRET
    return str(value)


def _opts(opts: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"protect": bool(getattr(opts, "protect", False))}
    ignore = list(getattr(opts, "ignore_changes", None) or [])
    if ignore:
        out["ignoreChanges"] = ignore
    return out


def resource_from_args(args: Any) -> dict[str, Any]:
    """A ``ResourceValidationArgs`` as a plan resource dict (inputs only: outputs are not known yet)."""
    props = plain(args.props)
    return {
        "urn": args.urn,
        "type": args.resource_type,
        "name": args.name,
        "parent": getattr(args.opts, "parent", None),
        "custom": True,
        "id": None,
        "inputs": props,
        "outputs": {},
        **_opts(args.opts),
    }


def resources_from_stack_args(args: Any) -> list[dict[str, Any]]:
    """``StackValidationArgs.resources`` as plan resource dicts. Their props are the resources' state, so they
    serve as both inputs and outputs; property dependencies connect references unknown at preview."""
    out = []
    for r in args.resources:
        props = plain(r.props)
        deps = {k: [d.urn for d in v] for k, v in (r.property_dependencies or {}).items()}
        out.append(
            {
                "urn": r.urn,
                "type": r.resource_type,
                "name": r.name,
                "parent": r.parent.urn if r.parent is not None else getattr(r.opts, "parent", None),
                "custom": not r.resource_type.startswith("mlinfra:")
                and r.resource_type != "pulumi:pulumi:Stack",
                "id": props.get("id") if isinstance(props.get("id"), str) else None,
                "inputs": props,
                "outputs": {k: v for k, v in props.items() if isinstance(v, str)},
                "propertyDependencies": deps,
                "dependencies": [d.urn for d in (r.dependencies or [])],
                **_opts(r.opts),
            }
        )
    return out


def profile_of(args: Any) -> str:
    config = dict(args.get_config() or {})
    profile = config.get("profile") or dict(getattr(args, "stack_tags", {}) or {}).get("mlinfra:profile")
    return profile if profile in ("dev", "prod") else "dev"


def resource_validation(rule: Rule):
    def validate(args: Any, report_violation: Any) -> None:
        if args.resource_type not in rule.types:
            return
        r = Res(resource_from_args(args))
        for f in run_resource_rule(rule, r):
            report_violation(f["message"], args.urn)

    return validate


def stack_validation(rule: Rule):
    def validate(args: Any, report_violation: Any) -> None:
        s = Stack(resources_from_stack_args(args), profile=profile_of(args))
        for f in run_stack_rule(rule, s):
            report_violation(f["message"], f["resource"] or None)

    return validate


def build_policies() -> list[Any]:
    """One pulumi-policy Policy per rule of the engine."""
    from pulumi_policy import (
        EnforcementLevel,
        PolicyConfigSchema,
        ResourceValidationPolicy,
        StackValidationPolicy,
    )

    policies: list[Any] = []
    for rule in sorted(load_rules().values(), key=lambda r: r.id):
        level = EnforcementLevel.MANDATORY if rule.severity == "error" else EnforcementLevel.ADVISORY
        description = f"{rule.title} [{', '.join(rule.anchors)}]"
        common: dict[str, Any] = {
            "name": rule.id,
            "description": description,
            "enforcement_level": level,
            "remediation_steps": rule.fix,
        }
        if rule.kind == "resource":
            policies.append(ResourceValidationPolicy(validate=resource_validation(rule), **common))
        else:
            policies.append(
                StackValidationPolicy(
                    validate=stack_validation(rule),
                    config_schema=PolicyConfigSchema(PROFILE_SCHEMA),
                    **common,
                )
            )
    return policies


def serve() -> None:
    """Start the pack (called by ``policy/__main__.py`` when the Pulumi CLI runs it)."""
    from pulumi_policy import PolicyPack

    PolicyPack(
        name=PACK_NAME,
        policies=build_policies(),
        description="mlinfra: the security and reliability rules of SECURITY.md",
    )


def prod_config() -> dict[str, dict[str, str]]:
    """The ``--policy-pack-config`` document that turns on the production rules (policy/prod-config.json)."""
    return {
        r.id: {"profile": "prod"}
        for r in sorted(load_rules().values(), key=lambda r: r.id)
        if r.kind == "stack"
    }
