#!/usr/bin/env python3
"""Plan every stack of a pull request's base and head checkouts offline and write ONE diff comment.

    python .github/scripts/pr_diff.py --base BASE_DIR --head HEAD_DIR --out OUT_DIR [--fail-on GATES]

For each ``Pulumi.<stack>.yaml`` in the head (and the base), runs ``mlinfra plan --stack <stack>`` inside each
checkout with that checkout's own code (``python -m mlinfra.cli`` with the checkout first on PYTHONPATH), then
``mlinfra diff base head --format markdown``. Writes ``OUT_DIR/plans/{base,head}-<stack>.json`` and
``OUT_DIR/comment.md`` (starting with the sticky-comment marker). No Pulumi CLI, no cloud credentials.

Exit code: 0 fine; 1 a ``--fail-on`` gate tripped or new error findings (the comment is written first);
2 a head stack could not be planned (the comment says which, with the error).
Standard library only: it runs before anything else is trusted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

MARKER = "<!-- mlinfra-pr-diff -->"


def stacks_of(checkout: Path) -> set[str]:
    return {p.name[len("Pulumi.") : -len(".yaml")] for p in checkout.glob("Pulumi.*.yaml")}


def run(checkout: Path, args: list[str], python: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(checkout.resolve()), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    return subprocess.run(
        [python, "-m", "mlinfra.cli", *args],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def empty_plan(stack: str) -> dict:
    """The base of a stack the pull request adds: nothing exists yet."""
    return {
        "version": 1,
        "project": "mlinfra",
        "stack": stack,
        "cloud": None,
        "region": None,
        "endpoints": [],
        "resources": [],
        "findings": [],
        "cost": {"currency": "USD", "monthly_min": 0.0, "monthly_max": 0.0, "items": []},
    }


def _signed(x: float) -> str:
    return f"+${x:,.2f}" if x > 0 else f"-${-x:,.2f}" if x < 0 else "$0.00"


def tail(text: str, n: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-n:])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, required=True)
    ap.add_argument("--head", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument(
        "--fail-on",
        default="",
        help="comma-separated gates for mlinfra diff (replace, delete, cost:+N, cost:+N%%, error-findings)",
    )
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args(argv)
    plans = a.out / "plans"
    plans.mkdir(parents=True, exist_ok=True)
    head_stacks, base_stacks = stacks_of(a.head), stacks_of(a.base)
    parts: list[str] = []
    rows: list[str] = []
    code = 0
    for stack in sorted(head_stacks | base_stacks):
        base_json, head_json = plans / f"base-{stack}.json", plans / f"head-{stack}.json"
        if stack not in head_stacks:
            parts += [
                f"### stack `{stack}`: removed by this pull request",
                "",
                "Its `Pulumi.<stack>.yaml` is deleted: `pulumi destroy` it (and `pulumi stack rm`) before or after merging.",
                "",
            ]
            continue
        h = run(
            a.head,
            ["plan", "--stack", stack, "--out", str(head_json.resolve()), "--format", "json"],
            a.python,
        )
        if h.returncode not in (0, 1) or not head_json.is_file():
            parts += [
                f"### stack `{stack}`: the head does not plan",
                "",
                "```",
                tail(h.stderr or h.stdout),
                "```",
                "",
            ]
            code = max(code, 2)
            continue
        note = ""
        if stack in base_stacks:
            b = run(
                a.base,
                ["plan", "--stack", stack, "--out", str(base_json.resolve()), "--format", "json"],
                a.python,
            )
            if b.returncode not in (0, 1) or not base_json.is_file():
                base_json.write_text(json.dumps(empty_plan(stack)))
                note = f"> [!NOTE]\n> The base branch does not plan (`{tail(b.stderr or b.stdout, 1)}`): every resource shows as added.\n"
        else:
            base_json.write_text(json.dumps(empty_plan(stack)))
            note = "> [!NOTE]\n> A new stack: every resource is added.\n"
        gates = ["--fail-on", a.fail_on] if a.fail_on else []
        j = run(
            a.head, ["diff", str(base_json.resolve()), str(head_json.resolve()), "--format", "json"], a.python
        )
        if j.returncode in (0, 1):
            doc = json.loads(j.stdout)
            s, dl = doc["summary"], doc["cost"]["delta"]
            rows.append(
                f"| `{stack}` | {doc['head'].get('cloud')} | {s['add']} / {s['update']} / **{s['replace']}** / {s['delete']} | "
                f"{_signed(dl['min'])} – {_signed(dl['max'])} | {len(doc['findings']['new']) + len(doc['findings']['transitions'])} |"
            )
        d = run(
            a.head,
            ["diff", str(base_json.resolve()), str(head_json.resolve()), "--format", "markdown", *gates],
            a.python,
        )
        if d.returncode not in (0, 1):
            parts += [f"### stack `{stack}`: diff failed", "", "```", tail(d.stderr or d.stdout), "```", ""]
            code = max(code, 2)
            continue
        if d.returncode == 1:
            code = max(code, 1)
        parts += ([note] if note else []) + [d.stdout.rstrip(), ""]
    head = [
        MARKER,
        "## Infrastructure diff",
        "",
        "Offline plans of the base and head of this pull request (Pulumi mocks: no cloud credentials).",
        "",
    ]
    if rows:
        head += [
            "| Stack | Cloud | add / change / **replace** / delete | Monthly cost delta (min – max) | New findings |",
            "|---|---|---|---|---|",
            *rows,
            "",
        ]
    if not head_stacks | base_stacks:
        head.append("No `Pulumi.<stack>.yaml` in this repository: nothing to plan.")
    (a.out / "comment.md").write_text("\n".join(head + parts).rstrip() + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
