"""Plan scale benchmark: how ``mlinfra plan`` grows with the number of endpoints in one stack.

A platform team serving 50 models keeps one stack with 50 endpoints. From the dev stack (``Pulumi.dev.yaml``)
this generates stacks of 1, 10 and 50 endpoints (copies of its endpoint, keys ``ep-01`` ...) in a scratch
copy of the project and runs ``mlinfra plan --stack <s> --out plan.json`` as a child process, as a user
would: process start, imports, the program under mocks, policy and cost included. Per stack size: wall
time and CPU time (median of ``--repeat`` runs), the child's peak memory (``ru_maxrss``), resources
planned. Then the cost of each extra endpoint (the slope 1 -> 50, and 1 -> 10 / 10 -> 50 to show whether it
is linear), against the targets: the dev stack under 4 s end to end, each extra endpoint under 100 ms.

The machine may be shared: CPU time (user + sys of the child) is the steadier figure, and the load average
at the start is recorded next to the results.

Run: ``python benchmarks/plan_scale.py [--sizes 1,10,50] [--repeat 3] [--out benchmarks/results/plan_scale.json]``
``--profile N`` writes a cProfile of the N-endpoint plan (in-process) to ``benchmarks/results/plan_scale.prof``
and prints the top functions.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this directory comes first on sys.path, where benchmarks/packaging.py would shadow the
# `packaging` distribution that pulumi imports: put the project root there instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))
TARGET_DEV_S = 4.0
TARGET_PER_ENDPOINT_MS = 100.0


def mlinfra_command() -> list[str]:
    exe = Path(sys.executable).parent / "mlinfra"
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "mlinfra.cli"]


def scratch_project(dst: Path) -> None:
    shutil.copy(ROOT / "Pulumi.yaml", dst / "Pulumi.yaml")
    shutil.copy(ROOT / "Pulumi.dev.yaml", dst / "Pulumi.dev.yaml")
    shutil.copytree(
        ROOT / "examples", dst / "examples", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )


def write_stack(dst: Path, n: int) -> str:
    """``Pulumi.scale<n>.yaml``: the dev stack's endpoint ``n`` times (the first keeps its key)."""
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    eps = doc["config"]["mlinfra:endpoints"]
    key, ep = next(iter(eps.items()))
    doc["config"]["mlinfra:endpoints"] = {key: ep, **{f"ep-{i:02d}": copy.deepcopy(ep) for i in range(1, n)}}
    stack = f"scale{n}"
    (dst / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return stack


def run_once(project: Path, stack: str) -> dict[str, Any]:
    out = project / f"plan-{stack}.json"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*mlinfra_command(), "plan", "--stack", stack, "--out", str(out), "--format", "json"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"mlinfra plan --stack {stack} exited {proc.returncode}:\n{err[-2000:]}")
    plan = json.loads(out.read_text())
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "max_rss_mb": usage.ru_maxrss / 1024.0,  # Linux: kilobytes
        "resources": len(plan["resources"]),
        "exit": proc.returncode,
    }


def measure(sizes: list[int], repeat: int) -> dict[str, Any]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="mlinfra-scale-") as tmp:
        project = Path(tmp)
        scratch_project(project)
        run_once(project, "dev")  # warm the file cache and byte-code once; not recorded
        stacks = {n: write_stack(project, n) for n in sizes}
        runs: dict[int, list[dict[str, Any]]] = {n: [] for n in sizes}
        dev_runs = []
        for _ in range(repeat):  # interleaved: a load spike hits every size alike
            dev_runs.append(run_once(project, "dev"))
            for n in sizes:
                runs[n].append(run_once(project, stacks[n]))
        for n in sizes:
            rs = runs[n]
            rows.append(
                {
                    "endpoints": n,
                    "resources": rs[0]["resources"],
                    "wall_s": round(statistics.median(r["wall_s"] for r in rs), 3),
                    "cpu_s": round(statistics.median(r["cpu_s"] for r in rs), 3),
                    "max_rss_mb": round(max(r["max_rss_mb"] for r in rs), 1),
                    "wall_runs_s": [round(r["wall_s"], 3) for r in rs],
                }
            )
    dev = {
        "wall_s": round(statistics.median(r["wall_s"] for r in dev_runs), 3),
        "cpu_s": round(statistics.median(r["cpu_s"] for r in dev_runs), 3),
        "max_rss_mb": round(max(r["max_rss_mb"] for r in dev_runs), 1),
        "resources": dev_runs[0]["resources"],
    }
    return {"dev": dev, "rows": rows}


