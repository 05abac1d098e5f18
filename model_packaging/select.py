"""Candidates for ``--quantize``: which variants to build for a graph and target, and which one to choose.

The plan follows what was measured (FACTS.md, "Packaging lessons"):

- ai.onnx.ml graphs (scikit-learn trees and linear models): fp32 only, "not quantizable: <why>".
- Convolutions: static int8 QDQ (per-tensor and per-channel); never dynamic int8 (ConvInteger is 5-7x slower).
- Transformers: dynamic int8 with per-channel weights; no static int8 with plain MinMax calibration.
- Other MatMul/Gemm graphs (MLPs): dynamic int8 per-channel and static int8 QDQ.
- fp16 only for GPU targets.

``auto`` picks the fastest candidate at the measured batch size whose agreement with the ORIGINAL model fits the
budget, and only if it beats fp32 by the budget's ``min_speedup`` in the same interleaved measurement; otherwise
fp32. On a GPU target (not measurable here), fp16 is chosen when it fits the budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import PackageConfig, StaticInt8Config
from .measure import LatencyStats
from .steps import GraphProfile


@dataclass(frozen=True)
class CandidatePlan:
    """A variant to build: its name, the ``--quantize`` mode it belongs to, and the step config."""

    name: str
    mode: str
    step: str  # "none" | "dynamic" | "static" | "fp16"
    config: Any = None
    note: str = ""


@dataclass
class Candidate:
    """A built (or failed) variant with its measurements."""

    plan: CandidatePlan
    path: Path | None = None
    size_bytes: int = 0
    build_s: float = 0.0
    latency: dict[int, LatencyStats] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)
    within_budget: bool = False
    budget_note: str = ""
    error: str | None = None
    chosen: bool = False

    @property
    def name(self) -> str:
        return self.plan.name

    def p50(self, batch: int) -> float:
        return self.latency[batch].p50_ms if batch in self.latency else float("inf")

    def row(self, fp32: Candidate | None, batch_size: int) -> dict[str, Any]:
        """A JSON-ready summary, with size and latency ratios to ``fp32``."""
        row: dict[str, Any] = {
            "name": self.name,
            "mode": self.plan.mode,
            "config": _config_dict(self.plan.config),
            "note": self.plan.note,
            "size_bytes": self.size_bytes,
            "build_s": round(self.build_s, 3),
            "within_budget": self.within_budget,
            "budget": self.budget_note,
            "error": self.error,
            "chosen": self.chosen,
            "latency_ms": {
                str(b): {"p50": round(s.p50_ms, 4), "p99": round(s.p99_ms, 4), "calls": s.calls}
                for b, s in sorted(self.latency.items())
            },
            "figures": {k: round(v, 6) for k, v in self.figures.items()},
        }
        if fp32 is not None and fp32.size_bytes and self.size_bytes:
            row["size_ratio"] = round(self.size_bytes / fp32.size_bytes, 4)
            for b in sorted(self.latency):
                if b in fp32.latency and fp32.latency[b].p50_ms > 0:
                    row[f"latency_ratio_b{b}"] = round(self.latency[b].p50_ms / fp32.latency[b].p50_ms, 4)
        return row


def _config_dict(config: Any) -> dict[str, Any] | None:
    return config.model_dump(mode="json") if config is not None else None


def plan_candidates(
    prof: GraphProfile, config: PackageConfig, has_calibration_data: bool
) -> tuple[list[CandidatePlan], str | None]:
    """The variants to build, fp32 first, and the reason when quantization does not apply (else None)."""
    fp32 = CandidatePlan("fp32", "none", "none", note="converted graph, offline-optimized")
    mode, target = config.quantize, config.target
    if mode == "none":
        return [fp32], "quantization disabled (--quantize none)"
    if mode == "fp16" or (mode == "auto" and target == "gpu"):
        if prof.kind == "ml":
            return [fp32], f"not quantizable: {prof.quantizable_reason}"
        note = "GPU target" if target == "gpu" else "fp16 on a CPU target is not faster (FACTS); requested"
        return [fp32, CandidatePlan("fp16", "fp16", "fp16", config.fp16, note)], None
    if not prof.quantizable:
        return [fp32], f"not quantizable: {prof.quantizable_reason}"
    static = config.static
    dyn = config.dynamic
    plans = [fp32]
    if mode == "int8-dynamic":
        note = (
            "Conv layers stay fp32 (dynamic int8 Conv runs ConvInteger, 5-7x slower on CPU)"
            if prof.kind == "conv" and "Conv" not in dyn.op_types
            else ""
        )
        plans.append(
            CandidatePlan("int8-dynamic" + ("-pc" if dyn.per_channel else ""), mode, "dynamic", dyn, note)
        )
        return plans, None
    if mode == "int8-static" and not has_calibration_data:
        return [fp32], "not quantizable: static int8 needs calibration data (--sample or --eval)"
    if mode == "int8-static":
        cfg = _static_for(prof, static)
        plans.append(CandidatePlan(_static_name(cfg), mode, "static", cfg))
        return plans, None
    # auto on a CPU target
    if prof.kind == "conv":
        if has_calibration_data:
            pt = static.model_copy(update={"quant_format": "QDQ", "per_channel": False})
            pc = static.model_copy(update={"quant_format": "QDQ", "per_channel": True})
            plans.append(CandidatePlan(_static_name(pt), "int8-static", "static", pt, "static QDQ for Conv"))
            plans.append(CandidatePlan(_static_name(pc), "int8-static", "static", pc, "static QDQ for Conv"))
        else:
            return [fp32], "not quantizable: a Conv graph needs static int8, which needs calibration data"
    elif prof.kind == "transformer":
        d = dyn.model_copy(update={"per_channel": True})
        plans.append(
            CandidatePlan("int8-dynamic-pc", "int8-dynamic", "dynamic", d, "per-channel for transformers")
        )
    else:
        d = dyn.model_copy(update={"per_channel": True})
        plans.append(CandidatePlan("int8-dynamic-pc", "int8-dynamic", "dynamic", d, "MatMul-heavy graph"))
        if has_calibration_data:
            s = static.model_copy(update={"quant_format": "QDQ"})
            plans.append(CandidatePlan(_static_name(s), "int8-static", "static", s, "MatMul-heavy graph"))
    return plans, None


def _static_for(prof: GraphProfile, base: StaticInt8Config) -> StaticInt8Config:
    """The static config for an explicit ``--quantize int8-static``: per-channel for Conv, and Percentile
    instead of plain MinMax calibration for transformers."""
    update: dict[str, Any] = {}
    if prof.kind == "conv":
        update["per_channel"] = True
    if prof.kind == "transformer" and base.method == "MinMax":
        update["method"] = "Percentile"
        update["per_channel"] = True
    return base.model_copy(update=update)


def _static_name(cfg: StaticInt8Config) -> str:
    name = f"int8-static-{cfg.quant_format.lower()}"
    if cfg.method != "MinMax":
        name += f"-{cfg.method.lower()}"
    if cfg.per_channel:
        name += "-pc"
    return name


def choose(candidates: list[Candidate], config: PackageConfig, batch_size: int) -> tuple[Candidate, str]:
    """The chosen candidate and why. fp32 (candidates[0]) is the fallback.

    auto/CPU: fastest at ``batch_size`` within budget that beats fp32 by ``budget.min_speedup``.
    auto/GPU and explicit modes: the requested variant when it built and fits the budget (the caller refuses
    an explicit variant that exceeds the budget).
    """
    fp32 = candidates[0]
    others = [c for c in candidates[1:] if c.error is None]
    if not others:
        failed = "; ".join(f"{c.name}: {c.error}" for c in candidates[1:] if c.error)
        return fp32, f"fp32: no quantized variant built ({failed})" if failed else "fp32"
    if config.quantize != "auto" or config.target == "gpu":
        c = others[0]
        if config.target == "gpu" and config.quantize == "auto" and not c.within_budget:
            return fp32, f"fp32: {c.name} exceeds the budget ({c.budget_note})"
        return (
            c,
            f"{c.name}: requested" if config.quantize != "auto" else f"{c.name}: GPU target, within budget",
        )
    fp = fp32.p50(batch_size)
    ok = [c for c in others if c.within_budget and c.p50(batch_size) * config.budget.min_speedup <= fp]
    if not ok:
        why = []
        for c in others:
            if not c.within_budget:
                why.append(f"{c.name} exceeds the budget ({c.budget_note})")
            else:
                why.append(
                    f"{c.name} is not faster at batch {batch_size} ({c.p50(batch_size):.3f} ms vs "
                    f"{fp:.3f} ms for fp32)"
                )
        return fp32, "fp32: " + "; ".join(why)
    best = min(ok, key=lambda c: c.p50(batch_size))
    return best, (
        f"{best.name}: fastest within budget at batch {batch_size} ({best.p50(batch_size):.3f} ms vs "
        f"{fp:.3f} ms for fp32, {fp / best.p50(batch_size):.2f}x)"
    )
