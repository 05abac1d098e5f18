"""Which candidates are built for which graph and target, and which one is chosen: pure unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from model_packaging.config import Budget, PackageConfig
from model_packaging.measure import LatencyStats, budget_check, compare, resolve_task
from model_packaging.select import Candidate, CandidatePlan, choose, plan_candidates
from model_packaging.steps import GraphProfile


def _profile(kind: str) -> GraphProfile:
    reason = "the graph uses ai.onnx.ml operators (TreeEnsembleClassifier)" if kind == "ml" else None
    return GraphProfile(op_counts={}, domains={}, kind=kind, quantizable_reason=reason, size_bytes=1)


def _names(kind: str, **cfg: object) -> list[str]:
    plans, _ = plan_candidates(_profile(kind), PackageConfig(name="m", framework="onnx", **cfg), True)
    return [p.name for p in plans]


def test_conv_graphs_get_static_qdq_never_dynamic() -> None:
    assert _names("conv") == ["fp32", "int8-static-qdq", "int8-static-qdq-pc"]


def test_transformers_get_per_channel_dynamic_and_no_minmax_static() -> None:
    assert _names("transformer") == ["fp32", "int8-dynamic-pc"]
    plans, _ = plan_candidates(
        _profile("transformer"), PackageConfig(name="m", framework="onnx", quantize="int8-static"), True
    )
    assert plans[1].config.method == "Percentile" and plans[1].config.per_channel


def test_mlp_graphs_get_dynamic_per_channel_and_static() -> None:
    assert _names("matmul") == ["fp32", "int8-dynamic-pc", "int8-static-qdq"]


def test_ml_graphs_are_not_quantizable_on_any_target() -> None:
    for target in ("cpu", "gpu"):
        plans, reason = plan_candidates(_profile("ml"), PackageConfig(name="m", framework="sklearn", target=target),
                                        True)  # fmt: skip
        assert [p.name for p in plans] == ["fp32"] and reason and reason.startswith("not quantizable: ")


def test_fp16_only_for_gpu_in_auto() -> None:
    assert "fp16" not in _names("matmul", target="cpu")
    assert _names("conv", target="gpu") == ["fp32", "fp16"]


def test_none_builds_only_fp32() -> None:
    assert _names("matmul", quantize="none") == ["fp32"]


def test_static_needs_calibration_data() -> None:
    plans, reason = plan_candidates(_profile("conv"), PackageConfig(name="m", framework="onnx"), False)
    assert [p.name for p in plans] == ["fp32"] and "calibration data" in (reason or "")


def _cand(name: str, b32_ms: float, ok: bool = True) -> Candidate:
    c = Candidate(CandidatePlan(name, "none" if name == "fp32" else "int8-dynamic", "none"), path=Path(name))
    c.latency = {1: LatencyStats(1.0, 1.0, 10), 32: LatencyStats(b32_ms, b32_ms, 10)}
    c.within_budget, c.budget_note = ok, "figures"
    return c


def test_choose_fastest_within_budget() -> None:
    cfg = PackageConfig(name="m", framework="onnx")
    chosen, why = choose([_cand("fp32", 10), _cand("a", 4), _cand("b", 2, ok=False), _cand("c", 5)], cfg, 32)
    assert chosen.name == "a" and "2.50x" in why


def test_choose_never_slower_than_fp32() -> None:
    cfg = PackageConfig(name="m", framework="onnx")
    chosen, why = choose([_cand("fp32", 10), _cand("a", 11), _cand("b", 9.8)], cfg, 32)
    assert chosen.name == "fp32"  # 9.8 ms is within noise of 10 ms: min_speedup 1.05 is not met
    assert "not faster" in why
    looser = PackageConfig(name="m", framework="onnx", budget=Budget(min_speedup=1.0))
    assert choose([_cand("fp32", 10), _cand("b", 9.8)], looser, 32)[0].name == "b"


def test_resolve_task_and_budget_checks() -> None:
    import numpy as np

    from model_packaging.converters import Outputs

    ref = Outputs(scores=np.array([[0.9, 0.1], [0.2, 0.8]]))
    assert resolve_task("auto", None, ref, np.array([0, 1])) == "classification"
    assert resolve_task("auto", None, Outputs(scores=np.zeros((2, 4, 8))), None) == "embedding"
    assert resolve_task("auto", None, Outputs(scores=np.zeros((2, 1))), None) == "regression"
    figs = compare(
        "classification", ref, Outputs(scores=np.array([[0.6, 0.4], [0.6, 0.4]])), np.array([0, 1])
    )
    ok, note = budget_check("classification", figs, Budget())
    assert not ok and "50.00 points lost" in note
    emb = compare("embedding", Outputs(scores=np.ones((3, 4))), Outputs(scores=np.ones((3, 4)) * 2))
    assert budget_check("embedding", emb, Budget())[0] and emb["cosine"] == pytest.approx(1.0)
