"""The alert vocabulary (``monitoring.rules``) compiled into Prometheus alerting rules over Triton's own metrics,
for teams that scrape Triton themselves (``:8002/metrics``) instead of, or besides, the cloud's monitoring.

Triton metrics used (per model unless noted):

- ``nv_inference_request_success`` / ``nv_inference_request_failure``: request counters -> error rate;
- ``nv_inference_request_summary_us{quantile="0.99"}``: the p99 request latency, a summary Triton publishes
  only with ``--metrics-config summary_latencies=true`` (a guard alert fires when it is absent);
- ``nv_inference_request_duration_us`` / ``nv_inference_queue_duration_us``: cumulative microseconds (the
  dashboard's averages);
- ``nv_cpu_utilization`` (0..1), ``nv_cpu_memory_used_bytes`` / ``nv_cpu_memory_total_bytes`` (per server);
- ``nv_gpu_utilization`` (0..1, per GPU).

``rules_document(stack)`` -> ``{"groups": [...]}`` (promtool's rule file format: one group per endpoint,
each rule with ``alert``, ``expr``, ``for``, ``labels``, ``annotations``); ``to_yaml`` renders it;
``export_triton_monitoring(stack, out_dir)`` writes the rules and one Grafana dashboard per endpoint.
``check_promql(expr)`` is a small syntax check of the expressions (promtool checks them fully in the tests).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from components.spec import EndpointSpec, StackSpec
from monitoring.rules import AlertRule, alert_rules

RATE_WINDOW = "5m"
JOB = "triton-{endpoint}"
"""The scrape job of each endpoint's Triton servers (``{endpoint}`` is the endpoint key): per-server metrics
(CPU, memory, GPU, ``up``) carry no model label, so the job tells the endpoints apart."""
PAGE_SIGNALS = ("latency_p99", "error_rate")
SUMMARY_FLAG = "--metrics-config summary_latencies=true"


def model_name(ep: EndpointSpec, base_dir: str = ".") -> str:
    """The Triton model name the endpoint serves (Triton's ``model`` label)."""
    from components._common.artifact import resolve_model

    try:
        return resolve_model(ep.model, base_dir).triton_model_name
    except Exception:  # an unreadable model ref: the endpoint key is the next best label
        return ep.key


def selector(job: str, model: str | None = None, extra: str = "") -> str:
    parts = [f'job="{job}"']
    if model is not None:
        parts.append(f'model="{model}"')
    if extra:
        parts.append(extra)
    return "{" + ", ".join(parts) + "}"


def expression(rule: AlertRule, job: str, model: str) -> str:
    """The PromQL of one vocabulary rule, in the rule's own unit (ms or percent)."""
    m = selector(job, model)
    s = selector(job)
    t = f"{rule.threshold:g}"
    if rule.signal == "latency_p99":
        p99 = selector(job, model, 'quantile="0.99"')
        return f"max by (model) (nv_inference_request_summary_us{p99}) / 1000 > {t}"
    if rule.signal == "error_rate":
        fail = f"sum by (model) (rate(nv_inference_request_failure{m}[{RATE_WINDOW}]))"
        ok = f"sum by (model) (rate(nv_inference_request_success{m}[{RATE_WINDOW}]))"
        return f"100 * {fail} / ({ok} + {fail}) > {t}"
    if rule.signal == "cpu":
        return f"100 * avg by (instance) (nv_cpu_utilization{s}) > {t}"
    if rule.signal == "memory":
        return f"100 * max by (instance) (nv_cpu_memory_used_bytes{s} / nv_cpu_memory_total_bytes{s}) > {t}"
    if rule.signal == "gpu":
        return f"100 * avg by (instance, gpu_uuid) (nv_gpu_utilization{s}) > {t}"
    raise ValueError(f"no Triton metric for signal {rule.signal!r}")


def _alert_name(rule: AlertRule) -> str:
    return "Triton" + "".join(p.capitalize() for p in re.split(r"[-_]", rule.id)) + "High"


def endpoint_rules(
    key: str, ep: EndpointSpec, *, stack: str, job: str = JOB, base_dir: str = "."
) -> list[dict[str, Any]]:
    model = model_name(ep, base_dir)
    job = job.format(endpoint=key)
    labels = {"mlinfra_stack": stack, "mlinfra_endpoint": key}
    rules: list[dict[str, Any]] = []
    for rule in alert_rules(ep):
        unit = " ms" if rule.unit == "ms" else "%"
        rules.append(
            {
                "alert": _alert_name(rule),
                "expr": expression(rule, job, model),
                "for": f"{rule.evaluation_minutes}m",
                "labels": {
                    **labels,
                    "severity": "page" if rule.signal in PAGE_SIGNALS else "warning",
                    "signal": rule.signal,
                },
                "annotations": {
                    "summary": f"{stack}/{key}: {rule.title} above {rule.threshold:g}{unit}",
                    "description": f'Triton model {model} ({stack}/{key}): {rule.description}. Value: {{{{ $value | printf "%.2f" }}}}{unit}.',
                },
            }
        )
    if any(r.signal == "latency_p99" for r in alert_rules(ep)):
        rules.append(
            {
                "alert": "TritonLatencySummaryMissing",
                "expr": f"absent(nv_inference_request_summary_us{selector(job, model)})",
                "for": "15m",
                "labels": {**labels, "severity": "warning", "signal": "latency_p99"},
                "annotations": {
                    "summary": f"{stack}/{key}: no p99 latency from Triton, so its latency alert cannot fire",
                    "description": f"Start tritonserver with {SUMMARY_FLAG} (and scrape job {job!r}) to publish nv_inference_request_summary_us.",
                },
            }
        )
    rules.append(
        {
            "alert": "TritonDown",
            "expr": f"up{selector(job)} == 0",
            "for": "5m",
            "labels": {**labels, "severity": "page", "signal": "availability"},
            "annotations": {
                "summary": f"{stack}/{key}: Triton metrics endpoint down",
                "description": "Prometheus cannot scrape {{ $labels.instance }} (job " + job + ").",
            },
        }
    )
    return rules


def rules_document(stack: StackSpec, job: str = JOB) -> dict[str, Any]:
    """promtool's rule-file format: one group per endpoint (``mlinfra-<stack>-<endpoint>``)."""
    return {
        "groups": [
            {
                "name": f"mlinfra-{stack.stack}-{key}",
                "rules": endpoint_rules(key, ep, stack=stack.stack, job=job, base_dir=stack.base_dir),
            }
            for key, ep in sorted(stack.endpoints.items())
        ]
    }


def to_yaml(doc: dict[str, Any]) -> str:
    import yaml

    return (
        "# Prometheus alerting rules for Triton, generated by mlinfra (monitoring/prometheus.py)\n"
        + yaml.safe_dump(doc, sort_keys=False, width=200)
    )


def export_triton_monitoring(stack: StackSpec, out_dir: str | Path, job: str = JOB) -> list[Path]:
    """Write ``prometheus-rules.yml`` and ``grafana-<endpoint>.json`` into ``out_dir``; return the paths."""
    import json

    from monitoring.grafana import dashboard

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "prometheus-rules.yml"]
    written[0].write_text(to_yaml(rules_document(stack, job)))
    for key, ep in sorted(stack.endpoints.items()):
        p = out / f"grafana-{key}.json"
        p.write_text(
            json.dumps(
                dashboard(key, ep, stack=stack.stack, job=job, base_dir=stack.base_dir),
                indent=2,
                sort_keys=True,
            )
            + "\n"
        )
        written.append(p)
    return written


