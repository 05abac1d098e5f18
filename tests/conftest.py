"""Shared fixtures: the recording Pulumi mocks and a runner for the real stack program under them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


class PlanRun:
    """The outcome of running the stack program under mocks: resources, exports, and lookups."""

    def __init__(self, resources: list[dict[str, Any]], outputs: dict[str, Any]):
        self.resources = resources
        self.outputs = outputs

    def of(self, typ: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == typ]

    def one(self, typ: str, name: str | None = None) -> dict[str, Any]:
        found = [r for r in self.of(typ) if name is None or r["name"] == name]
        assert len(found) == 1, f"expected one {typ} {name or ''}, found {[r['name'] for r in found]}"
        return found[0]

    def by_name(self, name: str) -> dict[str, Any]:
        found = [r for r in self.resources if r["name"] == name and r["custom"]]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]

    def graph(self) -> list[tuple[str, str]]:
        return sorted((r["type"], r["name"]) for r in self.resources)

    @staticmethod
    def doc(value: str | dict) -> dict:
        """An IAM/bucket policy input (a JSON string on the wire) as a dict."""
        return json.loads(value) if isinstance(value, str) else value


@pytest.fixture
def project(tmp_path: Path):
    """A scratch copy of the project's stack files and examples, with helpers to write stack configs."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    for f in ROOT.glob("Pulumi.*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    shutil.copytree(
        ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )

    class Project:
        dir = tmp_path

        def base(self, stack: str = "dev") -> dict[str, Any]:
            return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())

        def write(self, stack: str, config: dict[str, Any]) -> str:
            (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
            return stack

    return Project()


@pytest.fixture
def run_stack():
    """``run_stack(stack, project_dir)`` -> PlanRun: the real program (stacks.program.build) under the
    recording mocks, in non-preview mode so every output resolves."""
    from stacks.plan import load_spec, run_program

    def run(stack: str, project_dir: Path | str = ROOT) -> PlanRun:
        spec, config, _ = load_spec(stack, project_dir)
        resources, outputs = run_program(spec, config)
        return PlanRun(resources, outputs)

    return run


def edit_endpoint(
    config: dict[str, Any], path: str, value: Any, endpoint: str | None = None
) -> dict[str, Any]:
    """Set ``compute.instanceType`` style paths on an endpoint of a stack config (in place)."""
    eps = config["config"]["mlinfra:endpoints"] if "config" in config else config["mlinfra:endpoints"]
    ep = eps[endpoint or next(iter(eps))]
    *parents, leaf = path.split(".")
    for p in parents:
        if not isinstance(ep.get(p), dict):
            ep[p] = {}
        ep = ep[p]
    ep[leaf] = value
    return config
