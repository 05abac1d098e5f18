"""Converters from a framework's saved model to a checked ONNX graph, registered by framework name.

A converter loads the user's model, converts it to ONNX in a working directory and returns a
:class:`ConvertedModel`: the ONNX file, the original model as a Python function (the reference every variant is
validated against), and how to read the ONNX outputs (which one holds scores, which one labels).

Register a new framework with::

    @register("myframework")
    def convert_myframework(model_path: Path, sample: np.ndarray | dict[str, np.ndarray], workdir: Path)
        -> ConvertedModel: ...

Every produced graph goes through :func:`check_onnx`: ``onnx.checker.check_model(full_check=True)`` and a load
in ONNX Runtime. Heavy imports (skl2onnx, torch, onnxruntime) stay inside the functions.

Security: scikit-learn pickles and full PyTorch pickles execute code when loaded. Package only models you trust.
"""

from __future__ import annotations

import contextlib
import pickle
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import ONNX_ML_OPSET, ONNX_OPSET
from .errors import ModelLoadError, PackagingError, ShapeMismatchError, UnknownFrameworkError

#: Above this size a graph is saved with ONNX external data (protobuf's hard limit is 2 GiB).
EXTERNAL_DATA_THRESHOLD = 2 * 1024**3 - 64 * 1024**2
MODEL_FILE = "model.onnx"
EXTERNAL_DATA_FILE = "model.onnx.data"

Feeds = dict[str, np.ndarray]


def needs_external_data(nbytes: int) -> bool:
    """Whether a graph of ``nbytes`` must be saved with external data (reads the module threshold at call time,
    so tests can lower it)."""
    return nbytes > EXTERNAL_DATA_THRESHOLD


@dataclass(frozen=True)
class Outputs:
    """What a model (original or ONNX variant) returns for a batch, in comparable form.

    ``scores``: float array, one row per input row (probabilities, logits, embeddings or regression values).
    ``labels``: predicted class labels, when the model predicts classes (scikit-learn classifiers), else None.
    """

    scores: np.ndarray
    labels: np.ndarray | None = None


@dataclass
class ConvertedModel:
    """A converted, checked ONNX graph and its original.

    ``reference`` runs the ORIGINAL model (sklearn predict/predict_proba, torch forward, or the input ONNX graph);
    ``adapter`` turns ONNX Runtime's output list into :class:`Outputs`; ``task_hint`` is what the framework knows
    about the task (``"classification"``, ``"regression"`` or None).
    """

    path: Path
    framework: str
    reference: Callable[[Feeds], Outputs]
    adapter: Callable[[list[np.ndarray]], Outputs]
    input_names: list[str]
    task_hint: str | None = None
    info: dict[str, Any] = field(default_factory=dict)


Converter = Callable[[Path, "np.ndarray | Mapping[str, np.ndarray]", Path], ConvertedModel]
CONVERTERS: dict[str, Converter] = {}


def register(name: str) -> Callable[[Converter], Converter]:
    """Register a converter under a framework name (lowercase). Re-registering a name replaces it."""

    def deco(fn: Converter) -> Converter:
        CONVERTERS[name.lower()] = fn
        return fn

    return deco


def get_converter(framework: str) -> Converter:
    """The converter for ``framework``; an :class:`UnknownFrameworkError` lists the known names otherwise."""
    try:
        return CONVERTERS[framework.lower()]
    except KeyError:
        known = ", ".join(sorted(CONVERTERS))
        raise UnknownFrameworkError(
            f"unknown framework {framework!r}: known frameworks are {known}; pass --framework with one of them"
        ) from None


def convert(framework: str, model_path: str | Path, sample: Any, workdir: str | Path) -> ConvertedModel:
    """Convert ``model_path`` with the converter registered for ``framework`` into ``workdir/model.onnx``."""
    converter = get_converter(framework)
    model_path = Path(model_path)
    if not model_path.exists():
        from .errors import InputFileError

        raise InputFileError(f"model file not found: {model_path}")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    return converter(model_path, sample, workdir)


# --------------------------------------------------------------------------------------------------- helpers


def single_array(sample: Any, framework: str) -> np.ndarray:
    """The one input array of a single-input model (a dict with one entry is accepted)."""
    if isinstance(sample, Mapping):
        if len(sample) != 1:
            raise ShapeMismatchError(
                f"{framework} models take one input array; the sample has {len(sample)}: {sorted(sample)}"
            )
        sample = next(iter(sample.values()))
    arr = np.asarray(sample)
    if arr.ndim < 1 or arr.shape[0] < 1:
        raise ShapeMismatchError(f"the sample must have at least one row; got shape {arr.shape}")
    return arr


