"""The whole pipeline through the Python API and the CLI function: choice, validation, refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model_packaging import cli_package, manifest
from model_packaging.api import PackageResult, package
from model_packaging.errors import BudgetExceededError, EvalDataError, InputFileError, ShapeMismatchError

from .conftest import FAST, Saved


def _row(result: PackageResult, name: str) -> dict:
    return next(r for r in result.manifest.quantization["candidates"] if r["name"] == name)


def _assert_never_slower(result: PackageResult, batch: int = 32) -> None:
    rows = result.manifest.quantization["candidates"]
    fp32 = next(r for r in rows if r["name"] == "fp32")
    chosen = next(r for r in rows if r["chosen"])
    assert chosen["latency_ms"][str(batch)]["p50"] <= fp32["latency_ms"][str(batch)]["p50"]


def test_random_forest_is_fp32_not_quantizable(rf: Saved, tmp_path: Path) -> None:
    result = package(rf.path, "sklearn", rf.sample, (rf.x_eval, rf.y_eval), out=tmp_path, measure=FAST,
                     progress=False)  # fmt: skip
    q = result.manifest.quantization
    assert result.chosen == "fp32" and q["mode"] == "none"
    assert q["reason"].startswith("not quantizable: ") and "TreeEnsembleClassifier" in q["reason"]
    assert [r["name"] for r in q["candidates"]] == ["fp32"]
    assert _row(result, "fp32")["figures"]["accuracy"] == pytest.approx(rf.model.score(rf.x_eval, rf.y_eval))
    assert manifest.verify_dir(tmp_path) == []


def test_mlp_auto_picks_int8_never_slower_than_fp32(mlp: Saved, tmp_path: Path) -> None:
    result = package(mlp.path, "pytorch", mlp.sample, (mlp.x_eval, mlp.y_eval), out=tmp_path, measure=FAST,
                     progress=False)  # fmt: skip
    names = [r["name"] for r in result.manifest.quantization["candidates"]]
    assert names[0] == "fp32" and "int8-dynamic-pc" in names and "int8-static-qdq" in names
    _assert_never_slower(result)
    chosen = next(r for r in result.manifest.quantization["candidates"] if r["chosen"])
    assert chosen["within_budget"]
    f = chosen["figures"]
    assert 100 * (f["reference_accuracy"] - f["accuracy"]) <= 1.0
    if result.chosen != "fp32":
        assert chosen["size_ratio"] <= 0.27
    assert result.manifest.measurements["validation"]["figures"]["accuracy"] == pytest.approx(f["accuracy"])


@pytest.mark.slow
def test_cnn_auto_uses_static_qdq_never_dynamic(cnn: Saved, tmp_path: Path) -> None:
    result = package(cnn.path, "pytorch", cnn.sample, (cnn.x_eval, cnn.y_eval), out=tmp_path, measure=FAST,
                     progress=False)  # fmt: skip
    names = [r["name"] for r in result.manifest.quantization["candidates"]]
    assert names == ["fp32", "int8-static-qdq", "int8-static-qdq-pc"]
    assert result.manifest.quantization["graph_kind"] == "conv"
    _assert_never_slower(result)


def test_auto_keeps_fp32_when_no_variant_is_faster(
    mlp: Saved, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from model_packaging import measure as m

    real = m.measure_latency

    def slow_quantized(paths, feeds, config, **kw):  # noqa: ANN001, ANN003, ANN202
        res = real(paths, feeds, config, **kw)
        for name, per in res.items():
            if name != "fp32":
                for b, s in per.items():
                    per[b] = m.LatencyStats(s.p50_ms * 100, s.p99_ms * 100, s.calls)
        return res

    monkeypatch.setattr(m, "measure_latency", slow_quantized)
    result = package(mlp.path, "pytorch", mlp.sample, (mlp.x_eval, mlp.y_eval), out=tmp_path, measure=FAST,
                     progress=False)  # fmt: skip
    assert result.chosen == "fp32" and "not faster" in result.reason


def test_gpu_target_builds_fp16_with_fp32_io(mlp: Saved, tmp_path: Path) -> None:
    result = package(mlp.path, "pytorch", mlp.sample, (mlp.x_eval, mlp.y_eval), target="gpu", out=tmp_path,
                     measure=FAST, progress=False)  # fmt: skip
    assert [r["name"] for r in result.manifest.quantization["candidates"]] == ["fp32", "fp16"]
    assert result.chosen == "fp16" and result.manifest.triton.instance_kind == "KIND_GPU"
    assert [t.dtype for t in result.manifest.signature.inputs] == ["float32"]
    assert "KIND_GPU" in (tmp_path / "triton" / result.manifest.name / "config.pbtxt").read_text()


def test_explicit_int8_dynamic_without_labels_uses_agreement(mlp: Saved, tmp_path: Path) -> None:
    result = package(mlp.path, "pytorch", mlp.sample, mlp.x_eval, quantize="int8-dynamic", out=tmp_path,
                     name="digits-mlp", measure=FAST, progress=False)  # fmt: skip
    assert result.chosen == "int8-dynamic-pc" and result.manifest.name == "digits-mlp"
    figs = _row(result, "int8-dynamic-pc")["figures"]
    assert "accuracy" not in figs and figs["agreement"] >= 0.98


def test_regressor_within_tolerance(ridge: Saved, tmp_path: Path) -> None:
    result = package(ridge.path, "sklearn", ridge.sample, ridge.x_eval, out=tmp_path, measure=FAST,
                     progress=False)  # fmt: skip
    assert result.task == "regression" and result.chosen == "fp32"


def test_fails_budget_exceeded_with_figures(mlp: Saved, tmp_path: Path) -> None:
    # a regression-style budget of zero difference: int8 cannot meet it, and the refusal says by how much
    with pytest.raises(BudgetExceededError, match=r"refusing int8-dynamic-pc.*max abs diff") as err:
        package(mlp.path, "pytorch", mlp.sample, mlp.x_eval, quantize="int8-dynamic", task="regression",
                budget={"regression_atol": 0.0, "regression_rtol": 1e-6}, out=tmp_path, measure=FAST,
                progress=False)  # fmt: skip
    assert err.value.figures["max_abs_diff"] > 0
    assert not (tmp_path / "manifest.json").exists()


def test_fails_eval_labels_length_mismatch(rf: Saved, tmp_path: Path) -> None:
    with pytest.raises(EvalDataError, match=r"169 rows but labels have 10"):
        package(rf.path, "sklearn", rf.sample, (rf.x_eval, rf.y_eval[:10]), out=tmp_path, progress=False)


def test_fails_eval_shape_mismatch(rf: Saved, tmp_path: Path) -> None:
    with pytest.raises(ShapeMismatchError, match="eval data"):
        package(rf.path, "sklearn", rf.sample, rf.x_eval[:, :5], out=tmp_path, progress=False)


def test_fails_missing_sample_file(rf: Saved, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="sample file not found"):
        package(rf.path, "sklearn", tmp_path / "nope.npy", out=tmp_path / "out", progress=False)


def _npy(tmp_path: Path, name: str, arr: np.ndarray) -> str:
    path = tmp_path / name
    np.save(path, arr)
    return str(path)


def test_cli_package_success_returns_0(logreg: Saved, tmp_path: Path) -> None:
    sample = _npy(tmp_path, "x.npy", logreg.sample)
    ev = [_npy(tmp_path, "xe.npy", logreg.x_eval), _npy(tmp_path, "ye.npy", logreg.y_eval)]
    out = tmp_path / "dist"
    assert cli_package(str(logreg.path), "sklearn", sample, ev, out=str(out), progress=False) == 0
    m = manifest.load(out)
    assert m.name == "logreg" and m.framework == "sklearn" and manifest.verify_dir(out) == []


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing-model", "model file not found"),
        ("unknown-framework", "known frameworks are onnx, pytorch, sklearn"),
        ("bad-model", "cannot load"),
        ("wrong-shape", "fitted on 4 features"),
        ("labels-length", "rows but labels have"),
        ("bad-quantize", "quantize"),
    ],
)
def test_fails_cli_package_exits_2(
    logreg: Saved, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, message: str
) -> None:
    sample = _npy(tmp_path, "x.npy", logreg.sample)
    model, framework, ev, kw = str(logreg.path), "sklearn", None, {}
    if case == "missing-model":
        model = str(tmp_path / "missing.pkl")
    elif case == "unknown-framework":
        framework = "keras"
    elif case == "bad-model":
        model = str(tmp_path / "bad.pkl")
        Path(model).write_bytes(b"\x00garbage")
    elif case == "wrong-shape":
        sample = _npy(tmp_path, "x3.npy", logreg.sample[:, :3])
    elif case == "labels-length":
        ev = [_npy(tmp_path, "xe.npy", logreg.x_eval), _npy(tmp_path, "ye.npy", logreg.y_eval[:3])]
    elif case == "bad-quantize":
        kw = {"quantize": "int4"}
    rc = cli_package(model, framework, sample, ev, out=str(tmp_path / "dist"), progress=False, **kw)
    assert rc == 2
    assert message in capsys.readouterr().err.replace("\n", "")


@pytest.mark.slow
def test_large_models_use_external_data(mlp: Saved, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Graphs over the threshold (2 GB in production, lowered here) ship as model.onnx + model.onnx.data."""
    import tarfile

    from model_packaging import converters

    monkeypatch.setattr(converters, "EXTERNAL_DATA_THRESHOLD", 100_000)
    result = package(mlp.path, "pytorch", mlp.sample, (mlp.x_eval, mlp.y_eval), out=tmp_path, measure=FAST,
                     progress=False)  # fmt: skip
    files = result.manifest.files
    name = result.manifest.name
    assert f"triton/{name}/1/model.onnx.data" in files and f"triton/{name}/1/model.onnx" in files
    assert files[f"triton/{name}/1/model.onnx"].size < 100_000
    with tarfile.open(tmp_path / "model.tar.gz") as tar:
        assert f"{name}/1/model.onnx.data" in tar.getnames()
    assert manifest.verify_dir(tmp_path) == []
    for cand in result.manifest.quantization["candidates"]:
        assert cand["error"] is None, cand
    import onnxruntime as ort

    sess = ort.InferenceSession(str(result.model_path), providers=["CPUExecutionProvider"])
    assert sess.run(None, {"input": mlp.x_eval[:4]})[0].shape == (4, 10)


