"""The security and reliability rules of SECURITY.md, run on any plan (``mlinfra plan``, ``mlinfra check``)
and as a Pulumi policy pack (``pulumi preview --policy-pack policy/``).

Entry points:

- ``evaluate(plan) -> findings``: every rule on one plan's resources;
- ``transitions(base_plan, head_plan) -> findings``: rules on a change between two plans (``mlinfra diff``);
- ``policy.cli.check(plan_path, fmt) -> exit code``: ``mlinfra check PLAN.json``;
- ``policy.export``: a plan as Terraform JSON and an ARM template, for checkov and other scanners.

A finding is ``{"rule", "severity" (error | warning), "resource" (urn), "message", "anchors"}``.
"""

from __future__ import annotations

from typing import Any


def evaluate(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Findings for a plan: ``[{rule, severity, resource, message, anchors}]``, sorted."""
    from policy.engine import evaluate_plan

    return evaluate_plan(plan)


# ``policy.transitions`` is the function below, also once the submodule policy/transitions.py is imported:
# importing it here first means a later ``import policy.transitions`` finds it loaded and does not rebind it.
from policy.transitions import evaluate_transition as _evaluate_transition  # noqa: E402


def transitions(base_plan: dict[str, Any], head_plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Findings about going from ``base_plan`` to ``head_plan`` (sorted like ``evaluate``)."""
    return _evaluate_transition(base_plan, head_plan)


__all__ = ["evaluate", "transitions"]
