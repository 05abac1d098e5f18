"""The candidates table (rich, Markdown) and the chart (PNG: size and latency per candidate)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .select import Candidate

HEADERS = (
    "candidate",
    "size",
    "x fp32",
    "b1 p50",
    "b1 p99",
    "bN p50",
    "bN p99",
    "x fp32 @bN",
    "quality",
    "budget",
    "chosen",
)


def _fmt_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def quality(c: Candidate) -> str:
    """The headline agreement figure of a candidate."""
    f = c.figures
    if "accuracy" in f:
        return f"acc {100 * f['accuracy']:.2f}%"
    if "cosine" in f:
        return f"cos {f['cosine']:.4f}"
    if "agreement" in f:
        return f"agree {100 * f['agreement']:.2f}%"
    if "max_abs_diff" in f:
        return f"maxdiff {f['max_abs_diff']:.2g}"
    return "-"


def rows(candidates: list[Candidate], batch_size: int) -> list[list[str]]:
    """Table rows (strings), fp32 first."""
    fp32 = candidates[0]
    out = []
    for c in candidates:
        if c.error:
            out.append([c.name, "-", "-", "-", "-", "-", "-", "-", "-", c.error[:80], ""])
            continue

        def lat(b: int, which: str, c: Candidate = c) -> str:
            s = c.latency.get(b)
            return f"{getattr(s, which):.3f} ms" if s else "-"

        size_ratio = f"{c.size_bytes / fp32.size_bytes:.2f}" if fp32.size_bytes else "-"
        lat_ratio = (
            f"{c.p50(batch_size) / fp32.p50(batch_size):.2f}"
            if batch_size in c.latency and batch_size in fp32.latency
            else "-"
        )
        out.append(
            [
                c.name,
                _fmt_size(c.size_bytes),
                size_ratio,
                lat(1, "p50_ms"),
                lat(1, "p99_ms"),
                lat(batch_size, "p50_ms"),
                lat(batch_size, "p99_ms"),
                lat_ratio,
                quality(c),
                "ok" if c.within_budget else "exceeded",
                "*" if c.chosen else "",
            ]
        )
    return out


def rich_table(candidates: list[Candidate], batch_size: int, title: str = "Candidates") -> Any:
    """A ``rich.table.Table`` of the candidates."""
    from rich.table import Table

    table = Table(title=title)
    for h in HEADERS:
        table.add_column(h.replace("bN", f"b{batch_size}"), justify="left" if h == "candidate" else "right")
    for r in rows(candidates, batch_size):
        table.add_row(*r, style="bold green" if r[-1] == "*" else None)
    return table


def markdown_table(candidates: list[Candidate], batch_size: int) -> str:
    """The same table in GitHub Markdown."""
    heads = [h.replace("bN", f"b{batch_size}") for h in HEADERS]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    lines += ["| " + " | ".join(r) + " |" for r in rows(candidates, batch_size)]
    return "\n".join(lines) + "\n"


def write_markdown(path: Path, summary: dict[str, Any], candidates: list[Candidate], batch_size: int) -> Path:
    """``report.md``: what was packaged, the choice and why, the candidates, the environment."""
    lines = [
        f"# Packaging report: {summary['name']}",
        "",
        f"- framework: {summary['framework']}, target: {summary['target']}, task: {summary['task']}",
        f"- quantization: **{summary['mode']}** ({summary['reason']})",
        f"- validation against the original model: {summary['validation']}",
        f"- graph: {summary['graph']}",
        f"- digest: `sha256-{summary['digest']}`",
        f"- ONNX: IR {summary['ir_version']}, opsets {summary['opsets']}",
        f"- measured with onnxruntime {summary['onnxruntime']} (CPU provider, {summary['threads']} threads) on "
        f"{summary['cpu']} ({', '.join(summary['cpu_flags']) or 'no AVX flags'})",
        "",
        "## Candidates",
        "",
        markdown_table(candidates, batch_size),
        "Latency: median (p50) and p99 over interleaved rounds; `x fp32` columns are ratios to fp32 "
        "(lower is better for size and latency).",
        "",
    ]
    notes = [f"- {c.name}: {c.plan.note}" for c in candidates if c.plan.note]
    if notes:
        lines += ["## Why these candidates", "", *notes, ""]
    if summary["target"] == "gpu":
        lines += [
            "GPU target: latency was measured with the CPU provider here; fp16 is chosen on its accuracy "
            "against the original, not on GPU speed.",
            "",
        ]
    path.write_text("\n".join(lines))
    return path


def write_chart(path: Path, candidates: list[Candidate], batch_size: int) -> Path:
    """``report.png``: size (MB) and p50 latency at batch 1 and ``batch_size`` per candidate (Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    built = [c for c in candidates if c.error is None]
    names = [c.name + (" *" if c.chosen else "") for c in built]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), constrained_layout=True)
    series = [
        ("size (MB)", [c.size_bytes / 1e6 for c in built]),
        ("p50 ms, batch 1", [c.p50(1) for c in built]),
        (f"p50 ms, batch {batch_size}", [c.p50(batch_size) for c in built]),
    ]
    for ax, (title, values) in zip(axes, series, strict=True):
        colors = ["tab:green" if c.chosen else "tab:gray" for c in built]
        ax.barh(names, [v if v != float("inf") else 0 for v in values], color=colors)
        ax.set_title(title)
        ax.invert_yaxis()
    fig.suptitle("Candidates (* chosen)")
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)
    return path
