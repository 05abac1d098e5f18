"""The functions ``mlinfra check`` and ``mlinfra policy ...`` call: plain values in, an exit code out.

``check(plan_path, fmt)`` judges any plan file from its resources (never from the ``findings`` the file
carries), so a plan edited by hand or produced elsewhere is judged like the original.
Exit codes: 0 no error finding, 1 error findings, 2 the file is unreadable or not a plan.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from policy.engine import evaluate_plan

FORMATS = ("text", "json")


class PlanFileError(ValueError):
    """The plan file cannot be judged: the message says what is wrong and how to fix it."""


def load_plan(path: str | Path) -> dict[str, Any]:
    """Read and structurally validate a plan file. Raises PlanFileError."""
    p = Path(path)
    if not p.is_file():
        raise PlanFileError(
            f"{p}: no such plan file; write one with `mlinfra plan --stack STACK --out {p.name}`"
        )
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"{p}: cannot read the plan file ({exc})") from exc
    try:
        plan = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileError(
            f"{p}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    validate_plan(plan, str(p))
    return plan


def validate_plan(plan: Any, where: str = "plan") -> None:
    """The parts of the plan format (DESIGN.md) the rules rely on. Raises PlanFileError listing every problem."""
    problems: list[str] = []
    if not isinstance(plan, dict):
        raise PlanFileError(
            f"{where}: a plan is a JSON object with a 'resources' list, not {type(plan).__name__}"
        )
    resources = plan.get("resources")
    if not isinstance(resources, list):
        problems.append(f"'resources' must be a list (found {type(resources).__name__})")
        resources = []
    if "profile" in plan and plan["profile"] not in ("dev", "prod"):
        problems.append(f"'profile' must be dev or prod (found {plan['profile']!r})")
    seen: set[str] = set()
    for i, r in enumerate(resources):
        at = f"resources[{i}]"
        if not isinstance(r, dict):
            problems.append(f"{at} must be an object (found {type(r).__name__})")
            continue
        for key in ("urn", "type"):
            if not isinstance(r.get(key), str) or not r.get(key):
                problems.append(f"{at}.{key} must be a non-empty string (found {r.get(key)!r})")
        if "inputs" in r and not isinstance(r["inputs"], dict):
            problems.append(f"{at}.inputs must be an object (found {type(r['inputs']).__name__})")
        if "outputs" in r and r["outputs"] is not None and not isinstance(r["outputs"], dict):
            problems.append(f"{at}.outputs must be an object (found {type(r['outputs']).__name__})")
        if "protect" in r and not isinstance(r["protect"], bool):
            problems.append(f"{at}.protect must be true or false (found {r['protect']!r})")
        urn = r.get("urn")
        if isinstance(urn, str):
            if urn in seen:
                problems.append(f"{at}.urn {urn!r} appears twice")
            seen.add(urn)
    if problems:
        raise PlanFileError(
            f"{where}: not a valid mlinfra plan:\n  - "
            + "\n  - ".join(problems[:20])
            + ("\n  - ..." if len(problems) > 20 else "")
        )


def summary(findings: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "errors": sum(1 for f in findings if f.get("severity") == "error"),
        "warnings": sum(1 for f in findings if f.get("severity") == "warning"),
    }


def exit_code(findings: list[dict[str, Any]]) -> int:
    return 1 if summary(findings)["errors"] else 0


def render_text(findings: list[dict[str, Any]]) -> str:
    lines = []
    for f in findings:
        anchors = ", ".join(f.get("anchors") or [])
        lines.append(
            f"{f['severity'].upper():7} {f['rule']}  {f['resource']}\n        {f['message']}\n        anchors: {anchors}"
        )
    s = summary(findings)
    lines.append(f"{s['errors']} error(s), {s['warnings']} warning(s)")
    return "\n".join(lines) + "\n"


def check(plan_path: str, fmt: str = "text", out: TextIO | None = None, err: TextIO | None = None) -> int:
    """``mlinfra check PLAN.json [--format text|json]``: print the findings; 0 fine, 1 errors, 2 bad file."""
    out = out or sys.stdout
    err = err or sys.stderr
    if fmt not in FORMATS:
        err.write(f"--format {fmt!r}: unknown format; use one of {', '.join(FORMATS)}\n")
        return 2
    try:
        plan = load_plan(plan_path)
    except PlanFileError as exc:
        err.write(f"error: {exc}\n")
        return 2
    findings = evaluate_plan(plan)
    if fmt == "json":
        out.write(
            json.dumps(
                {
                    "plan": str(plan_path),
                    "stack": plan.get("stack"),
                    "findings": findings,
                    "summary": summary(findings),
                },
                indent=2,
                sort_keys=True,
            )
            + "\n"
        )
    else:
        out.write(render_text(findings))
    return exit_code(findings)


def rules_table() -> str:
    """The rules as a markdown table (docs/policy.md is generated from it)."""
    from policy.engine import load_rules
    from policy.transitions import TRANSITION_RULES

    rows = ["| rule | cloud | severity | what it requires | anchors |", "|---|---|---|---|---|"]
    rules = sorted(
        load_rules().values(), key=lambda r: ({"aws": 0, "azure": 1, "gcp": 2, "any": 3}[r.cloud], r.id)
    )
    for r in [*rules, *TRANSITION_RULES.values()]:
        kind = " (plan-to-plan)" if r.kind == "transition" else ""
        rows.append(f"| `{r.id}` | {r.cloud} | {r.severity} | {r.title}{kind} | {', '.join(r.anchors)} |")
    return "\n".join(rows) + "\n"
