"""Graph steps: inspect, optimize, quantize (dynamic and static int8), fp16.

Each step reads one ONNX file and writes another, takes its typed config from :mod:`model_packaging.config`, and
checks what it wrote (full ``onnx.checker`` check and a load in ONNX Runtime): an artifact that does not load is
never handed on. Quantization runs in a temporary working directory, because ONNX Runtime's shape inference
leaves ``sym_shape_infer_temp.onnx`` files in the current directory when it fails.

Graphs with ai.onnx.ml operators (scikit-learn tree ensembles and linear models) are refused with
:class:`NotQuantizableError` and a reason, never a crash.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import DynamicInt8Config, Fp16Config, OptimizeConfig, StaticInt8Config
from .converters import check_onnx, needs_external_data
from .errors import NotQuantizableError, PackagingError

#: Operators whose weights int8 quantization compresses; a graph without any has nothing to gain.
WEIGHT_OPS = frozenset({"MatMul", "Gemm", "Conv", "ConvTranspose", "Attention", "LSTM", "GRU"})
CONV_OPS = frozenset({"Conv", "ConvTranspose"})
MATMUL_OPS = frozenset({"MatMul", "Gemm"})


@dataclass(frozen=True)
class GraphProfile:
    """What the graph is made of, and what that means for quantization.

    ``kind``: ``"ml"`` (ai.onnx.ml operators), ``"conv"``, ``"transformer"``, ``"matmul"`` or ``"other"``.
    ``quantizable_reason`` is None when int8 quantization applies, else why not.
    """

    op_counts: dict[str, int]
    domains: dict[str, int]
    kind: str
    quantizable_reason: str | None
    size_bytes: int
    ml_ops: list[str] = field(default_factory=list)

    @property
    def quantizable(self) -> bool:
        return self.quantizable_reason is None


def model_size(path: Path) -> int:
    """Bytes of the graph plus its external data files, if any."""
    total = path.stat().st_size
    data = path.with_name(path.name + ".data")
    if data.exists():
        total += data.stat().st_size
    return total


def profile(path: Path) -> GraphProfile:
    """Count operators by type and domain and classify the graph (see :class:`GraphProfile`)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    ops: Counter[str] = Counter()
    ml_ops: Counter[str] = Counter()
    for node in _all_nodes(model.graph):
        ops[node.op_type] += 1
        if node.domain == "ai.onnx.ml":
            ml_ops[node.op_type] += 1
    domains = {op.domain or "ai.onnx": int(op.version) for op in model.opset_import}
    n_conv = sum(ops[o] for o in CONV_OPS)
    n_matmul = sum(ops[o] for o in MATMUL_OPS)
    transformer = ops["Attention"] > 0 or (
        ops["Softmax"] > 0 and n_matmul >= 4 and (ops["LayerNormalization"] > 0 or ops["ReduceMean"] > 0)
    )
    reason = None
    if ml_ops:
        kind = "ml"
        reason = (
            "the graph uses ai.onnx.ml operators (" + ", ".join(sorted(ml_ops)) + "), which ONNX Runtime's "
            "quantizer does not handle; tree ensembles and linear models are served in fp32"
        )
    elif n_conv:
        kind = "conv"
    elif transformer:
        kind = "transformer"
    elif n_matmul:
        kind = "matmul"
    else:
        kind = "other"
    if reason is None and not any(ops[o] for o in WEIGHT_OPS):
        reason = "the graph has no MatMul, Gemm or Conv operator whose weights int8 would compress"
    return GraphProfile(
        op_counts=dict(sorted(ops.items())),
        domains=domains,
        kind=kind,
        quantizable_reason=reason,
        size_bytes=model_size(path),
        ml_ops=sorted(ml_ops),
    )


def _all_nodes(graph: Any) -> Iterator[Any]:
    import onnx

    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from _all_nodes(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    yield from _all_nodes(g)


@contextlib.contextmanager
def scratch_cwd() -> Iterator[Path]:
    """Run the body in a fresh temporary directory as the current directory, then remove it."""
    old = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="mlinfra-quant-") as tmp:
        os.chdir(tmp)
        try:
            yield Path(tmp)
        finally:
            os.chdir(old)


