"""Pulumi mocks that record what the program declares and answer like the cloud would.

``RecordingMocks`` returns realistic, deterministic ids, names and ARNs (per cloud, in
``stacks/mocks/<cloud>.py``), so references between resources look as they will after ``pulumi up``.
``RecordingMonitor`` also sees what the mocks cannot: each resource's parent, protect and
retain-on-delete flags and its dependencies. The same pair serves ``mlinfra plan`` and the tests.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pm
from pulumi.runtime import rpc

SECRET = "[secret]"


@dataclass
class Recorded:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    id: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    dependencies: list[str] = field(default_factory=list)
    ignore_changes: list[str] = field(default_factory=list)

    def to_plan(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "id": self.id,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "protect": self.protect,
        }
        if self.retain_on_delete:
            out["retainOnDelete"] = True
        if self.delete_before_replace:
            out["deleteBeforeReplace"] = True
        if self.ignore_changes:
            out["ignoreChanges"] = sorted(self.ignore_changes)
        if self.dependencies:
            out["dependencies"] = sorted(self.dependencies)
        return out


def mask_secrets(value: Any) -> Any:
    """Plain JSON values with every secret replaced by ``[secret]`` and assets by their path."""
    if rpc.is_rpc_secret(value):
        return SECRET
    if isinstance(value, dict):
        return {k: mask_secrets(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_secrets(v) for v in value]
    if isinstance(value, pulumi.FileAsset):
        return {"asset": "file", "path": str(value.path)}
    if isinstance(value, pulumi.StringAsset):
        return {"asset": "string", "sha256": hashlib.sha256(str(value.text).encode()).hexdigest()}
    if isinstance(value, (pulumi.Asset, pulumi.Archive)):
        return {"asset": type(value).__name__}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


async def drain() -> None:
    """Wait until the program's registrations and outputs have all resolved: the same end state as the
    SDK's ``wait_for_rpcs``, in linear time.

    ``pulumi.runtime.stack.wait_for_rpcs`` waits on every pending output with ``asyncio.wait(...,
    FIRST_COMPLETED)`` and then again on the rest, so it adds a done-callback to every pending task each time
    one finishes: quadratic in the number of resources (half the CPU of a 50-endpoint plan). This gathers
    each round of pending outputs at once; anything they create is picked up by the next round. Await it at
    the end of the program: ``run_pulumi_func``'s own wait then finds nothing left to do.
    """
    import asyncio

    from pulumi.runtime.settings import SETTINGS, _get_rpc_manager

    rpcs = _get_rpc_manager()
    while True:
        while rpcs.rpcs:
            await asyncio.sleep(0)
            await rpcs.rpcs.pop()
        with SETTINGS.lock:
            pending = list(SETTINGS.outputs)
            SETTINGS.outputs.clear()
        if not pending:
            if not rpcs.rpcs:
                return
            continue
        await asyncio.gather(*pending)


class no_source_positions:  # noqa: N801 (used as a context manager, like contextlib's)
    """Skip the SDK's per-resource stack capture while a program runs under mocks.

    Each resource registration walks the Python stack (``traceback.extract_stack``) to send the engine its
    source position, which a mock monitor never reads: about 12 ms of every endpoint's ~100 ms plan. Patches
    ``pulumi.runtime.resource._get_stack_trace`` (when the installed SDK has it) and restores it on exit.
    """

    def __enter__(self) -> no_source_positions:
        import pulumi.runtime.resource as sdk

        self._sdk, self._saved = sdk, getattr(sdk, "_get_stack_trace", None)
        if self._saved is not None:
            from pulumi.runtime.proto import source_pb2

            sdk._get_stack_trace = source_pb2.StackTrace  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._saved is not None:
            self._sdk._get_stack_trace = self._saved  # type: ignore[attr-defined]


class fewer_gc_passes:  # noqa: N801 (a context manager)
    """Collect cyclic garbage less often while a program runs under mocks.

    A plan creates a few thousand Python objects per resource (outputs, futures, typed args) that live until
    the end. With CPython's default thresholds the oldest generation is scanned again and again as it grows,
    which makes a plan super-linear in its size: half the CPU of a 50-endpoint plan. ``gc.freeze()`` parks
    what is already alive (the imported SDKs) outside the collector, and a gen-0 threshold of 100,000 lets the
    run allocate before collecting. Restores the thresholds and unfreezes on exit.
    """

    def __enter__(self) -> fewer_gc_passes:
        import gc

        self._saved = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(100_000, 50, 100)
        return self

    def __exit__(self, *exc: object) -> None:
        import gc

        gc.set_threshold(*self._saved)
        gc.unfreeze()


def unwrap(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return unwrap(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def stable_hash(*parts: Any, n: int = 7) -> str:
    text = json.dumps(parts, sort_keys=True, default=_stable)
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def _stable(value: Any) -> Any:
    """JSON for what json cannot encode, the same in every process (an asset's repr holds its address)."""
    if isinstance(value, (pulumi.Asset, pulumi.Archive)):
        return mask_secrets(value)
    return str(value)


class Context:
    """What a cloud's output rules may need: the stack, project, region, account or project id."""

    def __init__(
        self,
        project: str,
        stack: str,
        region: str,
        account: str = "123456789012",
        gcp_project: str = "demo-project",
    ):
        self.project, self.stack, self.region, self.account, self.gcp_project = (
            project,
            stack,
            region,
            account,
            gcp_project,
        )
        self.subscription = "00000000-0000-0000-0000-000000000000"


class RecordingMocks(pm.Mocks):
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.pending: list[tuple[str, str, dict[str, Any]]] = []
        self.by_key: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}

    def new_resource(self, args: pm.MockResourceArgs):
        inputs = unwrap(args.inputs)
        cloud = args.typ.split(":", 1)[0]
        rid, outputs = args.name, {}
        rules = _cloud_rules(cloud)
        if rules is not None:
            rid, outputs = rules.outputs(args.typ, args.name, inputs, self.ctx)
        state = {**inputs, **outputs}
        self.by_key[(args.typ, args.name)] = (rid, outputs)
        return rid, state

    def call(self, args: pm.MockCallArgs):
        cloud = args.token.split(":", 1)[0]
        rules = _cloud_rules(cloud)
        if rules is not None and hasattr(rules, "call"):
            return rules.call(args.token, unwrap(args.args), self.ctx)
        return {}


