"""The packaged directory: Triton config against Triton's schema, SageMaker archive, manifest, iris sample."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from model_packaging import bundle, converters, manifest, triton
from model_packaging.api import package
from model_packaging.errors import PackagingError

from .conftest import FAST, Saved

ROOT = Path(__file__).resolve().parents[2]
IRIS = ROOT / "examples" / "iris"


@pytest.fixture(scope="module")
def rf_dist(rf: Saved, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rf") / "dist"
    package(rf.path, "sklearn", rf.sample, (rf.x_eval, rf.y_eval), out=out, name="rf", measure=FAST,
            progress=False)  # fmt: skip
    return out


def test_layout_and_manifest(rf_dist: Path) -> None:
    m = manifest.load(rf_dist)
    assert sorted(m.files) == ["model.tar.gz", "triton/rf/1/model.onnx", "triton/rf/config.pbtxt"]
    assert (
        "report.md" not in m.files
        and (rf_dist / "report.md").is_file()
        and (rf_dist / "report.png").is_file()
    )
    assert m.digest == manifest.digest_of(m.files) and manifest.verify_dir(rf_dist) == []
    assert m.triton.model_name == "rf" and m.triton.repository == "triton" and m.triton.max_batch_size == 32
    assert m.onnx["ir_version"] >= 8 and m.onnx["opset"]["ai.onnx"] == 17 and "ai.onnx.ml" in m.onnx["opset"]
    assert (
        m.tools["onnxruntime"] and m.tools["skl2onnx"] and m.runtime["onnxruntime"] == m.tools["onnxruntime"]
    )
    assert isinstance(m.runtime["cpu_flags"], list)
    assert [t.name for t in m.signature.inputs] == ["input"]
    assert [t.name for t in m.signature.outputs] == ["label", "probabilities"]
    assert "| fp32 |" in (rf_dist / "report.md").read_text()
    assert (rf_dist / "report.png").read_bytes()[:4] == b"\x89PNG"


def test_config_pbtxt_parses_with_triton_schema_and_matches_graph(rf_dist: Path) -> None:
    text = (rf_dist / "triton/rf/config.pbtxt").read_text()
    cfg = triton.parse_config(text)
    assert type(cfg).DESCRIPTOR.full_name == "inference.ModelConfig"
    assert cfg.platform == "onnxruntime_onnx" and cfg.max_batch_size == 32 and cfg.name == "rf"
    assert cfg.HasField("dynamic_batching") and len(cfg.instance_group) == 1
    kind = cfg.instance_group[0].DESCRIPTOR.fields_by_name["kind"].enum_type.values_by_number
    assert kind[cfg.instance_group[0].kind].name == "KIND_CPU"
    dtype = cfg.input[0].DESCRIPTOR.fields_by_name["data_type"].enum_type.values_by_number
    assert [(i.name, dtype[i.data_type].name, list(i.dims)) for i in cfg.input] == [
        ("input", "TYPE_FP32", [30])
    ]
    assert [(o.name, dtype[o.data_type].name, list(o.dims)) for o in cfg.output] == [
        ("label", "TYPE_INT64", [1]),
        ("probabilities", "TYPE_FP32", [2]),
    ]
    assert cfg.output[0].HasField("reshape")  # [batch] labels: dims [1] reshaped to []
    triton.check_config_matches(cfg, rf_dist / "triton/rf/1/model.onnx")


def test_fails_config_pbtxt_with_unknown_field() -> None:
    with pytest.raises(PackagingError, match="Triton's model-config schema"):
        triton.parse_config('name: "x"\nplatform: "onnxruntime_onnx"\nmax_batch: 4\n')


def test_openvino_accelerator_and_fixed_batch(mlp: Saved, tmp_path: Path) -> None:
    path = converters.convert("pytorch", mlp.path, mlp.sample, tmp_path).path
    text, cfg = triton.build_config("m", path, max_batch_size=8, openvino=True)
    assert cfg.optimization.execution_accelerators.cpu_execution_accelerator[0].name == "openvino"
    assert [list(i.dims) for i in cfg.input] == [[64]] and [list(o.dims) for o in cfg.output] == [[10]]
    text0, cfg0 = triton.build_config("m", path, max_batch_size=0, kind="KIND_GPU", openvino=True)
    assert cfg0.max_batch_size == 0 and [list(i.dims) for i in cfg0.input] == [[-1, 64]]
    assert "openvino" not in text0 and "dynamic_batching" not in text0


def test_archive_is_sagemaker_layout(rf_dist: Path) -> None:
    with tarfile.open(rf_dist / "model.tar.gz") as tar:
        members = tar.getmembers()
        names = [mem.name for mem in members]
        assert names == ["rf", "rf/1", "rf/1/model.onnx", "rf/config.pbtxt"]
        assert "config.pbtxt" not in names  # a top-level config.pbtxt aborts SageMaker's Triton
        assert all(mem.mtime == 0 and mem.uid == 0 and mem.gid == 0 and mem.uname == "" for mem in members)
        onnx_bytes = tar.extractfile("rf/1/model.onnx").read()  # type: ignore[union-attr]
    assert onnx_bytes == (rf_dist / "triton/rf/1/model.onnx").read_bytes()


def test_archive_is_byte_identical_twice(rf_dist: Path, tmp_path: Path) -> None:
    src = rf_dist / "triton" / "rf"
    a = bundle.reproducible_tar_gz(src, tmp_path / "a.tar.gz", "rf")
    (src / "config.pbtxt").touch()  # a new mtime must not change the bytes
    b = bundle.reproducible_tar_gz(src, tmp_path / "b.tar.gz", "rf")
    assert a.read_bytes() == b.read_bytes() == (rf_dist / "model.tar.gz").read_bytes()


def test_repackaging_gives_the_same_digest(rf: Saved, rf_dist: Path, tmp_path: Path) -> None:
    again = package(rf.path, "sklearn", rf.sample, (rf.x_eval, rf.y_eval), out=tmp_path / "d", name="rf",
                    measure=FAST, progress=False)  # fmt: skip
    assert again.digest == manifest.load(rf_dist).digest


def test_fails_out_dir_with_foreign_files(rf: Saved, tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("mine")
    with pytest.raises(PackagingError, match="not empty"):
        package(rf.path, "sklearn", rf.sample, out=tmp_path, measure=FAST, progress=False)
    assert (tmp_path / "thesis.tex").read_text() == "mine"


def test_committed_iris_dist_verifies() -> None:
    dist = IRIS / "dist"
    assert manifest.verify_dir(dist) == []
    m = manifest.load(dist)
    assert m.name == "iris" and m.target == "cpu" and m.framework == "sklearn"
    assert m.quantization["mode"] == "none" and m.quantization["reason"].startswith("not quantizable")
    triton.parse_config((dist / "triton/iris/config.pbtxt").read_text())


@pytest.mark.slow
def test_rebuilding_iris_gives_the_committed_digest(tmp_path: Path) -> None:
    sys.path.insert(0, str(IRIS))
    try:
        import build as iris_build  # examples/iris/build.py
    finally:
        sys.path.remove(str(IRIS))
    result = iris_build.build(tmp_path / "dist", progress=False)
    committed = json.loads((IRIS / "dist" / "manifest.json").read_text())
    assert result.digest == committed["digest"]
    for rel, entry in committed["files"].items():
        assert hashlib.sha256((tmp_path / "dist" / rel).read_bytes()).hexdigest() == entry["sha256"], rel


def test_importing_model_packaging_stays_light() -> None:
    code = (
        "import sys, model_packaging, model_packaging.manifest, model_packaging.config;"
        "heavy = [m for m in ('onnx', 'onnxruntime', 'skl2onnx', 'sklearn', 'torch', 'matplotlib') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_manifest_signature_of_a_dict_sample(mlp: Saved, tmp_path: Path) -> None:
    first = converters.convert("pytorch", mlp.path, mlp.sample, tmp_path / "c").path
    result = package(first, "onnx", {"input": mlp.sample}, {"input": mlp.x_eval}, out=tmp_path / "d",
                     quantize="none", measure=FAST, progress=False)  # fmt: skip
    assert result.manifest.signature.inputs[0].shape == ["batch", 64]
    assert result.manifest.framework == "onnx" and np.isclose(
        result.manifest.quantization["candidates"][0]["figures"]["max_abs_diff"], 0.0, atol=1e-5
    )