def _external(path: Path) -> bool:
    return needs_external_data(model_size(path))


# ------------------------------------------------------------------------------------------------- optimize


def optimize(src: Path, dst: Path, config: OptimizeConfig = OptimizeConfig()) -> Path:
    """ONNX Runtime offline graph optimization at ``config.level`` (default ``"basic"``) into ``dst``.

    ``"disabled"`` copies the graph unchanged. Apply after quantization (quantizing a fused graph fails).
    """
    if config.level == "disabled":
        if _external(src):
            import onnx

            from .converters import save_onnx

            save_onnx(onnx.load(str(src)), dst)  # rewrites the data file name to follow dst
        else:
            shutil.copyfile(src, dst)
        return dst
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = {
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    }[config.level]
    so.optimized_model_filepath = str(dst)
    if _external(src):
        so.add_session_config_entry(
            "session.optimized_model_external_initializers_file_name", dst.name + ".data"
        )
    ort.InferenceSession(str(src), so, providers=["CPUExecutionProvider"])
    if not _external(dst):
        prune_opsets(dst)
    check_onnx(dst)
    return dst


def prune_opsets(path: Path) -> None:
    """Drop ``opset_import`` entries of domains no node uses (ONNX Runtime's optimizer lists every domain it
    knows: com.microsoft.nchwc, org.pytorch.aten...), so the graph claims only what it needs to be served."""
    import onnx

    model = onnx.load(str(path))
    used = {node.domain or "" for node in _all_nodes(model.graph)} | {""}
    keep = [(op.domain, op.version) for op in model.opset_import if (op.domain or "") in used]
    if len(keep) != len(model.opset_import):
        del model.opset_import[:]
        for domain, version in keep:
            entry = model.opset_import.add()
            entry.domain, entry.version = domain, version
        onnx.save_model(model, str(path))


# --------------------------------------------------------------------------------------------- quantization


def _require_quantizable(src: Path) -> GraphProfile:
    prof = profile(src)
    if not prof.quantizable:
        raise NotQuantizableError(prof.quantizable_reason or "")
    return prof


def _preprocess(src: Path, work: Path) -> Path:
    """``quant_pre_process`` (shape inference, basic optimization); the original graph if it fails."""
    from onnxruntime.quantization import quant_pre_process

    out = work / "pre.onnx"
    try:
        large = _external(src)
        quant_pre_process(
            str(src), str(out), skip_optimization=False, save_as_external_data=large,
            all_tensors_to_one_file=True, external_data_location=out.name + ".data" if large else None,
        )  # fmt: skip
        return out
    except Exception:
        return src


def quantize_dynamic(src: Path, dst: Path, config: DynamicInt8Config = DynamicInt8Config()) -> Path:
    """Dynamic int8 (weights int8, activations quantized at run time) of ``config.op_types`` into ``dst``."""
    _require_quantizable(src)
    from onnxruntime.quantization import QuantType
    from onnxruntime.quantization import quantize_dynamic as ort_quantize_dynamic

    src, dst = src.resolve(), dst.resolve()
    with scratch_cwd() as work:
        pre = _preprocess(src, work)
        try:
            ort_quantize_dynamic(
                str(pre),
                str(dst),
                op_types_to_quantize=list(config.op_types),
                per_channel=config.per_channel,
                reduce_range=config.reduce_range,
                weight_type=getattr(QuantType, config.weight_type),
                use_external_data_format=_external(src),
            )
        except Exception as exc:
            raise NotQuantizableError(
                f"ONNX Runtime's dynamic quantizer failed: {type(exc).__name__}: {exc}"
            ) from exc
    check_onnx(dst)
    return dst


