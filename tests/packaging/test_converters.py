"""Converters: real conversions, outputs against the original model, and the refusals."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from model_packaging import converters
from model_packaging.errors import (
    InputFileError,
    ModelLoadError,
    PackagingError,
    ShapeMismatchError,
    UnknownFrameworkError,
)

from .conftest import Saved


def _run(path: Path, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def test_registry_lists_the_three_frameworks() -> None:
    assert {"sklearn", "pytorch", "onnx"} <= set(converters.CONVERTERS)


def test_register_adds_a_framework() -> None:
    @converters.register("Dummy")
    def _dummy(model_path: Path, sample: object, workdir: Path) -> converters.ConvertedModel:
        raise NotImplementedError

    try:
        assert converters.get_converter("dummy") is _dummy
    finally:
        converters.CONVERTERS.pop("dummy")


def test_fails_unknown_framework_lists_known(tmp_path: Path) -> None:
    with pytest.raises(UnknownFrameworkError) as err:
        converters.get_converter("tensorflow")
    assert "'tensorflow'" in str(err.value)
    for known in ("onnx", "pytorch", "sklearn"):
        assert known in str(err.value)


def test_sklearn_random_forest_matches_predict_proba(rf: Saved, tmp_path: Path) -> None:
    conv = converters.convert("sklearn", rf.path, rf.sample, tmp_path)
    label, proba = _run(conv.path, {"input": rf.x_eval})
    assert proba.dtype == np.float32 and proba.ndim == 2  # zipmap=False: a tensor, not a map
    np.testing.assert_allclose(proba, rf.model.predict_proba(rf.x_eval), atol=1e-5)
    assert np.mean(label == rf.model.predict(rf.x_eval)) >= 0.99


def test_sklearn_pipeline_joblib_matches(logreg: Saved, tmp_path: Path) -> None:
    conv = converters.convert("sklearn", logreg.path, logreg.sample, tmp_path)
    label, proba = _run(conv.path, {"input": logreg.x_eval})
    np.testing.assert_allclose(proba, logreg.model.predict_proba(logreg.x_eval), atol=1e-5)
    np.testing.assert_array_equal(label, logreg.model.predict(logreg.x_eval))
    assert conv.task_hint == "classification"


def test_sklearn_opsets_pinned_and_unique(logreg: Saved, tmp_path: Path) -> None:
    import onnx

    conv = converters.convert("sklearn", logreg.path, logreg.sample, tmp_path)
    model = onnx.load(str(conv.path))
    domains = [op.domain for op in model.opset_import]
    assert len(domains) == len(set(domains))
    assert {op.domain: op.version for op in model.opset_import}[""] == 17


def test_sklearn_regressor_matches_predict(ridge: Saved, tmp_path: Path) -> None:
    conv = converters.convert("sklearn", ridge.path, ridge.sample, tmp_path)
    (pred,) = _run(conv.path, {"input": ridge.x_eval})
    np.testing.assert_allclose(pred.ravel(), ridge.model.predict(ridge.x_eval), rtol=1e-4, atol=1e-3)
    assert conv.task_hint == "regression"


def test_pytorch_torchscript_mlp_matches_forward(mlp: Saved, tmp_path: Path) -> None:
    import onnx
    import torch

    conv = converters.convert("pytorch", mlp.path, mlp.sample, tmp_path)
    (out,) = _run(conv.path, {"input": mlp.x_eval})
    with torch.no_grad():
        ref = mlp.model(torch.from_numpy(mlp.x_eval)).numpy()  # type: ignore[operator]
    np.testing.assert_allclose(out, ref, atol=1e-4)
    dim0 = onnx.load(str(conv.path)).graph.input[0].type.tensor_type.shape.dim[0]
    assert dim0.dim_param == "batch"  # dynamic batch axis


def test_pytorch_pickled_cnn_matches_forward(cnn: Saved, tmp_path: Path) -> None:
    import torch

    conv = converters.convert("pytorch", cnn.path, cnn.sample, tmp_path)
    (out,) = _run(conv.path, {"input": cnn.x_eval[:50]})
    with torch.no_grad():
        ref = cnn.model(torch.from_numpy(cnn.x_eval[:50])).numpy()  # type: ignore[operator]
    np.testing.assert_allclose(out, ref, atol=1e-4)


def test_onnx_input_is_checked_and_its_own_reference(mlp: Saved, tmp_path: Path) -> None:
    first = converters.convert("pytorch", mlp.path, mlp.sample, tmp_path / "a")
    conv = converters.convert("onnx", first.path, mlp.sample, tmp_path / "b")
    ref = conv.reference({"input": mlp.x_eval[:10]})
    (out,) = _run(conv.path, {"input": mlp.x_eval[:10]})
    np.testing.assert_allclose(out, ref.scores, atol=1e-6)


def test_fails_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="not found"):
        converters.convert("sklearn", tmp_path / "nope.pkl", np.zeros((1, 4)), tmp_path)


def test_fails_model_does_not_load(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"not a pickle at all")
    with pytest.raises(ModelLoadError, match="cannot load"):
        converters.convert("sklearn", bad, np.zeros((1, 4)), tmp_path / "w")
    with pytest.raises(ModelLoadError, match="PyTorch"):
        converters.convert("pytorch", bad, np.zeros((1, 4)), tmp_path / "w2")
    with pytest.raises(ModelLoadError, match="ONNX"):
        converters.convert("onnx", bad, np.zeros((1, 4)), tmp_path / "w3")


def test_fails_pytorch_state_dict_is_not_a_model(mlp: Saved, tmp_path: Path) -> None:
    import torch

    path = tmp_path / "weights.pt"
    torch.save(mlp.model.state_dict(), str(path))  # type: ignore[attr-defined]
    with pytest.raises(ModelLoadError, match="not a model"):
        converters.convert("pytorch", path, mlp.sample, tmp_path / "w")


def test_fails_not_an_estimator(tmp_path: Path) -> None:
    path = tmp_path / "obj.pkl"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ModelLoadError, match="not a scikit-learn estimator"):
        converters.convert("sklearn", path, np.zeros((1, 4)), tmp_path / "w")


def test_fails_wrong_sample_shape_sklearn(rf: Saved, tmp_path: Path) -> None:
    with pytest.raises(ShapeMismatchError, match=r"fitted on 30 features.*has 7"):
        converters.convert("sklearn", rf.path, np.zeros((2, 7), np.float32), tmp_path)


def test_fails_wrong_sample_shape_pytorch(mlp: Saved, tmp_path: Path) -> None:
    with pytest.raises(ShapeMismatchError, match=r"sample of shape \(2, 10\)"):
        converters.convert("pytorch", mlp.path, np.zeros((2, 10), np.float32), tmp_path)


def test_fails_wrong_sample_shape_onnx(mlp: Saved, tmp_path: Path) -> None:
    first = converters.convert("pytorch", mlp.path, mlp.sample, tmp_path / "a")
    with pytest.raises(ShapeMismatchError, match=r"axis 1: 10 != 64"):
        converters.convert("onnx", first.path, np.zeros((2, 10), np.float32), tmp_path / "b")


def test_fails_invalid_onnx_graph_is_refused(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    # a node that consumes a tensor nobody produces: the full checker refuses it
    node = helper.make_node("Relu", ["missing"], ["y"])
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])],
    )  # fmt: skip
    path = tmp_path / "bad.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    with pytest.raises(PackagingError, match="onnx.checker"):
        converters.convert("onnx", path, np.zeros((1, 2), np.float32), tmp_path / "w")
