"""The plan's "Alarms and dashboards" section in Markdown, for every cloud, read from the plan's resources.

``alarms_section(plan)`` -> Markdown: per endpoint, a table of its alarms (metric, threshold with its unit,
window, where it notifies, whether it rolls a deployment back), its dashboards, and a Mermaid graph
endpoint -> alarms -> topic / action group / channel -> receivers. Webhook URLs show their host only
(their paths often carry tokens). Deterministic. ``stacks.render.markdown`` appends it to the plan.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

OPS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
    "GreaterThan": ">",
    "GreaterThanOrEqual": ">=",
    "LessThan": "<",
    "LessThanOrEqual": "<=",
    "Equals": "=",
    "COMPARISON_GT": ">",
    "COMPARISON_GE": ">=",
    "COMPARISON_LT": "<",
    "COMPARISON_LE": "<=",
    "COMPARISON_EQ": "=",
    "COMPARISON_NE": "!=",
}
AWS_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
AZ_ALERT = "azure-native:monitor:MetricAlert"
GCP_POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
DASHBOARDS = {
    "aws:cloudwatch/dashboard:Dashboard": "CloudWatch dashboard",
    "azure-native:applicationinsights:Workbook": "Azure Monitor workbook",
    "azure-native:portal:Dashboard": "Azure portal dashboard",
    "gcp:monitoring/dashboard:Dashboard": "Cloud Monitoring dashboard",
}


# ---- reading the plan ---------------------------------------------------------------------------------------
def _owners(plan: dict[str, Any]) -> dict[str, str]:
    keys = set(plan.get("endpoints") or [])
    by_urn = {r["urn"]: r for r in plan.get("resources", [])}
    out = {}
    for r in plan.get("resources", []):
        cur: dict[str, Any] | None = r
        for _ in range(64):
            if cur is None:
                break
            if not cur.get("custom") and cur.get("name") in keys:
                out[r["urn"]] = cur["name"]
                break
            cur = by_urn.get(cur.get("parent") or "")
        out.setdefault(r["urn"], "(stack)")
    return out


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds % 60 == 0 else f"{seconds:g} s"


def _iso_minutes(d: str | None) -> str:
    """``PT5M`` -> ``5 min``; ``PT1H`` -> ``60 min``; ``300s`` -> ``5 min``."""
    if not d:
        return "-"
    m = re.fullmatch(r"(\d+(?:\.\d+)?)s", d)
    if m:
        return _minutes(float(m.group(1)))
    m = re.fullmatch(r"P(?:T)?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", d)
    if not m:
        return d
    h, mi, s = (int(x or 0) for x in m.groups())
    return _minutes(h * 3600 + mi * 60 + s)


def _receiver(kind: str, target: str) -> str:
    if kind in ("webhook", "https", "http"):
        parts = urlsplit(target)
        return f"webhook {parts.scheme}://{parts.hostname}/…" if parts.hostname else "webhook"
    return f"{kind} {target}"


def _aws(
    plan: dict[str, Any], res: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    topics = {
        (r.get("outputs") or {}).get("arn") or r.get("id"): r
        for r in res
        if r["type"] == "aws:sns/topic:Topic"
    }
    receivers: dict[str, list[str]] = {}
    for r in res:
        if r["type"] == "aws:sns/topicSubscription:TopicSubscription":
            i = r.get("inputs") or {}
            receivers.setdefault(str(i.get("topic")), []).append(
                _receiver(str(i.get("protocol")), str(i.get("endpoint")))
            )
    rollback = set()
    for r in res:
        if r["type"] == "aws:sagemaker/endpoint:Endpoint":
            for a in (
                ((r.get("inputs") or {}).get("deploymentConfig") or {}).get("autoRollbackConfiguration") or {}
            ).get("alarms") or []:
                rollback.add(a.get("alarmName"))
    targets = {
        arn: {
            "label": f"SNS topic {(t.get('outputs') or {}).get('name') or t['name']}",
            "receivers": sorted(receivers.get(str(arn), [])),
        }
        for arn, t in topics.items()
    }
    alarms = []
    for r in res:
        if r["type"] != AWS_ALARM:
            continue
        i = r.get("inputs") or {}
        name = i.get("name") or r.get("id") or r["name"]
        unit = i.get("unit")
        thr = float(i.get("threshold", 0))
        if i.get("metricQueries"):
            expr = next((q for q in i["metricQueries"] if q.get("returnData")), {})
            metric = f"{expr.get('label') or expr.get('expression')}"
            shown = f"{thr:g}%" if "%" in metric else f"{thr:g}"
            period = next(
                (q.get("metric", {}).get("period") for q in i["metricQueries"] if q.get("metric")), 60
            )
        else:
            stat = i.get("extendedStatistic") or i.get("statistic") or ""
            metric = f"{i.get('namespace')} {i.get('metricName')} ({stat})"
            period = i.get("period") or 60
            if unit == "Microseconds":
                shown = f"{thr / 1000:g} ms"
            elif str(i.get("metricName", "")).endswith("Utilization"):
                shown = (
                    f"{thr:g}% (summed over cores)"
                    if i.get("metricName") in ("CPUUtilization", "GPUUtilization")
                    else f"{thr:g}%"
                )
            else:
                shown = f"{thr:g}"
        n = int(i.get("evaluationPeriods") or 1)
        alarms.append(
            {
                "urn": r["urn"],
                "name": name,
                "metric": metric,
                "threshold": f"{OPS.get(i.get('comparisonOperator', ''), '>')} {shown}",
                "window": f"{n} x {_minutes(float(period))}",
                "targets": [a for a in i.get("alarmActions") or [] if a in targets],
                "rollback": name in rollback,
            }
        )
    return alarms, targets


def _azure(
    plan: dict[str, Any], res: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    targets = {}
    for r in res:
        if r["type"] == "azure-native:monitor:ActionGroup":
            i = r.get("inputs") or {}
            rec = [_receiver("email", x.get("emailAddress", "")) for x in i.get("emailReceivers") or []]
            rec += [_receiver("webhook", x.get("serviceUri", "")) for x in i.get("webhookReceivers") or []]
            targets[str(r.get("id"))] = {
                "label": f"action group {i.get('actionGroupName') or r['name']}",
                "receivers": sorted(rec),
            }
    lower = {k.lower(): k for k in targets}
    alarms = []
    for r in res:
        if r["type"] != AZ_ALERT:
            continue
        i = r.get("inputs") or {}
        crit = (i.get("criteria") or {}).get("allOf") or [{}]
        c = crit[0]
        unit = (
            "%"
            if "Percent" in str(c.get("metricName", "")) or "Utilization" in str(c.get("metricName", ""))
            else (" ms" if "Latency" in str(c.get("metricName", "")) else "")
        )
        alarms.append(
            {
                "urn": r["urn"],
                "name": i.get("ruleName") or r["name"],
                "metric": f"{c.get('metricName')} ({c.get('timeAggregation')})",
                "threshold": f"{OPS.get(c.get('operator', ''), '>')} {float(c.get('threshold', 0)):g}{unit}",
                "window": f"{_iso_minutes(i.get('windowSize'))} (every {_iso_minutes(i.get('evaluationFrequency'))})",
                "targets": [
                    lower[a["actionGroupId"].lower()]
                    for a in i.get("actions") or []
                    if str(a.get("actionGroupId", "")).lower() in lower
                ],
                "rollback": False,
            }
        )
    return alarms, targets


def _gcp(
    plan: dict[str, Any], res: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    targets = {}
    for r in res:
        if r["type"] == "gcp:monitoring/notificationChannel:NotificationChannel":
            i = r.get("inputs") or {}
            labels = i.get("labels") or {}
            kind = str(i.get("type"))
            target = labels.get("email_address") or labels.get("url") or ""
            targets[str(r.get("id"))] = {
                "label": f"channel {i.get('displayName') or r['name']}",
                "receivers": [_receiver("webhook" if kind.startswith("webhook") else kind, target)],
            }
    alarms = []
    for r in res:
        if r["type"] != GCP_POLICY:
            continue
        i = r.get("inputs") or {}
        for k, cond in enumerate(i.get("conditions") or []):
            ct = cond.get("conditionThreshold") or cond.get("conditionMonitoringQueryLanguage") or {}
            m = re.search(r'metric\.type="([^"]+)"', str(ct.get("filter", "")))
            metric = m.group(1).split("/", 1)[-1] if m else str(cond.get("displayName"))
            agg = ((ct.get("aggregations") or [{}])[0]).get("perSeriesAligner", "")
            value = ct.get("thresholdValue", 0)
            shown = (
                f"{float(value) * 100:g}%"
                if "utilization" in metric or "duty_cycle" in metric
                else f"{float(value):g}"
            )
            if "latenc" in metric:
                shown = f"{float(value):g} ms"
            elif "bytes" in metric:
                shown = f"{float(value) / 2**30:.1f} GiB"
            alarms.append(
                {
                    "urn": r["urn"] + (f"#{k}" if k else ""),
                    "name": i.get("displayName") or r["name"],
                    "metric": f"{metric} ({agg.replace('ALIGN_', '').lower()})" if agg else metric,
                    "threshold": f"{OPS.get(ct.get('comparison', ''), '>')} {shown}",
                    "window": _iso_minutes(ct.get("duration")),
                    "targets": [c for c in i.get("notificationChannels") or [] if c in targets],
                    "rollback": False,
                }
            )
    return alarms, targets


def _dashboards(plan: dict[str, Any], res: list[dict[str, Any]], key: str) -> list[str]:
    urls = {}
    for k, v in (plan.get("outputs") or {}).items():
        if isinstance(v, dict) and isinstance(v.get("dashboardUrl"), str):
            urls[k] = v["dashboardUrl"]
    out = []
    for r in res:
        if r["type"] not in DASHBOARDS:
            continue
        i = r.get("inputs") or {}
        title = i.get("dashboardName") or i.get("displayName")
        if not title and isinstance(i.get("dashboardJson"), str):
            try:
                title = json.loads(i["dashboardJson"]).get("displayName")
            except ValueError:
                title = None
        label = f"{DASHBOARDS[r['type']]} `{title or r['name']}`"
        out.append(f"[{label}]({urls[key]})" if key in urls and len(out) == 0 else label)
    return sorted(out)


# ---- rendering ----------------------------------------------------------------------------------------------
def _node(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _esc(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def alarms_section(plan: dict[str, Any]) -> str:
    """The "Alarms and dashboards" Markdown section of a plan ("" when the plan declares no alarm)."""
    owners = _owners(plan)
    by_ep: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(plan.get("resources", []), key=lambda r: r["urn"]):
        by_ep.setdefault(owners.get(r["urn"], "(stack)"), []).append(r)
    blocks: list[str] = []
    for key in sorted(by_ep, key=lambda k: (k == "(stack)", k)):
        res = by_ep[key]
        alarms, targets = [], {}
        for reader in (_aws, _azure, _gcp):
            a, t = reader(plan, res)
            alarms += a
            targets.update(t)
        dashboards = _dashboards(plan, res, key)
        if not alarms and not dashboards:
            continue
        title = "Stack-wide" if key == "(stack)" else f"Endpoint `{key}`"
        L = [f"### {title}", ""]
        if alarms:
            L += [
                "| Alarm | Metric | Threshold | Window | Notifies | Rolls back |",
                "|---|---|---|---|---|---|",
            ]
            for a in alarms:
                notify = ", ".join(targets[t]["label"] for t in a["targets"]) or "nobody"
                L.append(
                    f"| `{_esc(a['name'])}` | {_esc(a['metric'])} | {_esc(a['threshold'])} | {_esc(a['window'])} | {_esc(notify)} | {'yes' if a['rollback'] else '-'} |"
                )
            L.append("")
        if dashboards:
            L += ["Dashboards: " + ", ".join(dashboards), ""]
        L += ["```mermaid", _graph(key, alarms, targets, dashboards), "```", ""]
        blocks.append("\n".join(L))
    if not blocks:
        return ""
    return "## Alarms and dashboards\n\n" + "\n".join(blocks).rstrip() + "\n"


def _graph(
    key: str, alarms: list[dict[str, Any]], targets: dict[str, dict[str, Any]], dashboards: list[str]
) -> str:
    L = ["flowchart LR", f'  ep["endpoint {_node(key)}"]']
    used_targets = sorted({t for a in alarms for t in a["targets"]})
    tid = {t: f"t{i}" for i, t in enumerate(used_targets)}
    for i, a in enumerate(alarms):
        L.append(f'  a{i}["{_node(a["name"])}<br/>{_node(a["threshold"])}"]')
        L.append(f"  ep --> a{i}")
        for t in a["targets"]:
            L.append(f"  a{i} --> {tid[t]}")
        if a["rollback"]:
            L.append(f"  a{i} -. rollback .-> ep")
    n = 0
    for t in used_targets:
        L.append(f'  {tid[t]}["{_node(targets[t]["label"])}"]')
        for rcv in targets[t]["receivers"]:
            L.append(f'  r{n}(["{_node(rcv)}"])')
            L.append(f"  {tid[t]} --> r{n}")
            n += 1
    for i, d in enumerate(dashboards):
        label = re.sub(r"^\[(.*)\]\(.*\)$", r"\1", d).replace("`", "")
        L.append(f'  d{i}[/"{_node(label)}"/]')
        L.append(f"  ep --- d{i}")
    return "\n".join(L)