def calibration_reader(
    feeds: Mapping[str, np.ndarray], input_types: Mapping[str, str], rows: int = 256, batch: int = 16
) -> object:
    """An ``onnxruntime.quantization.CalibrationDataReader`` over the first ``rows`` rows of ``feeds``, in
    batches of ``batch`` rows, each array cast to the graph's input dtype."""
    from onnxruntime.quantization import CalibrationDataReader

    n = min(rows, min(len(v) for v in feeds.values()))
    batches = [
        {
            k: np.ascontiguousarray(v[i : i + batch], dtype=input_types.get(k, v.dtype))
            for k, v in feeds.items()
        }
        for i in range(0, n, batch)
    ]

    class _Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = iter(batches)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._it, None)

        def rewind(self) -> None:
            self._it = iter(batches)

        def __len__(self) -> int:
            return len(batches)

    return _Reader()


def quantize_static(
    src: Path, dst: Path, feeds: Mapping[str, np.ndarray], config: StaticInt8Config = StaticInt8Config()
) -> Path:
    """Static int8 with calibration over ``feeds`` (the user's sample or eval data) into ``dst``."""
    _require_quantizable(src)
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType
    from onnxruntime.quantization import quantize_static as ort_quantize_static

    from .converters import graph_inputs

    types = {name: dtype for name, dtype, _shape in graph_inputs(src)}
    reader = calibration_reader(feeds, types, config.calibration_rows, config.calibration_batch)
    src, dst = src.resolve(), dst.resolve()
    extra: dict[str, object] = {}
    if config.method == "Percentile":
        extra["CalibPercentile"] = 99.999
    with scratch_cwd() as work:
        pre = _preprocess(src, work)
        try:
            ort_quantize_static(
                str(pre),
                str(dst),
                reader,
                quant_format=getattr(QuantFormat, config.quant_format),
                op_types_to_quantize=list(config.op_types) if config.op_types else None,
                per_channel=config.per_channel,
                reduce_range=config.reduce_range,
                activation_type=getattr(QuantType, config.activation_type),
                weight_type=getattr(QuantType, config.weight_type),
                calibrate_method=getattr(CalibrationMethod, config.method),
                use_external_data_format=_external(src),
                extra_options=extra or None,
            )
        except Exception as exc:
            raise NotQuantizableError(
                f"ONNX Runtime's static quantizer failed: {type(exc).__name__}: {exc}"
            ) from exc
    check_onnx(dst)
    return dst


def to_fp16(src: Path, dst: Path, config: Fp16Config = Fp16Config()) -> Path:
    """Float16 weights and compute (ONNX Runtime's converter), inputs and outputs kept float32 by default."""
    prof = profile(src)
    if prof.kind == "ml":
        raise NotQuantizableError(
            "fp16 does not apply to ai.onnx.ml operators (" + ", ".join(prof.ml_ops) + "): they compute in "
            "float32 or float64 only"
        )
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = onnx.load(str(src))
    try:
        half = convert_float_to_float16(model, keep_io_types=config.keep_io_types)
    except Exception as exc:
        raise NotQuantizableError(f"fp16 conversion failed: {type(exc).__name__}: {exc}") from exc
    from .converters import save_onnx

    topological_sort(half.graph)
    save_onnx(half, dst)
    try:
        check_onnx(dst)
    except PackagingError as exc:
        raise NotQuantizableError(f"the fp16 graph does not load: {exc}") from exc
    return dst


def topological_sort(graph: Any) -> None:
    """Reorder ``graph.node`` so every node comes after the producers of its inputs (stable otherwise).

    ONNX Runtime's fp16 converter appends the Cast nodes it adds for ``keep_io_types`` at the end of the node
    list, which the full checker rejects.
    """
    nodes = list(graph.node)
    available = {i.name for i in graph.input} | {i.name for i in graph.initializer} | {""}
    produced_by_graph = {o for n in nodes for o in n.output}
    ordered, pending = [], nodes
    while pending:
        rest = []
        for node in pending:
            if all(i in available or i not in produced_by_graph for i in node.input):
                ordered.append(node)
                available.update(node.output)
            else:
                rest.append(node)
        if len(rest) == len(pending):  # a cycle: leave the order to the checker's verdict
            ordered.extend(rest)
            break
        pending = rest
    copies = []
    for node in ordered:
        copy = type(node)()
        copy.CopyFrom(node)
        copies.append(copy)
    del graph.node[:]
    graph.node.extend(copies)
