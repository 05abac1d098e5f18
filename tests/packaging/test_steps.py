"""Graph steps: profile, optimize, dynamic/static int8, fp16; typed configs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from model_packaging import converters, steps
from model_packaging.config import (
    Budget,
    DynamicInt8Config,
    OptimizeConfig,
    PackageConfig,
    StaticInt8Config,
)
from model_packaging.errors import NotQuantizableError

from .conftest import Saved


@pytest.fixture
def mlp_onnx(mlp: Saved, tmp_path: Path) -> Path:
    return converters.convert("pytorch", mlp.path, mlp.sample, tmp_path / "mlp").path


@pytest.fixture
def cnn_onnx(cnn: Saved, tmp_path: Path) -> Path:
    return converters.convert("pytorch", cnn.path, cnn.sample, tmp_path / "cnn").path


def _out(path: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def test_configs_forbid_unknown_keys_and_are_frozen() -> None:
    with pytest.raises(ValidationError):
        StaticInt8Config(methd="Entropy")  # type: ignore[call-arg]
    cfg = DynamicInt8Config()
    with pytest.raises(ValidationError):
        cfg.per_channel = False  # type: ignore[misc]
    assert cfg.per_channel is True and "Conv" not in cfg.op_types
    with pytest.raises(ValidationError):
        PackageConfig(name="Bad Name", framework="sklearn")
    with pytest.raises(ValidationError):
        Budget(min_cosine=1.5)


def test_profile_classifies_graphs(rf: Saved, mlp_onnx: Path, cnn_onnx: Path, tmp_path: Path) -> None:
    tree = steps.profile(converters.convert("sklearn", rf.path, rf.sample, tmp_path).path)
    assert tree.kind == "ml" and not tree.quantizable
    assert "TreeEnsembleClassifier" in (tree.quantizable_reason or "")
    assert steps.profile(mlp_onnx).kind == "matmul"
    assert steps.profile(cnn_onnx).kind == "conv"


def test_tree_ensemble_is_not_quantizable_not_a_crash(rf: Saved, tmp_path: Path) -> None:
    path = converters.convert("sklearn", rf.path, rf.sample, tmp_path).path
    with pytest.raises(NotQuantizableError, match="^not quantizable: .*ai.onnx.ml"):
        steps.quantize_dynamic(path, tmp_path / "q.onnx")
    with pytest.raises(NotQuantizableError, match="^not quantizable"):
        steps.quantize_static(path, tmp_path / "q.onnx", {"input": rf.x_eval})
    with pytest.raises(NotQuantizableError, match="^not quantizable"):
        steps.to_fp16(path, tmp_path / "h.onnx")


def test_dynamic_int8_quarters_the_mlp_and_stays_close(mlp: Saved, mlp_onnx: Path, tmp_path: Path) -> None:
    q = steps.quantize_dynamic(mlp_onnx, tmp_path / "q.onnx", DynamicInt8Config())
    assert steps.model_size(q) <= 0.27 * steps.model_size(mlp_onnx)
    a, b = _out(mlp_onnx, mlp.x_eval), _out(q, mlp.x_eval)
    assert np.mean(a.argmax(1) == b.argmax(1)) >= 0.98


@pytest.mark.parametrize(
    "cfg",
    [
        StaticInt8Config(),
        StaticInt8Config(method="Entropy", per_channel=True),
        StaticInt8Config(method="Percentile", quant_format="QOperator"),
    ],
    ids=["minmax-qdq", "entropy-qdq-pc", "percentile-qoperator"],
)
def test_static_int8_on_the_cnn(cnn: Saved, cnn_onnx: Path, tmp_path: Path, cfg: StaticInt8Config) -> None:
    q = steps.quantize_static(cnn_onnx, tmp_path / "q.onnx", {"input": cnn.x_eval}, cfg)
    a, b = _out(cnn_onnx, cnn.x_eval), _out(q, cnn.x_eval)
    assert np.mean(a.argmax(1) == b.argmax(1)) >= 0.95
    assert steps.model_size(q) < 0.4 * steps.model_size(cnn_onnx)


def test_quantization_leaves_nothing_in_the_working_directory(
    mlp_onnx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    steps.quantize_dynamic(mlp_onnx, tmp_path / "q.onnx")
    assert os.listdir(cwd) == [] and Path.cwd() == cwd


def test_fp16_keeps_io_float32(mlp: Saved, mlp_onnx: Path, tmp_path: Path) -> None:
    import onnx

    h = steps.to_fp16(mlp_onnx, tmp_path / "h.onnx")
    model = onnx.load(str(h))
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert model.graph.output[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert steps.model_size(h) < 0.6 * steps.model_size(mlp_onnx)
    np.testing.assert_allclose(_out(h, mlp.x_eval), _out(mlp_onnx, mlp.x_eval), atol=0.05)


def test_optimize_levels_keep_outputs_and_prune_opsets(mlp: Saved, mlp_onnx: Path, tmp_path: Path) -> None:
    import onnx

    for level in ("disabled", "basic", "extended"):
        o = steps.optimize(mlp_onnx, tmp_path / f"{level}.onnx", OptimizeConfig(level=level))
        np.testing.assert_allclose(_out(o, mlp.x_eval), _out(mlp_onnx, mlp.x_eval), atol=1e-4)
        domains = {op.domain for op in onnx.load(str(o)).opset_import}
        assert "org.pytorch.aten" not in domains and "com.microsoft.nchwc" not in domains
