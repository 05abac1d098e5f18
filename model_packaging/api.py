"""The packaging pipeline as one call, usable from a notebook::

    from model_packaging.api import package
    result = package("model.pkl", "sklearn", sample=X[:8], eval=(X_test, y_test), out="dist")
    result.chosen, result.digest, result.out

convert -> build candidates (quantize, then optimize) -> measure against the ORIGINAL model -> choose ->
validate -> bundle (Triton repository, SageMaker archive, report) -> manifest.json last.

Errors a user can cause raise :class:`model_packaging.errors.PackagingError` subclasses with a message that
says what is wrong and how to fix it (the CLI exits 2 with it).
"""

from __future__ import annotations

import platform
import re
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .config import Budget, MeasureConfig, PackageConfig
from .errors import (
    BudgetExceededError,
    EvalDataError,
    InputFileError,
    NotQuantizableError,
    PackagingError,
    ShapeMismatchError,
)
from .manifest import ARCHIVE, TRITON_DIR, Manifest, Signature, TensorSpec, TritonInfo, digest_of

ArrayLike = Any  # np.ndarray | Mapping[str, np.ndarray] | str | Path


@dataclass
class PackageResult:
    """What :func:`package` produced: the output dir, its manifest, the candidates and the choice."""

    out: Path
    manifest: Manifest
    chosen: str
    reason: str
    task: str
    candidates: list[Any] = field(default_factory=list)
    table_markdown: str = ""

    @property
    def digest(self) -> str:
        return self.manifest.digest

    @property
    def model_path(self) -> Path:
        return self.out / TRITON_DIR / self.manifest.name / "1" / "model.onnx"

    def _repr_markdown_(self) -> str:  # notebooks
        return (
            f"**{self.manifest.name}**: chose `{self.chosen}` ({self.reason}); `sha256-{self.digest}` in "
            f"`{self.out}`\n\n{self.table_markdown}"
        )


# ------------------------------------------------------------------------------------------------------ data


def load_array(value: ArrayLike, what: str) -> np.ndarray | dict[str, np.ndarray]:
    """An array (or dict of arrays) from a value or an ``.npy`` / ``.npz`` path."""
    if isinstance(value, (str, Path)):
        p = Path(value)
        if not p.is_file():
            raise InputFileError(f"{what} file not found: {p}")
        try:
            loaded = np.load(p, allow_pickle=False)
        except Exception as exc:
            raise InputFileError(f"cannot read {what} file {p} as .npy/.npz: {exc}") from exc
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                return {k: loaded[k] for k in loaded.files}
        return loaded
    if isinstance(value, Mapping):
        return {str(k): np.asarray(v) for k, v in value.items()}
    return np.asarray(value)


def _rows(data: np.ndarray | Mapping[str, np.ndarray]) -> int:
    if isinstance(data, Mapping):
        lengths = {len(v) for v in data.values()}
        if len(lengths) != 1:
            raise ShapeMismatchError(
                f"the arrays in the .npz have different numbers of rows: {sorted(lengths)}"
            )
        return lengths.pop()
    return len(data) if data.ndim else 0


def default_name(model_path: Path) -> str:
    """A manifest-valid name from the model's file name (``My_Model.pkl`` -> ``my-model``)."""
    name = re.sub(r"[^a-z0-9-]+", "-", model_path.stem.lower()).strip("-")[:63]
    return name or "model"


# ---------------------------------------------------------------------------------------------- environment


def cpu_info() -> dict[str, Any]:
    """CPU model and the instruction-set flags that int8/fp16 speed depends on, from /proc/cpuinfo."""
    wanted = (
        "sse4_2",
        "avx",
        "avx2",
        "fma",
        "f16c",
        "avx512f",
        "avx512bw",
        "avx512vl",
        "avx512_vnni",
        "avx_vnni",
        "avx512_bf16",
        "avx512_fp16",
        "amx_tile",
        "amx_int8",
        "amx_bf16",
    )
    model: str = platform.processor() or platform.machine()
    flags: set[str] = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, val = line.partition(":")
            key = key.strip()
            if key == "model name" and val.strip():
                model = val.strip()
            elif key in ("flags", "Features") and not flags:
                flags = set(val.split())
    except OSError:
        pass
    import os

    return {
        "cpu": model,
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpu_flags": [f for f in wanted if f in flags],
    }


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def tool_versions() -> dict[str, str | None]:
    """Versions of the tools that produced the artifact (None when not installed)."""
    return {
        d: _version(d)
        for d in ("mlinfra", "onnx", "onnxruntime", "skl2onnx", "scikit-learn", "torch", "numpy")
    }


# --------------------------------------------------------------------------------------------------- package


