"""A Grafana dashboard per endpoint over Triton's own metrics (Prometheus data source), with the thresholds of
the endpoint's alerts (``monitoring.rules``) drawn on the panels they belong to.

``dashboard(key, endpoint, stack=...)`` returns the dashboard JSON model (``uid``, ``title``, ``schemaVersion``,
``panels`` with ``gridPos`` and Prometheus ``targets``, ``templating`` with a data source variable); import
it in Grafana (Dashboards > New > Import) or provision it from a file. The PromQL is the same as
``monitoring.prometheus``'s rules: the same metrics, selectors and units.
"""

from __future__ import annotations

import re
from typing import Any

from components.spec import EndpointSpec
from monitoring.prometheus import JOB, RATE_WINDOW, model_name, selector
from monitoring.rules import AlertRule, alert_rules

SCHEMA_VERSION = 39  # Grafana 10.x/11.x dashboard JSON model
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
WIDTH, HEIGHT = 12, 8


def uid(stack: str, key: str) -> str:
    """A stable dashboard uid (Grafana allows at most 40 characters: [a-zA-Z0-9-_])."""
    raw = re.sub(r"[^a-zA-Z0-9_-]", "-", f"mlinfra-{stack}-{key}")
    if len(raw) <= 40:
        return raw
    import hashlib

    return raw[:31] + "-" + hashlib.sha256(raw.encode()).hexdigest()[:8]


def _panel(
    pid: int,
    title: str,
    targets: list[tuple[str, str]],
    unit: str,
    *,
    threshold: float | None = None,
    description: str = "",
    max_: float | None = None,
) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    if threshold is not None:
        steps.append({"color": "red", "value": threshold})
    defaults: dict[str, Any] = {
        "unit": unit,
        "min": 0,
        "thresholds": {"mode": "absolute", "steps": steps},
        "custom": {
            "thresholdsStyle": {"mode": "line" if threshold is not None else "off"},
            "lineWidth": 1,
            "fillOpacity": 10,
        },
    }
    if max_ is not None:
        defaults["max"] = max_
    return {
        "id": pid,
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"h": HEIGHT, "w": WIDTH, "x": 0, "y": 0},
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "datasource": DATASOURCE,
                "expr": expr,
                "legendFormat": legend,
                "range": True,
            }
            for i, (expr, legend) in enumerate(targets)
        ],
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "none"},
        },
    }


def dashboard(
    key: str, ep: EndpointSpec, *, stack: str, job: str = JOB, base_dir: str = "."
) -> dict[str, Any]:
    """The dashboard JSON model of one endpoint."""
    model = model_name(ep, base_dir)
    job = job.format(endpoint=key)
    m, s, w = selector(job, model), selector(job), RATE_WINDOW
    p50, p99 = selector(job, model, 'quantile="0.5"'), selector(job, model, 'quantile="0.99"')
    rules: dict[str, AlertRule] = {r.signal: r for r in alert_rules(ep)}

    def thr(signal: str) -> float | None:
        return rules[signal].threshold if signal in rules else None

    ok = f"sum by (model) (rate(nv_inference_request_success{m}[{w}]))"
    fail = f"sum by (model) (rate(nv_inference_request_failure{m}[{w}]))"
    panels = [
        _panel(
            1,
            "Requests per second",
            [(ok, "success"), (fail, "failure")],
            "reqps",
            description="nv_inference_request_success / _failure",
        ),
        _panel(
            2,
            "Error rate (%)",
            [(f"100 * {fail} / ({ok} + {fail})", "errors %")],
            "percent",
            threshold=thr("error_rate"),
            description="the error-rate alert's threshold is the red line",
        ),
        _panel(
            3,
            "Request latency (ms)",
            [
                (f"max by (model) (nv_inference_request_summary_us{p50}) / 1000", "p50"),
                (f"max by (model) (nv_inference_request_summary_us{p99}) / 1000", "p99"),
                (
                    f"sum by (model) (rate(nv_inference_request_duration_us{m}[{w}])) / sum by (model) (rate(nv_inference_request_success{m}[{w}])) / 1000",
                    "average",
                ),
            ],
            "ms",
            threshold=thr("latency_p99"),
            description="p50/p99 need tritonserver --metrics-config summary_latencies=true; the average comes from the counters",
        ),
        _panel(
            4,
            "Queue time (ms, average)",
            [
                (
                    f"sum by (model) (rate(nv_inference_queue_duration_us{m}[{w}])) / sum by (model) (rate(nv_inference_request_success{m}[{w}])) / 1000",
                    "queue",
                )
            ],
            "ms",
            description="time requests wait before execution: a growing queue asks for more instances",
        ),
        _panel(
            5,
            "Batch size (inferences per execution)",
            [
                (
                    f"sum by (model) (rate(nv_inference_count{m}[{w}])) / sum by (model) (rate(nv_inference_exec_count{m}[{w}]))",
                    "batch",
                )
            ],
            "none",
            description="nv_inference_count / nv_inference_exec_count: what dynamic batching achieves",
        ),
        _panel(
            6,
            "Pending requests",
            [(f"sum by (model) (nv_inference_pending_request_count{m})", "pending")],
            "none",
        ),
        _panel(
            7,
            "CPU utilization (%)",
            [(f"100 * avg by (instance) (nv_cpu_utilization{s})", "{{instance}}")],
            "percent",
            threshold=thr("cpu"),
            max_=100,
        ),
        _panel(
            8,
            "Memory utilization (%)",
            [
                (
                    f"100 * max by (instance) (nv_cpu_memory_used_bytes{s} / nv_cpu_memory_total_bytes{s})",
                    "{{instance}}",
                )
            ],
            "percent",
            threshold=thr("memory"),
            max_=100,
        ),
    ]
    if ep.compute.accelerator == "gpu":
        panels += [
            _panel(
                9,
                "GPU utilization (%)",
                [(f"100 * avg by (instance, gpu_uuid) (nv_gpu_utilization{s})", "{{instance}} {{gpu_uuid}}")],
                "percent",
                threshold=thr("gpu"),
                max_=100,
            ),
            _panel(
                10,
                "GPU memory used (%)",
                [
                    (
                        f"100 * max by (instance, gpu_uuid) (nv_gpu_memory_used_bytes{s} / nv_gpu_memory_total_bytes{s})",
                        "{{instance}} {{gpu_uuid}}",
                    )
                ],
                "percent",
                max_=100,
            ),
        ]
    for i, p in enumerate(panels):  # two columns, top to bottom
        p["gridPos"].update({"x": (i % 2) * WIDTH, "y": (i // 2) * HEIGHT})
    return {
        "uid": uid(stack, key),
        "title": f"mlinfra {stack}/{key}: Triton ({model})",
        "description": f"Triton Inference Server metrics of endpoint {key} (stack {stack}), scraped as job {job}. Generated by mlinfra.",
        "tags": ["mlinfra", "triton", stack],
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "timezone": "browser",
        "annotations": {"list": []},
        "links": [],
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {},
                    "hide": 0,
                    "refresh": 1,
                    "options": [],
                }
            ]
        },
        "panels": panels,
    }
