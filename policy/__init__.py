"""The security and reliability rules of SECURITY.md, run on any plan (``mlinfra plan``, ``mlinfra check``)
and as a Pulumi policy pack (``pulumi preview --policy-pack policy/``)."""

from __future__ import annotations

from typing import Any


def evaluate(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Findings for a plan: ``[{rule, severity, resource, message, anchors}]``, sorted."""
    from policy.engine import evaluate_plan

    return evaluate_plan(plan)
