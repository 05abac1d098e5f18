"""Showing a plan to people: a resource tree, the findings and the monthly cost, on a terminal or in Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def short_type(typ: str) -> str:
    """``aws:sagemaker/endpointConfiguration:EndpointConfiguration`` -> ``sagemaker.EndpointConfiguration``."""
    parts = typ.split(":")
    if parts[0] == "mlinfra":
        return typ
    if len(parts) == 3:
        module = parts[1].split("/")[0]
        return f"{module}.{parts[2]}" if module not in ("index", "") else parts[2]
    return typ


def _children(plan: dict[str, Any]) -> dict[str | None, list[dict[str, Any]]]:
    urns = {r["urn"] for r in plan["resources"]}
    kids: dict[str | None, list[dict[str, Any]]] = {}
    for r in plan["resources"]:
        parent = r.get("parent") if r.get("parent") in urns else None
        kids.setdefault(parent, []).append(r)
    for v in kids.values():
        v.sort(key=lambda r: (r["custom"], r["type"], r["name"]))
    return kids


def _money(x: float) -> str:
    return f"${x:,.2f}"


def cost_range(cost: dict[str, Any]) -> str:
    lo, hi = cost["monthly_min"], cost["monthly_max"]
    return _money(lo) if lo == hi else f"{_money(lo)} .. {_money(hi)}"


def _badges(r: dict[str, Any]) -> list[str]:
    out = []
    if r.get("protect"):
        out.append("protected")
    if r.get("retainOnDelete"):
        out.append("retained on delete")
    if r.get("ignoreChanges"):
        out.append("ignores " + ", ".join(r["ignoreChanges"]))
    return out


def terminal(plan: dict[str, Any], out_path: str | Path | None = None) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.tree import Tree

    console = Console(soft_wrap=False)
    findings_by_urn: dict[str, list[dict[str, Any]]] = {}
    for f in plan["findings"]:
        findings_by_urn.setdefault(f.get("resource", ""), []).append(f)
    kids = _children(plan)
    title = f"[bold]{plan['project']}[/] stack [bold]{plan['stack']}[/] on [bold]{plan['cloud']}[/] ({plan['region']}): {len(plan['resources'])} resources"
    tree = Tree(title)

    def add(node: Tree, r: dict[str, Any]) -> None:
        label = f"[cyan]{short_type(r['type'])}[/] {r['name']}"
        badges = _badges(r)
        if badges:
            label += f" [dim]({'; '.join(badges)})[/]"
        for f in findings_by_urn.get(r["urn"], []):
            label += f" [{SEVERITY_STYLE.get(f['severity'], '')}]\u25cf {f['rule']}[/]"
        child = node.add(label)
        for k in kids.get(r["urn"], []):
            add(child, k)

    for r in kids.get(None, []):
        add(tree, r)
    console.print(tree)

    if plan["findings"]:
        t = Table(title="Policy findings", show_lines=False)
        for col in ("severity", "rule", "resource", "message", "anchors"):
            t.add_column(col, overflow="fold")
        for f in plan["findings"]:
            t.add_row(
                f"[{SEVERITY_STYLE.get(f['severity'], '')}]{f['severity']}[/]",
                f["rule"],
                f.get("resource", "").split("::")[-1],
                f["message"],
                ", ".join(f.get("anchors", [])),
            )
        console.print(t)
    else:
        console.print("[green]Policy: no findings.[/]")

    cost = plan["cost"]
    t = Table(
        title=f"Monthly cost ({cost['currency']}, list prices of {cost['source']['region']} as of {cost['source']['as_of']})"
    )
    for col in ("endpoint", "item", "detail"):
        t.add_column(col)
    for col in ("min", "max"):
        t.add_column(col, justify="right")
    for i in cost["items"]:
        t.add_row(i["endpoint"], i["item"], i["detail"], _money(i["monthly_min"]), _money(i["monthly_max"]))
    t.add_row(
        "[bold]total[/]",
        "",
        "",
        f"[bold]{_money(cost['monthly_min'])}[/]",
        f"[bold]{_money(cost['monthly_max'])}[/]",
    )
    console.print(t)
    for note in plan.get("notes", []):
        console.print(f"[yellow]note:[/] {note}")
    errors = sum(1 for f in plan["findings"] if f["severity"] == "error")
    warnings = sum(1 for f in plan["findings"] if f["severity"] == "warning")
    console.print(
        f"Plan: {len(plan['resources'])} resources, {errors} error and {warnings} warning findings, "
        f"monthly cost {cost_range(cost)}" + (f"; written to {out_path}" if out_path else "")
    )


def markdown(plan: dict[str, Any]) -> str:
    lines = [
        f"## mlinfra plan: `{plan['stack']}` on {plan['cloud']} ({plan['region']})",
        "",
        f"**{len(plan['resources'])} resources**, "
        f"**{sum(1 for f in plan['findings'] if f['severity'] == 'error')} error findings**, "
        f"monthly cost **{cost_range(plan['cost'])}**",
        "",
        "### Resources",
        "",
        "| resource | type | notes |",
        "|---|---|---|",
    ]
    kids = _children(plan)

    def walk(r: dict[str, Any], depth: int) -> None:
        indent = "&nbsp;&nbsp;" * depth + ("└ " if depth else "")
        lines.append(f"| {indent}`{r['name']}` | `{short_type(r['type'])}` | {'; '.join(_badges(r))} |")
        for k in kids.get(r["urn"], []):
            walk(k, depth + 1)

    for r in kids.get(None, []):
        walk(r, 0)
    lines += ["", "### Policy findings", ""]
    if plan["findings"]:
        lines += ["| severity | rule | resource | message | anchors |", "|---|---|---|---|---|"]
        for f in plan["findings"]:
            lines.append(
                f"| {f['severity']} | `{f['rule']}` | `{f.get('resource', '').split('::')[-1]}` | {f['message']} | {', '.join(f.get('anchors', []))} |"
            )
    else:
        lines.append("No findings.")
    cost = plan["cost"]
    lines += [
        "",
        f"### Monthly cost ({cost['currency']}; list prices of {cost['source']['region']} as of {cost['source']['as_of']}, {cost['source']['url']})",
        "",
        "| endpoint | item | detail | min | max |",
        "|---|---|---|--:|--:|",
    ]
    for i in cost["items"]:
        lines.append(
            f"| {i['endpoint']} | {i['item']} | {i['detail']} | {_money(i['monthly_min'])} | {_money(i['monthly_max'])} |"
        )
    lines.append(f"| **total** | | | **{_money(cost['monthly_min'])}** | **{_money(cost['monthly_max'])}** |")
    section = _alarms_section(plan)
    if section:
        lines += ["", section.rstrip()]
    for note in plan.get("notes", []):
        lines += ["", f"> **Note:** {note}"]
    return "\n".join(lines) + "\n"


def _alarms_section(plan: dict[str, Any]) -> str:
    """The alarms-and-dashboards section (monitoring.markdown)."""
    from monitoring.markdown import alarms_section

    return alarms_section(plan)
