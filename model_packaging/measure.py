"""Measurement: latency with ONNX Runtime's CPU provider, and agreement with the original model.

Latency is measured interleaved: every round times every variant at every batch size, in a rotating order, and
the percentiles are taken over all timed calls of all rounds. Machine noise (another process, a frequency
change) then hits every variant alike instead of flipping a comparison.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .config import Budget, MeasureConfig
from .converters import Feeds, Outputs
from .errors import PackagingError


def session(path: Path, threads: int = 2) -> Any:
    """An ONNX Runtime CPU session with ``threads`` intra-op threads and one inter-op thread (sequential)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def cast_feeds(sess: Any, feeds: Mapping[str, np.ndarray]) -> Feeds:
    """Feeds cast to the dtypes the session's inputs declare (a float64 sample feeds a float32 graph)."""
    out: Feeds = {}
    for inp in sess.get_inputs():
        arr = feeds[inp.name]
        dtype = _ORT_TYPES.get(inp.type)
        out[inp.name] = np.ascontiguousarray(arr, dtype=dtype) if dtype is not None else arr
    return out


_ORT_TYPES: dict[str, Any] = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(float16)": np.float16,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8,
    "tensor(bool)": np.bool_,
}


def batch_of(feeds: Mapping[str, np.ndarray], size: int) -> Feeds:
    """``size`` rows from ``feeds`` (repeating rows when there are fewer), contiguous."""
    return {
        k: np.ascontiguousarray(np.resize(v, (size, *v.shape[1:])), dtype=v.dtype) for k, v in feeds.items()
    }


def run_batched(sess: Any, feeds: Mapping[str, np.ndarray], rows: int = 512) -> list[np.ndarray]:
    """Run ``sess`` over ``feeds`` in chunks of ``rows`` rows and concatenate each output."""
    feeds = cast_feeds(sess, feeds)
    n = len(next(iter(feeds.values())))
    parts: list[list[np.ndarray]] = []
    for i in range(0, n, rows):
        parts.append(sess.run(None, {k: v[i : i + rows] for k, v in feeds.items()}))
    return [np.concatenate([p[j] for p in parts]) for j in range(len(parts[0]))]


def reference_batched(
    fn: Callable[[Feeds], Outputs], feeds: Mapping[str, np.ndarray], rows: int = 512
) -> Outputs:
    """The original model over ``feeds`` in chunks of ``rows`` rows."""
    n = len(next(iter(feeds.values())))
    parts = [fn({k: v[i : i + rows] for k, v in feeds.items()}) for i in range(0, n, rows)]
    labels = None
    if parts[0].labels is not None:
        labels = np.concatenate([np.asarray(p.labels) for p in parts])
    return Outputs(scores=np.concatenate([p.scores for p in parts]), labels=labels)


@dataclass(frozen=True)
class LatencyStats:
    """Percentiles in milliseconds over every timed call."""

    p50_ms: float
    p99_ms: float
    calls: int