def save_onnx(model: Any, path: Path) -> Path:
    """Save an ``onnx.ModelProto``, with external data (``model.onnx.data``) when it exceeds 2 GB."""
    import onnx

    data = path.with_name(path.name + ".data")
    data.unlink(missing_ok=True)
    if needs_external_data(model.ByteSize()):
        onnx.save_model(
            model,
            str(path),
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location=data.name,
            size_threshold=1024,
        )
    else:
        onnx.save_model(model, str(path))
    return path


def check_onnx(path: Path) -> None:
    """``onnx.checker.check_model(full_check=True)`` and a load in ONNX Runtime; raise PackagingError on failure."""
    import onnx
    import onnxruntime as ort

    try:
        onnx.checker.check_model(str(path), full_check=True)
    except Exception as exc:  # onnx raises several checker/inference error types
        raise PackagingError(f"the ONNX graph {path.name} fails onnx.checker (full check): {exc}") from exc
    try:
        ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise PackagingError(f"the ONNX graph {path.name} does not load in ONNX Runtime: {exc}") from exc


def graph_inputs(path: Path) -> list[tuple[str, str, list[int | str]]]:
    """(name, numpy dtype name, shape) of each graph input that is not an initializer."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    out = []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        t = vi.type.tensor_type
        dtype = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(t.elem_type)).name
        shape: list[int | str] = [
            d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in t.shape.dim
        ]
        out.append((vi.name, dtype, shape))
    return out


def check_sample_fits(path: Path, feeds: Mapping[str, np.ndarray]) -> None:
    """Refuse a sample whose names, ranks or fixed dimensions do not match the graph's inputs."""
    for name, _dtype, shape in graph_inputs(path):
        if name not in feeds:
            raise ShapeMismatchError(
                f"the sample has no array for model input {name!r} (got {sorted(feeds)})"
            )
        arr = feeds[name]
        if arr.ndim != len(shape):
            raise ShapeMismatchError(
                f"sample shape {tuple(arr.shape)} does not match model input {name!r} of shape "
                f"{_fmt_shape(shape)}: rank {arr.ndim} != {len(shape)}"
            )
        for axis, (have, want) in enumerate(zip(arr.shape, shape, strict=True)):
            if isinstance(want, int) and want > 0 and have != want and axis > 0:
                raise ShapeMismatchError(
                    f"sample shape {tuple(arr.shape)} does not match model input {name!r} of shape "
                    f"{_fmt_shape(shape)} (axis {axis}: {have} != {want})"
                )


def _fmt_shape(shape: list[int | str]) -> str:
    return "[" + ", ".join(str(d) if d not in (0, "?") else "N" for d in shape) + "]"


# --------------------------------------------------------------------------------------------------- sklearn


def _load_sklearn(model_path: Path) -> Any:
    try:
        if model_path.suffix in (".joblib", ".jl"):
            import joblib

            return joblib.load(model_path)
        try:
            with open(model_path, "rb") as f:
                return pickle.load(f)
        except Exception:
            import joblib

            return joblib.load(model_path)
    except Exception as exc:
        raise ModelLoadError(
            f"cannot load {model_path} as a scikit-learn model (pickle or joblib): {type(exc).__name__}: {exc}"
        ) from exc


