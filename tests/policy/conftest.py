"""Fixtures for the policy tests: the dev stack's plan (run once per session) and plan editing helpers."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def dev_plan_cached() -> dict[str, Any]:
    from stacks.plan import run_plan

    return run_plan("dev", ROOT)


@pytest.fixture
def dev_plan(dev_plan_cached: dict[str, Any]) -> dict[str, Any]:
    """A fresh deep copy of the dev stack's plan (edit it freely)."""
    return copy.deepcopy(dev_plan_cached)


def one(plan: dict[str, Any], typ: str, name: str | None = None) -> dict[str, Any]:
    found = [r for r in plan["resources"] if r["type"] == typ and (name is None or r["name"] == name)]
    assert len(found) == 1, f"expected one {typ} {name or ''}, found {[r['name'] for r in found]}"
    return found[0]


def edit_doc(resource: dict[str, Any], key: str, fn: Callable[[dict[str, Any]], None]) -> None:
    """Edit a JSON policy document input in place."""
    d = json.loads(resource["inputs"][key])
    fn(d)
    resource["inputs"][key] = json.dumps(d)


def rules_of(findings: list[dict[str, Any]]) -> set[str]:
    return {f["rule"] for f in findings}


def resource(
    typ: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    outputs: dict[str, Any] | None = None,
    id: str | None = None,
    protect: bool = False,
    parent: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A synthetic plan resource (the shape of ``plan["resources"][i]``)."""
    return {
        "urn": f"urn:pulumi:test::mlinfra::{typ}::{name}",
        "type": typ,
        "name": name,
        "parent": parent,
        "custom": True,
        "id": id or name,
        "inputs": inputs or {},
        "outputs": outputs or {},
        "protect": protect,
        **extra,
    }
