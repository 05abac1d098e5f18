"""Rules as pure functions over the declared resources (type, name, inputs, parent)."""

from __future__ import annotations

from typing import Any


def evaluate_plan(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return []