# ---- a PromQL syntax check ------------------------------------------------------------------------------------
FUNCTIONS = {
    "abs",
    "absent",
    "absent_over_time",
    "avg_over_time",
    "ceil",
    "changes",
    "clamp",
    "clamp_max",
    "clamp_min",
    "count_over_time",
    "delta",
    "deriv",
    "exp",
    "floor",
    "histogram_quantile",
    "holt_winters",
    "idelta",
    "increase",
    "irate",
    "label_replace",
    "label_join",
    "ln",
    "log2",
    "log10",
    "max_over_time",
    "min_over_time",
    "predict_linear",
    "quantile_over_time",
    "rate",
    "resets",
    "round",
    "scalar",
    "sort",
    "sort_desc",
    "sqrt",
    "stddev_over_time",
    "sum_over_time",
    "time",
    "timestamp",
    "vector",
    "last_over_time",
    "present_over_time",
}
AGGREGATIONS = {
    "sum",
    "avg",
    "min",
    "max",
    "count",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "quantile",
    "count_values",
    "group",
}
KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
}
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<duration>\[\d+(?:ms|[smhdwy])(?::\d*(?:ms|[smhdwy])?)?\])
    | (?P<number>\d+(?:\.\d+)?(?:e[+-]?\d+)?)
    | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
    | (?P<op>==|!=|=~|!~|>=|<=|[-+*/%^<>=(){},])
    )""",
    re.X,
)


def check_promql(expr: str) -> list[str]:
    """Problems found in a PromQL expression (empty: looks valid): tokens, brackets, function names, label
    matchers, range selectors. Not a full parser; promtool is the reference."""
    problems: list[str] = []
    pos, stack, tokens = 0, [], []
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        m = _TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            problems.append(f"unexpected character {expr[pos:].lstrip()[:1]!r} at {pos}")
            break
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    for i, (kind, text, at) in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ("", "", -1)
        if text in "({":
            stack.append((text, at))
        elif text in ")}":
            want = "(" if text == ")" else "{"
            if not stack or stack[-1][0] != want:
                problems.append(f"unbalanced {text!r} at {at}")
            else:
                stack.pop()
        if kind == "ident" and nxt[1] == "(":
            prev = tokens[i - 1][1] if i else ""
            if text not in FUNCTIONS | AGGREGATIONS | KEYWORDS and prev not in (
                "by",
                "without",
                "on",
                "ignoring",
                "group_left",
                "group_right",
            ):
                problems.append(f"unknown function {text!r} at {at}")
        if kind == "duration" and (
            i == 0
            or tokens[i - 1][1] not in ("}",)
            and tokens[i - 1][0] != "ident"
            and tokens[i - 1][1] != ")"
        ):
            problems.append(f"range {text} at {at} follows no selector")
    for opener, at in stack:
        problems.append(f"unclosed {opener!r} at {at}")
    # label matchers: inside {...} after a metric name, name op "string" [, ...]
    for m in re.finditer(r"\{([^{}]*)\}", expr):
        body = m.group(1).strip()
        if not body:
            continue
        for part in _split_matchers(body):
            if not re.fullmatch(
                r"\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')\s*",
                part,
            ):
                problems.append(f"bad label matcher {part.strip()!r}")
    if not tokens:
        problems.append("empty expression")
    return problems


def _split_matchers(body: str) -> list[str]:
    parts, cur, quote = [], "", ""
    for ch in body:
        if quote:
            cur += ch
            if ch == quote and not cur.endswith("\\" + quote):
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
            cur += ch
        elif ch == ",":
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts
