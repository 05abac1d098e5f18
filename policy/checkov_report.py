"""checkov over the exported example plans: export them, then judge checkov's results against the reviewed
suppressions (``policy/checkov-suppressions.yaml``). Run by ``.ci/checkov.sh``; checkov itself runs from its own
virtualenv, this module only reads its JSON output.

    python -m policy.checkov_report export --out DIR [--stack S ...]   # DIR/<stack>/{plan.json, export/}
    python -m policy.checkov_report report --dir DIR [--suppressions FILE] [--json FILE]

``report`` prints passed / failed / suppressed per stack and exits 1 when a failed check has no suppression
(or a suppression has no reason), 2 when a stack has no checkov result.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SUPPRESSIONS = ROOT / "policy" / "checkov-suppressions.yaml"


@dataclass(frozen=True)
class Suppression:
    check: str
    reason: str
    resources: tuple[str, ...] = ("*",)
    """Globs over checkov's resource address (``aws_s3_bucket.iris_artifacts``, ``Microsoft.KeyVault/vaults.kv...``)."""
    stacks: tuple[str, ...] = ("*",)
    profiles: tuple[str, ...] = ("dev", "prod")
    reviewed: str = ""

    def matches(self, check_id: str, resource: str, stack: str, profile: str) -> bool:
        return (
            check_id == self.check
            and any(fnmatch.fnmatch(resource, g) for g in self.resources)
            and any(fnmatch.fnmatch(stack, g) for g in self.stacks)
            and profile in self.profiles
        )


def load_suppressions(path: str | Path = SUPPRESSIONS) -> list[Suppression]:
    import yaml

    data = yaml.safe_load(Path(path).read_text()) or {}
    out = []
    for i, e in enumerate(data.get("suppressions") or []):
        if not isinstance(e, dict) or not e.get("check") or not str(e.get("reason") or "").strip():
            raise ValueError(f"{path}: suppressions[{i}] needs a check and a reason")
        out.append(
            Suppression(
                check=str(e["check"]),
                reason=str(e["reason"]).strip(),
                resources=tuple(e.get("resources") or ["*"]),
                stacks=tuple(e.get("stacks") or ["*"]),
                profiles=tuple(e.get("profiles") or ["dev", "prod"]),
                reviewed=str(e.get("reviewed") or ""),
            )
        )
    return out


def example_stacks(root: Path = ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def export_examples(out: Path, stacks: list[str] | None = None, root: Path = ROOT) -> list[str]:
    """Plan each example stack offline and export it for checkov into ``out/<stack>/export``."""
    from policy.export import export_plan
    from stacks.plan import run_plan, write_plan

    done = []
    for stack in stacks or example_stacks(root):
        d = out / stack
        d.mkdir(parents=True, exist_ok=True)
        plan = run_plan(stack, root)
        write_plan(plan, d / "plan.json")
        export_plan(plan, d / "export")
        done.append(stack)
    return done


def _results(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text())
    reports = data if isinstance(data, list) else [data]
    return [r for r in reports if isinstance(r, dict) and "results" in r]


def judge(out: Path, suppressions: list[Suppression]) -> dict[str, Any]:
    """Per stack: passed, failed (unsuppressed), suppressed (with reasons); and suppressions never used."""
    report: dict[str, Any] = {"stacks": {}, "unused_suppressions": []}
    used: set[int] = set()
    for d in sorted(p for p in out.iterdir() if p.is_dir()):
        stack = d.name
        plan = json.loads((d / "plan.json").read_text()) if (d / "plan.json").is_file() else {}
        profile = plan.get("profile", "dev")
        result_file = d / "checkov.json"
        if not result_file.is_file():
            report["stacks"][stack] = {"error": "no checkov result"}
            continue
        passed, failed, suppressed = 0, [], []
        for r in _results(result_file):
            passed += len(r["results"].get("passed_checks") or [])
            for c in r["results"].get("failed_checks") or []:
                item = {
                    "check": c["check_id"],
                    "resource": c["resource"],
                    "name": c.get("check_name", ""),
                    "framework": r.get("check_type"),
                }
                hit = next(
                    (
                        i
                        for i, s in enumerate(suppressions)
                        if s.matches(c["check_id"], c["resource"], stack, profile)
                    ),
                    None,
                )
                if hit is None:
                    failed.append(item)
                else:
                    used.add(hit)
                    suppressed.append({**item, "reason": suppressions[hit].reason})
        report["stacks"][stack] = {
            "profile": profile,
            "passed": passed,
            "failed": failed,
            "suppressed": suppressed,
        }
    report["unused_suppressions"] = [s.check for i, s in enumerate(suppressions) if i not in used]
    return report


def render(report: dict[str, Any]) -> str:
    lines = ["| stack | passed | failed | suppressed |", "|---|---|---|---|"]
    for stack, r in report["stacks"].items():
        if "error" in r:
            lines.append(f"| {stack} | - | - | - ({r['error']}) |")
            continue
        lines.append(f"| {stack} | {r['passed']} | {len(r['failed'])} | {len(r['suppressed'])} |")
    for stack, r in report["stacks"].items():
        for f in r.get("failed", []):
            lines.append(f"UNSUPPRESSED {stack}: {f['check']} {f['resource']} ({f['name']})")
    if report["unused_suppressions"]:
        lines.append(
            "suppressions not used by any stack (remove them if the check now passes): "
            + ", ".join(report["unused_suppressions"])
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m policy.checkov_report")
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("--out", required=True)
    e.add_argument("--stack", action="append")
    r = sub.add_parser("report")
    r.add_argument("--dir", required=True)
    r.add_argument("--suppressions", default=str(SUPPRESSIONS))
    r.add_argument("--json")
    args = ap.parse_args(argv)
    if args.cmd == "export":
        for s in export_examples(Path(args.out), args.stack):
            print(f"exported {s}")
        return 0
    report = judge(Path(args.dir), load_suppressions(args.suppressions))
    sys.stdout.write(render(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    if any("error" in r for r in report["stacks"].values()) or not report["stacks"]:
        return 2
    return 1 if any(r["failed"] for r in report["stacks"].values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
