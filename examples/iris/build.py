"""Build the sample model: a scikit-learn classifier on iris, packaged into ``examples/iris/dist``.

Deterministic (fixed split and ``random_state``), so rebuilding gives the same ONNX bytes, the same archive
and the same digest as the committed ``dist``. Run: ``python examples/iris/build.py [--out DIR]``.

The dev stack (``Pulumi.dev.yaml``) serves ``examples/iris/dist``. The classifier is a scaler + logistic
regression pipeline: skl2onnx converts it to ai.onnx.ml operators, which are not quantizable, so ``--quantize
auto`` keeps fp32 and says why.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NAME = "iris"


def train() -> tuple[object, np.ndarray, np.ndarray, np.ndarray]:
    """The fitted pipeline, an 8-row sample, and eval inputs and labels (float32, fixed split)."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = load_iris(return_X_y=True)
    x = x.astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=0))
    model.fit(x_train, y_train)
    return model, x_test[:8], x_test, y_test


def build(out: Path = HERE / "dist", progress: bool = True) -> object:
    """Train and package into ``out``; return the ``PackageResult``."""
    from model_packaging.api import package

    model, sample, x_eval, y_eval = train()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "iris.pkl"
        path.write_bytes(pickle.dumps(model))
        return package(
            path,
            "sklearn",
            sample,
            (x_eval, y_eval),
            target="cpu",
            quantize="auto",
            out=out,
            name=NAME,
            batch_size=32,
            measure={"repeats": 3, "iterations": 20},
            progress=progress,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "dist")
    args = parser.parse_args()
    result = build(args.out)
    print(f"{result.out}: {result.chosen} sha256-{result.digest}")  # type: ignore[attr-defined]