def package(
    model_path: str | Path,
    framework: str,
    sample: ArrayLike,
    eval: ArrayLike | tuple[ArrayLike, ArrayLike] | None = None,
    *,
    labels: ArrayLike | None = None,
    target: str = "cpu",
    quantize: str = "auto",
    out: str | Path = "dist",
    name: str | None = None,
    batch_size: int = 32,
    budget: Budget | Mapping[str, Any] | None = None,
    task: str = "auto",
    measure: MeasureConfig | Mapping[str, Any] | None = None,
    preset: str | None = None,
    config: PackageConfig | None = None,
    console: Any = None,
    progress: bool = True,
    report: bool = True,
) -> PackageResult:
    """Package ``model_path`` into ``out`` and return what was chosen.

    - ``framework``: a registered converter (``sklearn``, ``pytorch``, ``onnx``).
    - ``sample``: an array (rows first), a dict of arrays for multi-input graphs, or an .npy/.npz path. Used to
      convert, to check shapes, and for calibration and measurement when there is no eval data.
    - ``eval``: eval inputs, or ``(inputs, labels)``; ``labels`` may also be given separately. With labels,
      classification quality is accuracy; without, agreement with the original's predictions.
    - ``target``: ``"cpu"`` (default) or ``"gpu"``; ``quantize``: ``"auto"`` (default), ``"none"``,
      ``"int8-dynamic"``, ``"int8-static"`` or ``"fp16"``.
    - ``name``: the model name (default: from the file name); ``batch_size`` (default 32): the second batch size
      measured and Triton's ``max_batch_size``; ``budget``: :class:`Budget` or its fields (default: 1 point of
      accuracy, cosine 0.99); ``measure``: :class:`MeasureConfig` or its fields (threads 2, 5 rounds).
    - ``preset``: a named preset from :data:`model_packaging.config.PRESETS` (``cpu-latency``, ``cpu-exact``,
      ``gpu``, ``gpu-fp16``), which sets ``target`` and ``quantize``.
    - ``config``: a full :class:`PackageConfig` (overrides the keyword arguments above it).
    - ``progress``: rich progress bars on stderr (default True); ``report``: write report.md/report.png.

    Raises :class:`PackagingError` (missing file, model that does not load, sample of the wrong shape, eval and
    labels of different lengths, budget exceeded).
    """
    from pydantic import ValidationError
    from rich.console import Console

    model_path = Path(model_path)
    out = Path(out)
    console = console or Console(stderr=True, width=None if sys.stderr.isatty() else 150)
    if not model_path.exists():
        raise InputFileError(f"model file not found: {model_path}")
    if preset is not None:
        from .config import PRESETS

        if preset not in PRESETS:
            raise PackagingError(f"unknown preset {preset!r}: known presets are {', '.join(sorted(PRESETS))}")
        target = str(PRESETS[preset]["target"])
        quantize = str(PRESETS[preset]["quantize"])
    if config is None:
        measure_cfg = (
            measure
            if isinstance(measure, MeasureConfig)
            else MeasureConfig(**{"batch_size": batch_size, **dict(measure or {})})
        )
        try:
            config = PackageConfig(
                name=name or default_name(model_path),
                framework=framework.lower(),
                target=target,
                quantize=quantize,
                task=task,
                report=report,
                budget=budget if isinstance(budget, Budget) else Budget(**dict(budget or {})),
                measure=measure_cfg,
            )
        except ValidationError as exc:
            raise PackagingError(_validation_message(exc)) from exc
    from .converters import get_converter

    get_converter(config.framework)  # unknown framework: fail before reading data

    sample_data = load_array(sample, "sample")
    eval_x, eval_y = _eval_data(eval, labels)
    if _rows(sample_data) < 1:
        raise ShapeMismatchError("the sample has no rows")
    with tempfile.TemporaryDirectory(prefix="mlinfra-package-") as tmp:
        return _run(model_path, config, sample_data, eval_x, eval_y, out, Path(tmp), console, progress)


def _validation_message(exc: Any) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {err['msg']} (got {err.get('input')!r})")
    return "invalid packaging options: " + "; ".join(parts)


def _eval_data(eval_arg: Any, labels: Any) -> tuple[Any, np.ndarray | None]:
    if eval_arg is None:
        if labels is not None:
            raise EvalDataError("labels were given without eval inputs: pass --eval X.npy y.npy")
        return None, None
    if isinstance(eval_arg, tuple):
        if len(eval_arg) != 2:
            raise EvalDataError("eval must be inputs or (inputs, labels)")
        eval_arg, labels = eval_arg
    x = load_array(eval_arg, "eval")
    if labels is None:
        return x, None
    y = np.asarray(load_array(labels, "labels"))
    if isinstance(y, dict):
        raise EvalDataError("labels must be one array (an .npy file), not an .npz")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.reshape(-1)
    if y.ndim != 1:
        raise EvalDataError(f"labels must be one label per row (1-D); got shape {y.shape}")
    n = _rows(x)
    if len(y) != n:
        raise EvalDataError(
            f"eval inputs have {n} rows but labels have {len(y)}: they must be the same length"
        )
    return x, y