@register("sklearn")
def convert_sklearn(model_path: Path, sample: Any, workdir: Path) -> ConvertedModel:
    """A pickled (``.pkl``) or joblib (``.joblib``) scikit-learn estimator or pipeline, with skl2onnx.

    Target opset pinned (ai.onnx 17, ai.onnx.ml 3); classifiers convert with ``zipmap=False`` so outputs are
    tensors (``label``, ``probabilities``). The single input is ``input``, float32, shape ``[N, n_features]``.
    """
    estimator = _load_sklearn(model_path)
    if not hasattr(estimator, "predict"):
        raise ModelLoadError(f"{model_path} holds a {type(estimator).__name__}, not a scikit-learn estimator")
    x = single_array(sample, "scikit-learn")
    if x.ndim != 2:
        raise ShapeMismatchError(
            f"scikit-learn models take a 2-D sample [rows, features]; got shape {x.shape}"
        )
    n_features = getattr(estimator, "n_features_in_", None)
    if n_features is not None and x.shape[1] != n_features:
        raise ShapeMismatchError(
            f"sample shape {x.shape} does not match the model: it was fitted on {n_features} features, "
            f"the sample has {x.shape[1]}"
        )
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.base import is_classifier

    classifier = bool(is_classifier(estimator))

    def _convert(est: Any, options: dict[str, Any] | None) -> Any:
        return to_onnx(
            est,
            initial_types=[("input", FloatTensorType([None, x.shape[1]]))],
            options=options,
            target_opset={"": ONNX_OPSET, "ai.onnx.ml": ONNX_ML_OPSET},
        )

    try:
        try:
            onx = _convert(estimator, {"zipmap": False} if classifier else None)
        except NameError as exc:  # classifiers without probabilities (LinearSVC) have no ZipMap to disable
            if "zipmap" not in str(exc):
                raise
            onx = _convert(estimator, None)
    except Exception as exc:
        raise ModelLoadError(f"skl2onnx cannot convert {type(estimator).__name__}: {exc}") from exc
    _dedupe_opsets(onx)
    path = save_onnx(onx, workdir / MODEL_FILE)
    check_onnx(path)

    use_proba = classifier and hasattr(estimator, "predict_proba")

    def reference(feeds: Feeds) -> Outputs:
        xin = feeds["input"]
        if classifier:
            labels = np.asarray(estimator.predict(xin))
            scores = estimator.predict_proba(xin) if use_proba else estimator.decision_function(xin)
            return Outputs(scores=np.asarray(scores, dtype=np.float64), labels=labels)
        return Outputs(scores=np.asarray(estimator.predict(xin), dtype=np.float64).reshape(len(xin), -1))

    def adapter(outs: list[np.ndarray]) -> Outputs:
        if classifier:
            return Outputs(scores=np.asarray(outs[1], dtype=np.float64), labels=np.asarray(outs[0]))
        return Outputs(scores=np.asarray(outs[0], dtype=np.float64).reshape(len(outs[0]), -1))

    info = {"estimator": type(estimator).__name__, "n_features": int(x.shape[1])}
    if classifier:
        info["classes"] = [c.item() if hasattr(c, "item") else c for c in estimator.classes_]
    return ConvertedModel(
        path=path,
        framework="sklearn",
        reference=reference,
        adapter=adapter,
        input_names=["input"],
        task_hint="classification" if classifier else "regression",
        info=info,
    )


def _dedupe_opsets(model: Any) -> None:
    """skl2onnx may list a domain twice in ``opset_import``; keep one entry per domain (the highest)."""
    best: dict[str, int] = {}
    for op in model.opset_import:
        best[op.domain] = max(best.get(op.domain, 0), op.version)
    if len(best) != len(model.opset_import):
        del model.opset_import[:]
        for domain in sorted(best):
            entry = model.opset_import.add()
            entry.domain, entry.version = domain, best[domain]


# --------------------------------------------------------------------------------------------------- pytorch