def _cloud_rules(cloud: str):
    # pulumi-python: dynamic resources (the GCP Vertex deployment); gcp's rules answer only the ones they know.
    name = {"aws": "aws", "azure-native": "azure", "gcp": "gcp", "pulumi-python": "gcp"}.get(cloud)
    if name is None:
        return None
    return importlib.import_module(f"stacks.mocks.{name}")


class RecordingMonitor(pm.MockMonitor):
    """A MockMonitor that keeps every registration's parent, options and (masked) inputs, in order."""

    def __init__(self, mocks: RecordingMocks):
        super().__init__(mocks)
        self.records: list[Recorded] = []
        self.outputs_by_urn: dict[str, dict[str, Any]] = {}

    def RegisterResource(self, request):  # noqa: N802 (gRPC name)
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        inputs = rpc.deserialize_properties(request.object)
        rec = Recorded(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=bool(request.custom),
            inputs=mask_secrets(inputs),
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            delete_before_replace=bool(request.deleteBeforeReplace),
            dependencies=list(request.dependencies),
            ignore_changes=list(request.ignoreChanges),
        )
        if request.custom:
            rid, outputs = self.mocks.by_key.get((request.type, request.name), (None, {}))
            rec.id = rid
            rec.outputs = mask_secrets(outputs)
        self.records.append(rec)
        return response

    def RegisterResourceOutputs(self, request):  # noqa: N802
        outs = rpc.deserialize_properties(request.outputs) if request.outputs else {}
        self.outputs_by_urn[request.urn] = mask_secrets(outs)
        return super().RegisterResourceOutputs(request)

    def by_type(self, typ: str) -> list[Recorded]:
        return [r for r in self.records if r.type == typ]

    def one(self, typ: str, name: str | None = None) -> Recorded:
        found = [r for r in self.by_type(typ) if name is None or r.name == name]
        if len(found) != 1:
            raise AssertionError(f"expected one {typ} {name or ''}, found {[r.name for r in found]}")
        return found[0]
