"""One alert vocabulary for every cloud: what to watch on an inference endpoint and when to page.

``alert_rules(spec)`` turns the ``alerts`` section into cloud-neutral rules; ``monitoring.<cloud>`` compiles
them into that cloud's alarms (CloudWatch, Azure Monitor, Cloud Monitoring), ``monitoring.prometheus``
into rules over Triton's own metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.spec import EndpointSpec


@dataclass(frozen=True)
class AlertRule:
    id: str  # stable: part of resource names
    title: str
    signal: str  # latency_p99 | error_rate | cpu | gpu | memory
    threshold: float
    unit: str  # ms | percent
    evaluation_minutes: int
    description: str


_DEFS = {
    "latency_p99_ms": (
        "latency-p99",
        "p99 model latency",
        "latency_p99",
        "ms",
        "99th percentile model latency above {t:g} ms for {m} minutes",
    ),
    "error_rate_percent": (
        "error-rate",
        "server error rate",
        "error_rate",
        "percent",
        "server errors (5xx) above {t:g}% of invocations for {m} minutes",
    ),
    "cpu_utilization_percent": (
        "cpu",
        "CPU utilization",
        "cpu",
        "percent",
        "average CPU utilization above {t:g}% for {m} minutes",
    ),
    "memory_utilization_percent": (
        "memory",
        "memory utilization",
        "memory",
        "percent",
        "average memory utilization above {t:g}% for {m} minutes",
    ),
    "gpu_utilization_percent": (
        "gpu",
        "GPU utilization",
        "gpu",
        "percent",
        "average GPU utilization above {t:g}% for {m} minutes",
    ),
}


def alert_rules(spec: EndpointSpec) -> list[AlertRule]:
    """The enabled alerts of an endpoint, in a stable order (GPU only on GPU endpoints)."""
    out = []
    minutes = spec.alerts.evaluation_minutes
    for field in spec.alarms_enabled:
        rid, title, signal, unit, desc = _DEFS[field]
        threshold = float(getattr(spec.alerts, field))
        out.append(
            AlertRule(rid, title, signal, threshold, unit, minutes, desc.format(t=threshold, m=minutes))
        )
    return out