def measure_latency(
    paths: Mapping[str, Path],
    feeds: Mapping[str, np.ndarray],
    config: MeasureConfig = MeasureConfig(),
    batch_sizes: tuple[int, ...] | None = None,
    on_round: Callable[[], None] | None = None,
) -> dict[str, dict[int, LatencyStats]]:
    """Latency of each variant in ``paths`` at each batch size (default: 1 and ``config.batch_size``).

    ``config.repeats`` interleaved rounds; each round does ``config.warmup`` untimed and ``config.iterations``
    timed calls per variant and batch size, rotating the variant order. ``on_round`` is called after each round
    (for progress bars).
    """
    sizes = batch_sizes or tuple(sorted({1, config.batch_size}))
    sessions = {name: session(p, config.threads) for name, p in paths.items()}
    batches = {name: {b: cast_feeds(s, batch_of(feeds, b)) for b in sizes} for name, s in sessions.items()}
    times: dict[str, dict[int, list[float]]] = {name: {b: [] for b in sizes} for name in sessions}
    names = list(sessions)
    for r in range(config.repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for b in sizes:
            for name in order:
                sess, feed = sessions[name], batches[name][b]
                for _ in range(config.warmup):
                    sess.run(None, feed)
                bucket = times[name][b]
                for _ in range(config.iterations):
                    t0 = time.perf_counter()
                    sess.run(None, feed)
                    bucket.append(time.perf_counter() - t0)
        if on_round:
            on_round()
    return {
        name: {
            b: LatencyStats(
                p50_ms=float(np.percentile(ts, 50) * 1e3),
                p99_ms=float(np.percentile(ts, 99) * 1e3),
                calls=len(ts),
            )
            for b, ts in per.items()
        }
        for name, per in times.items()
    }


# ------------------------------------------------------------------------------------------------ agreement


def resolve_task(task: str, hint: str | None, reference: Outputs, labels: np.ndarray | None) -> str:
    """The comparison to make: an explicit ``task`` wins, then the framework's hint, then the data.

    Labels or class predictions mean classification; outputs of rank 3 or more mean embeddings; a single output
    column means regression; other rank-2 outputs are treated as class scores (argmax agreement).
    """
    if task != "auto":
        return task
    if hint:
        return hint
    if labels is not None and np.issubdtype(np.asarray(labels).dtype, np.integer):
        return "classification"
    if reference.labels is not None:
        return "classification"
    scores = reference.scores
    if scores.ndim >= 3:
        return "embedding"
    if scores.ndim == 1 or scores.shape[-1] == 1:
        return "regression"
    return "classification"


def predicted_labels(out: Outputs) -> np.ndarray:
    """Class labels: the model's own label output, else the argmax of its scores."""
    if out.labels is not None:
        return np.asarray(out.labels).reshape(-1)
    return np.asarray(out.scores).reshape(len(out.scores), -1).argmax(axis=1)


def compare(
    task: str, reference: Outputs, got: Outputs, labels: np.ndarray | None = None
) -> dict[str, float]:
    """Figures of ``got`` against the original's ``reference`` outputs (same rows).

    Always ``max_abs_diff`` of the scores; for classification ``agreement`` (share of equal predictions) and,
    with ``labels``, ``accuracy`` and ``reference_accuracy``; for embeddings ``cosine`` (mean over rows of the
    flattened per-row outputs) and ``cosine_min``.
    """
    a = np.asarray(reference.scores, dtype=np.float64)
    b = np.asarray(got.scores, dtype=np.float64)
    figs: dict[str, float] = {}
    if a.size == b.size:
        b = b.reshape(a.shape)
        figs["max_abs_diff"] = float(np.max(np.abs(a - b))) if a.size else 0.0
        figs["ref_max_abs"] = float(np.max(np.abs(a))) if a.size else 0.0
    elif task != "classification":
        # (classifiers may differ in score layout, e.g. a binary decision_function: labels still compare)
        raise PackagingError(f"the model's outputs ({b.shape}) do not match the original's ({a.shape})")
    if task == "classification":
        ra, rb = predicted_labels(reference), predicted_labels(got)
        figs["agreement"] = float(np.mean(ra == rb))
        if labels is not None:
            y = np.asarray(labels).reshape(-1)
            figs["accuracy"] = float(np.mean(rb == y))
            figs["reference_accuracy"] = float(np.mean(ra == y))
    elif task == "embedding":
        fa, fb = a.reshape(len(a), -1), b.reshape(len(b), -1)
        den = np.linalg.norm(fa, axis=1) * np.linalg.norm(fb, axis=1)
        cos = np.where(den > 0, np.sum(fa * fb, axis=1) / np.where(den > 0, den, 1), 1.0)
        figs["cosine"] = float(np.mean(cos))
        figs["cosine_min"] = float(np.min(cos))
    return figs


def _points(drop: float) -> str:
    if abs(drop) < 5e-3:
        return "no accuracy lost"
    return f"{drop:.2f} points lost" if drop > 0 else f"{-drop:.2f} points gained"


def budget_check(task: str, figs: Mapping[str, float], budget: Budget) -> tuple[bool, str]:
    """Whether ``figs`` (from :func:`compare`) fit ``budget``, and a one-line explanation with the figures."""
    if task == "classification":
        if "accuracy" in figs:
            drop = 100.0 * (figs["reference_accuracy"] - figs["accuracy"])
            ok = drop <= budget.max_accuracy_drop_pts + 1e-9
            return ok, (
                f"accuracy {100 * figs['accuracy']:.2f}% vs {100 * figs['reference_accuracy']:.2f}% for the "
                f"original ({_points(drop)}; budget {budget.max_accuracy_drop_pts:g} points)"
            )
        drop = 100.0 * (1.0 - figs["agreement"])
        ok = drop <= budget.max_accuracy_drop_pts + 1e-9
        return ok, (
            f"agreement with the original {100 * figs['agreement']:.2f}% ({drop:.2f} points disagree; budget "
            f"{budget.max_accuracy_drop_pts:g})"
        )
    if task == "embedding":
        ok = figs["cosine"] >= budget.min_cosine
        return (
            ok,
            f"mean cosine similarity {figs['cosine']:.4f} (min {figs['cosine_min']:.4f}; budget >= {budget.min_cosine:g})",
        )
    tol = budget.regression_atol + budget.regression_rtol * figs.get("ref_max_abs", 0.0)
    ok = figs["max_abs_diff"] <= tol
    return ok, f"max abs diff {figs['max_abs_diff']:.3g} (tolerance {tol:.3g})"