def slopes(rows: list[dict[str, Any]], key: str) -> dict[str, float]:
    """Milliseconds per extra endpoint between consecutive sizes and from the smallest to the largest."""
    out = {}
    for a, b in zip(rows, rows[1:], strict=False):
        out[f"{a['endpoints']}->{b['endpoints']}"] = round(
            1000 * (b[key] - a[key]) / (b["endpoints"] - a["endpoints"]), 1
        )
    if len(rows) > 2:
        a, b = rows[0], rows[-1]
        out[f"{a['endpoints']}->{b['endpoints']}"] = round(
            1000 * (b[key] - a[key]) / (b["endpoints"] - a["endpoints"]), 1
        )
    return out


def profile(n: int, top: int = 25) -> None:
    import cProfile
    import pstats

    with tempfile.TemporaryDirectory(prefix="mlinfra-prof-") as tmp:
        project = Path(tmp)
        scratch_project(project)
        stack = write_stack(project, n)
        from stacks.plan import run_plan

        path = ROOT / "benchmarks" / "results" / "plan_scale.prof"
        cProfile.runctx(
            "run_plan(stack, project)",
            globals(),
            {"run_plan": run_plan, "stack": stack, "project": project},
            str(path),
        )
        stats = pstats.Stats(str(path))
        print(f"profile of a {n}-endpoint plan (in-process; {path}):")
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="mlinfra plan time and memory by endpoint count")
    ap.add_argument("--sizes", default="1,10,50")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "plan_scale.json")
    ap.add_argument("--profile", type=int, default=0, help="profile an N-endpoint plan in-process instead")
    a = ap.parse_args(argv)
    if a.profile:
        profile(a.profile)
        return 0
    sizes = sorted({int(x) for x in a.sizes.split(",")})
    load = os.getloadavg()
    res = measure(sizes, a.repeat)
    rows, dev = res["rows"], res["dev"]
    per_wall, per_cpu = slopes(rows, "wall_s"), slopes(rows, "cpu_s")
    span = f"{rows[0]['endpoints']}->{rows[-1]['endpoints']}"
    checks = {
        "dev_plan_under_4s": dev["wall_s"] < TARGET_DEV_S,
        "extra_endpoint_under_100ms": per_wall.get(span, 0.0) < TARGET_PER_ENDPOINT_MS,
    }
    print(
        f"mlinfra plan, end to end (process start included), median of {a.repeat}; load average at start {load[0]:.2f} on {os.cpu_count()} CPUs"
    )
    print(f"{'endpoints':>9} {'resources':>9} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}")
    for r in rows:
        print(
            f"{r['endpoints']:>9} {r['resources']:>9} {r['wall_s']:>8.2f} {r['cpu_s']:>8.2f} {r['max_rss_mb']:>8.1f}"
        )
    print(
        f"dev stack: {dev['wall_s']:.2f} s wall, {dev['cpu_s']:.2f} s CPU, {dev['max_rss_mb']:.0f} MB (target < {TARGET_DEV_S:g} s): {'ok' if checks['dev_plan_under_4s'] else 'MISSED'}"
    )
    print("per extra endpoint, ms (wall): " + ", ".join(f"{k}: {v:g}" for k, v in per_wall.items()))
    print("per extra endpoint, ms (CPU):  " + ", ".join(f"{k}: {v:g}" for k, v in per_cpu.items()))
    print(
        f"target < {TARGET_PER_ENDPOINT_MS:g} ms per extra endpoint ({span}, wall): {'ok' if checks['extra_endpoint_under_100ms'] else 'MISSED'}"
    )
    doc = {
        "benchmark": "plan_scale",
        "command": "mlinfra plan --stack <s> --out plan.json (child process)",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_at_start": [round(x, 2) for x in load],
        },
        "repeat": a.repeat,
        "dev": dev,
        "rows": rows,
        "ms_per_extra_endpoint": {"wall": per_wall, "cpu": per_cpu},
        "targets": {"dev_plan_s": TARGET_DEV_S, "per_extra_endpoint_ms": TARGET_PER_ENDPOINT_MS},
        "checks": checks,
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {a.out}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
