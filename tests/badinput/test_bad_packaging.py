"""Deliberately wrong packaging inputs and damaged packages through the real command line (``mlinfra package``,
``mlinfra publish``, ``mlinfra plan``): each ends in exit 2 with a clear message, nothing is produced or sent."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from mlinfra.cli import app
from tests.badinput.conftest import ROOT

DIST = ROOT / "examples" / "iris" / "dist"
ONNX = DIST / "triton" / "iris" / "1" / "model.onnx"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, " ".join(
        (result.output + (result.stderr if result.stderr_bytes is not None else "")).split()
    )


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    np.save(tmp_path / "good.npy", np.random.default_rng(0).random((8, 4), dtype=np.float32))
    np.save(tmp_path / "three_features.npy", np.random.default_rng(0).random((8, 3), dtype=np.float32))
    np.save(tmp_path / "labels_short.npy", np.zeros(3, dtype=np.int64))
    (tmp_path / "not_an_array.npy").write_text("this is not numpy")
    data = ONNX.read_bytes()
    (tmp_path / "truncated.onnx").write_bytes(data[: len(data) // 3])
    shutil.copy(ONNX, tmp_path / "model.onnx")
    return tmp_path


def _nothing_produced(out: Path) -> None:
    assert not (out / "manifest.json").exists()


@pytest.mark.parametrize(
    ("case", "args", "needles"),
    [
        (
            "sample-of-the-wrong-shape",
            ["model.onnx", "--framework", "onnx", "--sample", "three_features.npy"],
            ["sample shape (8, 3)", "shape [N, 4]"],
        ),
        (
            "truncated-model-onnx",
            ["truncated.onnx", "--framework", "onnx", "--sample", "good.npy"],
            ["truncated.onnx"],
        ),
        (
            "model-file-missing",
            ["missing.onnx", "--framework", "onnx", "--sample", "good.npy"],
            ["missing.onnx"],
        ),
        (
            "sample-not-an-npy",
            ["model.onnx", "--framework", "onnx", "--sample", "not_an_array.npy"],
            ["not_an_array.npy"],
        ),
        (
            "eval-labels-wrong-length",
            [
                "model.onnx",
                "--framework",
                "onnx",
                "--sample",
                "good.npy",
                "--eval",
                "good.npy",
                "labels_short.npy",
            ],
            ["8 rows", "labels have 3"],
        ),
        (
            "onnx-file-for-sklearn",
            ["model.onnx", "--framework", "sklearn", "--sample", "good.npy"],
            ["model.onnx"],
        ),
    ],
)
def test_bad_package_input(inputs: Path, case: str, args: list[str], needles: list[str], monkeypatch) -> None:
    monkeypatch.chdir(inputs)
    out = inputs / f"out-{case}"
    code, text = invoke("package", *args, "--out", str(out))
    assert code == 2, text[:2000]
    assert "Traceback" not in text
    for n in needles:
        assert n in text, f"{n!r} not in {text[:2000]}"
    _nothing_produced(out)


def _damaged_copy(tmp_path: Path, how: str) -> Path:
    pkg = tmp_path / "pkg"
    shutil.copytree(DIST, pkg)
    if how == "hash":
        manifest = json.loads((pkg / "manifest.json").read_text())
        rel = next(iter(manifest["files"]))
        manifest["files"][rel]["sha256"] = "0" * 64
        (pkg / "manifest.json").write_text(json.dumps(manifest))
    elif how == "truncated-onnx":
        onnx = pkg / "triton" / "iris" / "1" / "model.onnx"
        onnx.write_bytes(onnx.read_bytes()[:100])
    elif how == "flipped-archive":
        archive = pkg / "model.tar.gz"
        data = bytearray(archive.read_bytes())
        data[len(data) // 2] ^= 0xFF
        archive.write_bytes(bytes(data))
    return pkg


@pytest.mark.parametrize("how", ["hash", "truncated-onnx", "flipped-archive"])
def test_damaged_package_is_not_published(tmp_path: Path, how: str) -> None:
    pkg = _damaged_copy(tmp_path, how)
    store = tmp_path / "store"
    store.mkdir()
    code, text = invoke("publish", str(pkg), "--store", f"file://{store}")
    assert code == 2, text[:2000]
    assert "Traceback" not in text
    assert list(store.rglob("*")) == []  # nothing uploaded


@pytest.mark.parametrize("how", ["hash", "truncated-onnx", "flipped-archive"])
def test_damaged_package_is_not_declared(tmp_path: Path, how: str) -> None:
    pkg = _damaged_copy(tmp_path, how)
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    config["config"]["mlinfra:endpoints"]["iris"]["model"] = str(pkg)
    (tmp_path / "Pulumi.damaged.yaml").write_text(yaml.safe_dump(config))
    out = tmp_path / "plan.json"
    code, text = invoke("plan", "--stack", "damaged", "--project-dir", str(tmp_path), "--out", str(out))
    assert code == 2, text[:2000]
    assert "mlinfra:endpoints.iris.model" in text and "does not match its manifest" in text
    assert not out.exists()
