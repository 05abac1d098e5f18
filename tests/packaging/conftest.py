"""Small models trained in the test session (seconds), saved the way users save them."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

#: Few, short measurement rounds: the tests check the logic, benchmarks/packaging.py measures.
FAST = {"repeats": 3, "iterations": 10, "warmup": 2}


@dataclass
class Saved:
    """A model file and its data."""

    path: Path
    sample: np.ndarray
    x_eval: np.ndarray
    y_eval: np.ndarray
    model: object


@pytest.fixture(scope="session")
def digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x / 16.0).astype(np.float32), y


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def rf(store: Path) -> Saved:
    """A random forest on breast cancer (tree ensemble: ai.onnx.ml, not quantizable)."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier

    x, y = load_breast_cancer(return_X_y=True)
    x = x.astype(np.float32)
    model = RandomForestClassifier(n_estimators=20, max_depth=6, random_state=0).fit(x[:400], y[:400])
    path = store / "rf.pkl"
    path.write_bytes(pickle.dumps(model))
    return Saved(path, x[:8], x[400:], y[400:], model)


@pytest.fixture(scope="session")
def logreg(store: Path) -> Saved:
    """A scaler + logistic regression pipeline on iris, saved with joblib."""
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = load_iris(return_X_y=True)
    x = x.astype(np.float32)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x[::2], y[::2])
    path = store / "logreg.joblib"
    joblib.dump(model, path)
    return Saved(path, x[:5], x[1::2], y[1::2], model)


@pytest.fixture(scope="session")
def ridge(store: Path) -> Saved:
    """A regressor (diabetes)."""
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    x, y = load_diabetes(return_X_y=True)
    x = x.astype(np.float32)
    model = Ridge().fit(x[:300], y[:300])
    path = store / "ridge.pkl"
    path.write_bytes(pickle.dumps(model))
    return Saved(path, x[:4], x[300:], y[300:], model)


def _train(model: object, x: np.ndarray, y: np.ndarray, epochs: int, lr: float = 2e-3) -> None:
    import torch

    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr)  # type: ignore[attr-defined]
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(epochs):
        for i in range(0, len(xt), 128):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xt[i : i + 128]), yt[i : i + 128])  # type: ignore[operator]
            loss.backward()
            opt.step()
    model.eval()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def mlp(store: Path, digits: tuple[np.ndarray, np.ndarray]) -> Saved:
    """A PyTorch MLP on digits (64 -> 512 -> 512 -> 10), TorchScript (torch.jit.save)."""
    import torch
    from torch import nn

    x, y = digits
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    _train(model, x[:1400], y[:1400], epochs=8)
    path = store / "mlp.pt"
    torch.jit.save(torch.jit.trace(model, torch.from_numpy(x[:1])), str(path))
    return Saved(path, x[:8], x[1400:], y[1400:], model)


class SmallCNN:  # built lazily so that importing this module does not import torch
    @staticmethod
    def build() -> object:
        from torch import nn

        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(32 * 4 * 4, 10),
        )  # fmt: skip


@pytest.fixture(scope="session")
def cnn(store: Path, digits: tuple[np.ndarray, np.ndarray]) -> Saved:
    """A small CNN on 8x8 digit images, saved as a full pickled nn.Module (torch.save(model))."""
    import torch

    x, y = digits
    images = x.reshape(-1, 1, 8, 8)
    torch.manual_seed(0)
    model = SmallCNN.build()
    _train(model, images[:1400], y[:1400], epochs=6)
    path = store / "cnn.pth"
    torch.save(model, str(path))
    return Saved(path, images[:8], images[1400:], y[1400:], model)
