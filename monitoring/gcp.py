"""The alert vocabulary compiled for Cloud Monitoring: alert policies with the right metric types per backend.

Vertex AI (monitored resource ``aiplatform.googleapis.com/Endpoint``, label ``endpoint_id``):
``prediction/online/prediction_latencies`` (distribution, ms), ``error_count`` / ``prediction_count``,
``cpu/utilization`` and ``accelerator/duty_cycle`` (fractions), ``memory/bytes_used`` (bytes: the memory alert
is compiled against the machine type's memory).
Cloud Run (``cloud_run_revision``, label ``service_name``): ``request_latencies`` (distribution, ms),
``request_count`` by ``response_code_class``, ``container/cpu|memory|gpu/utilizations`` (distributions of
fractions).
Every policy notifies the endpoint's channels (email, webhook_tokenauth): a policy that notifies nobody is noise.
"""

from __future__ import annotations

import json
from typing import Any

from monitoring.rules import AlertRule

VERTEX_RESOURCE = "aiplatform.googleapis.com/Endpoint"
VERTEX_PREFIX = "aiplatform.googleapis.com/prediction/online/"
RUN_RESOURCE = "cloud_run_revision"
RUN_PREFIX = "run.googleapis.com/"
PERIOD = "60s"


def resource_filter(backend: str, name: str) -> str:
    """The monitored-resource part of a filter: the Vertex endpoint id, or the Cloud Run service name."""
    if backend == "vertex":
        return f'resource.type="{VERTEX_RESOURCE}" AND resource.labels.endpoint_id="{name}"'
    return f'resource.type="{RUN_RESOURCE}" AND resource.labels.service_name="{name}"'


def metric_type(backend: str, signal: str) -> str:
    if backend == "vertex":
        return (
            VERTEX_PREFIX
            + {
                "latency_p99": "prediction_latencies",
                "errors": "error_count",
                "requests": "prediction_count",
                "cpu": "cpu/utilization",
                "memory": "memory/bytes_used",
                "gpu": "accelerator/duty_cycle",
            }[signal]
        )
    return (
        RUN_PREFIX
        + {
            "latency_p99": "request_latencies",
            "errors": "request_count",
            "requests": "request_count",
            "cpu": "container/cpu/utilizations",
            "memory": "container/memory/utilizations",
            "gpu": "container/gpu/utilizations",
        }[signal]
    )


def metric_filter(backend: str, name: str, signal: str) -> str:
    f = f'metric.type="{metric_type(backend, signal)}" AND {resource_filter(backend, name)}'
    if backend == "cloudrun" and signal == "errors":
        f += ' AND metric.labels.response_code_class="5xx"'
    return f


def _agg(aligner: str, reducer: str) -> list[dict[str, Any]]:
    return [{"alignmentPeriod": PERIOD, "perSeriesAligner": aligner, "crossSeriesReducer": reducer}]