def _load_torch(model_path: Path) -> Any:
    import torch

    errors = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore", DeprecationWarning
            )  # torch.jit.load is deprecated in favour of export
            return torch.jit.load(str(model_path), map_location="cpu")
    except Exception as exc:
        errors.append(f"torch.jit.load: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    try:
        obj = torch.load(str(model_path), map_location="cpu", weights_only=False)
    except Exception as exc:
        errors.append(f"torch.load: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        raise ModelLoadError(f"cannot load {model_path} as a PyTorch model; " + "; ".join(errors)) from exc
    if not isinstance(obj, torch.nn.Module):
        raise ModelLoadError(
            f"{model_path} holds a {type(obj).__name__}, not a model: save a TorchScript module "
            "(torch.jit.save) or a full nn.Module (torch.save(model)), not a state_dict"
        )
    return obj


@register("pytorch")
def convert_pytorch(model_path: Path, sample: Any, workdir: Path) -> ConvertedModel:
    """A TorchScript file (``torch.jit.save``) or a full pickled ``nn.Module`` (``torch.save(model)``).

    Exported with the legacy TorchScript exporter (``dynamo=False``: ~0.07 s against ~2.6 s for dynamo, same
    outputs), opset 17, a dynamic batch axis on every input and output; input ``input``, outputs ``output``
    (``output_1``... for more). Needs the ``torch`` extra (``torch==2.13.0``).
    """
    try:
        import torch
    except ImportError as exc:
        raise ModelLoadError("PyTorch models need torch: pip install 'mlinfra[torch]'") from exc
    module = _load_torch(model_path)
    module.eval()
    x = single_array(sample, "PyTorch").astype(np.float32, copy=False)
    xt = torch.from_numpy(np.ascontiguousarray(x))
    try:
        with torch.no_grad():
            out = module(xt)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ShapeMismatchError(
            f"the model's forward fails on the sample of shape {tuple(x.shape)} (dtype float32): {first}"
        ) from exc
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    if not all(isinstance(o, torch.Tensor) for o in outs):
        raise ModelLoadError("the model must return a tensor or a tuple of tensors")
    output_names = ["output"] + [f"output_{i}" for i in range(1, len(outs))]
    dynamic_axes = {"input": {0: "batch"}, **{n: {0: "batch"} for n in output_names}}
    path = workdir / MODEL_FILE
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(None):
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module,
                (xt,),
                str(path),
                input_names=["input"],
                output_names=output_names,
                dynamic_axes=dynamic_axes,
                opset_version=ONNX_OPSET,
                dynamo=False,
                do_constant_folding=True,
            )
    except Exception as exc:
        raise ModelLoadError(
            f"torch.onnx.export (legacy exporter) failed: {type(exc).__name__}: {exc}"
        ) from exc
    check_onnx(path)

    def reference(feeds: Feeds) -> Outputs:
        with torch.no_grad():
            res = module(torch.from_numpy(np.ascontiguousarray(feeds["input"], dtype=np.float32)))
        first = res[0] if isinstance(res, (tuple, list)) else res
        return Outputs(scores=first.detach().numpy().astype(np.float64))

    def adapter(outs: list[np.ndarray]) -> Outputs:
        return Outputs(scores=np.asarray(outs[0], dtype=np.float64))

    n_params = sum(int(p.numel()) for p in module.parameters())
    return ConvertedModel(
        path=path,
        framework="pytorch",
        reference=reference,
        adapter=adapter,
        input_names=["input"],
        info={"module": type(module).__name__, "parameters": n_params},
    )


def _normalise_external_data(path: Path) -> None:
    """Re-save an exported graph as ``model.onnx`` (+ one ``model.onnx.data`` when large): the exporter may have
    written one file per tensor, or inline data over the threshold."""
    import onnx

    others = [p for p in path.parent.iterdir() if p != path]
    if not others and not needs_external_data(path.stat().st_size):
        return
    model = onnx.load(str(path))  # loads any external tensors into memory
    tmp = path.parent / "normalised"
    tmp.mkdir(exist_ok=True)
    save_onnx(model, tmp / path.name)
    for p in others:
        if p.is_file():
            p.unlink()
    for p in tmp.iterdir():
        p.replace(path.parent / p.name)
    tmp.rmdir()


# ------------------------------------------------------------------------------------------------------ onnx


@register("onnx")
def convert_onnx(model_path: Path, sample: Any, workdir: Path) -> ConvertedModel:
    """An ONNX file: full check, shape inference, copy into the working dir. The original for validation is the
    input graph itself, run in ONNX Runtime."""
    import onnx
    import onnxruntime as ort

    try:
        model = onnx.load(str(model_path))
    except Exception as exc:
        raise ModelLoadError(f"cannot load {model_path} as ONNX: {type(exc).__name__}: {exc}") from exc
    try:
        large = needs_external_data(model.ByteSize())
        onnx.checker.check_model(str(model_path) if large else model, full_check=True)
        # in-memory shape inference is bounded by protobuf's 2 GB; the full check above inferred shapes anyway
        inferred = (
            model if large else onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=False)
        )
    except Exception as exc:
        raise ModelLoadError(f"{model_path} fails onnx.checker (full check): {exc}") from exc
    path = save_onnx(inferred, workdir / MODEL_FILE)
    check_onnx(path)
    names = [n for n, _d, _s in graph_inputs(path)]
    feeds = as_feeds(sample, names)
    check_sample_fits(path, feeds)
    original = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    out_types = [o.type for o in original.get_outputs()]
    score_idx = next((i for i, t in enumerate(out_types) if "float" in t or "double" in t), 0)
    label_idx = next((i for i, t in enumerate(out_types) if "int" in t or "string" in t), None)

    def adapter(outs: list[np.ndarray]) -> Outputs:
        labels = np.asarray(outs[label_idx]) if label_idx is not None and label_idx != score_idx else None
        return Outputs(scores=np.asarray(outs[score_idx], dtype=np.float64), labels=labels)

    def reference(f: Feeds) -> Outputs:
        return adapter(original.run(None, f))

    return ConvertedModel(
        path=path,
        framework="onnx",
        reference=reference,
        adapter=adapter,
        input_names=names,
        task_hint="classification" if label_idx is not None else None,
        info={"producer": f"{model.producer_name} {model.producer_version}".strip()},
    )


def as_feeds(data: Any, input_names: list[str]) -> Feeds:
    """A sample or eval set as ONNX Runtime feeds: a dict keyed by input name (a bare array feeds the first)."""
    if isinstance(data, Mapping):
        return {str(k): np.asarray(v) for k, v in data.items()}
    if len(input_names) != 1:
        raise ShapeMismatchError(
            f"the model has {len(input_names)} inputs ({', '.join(input_names)}): pass an .npz with one "
            "array per input"
        )
    return {input_names[0]: np.asarray(data)}
