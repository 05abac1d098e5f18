"""The offline plan: the real stack program under Pulumi mocks. No Pulumi CLI, credentials or network.

``run_plan`` returns the canonical JSON plan of DESIGN.md: every resource the program declares (type, name,
parent, inputs as the engine receives them with secrets masked, the mocked id and outputs, protect), the
policy findings and the monthly cost range.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from components.spec import StackSpec, parse_stack
from stacks.config import find_project_dir, project_name, read_stack_file, to_runtime

PLAN_VERSION = 1


def load_spec(stack: str, project_dir: str | Path | None = None) -> tuple[StackSpec, dict[str, Any], Path]:
    """Read and validate ``Pulumi.<stack>.yaml``; raises ConfigError with every problem found."""
    root = find_project_dir(project_dir or ".")
    config = read_stack_file(root, stack)
    spec = parse_stack(config, stack=stack, project=project_name(root), base_dir=str(root))
    return spec, config, root


def run_program(spec: StackSpec, config: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run ``stacks.program.build`` under recording mocks; return (resources, stack outputs)."""
    import pulumi
    from pulumi.runtime import mocks as pm
    from pulumi.runtime import settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from stacks.mocks import (
        Context,
        RecordingMocks,
        RecordingMonitor,
        drain,
        fewer_gc_passes,
        mask_secrets,
        no_source_positions,
    )
    from stacks.program import build

    ctx = Context(spec.project, spec.stack, spec.region, gcp_project=spec.gcp_project or "demo-project")
    mocks = RecordingMocks(ctx)
    monitor = RecordingMonitor(mocks)
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    pm.set_mocks(mocks, project=spec.project, stack=spec.stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(to_runtime(config))
    exports: dict[str, Any] = {}

    async def program() -> None:
        endpoints = build(spec)
        collected = {key: ep.exports() for key, ep in endpoints.items()}
        pulumi.Output.from_input(collected).apply(exports.update)
        await drain()  # linear-time wait (stacks/mocks: drain); the SDK's own wait then has nothing left

    with no_source_positions(), fewer_gc_passes():
        _sync_await(run_pulumi_func(program))
    # Registration order depends on the event loop; sort so the same program always gives the same plan.
    resources = sorted((r.to_plan() for r in monitor.records), key=lambda r: r["urn"])
    return resources, mask_secrets(exports)


def run_plan(stack: str, project_dir: str | Path | None = None) -> dict[str, Any]:
    spec, config, root = load_spec(stack, project_dir)
    resources, exports = run_program(spec, config)
    plan: dict[str, Any] = {
        "version": PLAN_VERSION,
        "project": spec.project,
        "stack": spec.stack,
        "cloud": spec.cloud,
        "region": spec.region,
        "profile": spec.profile,
        "endpoints": sorted(spec.endpoints),
        "resources": resources,
        "outputs": exports,
        "notes": notes_for(spec),
    }
    from policy import evaluate

    plan["findings"] = sorted(evaluate(plan) + advisories(spec, resources), key=_finding_order)
    from stacks.cost import estimate

    plan["cost"] = estimate(spec, resources)
    return plan


def advisories(spec: StackSpec, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Warnings from the cloud's own module: what the config asks that this cloud does differently.

    Each cloud's ``components.<cloud>.validate.advisories(endpoint, region, profile)`` returns
    ``[{"rule", "severity", "message", "anchors"}]``; the finding is attached to the endpoint's component.
    """
    import importlib

    module = importlib.import_module(f"components.{spec.cloud}.validate")
    fn = getattr(module, "advisories", None)
    components = {
        r["name"]: r["urn"] for r in resources if not r["custom"] and r["type"].startswith("mlinfra:")
    }
    out = []
    for key, ep in spec.endpoints.items():
        found = list(fn(ep, region=spec.region, profile=spec.profile)) if fn else []
        model = spec.model_ref(key)
        if model.target == "gpu" and ep.compute.accelerator == "cpu":
            found.append(
                {
                    "rule": "model-built-for-gpu-on-cpu",
                    "severity": "warning",
                    "message": f"the model {model.name} ({model.version[:19]}) was packaged for GPU (fp16 weights are slow on CPU, and some kernels are GPU-only), and this endpoint is CPU; re-package with --target cpu, or set compute.accelerator: gpu",
                    "anchors": [
                        "ours: SECURITY.md, everywhere: CPU types not asked to run GPU-only artifacts"
                    ],
                }
            )
        for f in found:
            out.append({"anchors": ["ours"], **f, "resource": components.get(key, key)})
    return out


def _finding_order(f: dict[str, Any]) -> tuple[int, str, str, str]:
    return (
        {"error": 0, "warning": 1}.get(f.get("severity", ""), 2),
        f.get("rule", ""),
        f.get("resource", ""),
        f.get("message", ""),
    )


def notes_for(spec: StackSpec) -> list[str]:
    """What a reader of the plan should know that no resource says (cloud limits, manual steps)."""
    notes = []
    if spec.cloud == "azure":
        notes.append(
            "Azure ML has no automatic rollback: promote or roll back by moving endpoint traffic (docs/azure.md, section 'Rollout: blue/green, and promotion')."
        )
    return notes


def write_plan(plan: dict[str, Any], path: str | Path) -> None:
    Path(path).write_text(canonical_json(plan))


def canonical_json(plan: dict[str, Any]) -> str:
    return json.dumps(plan, indent=2, sort_keys=True, default=str) + "\n"