def alert_policy_args(
    rule: AlertRule,
    backend: str,
    name: str,
    display: str,
    channels: list[Any],
    memory_gib: float = 0.0,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Keyword arguments of ``gcp.monitoring.AlertPolicy`` for one rule (snake_case keys, camelCase inside)."""
    duration = f"{rule.evaluation_minutes * 60}s"
    cond: dict[str, Any] = {"comparison": "COMPARISON_GT", "duration": duration, "trigger": {"count": 1}}
    if rule.signal == "latency_p99":
        cond.update(
            filter=metric_filter(backend, name, "latency_p99"),
            thresholdValue=rule.threshold,
            aggregations=_agg("ALIGN_PERCENTILE_99", "REDUCE_MAX"),
        )
    elif rule.signal == "error_rate":
        cond.update(
            filter=metric_filter(backend, name, "errors"),
            aggregations=_agg("ALIGN_DELTA", "REDUCE_SUM"),
            denominatorFilter=metric_filter(backend, name, "requests"),
            denominatorAggregations=_agg("ALIGN_DELTA", "REDUCE_SUM"),
            thresholdValue=rule.threshold / 100.0,
        )
    elif rule.signal == "memory" and backend == "vertex":
        cond.update(
            filter=metric_filter(backend, name, "memory"),
            thresholdValue=round(rule.threshold / 100.0 * memory_gib * 2**30),
            aggregations=_agg("ALIGN_MEAN", "REDUCE_MAX"),
        )
    else:
        aligner = "ALIGN_MEAN" if backend == "vertex" else "ALIGN_PERCENTILE_50"
        cond.update(
            filter=metric_filter(backend, name, rule.signal),
            thresholdValue=rule.threshold / 100.0,
            aggregations=_agg(aligner, "REDUCE_MEAN"),
        )
    return {
        "display_name": f"{display}: {rule.title}",
        "combiner": "OR",
        "enabled": True,
        "severity": "ERROR" if rule.signal in ("latency_p99", "error_rate") else "WARNING",
        "conditions": [{"display_name": rule.description, "condition_threshold": _snake(cond)}],
        "notification_channels": channels,
        "alert_strategy": {"auto_close": "1800s"},
        "documentation": {"content": f"mlinfra {display}: {rule.description}.", "mime_type": "text/markdown"},
        "user_labels": labels or {},
    }


def _snake(d: Any) -> Any:
    """camelCase keys -> snake_case (Pulumi's Python input names), recursively."""
    import re

    if isinstance(d, dict):
        return {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): _snake(v) for k, v in d.items()}
    if isinstance(d, list):
        return [_snake(v) for v in d]
    return d


def channel_args(kind: str, target: str, display: str) -> dict[str, Any]:
    """A notification channel: ``email`` (email_address) or ``webhook_tokenauth`` (url)."""
    if kind == "email":
        return {
            "type": "email",
            "display_name": f"{display} email {target}",
            "labels": {"email_address": target},
        }
    return {"type": "webhook_tokenauth", "display_name": f"{display} webhook", "labels": {"url": target}}


def dashboard_json(backend: str, name: str, display: str, gpu: bool) -> str:
    """A Cloud Monitoring dashboard: traffic, p50/p99 latency, errors, utilization."""

    def tile(
        title: str, signal: str, aligner: str, reducer: str, x: int, y: int, extra: str = ""
    ) -> dict[str, Any]:
        return {
            "xPos": x,
            "yPos": y,
            "width": 6,
            "height": 4,
            "widget": {
                "title": title,
                "xyChart": {
                    "dataSets": [
                        {
                            "plotType": "LINE",
                            "timeSeriesQuery": {
                                "timeSeriesFilter": {
                                    "filter": metric_filter(backend, name, signal) + extra,
                                    "aggregation": {
                                        "alignmentPeriod": PERIOD,
                                        "perSeriesAligner": aligner,
                                        "crossSeriesReducer": reducer,
                                    },
                                }
                            },
                        }
                    ]
                },
            },
        }

    tiles = [
        tile("Requests per minute", "requests", "ALIGN_DELTA", "REDUCE_SUM", 0, 0),
        tile("Latency p99 (ms)", "latency_p99", "ALIGN_PERCENTILE_99", "REDUCE_MAX", 6, 0),
        tile("Server errors", "errors", "ALIGN_DELTA", "REDUCE_SUM", 0, 4),
        tile(
            "CPU utilization",
            "cpu",
            "ALIGN_MEAN" if backend == "vertex" else "ALIGN_PERCENTILE_50",
            "REDUCE_MEAN",
            6,
            4,
        ),
        tile(
            "Memory" + (" (bytes)" if backend == "vertex" else " utilization"),
            "memory",
            "ALIGN_MEAN" if backend == "vertex" else "ALIGN_PERCENTILE_50",
            "REDUCE_MEAN",
            0,
            8,
        ),
    ]
    if gpu:
        tiles.append(
            tile(
                "GPU utilization",
                "gpu",
                "ALIGN_MEAN" if backend == "vertex" else "ALIGN_PERCENTILE_50",
                "REDUCE_MEAN",
                6,
                8,
            )
        )
    return json.dumps(
        {"displayName": display, "mosaicLayout": {"columns": 12, "tiles": tiles}}, sort_keys=True
    )