def test_classifier_without_predict_proba(rf: Saved, tmp_path: Path) -> None:
    """A binary LinearSVC: ONNX scores are laid out differently from decision_function; labels still compare."""
    import pickle

    from sklearn.svm import LinearSVC

    # (a Pipeline ending in LinearSVC does not convert in skl2onnx 1.20 at all: the bare estimator does)
    model = LinearSVC(random_state=0).fit(rf.x_eval / rf.x_eval.max(0), rf.y_eval)
    path = tmp_path / "svc.pkl"
    path.write_bytes(pickle.dumps(model))
    x = rf.x_eval / rf.x_eval.max(0)
    result = package(path, "sklearn", x[:8], (x, rf.y_eval), out=tmp_path / "d", measure=FAST,
                     progress=False)  # fmt: skip
    figs = result.manifest.quantization["candidates"][0]["figures"]
    assert result.task == "classification" and figs["agreement"] == 1.0


def test_preset_sets_target_and_mode(logreg: Saved, tmp_path: Path) -> None:
    result = package(logreg.path, "sklearn", logreg.sample, out=tmp_path, preset="cpu-exact", measure=FAST,
                     progress=False)  # fmt: skip
    assert result.manifest.quantization["requested"] == "none"


def test_fails_unknown_preset(logreg: Saved, tmp_path: Path) -> None:
    from model_packaging.errors import PackagingError

    with pytest.raises(PackagingError, match="known presets are cpu-exact, cpu-latency, gpu, gpu-fp16"):
        package(logreg.path, "sklearn", logreg.sample, out=tmp_path, preset="tpu", progress=False)
