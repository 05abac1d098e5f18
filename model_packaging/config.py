"""Typed configuration of the packaging steps.

Every step takes a frozen pydantic model with ``extra="forbid"``, so a typo in a key is an error and a config can
be hashed, compared and written into the manifest. The defaults follow what was measured on this project's
machines (see ``FACTS.md``): per-channel dynamic int8 for MatMul-heavy graphs, static QDQ for convolutions,
no plain-MinMax static int8 for transformers, fp16 only for GPU targets.

This module is light (pydantic only); nothing here imports onnx or onnxruntime.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Target = Literal["cpu", "gpu"]
QuantizeMode = Literal["auto", "none", "int8-dynamic", "int8-static", "fp16"]
Task = Literal["auto", "classification", "regression", "embedding"]

QUANTIZE_MODES: tuple[str, ...] = ("auto", "none", "int8-dynamic", "int8-static", "fp16")
TARGETS: tuple[str, ...] = ("cpu", "gpu")

#: Opsets the converters write. Pinned so that the same model gives the same bytes, and kept at a level that
#: every Triton release of the last two years accepts (IR 8 / opset 17).
ONNX_OPSET = 17
ONNX_ML_OPSET = 3


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OptimizeConfig(_Frozen):
    """ONNX Runtime offline graph optimization.

    ``level``: ``"basic"`` (default: constant folding and redundant-node elimination, portable across execution
    providers), ``"extended"`` (adds fusions that may be specific to the CPU provider) or ``"disabled"``.
    """

    level: Literal["disabled", "basic", "extended"] = "basic"


class DynamicInt8Config(_Frozen):
    """``onnxruntime.quantization.quantize_dynamic``: int8 weights, activations quantized at run time.

    Defaults: ``per_channel=True`` (per FACTS, lifts a transformer's cosine from 0.963 to 0.991),
    ``reduce_range=False``, ``weight_type="QInt8"``, ``op_types=["MatMul", "Gemm", "Gather"]`` (Gather covers
    embedding tables; never ``Conv``: dynamic int8 convolutions run through ConvInteger, 5-7x slower on CPU).
    """

    per_channel: bool = True
    reduce_range: bool = False
    weight_type: Literal["QInt8", "QUInt8"] = "QInt8"
    op_types: tuple[str, ...] = ("MatMul", "Gemm", "Gather")


class StaticInt8Config(_Frozen):
    """``onnxruntime.quantization.quantize_static`` with a calibration reader over the user's data.

    Defaults: ``method="MinMax"``, ``quant_format="QDQ"``, ``per_channel=False``, ``reduce_range=False``,
    activations ``QUInt8`` and weights ``QInt8``; calibration uses at most ``calibration_rows`` rows (256,
    1-100000) in batches of ``calibration_batch`` (16, 1-4096). ``op_types=None`` quantizes every op type the
    quantizer supports.
    """

    method: Literal["MinMax", "Entropy", "Percentile"] = "MinMax"
    quant_format: Literal["QDQ", "QOperator"] = "QDQ"
    per_channel: bool = False
    reduce_range: bool = False
    activation_type: Literal["QInt8", "QUInt8"] = "QUInt8"
    weight_type: Literal["QInt8", "QUInt8"] = "QInt8"
    calibration_rows: int = Field(256, ge=1, le=100_000)
    calibration_batch: int = Field(16, ge=1, le=4096)
    op_types: tuple[str, ...] | None = None


class Fp16Config(_Frozen):
    """Float16 weights and compute for GPU targets. ``keep_io_types=True`` (default) keeps inputs and outputs
    float32, so clients do not change."""

    keep_io_types: bool = True


class Budget(_Frozen):
    """How far a variant may drift from the original model and still be chosen.

    - ``max_accuracy_drop_pts`` (default 1.0, 0-100): classification accuracy points lost on labelled eval data,
      or points of argmax disagreement with the original when there are no labels.
    - ``min_cosine`` (default 0.99, 0-1): mean cosine similarity to the original, for embedding outputs.
    - ``regression_atol`` / ``regression_rtol`` (defaults 1e-3 / 1e-2): regressors and other outputs must satisfy
      ``max|a - b| <= atol + rtol * max|b|``.
    - ``min_speedup`` (default 1.05, >= 1): in ``auto`` mode, a quantized variant must be at least this much
      faster than fp32 at the measured batch size, so that noise never selects a slower variant.
    """

    max_accuracy_drop_pts: float = Field(1.0, ge=0, le=100)
    min_cosine: float = Field(0.99, ge=0, le=1)
    regression_atol: float = Field(1e-3, ge=0)
    regression_rtol: float = Field(1e-2, ge=0)
    min_speedup: float = Field(1.05, ge=1)


class MeasureConfig(_Frozen):
    """Latency measurement with ONNX Runtime's CPU provider.

    Defaults: ``threads=2`` (intra-op threads, fixed so figures compare across runs), ``batch_size=32``
    (1-65536, the second batch size measured after batch 1), ``repeats=5`` interleaved rounds (1-1000) of
    ``iterations=30`` calls (1-100000) per variant and batch size, after ``warmup=5`` calls. Medians and p99 are
    over every timed call of every round.
    """

    threads: int = Field(2, ge=1, le=256)
    batch_size: int = Field(32, ge=1, le=65536)
    repeats: int = Field(5, ge=1, le=1000)
    iterations: int = Field(30, ge=1, le=100_000)
    warmup: int = Field(5, ge=0, le=10_000)


class BundleConfig(_Frozen):
    """The Triton model repository and SageMaker archive.

    Defaults: ``max_batch_size=None`` (the measured batch size, at least 1; 0 disables Triton batching),
    ``dynamic_batching=True``, ``instance_count=1`` (1-64), ``openvino=False`` (adds the OpenVINO execution
    accelerator on CPU targets; ignored for GPU), ``max_queue_delay_us=100``.
    """

    max_batch_size: int | None = Field(None, ge=0, le=65536)
    dynamic_batching: bool = True
    max_queue_delay_us: int = Field(100, ge=0)
    instance_count: int = Field(1, ge=1, le=64)
    openvino: bool = False


class PackageConfig(_Frozen):
    """Everything ``model_packaging.api.package`` needs besides the data.

    ``name`` must match the manifest's pattern (lowercase letters, digits and dashes, up to 63 characters).
    ``task="auto"`` infers it: scikit-learn classifiers and labelled eval data mean classification, rank-3
    outputs mean embeddings, a single output column means regression.
    """

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    framework: str
    target: Target = "cpu"
    quantize: QuantizeMode = "auto"
    task: Task = "auto"
    optimize: OptimizeConfig = OptimizeConfig()
    dynamic: DynamicInt8Config = DynamicInt8Config()
    static: StaticInt8Config = StaticInt8Config()
    fp16: Fp16Config = Fp16Config()
    budget: Budget = Budget()
    measure: MeasureConfig = MeasureConfig()
    bundle: BundleConfig = BundleConfig()
    report: bool = True


#: Named presets for common targets, in the manner of Olive and Optimum.
PRESETS: dict[str, dict[str, object]] = {
    "cpu-latency": {"target": "cpu", "quantize": "auto"},
    "cpu-exact": {"target": "cpu", "quantize": "none"},
    "gpu": {"target": "gpu", "quantize": "auto"},
    "gpu-fp16": {"target": "gpu", "quantize": "fp16"},
}