def _run(
    model_path: Path,
    config: PackageConfig,
    sample: Any,
    eval_x: Any,
    eval_y: np.ndarray | None,
    out: Path,
    work: Path,
    console: Any,
    show_progress: bool,
) -> PackageResult:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from . import bundle as bundle_mod
    from . import measure as m
    from . import report as rep
    from . import steps
    from .converters import as_feeds, check_sample_fits, convert
    from .select import Candidate, choose, plan_candidates
    from .triton import build_config, graph_tensors

    started = time.perf_counter()
    batch = config.measure.batch_size
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not show_progress,
    )
    with progress:
        t = progress.add_task(f"converting {model_path.name} ({config.framework})", total=1)
        t0 = time.perf_counter()
        converted = convert(config.framework, model_path, sample, work / "converted")
        convert_s = time.perf_counter() - t0
        progress.advance(t)

        sample_feeds = as_feeds(sample, converted.input_names)
        check_sample_fits(converted.path, sample_feeds)
        if eval_x is not None:
            eval_feeds = as_feeds(eval_x, converted.input_names)
            try:
                check_sample_fits(converted.path, eval_feeds)
            except ShapeMismatchError as exc:
                raise ShapeMismatchError(f"eval data: {exc}") from exc
        else:
            eval_feeds = sample_feeds
        try:
            reference = m.reference_batched(converted.reference, eval_feeds)
        except Exception as exc:
            raise ShapeMismatchError(f"the original model fails on the eval data: {exc}") from exc
        task = m.resolve_task(config.task, converted.task_hint, reference, eval_y)
        labels = eval_y if task == "classification" else None
        prof = steps.profile(converted.path)
        plans, reason = plan_candidates(prof, config, has_calibration_data=True)

        candidates: list[Candidate] = []
        t = progress.add_task("building candidates", total=len(plans))
        for plan in plans:
            cand = Candidate(plan)
            cdir = work / plan.name
            cdir.mkdir()
            t0 = time.perf_counter()
            try:
                src = converted.path
                if plan.step == "dynamic":
                    src = steps.quantize_dynamic(src, cdir / "quant.onnx", plan.config)
                elif plan.step == "static":
                    src = steps.quantize_static(src, cdir / "quant.onnx", eval_feeds, plan.config)
                elif plan.step == "fp16":
                    src = steps.to_fp16(src, cdir / "quant.onnx", plan.config)
                cand.path = steps.optimize(src, cdir / "model.onnx", config.optimize)
                cand.size_bytes = steps.model_size(cand.path)
                sess = m.session(cand.path, config.measure.threads)
                got = converted.adapter(m.run_batched(sess, eval_feeds))
                cand.figures = m.compare(task, reference, got, labels)
                cand.within_budget, cand.budget_note = m.budget_check(task, cand.figures, config.budget)
            except NotQuantizableError as exc:
                cand.error = str(exc)
            except Exception as exc:  # a failing variant is reported in the table, never a crash
                if plan.step == "none":
                    raise
                cand.error = str(exc) if isinstance(exc, PackagingError) else f"{type(exc).__name__}: {exc}"
            cand.build_s = time.perf_counter() - t0
            candidates.append(cand)
            progress.advance(t)

        fp32 = candidates[0]
        if not fp32.within_budget:
            raise BudgetExceededError(
                "the converted ONNX graph already differs from the original model, before any quantization: "
                f"{fp32.budget_note}",
                fp32.figures,
            )
        built = {c.name: c.path for c in candidates if c.path is not None and c.error is None}
        t = progress.add_task(f"measuring latency (batch 1 and {batch})", total=config.measure.repeats)
        lat = m.measure_latency(built, eval_feeds, config.measure, on_round=lambda: progress.advance(t))
        for c in candidates:
            c.latency = lat.get(c.name, {})

    chosen, why = choose(candidates, config, batch)
    if reason and chosen is fp32 and len(candidates) == 1:
        why = reason
    if not chosen.within_budget:
        raise BudgetExceededError(
            f"refusing {chosen.name}: it exceeds the accuracy budget against the original model: "
            f"{chosen.budget_note}. Use --quantize auto or none, or relax the budget.",
            chosen.figures,
        )
    chosen.chosen = True
    mode = chosen.plan.mode

    # ---- bundle
    bundle_mod.prepare_out(out)
    assert chosen.path is not None
    model_files = [chosen.path] + [p for p in [chosen.path.with_name("model.onnx.data")] if p.exists()]
    kind = "KIND_GPU" if config.target == "gpu" else "KIND_CPU"
    max_batch = config.bundle.max_batch_size if config.bundle.max_batch_size is not None else max(batch, 1)
    text, parsed = build_config(
        config.name,
        chosen.path,
        max_batch_size=max_batch,
        kind=kind,
        instance_count=config.bundle.instance_count,
        dynamic_batching=config.bundle.dynamic_batching,
        max_queue_delay_us=config.bundle.max_queue_delay_us,
        openvino=config.bundle.openvino,
    )
    model_dir = bundle_mod.write_triton(out, config.name, model_files, text)
    final_model = model_dir / "1" / "model.onnx"
    # validate the file that ships, against the original model itself
    sess = m.session(final_model, config.measure.threads)
    final_figs = m.compare(task, reference, converted.adapter(m.run_batched(sess, eval_feeds)), labels)
    ok, validation = m.budget_check(task, final_figs, config.budget)
    if not ok:
        raise BudgetExceededError(f"the bundled model exceeds the budget: {validation}", final_figs)
    bundle_mod.reproducible_tar_gz(model_dir, out / ARCHIVE, config.name)
    files = bundle_mod.file_entries(out)
    digest = digest_of(files)

    import onnx

    final = onnx.load(str(final_model), load_external_data=False)
    opsets = {op.domain or "ai.onnx": int(op.version) for op in final.opset_import}
    ins, outs = graph_tensors(final_model)
    signature = Signature(
        inputs=[TensorSpec(name=t.name, dtype=t.dtype, shape=list(t.shape)) for t in ins],
        outputs=[TensorSpec(name=t.name, dtype=t.dtype, shape=list(t.shape)) for t in outs],
    )
    fp32_row = candidates[0]
    table_rows = [c.row(fp32_row, batch) for c in candidates]
    env = cpu_info()
    tools = tool_versions()
    measurements: dict[str, Any] = {
        "task": task,
        "eval_rows": _rows(eval_x) if eval_x is not None else 0,
        "data": "eval" if eval_x is not None else "sample",
        "labels": eval_y is not None,
        "batch_sizes": sorted({1, batch}),
        "threads": config.measure.threads,
        "repeats": config.measure.repeats,
        "iterations": config.measure.iterations,
        "chosen": chosen.row(fp32_row, batch),
        "validation": {"figures": final_figs, "summary": validation},
        "convert_s": round(convert_s, 3),
        "package_s": round(time.perf_counter() - started, 3),
    }
    manifest = Manifest(
        schema="mlinfra.manifest/v1",
        name=config.name,
        version=f"sha256-{digest}",
        digest=digest,
        framework=config.framework,
        target=config.target,
        quantization={
            "mode": mode,
            "requested": config.quantize,
            "chosen": chosen.name,
            "reason": why,
            "not_quantizable": reason if reason and reason.startswith("not quantizable") else None,
            "graph_kind": prof.kind,
            "budget": config.budget.model_dump(),
            "candidates": table_rows,
        },
        signature=signature,
        onnx={
            "ir_version": int(final.ir_version),
            "opset": opsets,
            "producer": final.producer_name,
            "converted_from": converted.info,
        },
        triton=TritonInfo(
            model_name=config.name,
            repository=TRITON_DIR,
            max_batch_size=parsed.max_batch_size,
            instance_kind=kind,
        ),
        files=files,
        measurements=measurements,
        tools=tools,
        runtime={"onnxruntime": tools["onnxruntime"], "provider": "CPUExecutionProvider", **env},
    )
    table_md = rep.markdown_table(candidates, batch)
    if config.report:
        summary = {
            "name": config.name,
            "graph": f"{prof.kind}; top operators "
            + ", ".join(f"{k} x{v}" for k, v in sorted(prof.op_counts.items(), key=lambda kv: -kv[1])[:6]),
            "framework": config.framework,
            "target": config.target,
            "task": task,
            "mode": f"{mode} ({chosen.name})",
            "reason": why,
            "validation": validation,
            "digest": digest,
            "ir_version": final.ir_version,
            "opsets": opsets,
            "onnxruntime": tools["onnxruntime"],
            "threads": config.measure.threads,
            "cpu": env["cpu"],
            "cpu_flags": env["cpu_flags"],
        }
        rep.write_markdown(out / "report.md", summary, candidates, batch)
        rep.write_chart(out / "report.png", candidates, batch)
    bundle_mod.write_manifest(out, manifest)
    console.print(rep.rich_table(candidates, batch, title=f"{config.name}: candidates (batch 1 and {batch})"))
    console.print(f"chosen: [bold]{chosen.name}[/bold] ({why})")
    console.print(f"validated against the original: {validation}")
    console.print(f"wrote {out} (sha256-{digest})")
    return PackageResult(
        out=out,
        manifest=manifest,
        chosen=chosen.name,
        reason=why,
        task=task,
        candidates=candidates,
        table_markdown=table_md,
    )
