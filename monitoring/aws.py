"""The alert vocabulary compiled for CloudWatch: alarms with the right namespace, units and dimensions.

- ``AWS/SageMaker``: Invocations, Invocation5XXErrors, ModelLatency (microseconds).
- ``/aws/sagemaker/Endpoints``: CPUUtilization and GPUUtilization are summed over cores/GPUs
  (0..100 x count), MemoryUtilization is 0..100.
An alarm without the EndpointName and VariantName dimensions never fires.
"""

from __future__ import annotations

import json
from typing import Any

from monitoring.rules import AlertRule

INVOCATION_NS = "AWS/SageMaker"
INSTANCE_NS = "/aws/sagemaker/Endpoints"
PERIOD = 60
ROLLBACK_SIGNALS = ("error_rate", "latency_p99")


def dimensions(endpoint_name: str, variant: str) -> dict[str, str]:
    return {"EndpointName": endpoint_name, "VariantName": variant}


def metric(
    namespace: str, name: str, endpoint_name: str, variant: str, stat: str = "Average"
) -> dict[str, Any]:
    """A metric spec (CloudWatch ``metric_query.metric``), e.g. ``metric(INVOCATION_NS, "ModelLatency", ...)``."""
    return {
        "namespace": namespace,
        "metric_name": name,
        "dimensions": dimensions(endpoint_name, variant),
        "period": PERIOD,
        "stat": stat,
    }


def alarm_args(
    rule: AlertRule,
    endpoint_name: str,
    variant: str,
    topic_arn: Any,
    vcpus: float = 1,
    gpus: int = 1,
) -> dict[str, Any]:
    """Keyword arguments of ``aws.cloudwatch.MetricAlarm`` for one rule."""
    m = rule.evaluation_minutes
    common: dict[str, Any] = {
        "name": f"{endpoint_name}-{rule.id}",
        "alarm_description": f"mlinfra {endpoint_name}: {rule.description}",
        "comparison_operator": "GreaterThanThreshold",
        "evaluation_periods": m,
        "datapoints_to_alarm": m,
        "treat_missing_data": "notBreaching",
        "alarm_actions": [topic_arn],
        "ok_actions": [topic_arn],
    }
    dims = dimensions(endpoint_name, variant)
    if rule.signal == "latency_p99":
        return {
            **common,
            "namespace": INVOCATION_NS,
            "metric_name": "ModelLatency",
            "extended_statistic": "p99",
            "period": PERIOD,
            "dimensions": dims,
            "threshold": rule.threshold * 1000.0,  # ModelLatency is in microseconds
            "unit": "Microseconds",
        }
    if rule.signal == "error_rate":
        return {
            **common,
            "threshold": rule.threshold,
            "metric_queries": [
                {
                    "id": "errors",
                    "metric": _stat(INVOCATION_NS, "Invocation5XXErrors", dims, "Sum"),
                    "return_data": False,
                },
                {
                    "id": "invocations",
                    "metric": _stat(INVOCATION_NS, "Invocations", dims, "Sum"),
                    "return_data": False,
                },
                {
                    "id": "error_rate",
                    "expression": "IF(invocations > 0, 100 * errors / invocations, 0)",
                    "label": "5XX error rate (%)",
                    "return_data": True,
                },
            ],
        }
    name, scale = {
        "cpu": ("CPUUtilization", vcpus),
        "gpu": ("GPUUtilization", gpus),
        "memory": ("MemoryUtilization", 1),
    }[rule.signal]
    return {
        **common,
        "namespace": INSTANCE_NS,
        "metric_name": name,
        "statistic": "Average",
        "period": PERIOD,
        "dimensions": dims,
        "threshold": rule.threshold * scale,
    }


def _stat(namespace: str, name: str, dims: dict[str, str], stat: str) -> dict[str, Any]:
    return {"namespace": namespace, "metric_name": name, "dimensions": dims, "period": PERIOD, "stat": stat}


def rollback_alarm_names(rules: list[AlertRule], endpoint_name: str) -> list[str]:
    """The alarms that roll a deployment back: errors and latency (what a bad model moves), 1 to 10."""
    picked = [r for r in rules if r.signal in ROLLBACK_SIGNALS] or rules
    return [f"{endpoint_name}-{r.id}" for r in picked][:10]


def dashboard_body(endpoint_name: str, variant: str, region: str, alarm_arns: list[str], gpu: bool) -> str:
    """A CloudWatch dashboard: traffic, latency, errors, utilization, and the alarms' state."""

    def widget(
        title: str, metrics: list[list[Any]], x: int, y: int, stat: str = "Average", w: int = 12
    ) -> dict[str, Any]:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": w,
            "height": 6,
            "properties": {
                "title": title,
                "region": region,
                "stat": stat,
                "period": PERIOD,
                "view": "timeSeries",
                "metrics": metrics,
            },
        }

    d = ["EndpointName", endpoint_name, "VariantName", variant]
    util = [[INSTANCE_NS, "CPUUtilization", *d], [INSTANCE_NS, "MemoryUtilization", *d]]
    if gpu:
        util += [[INSTANCE_NS, "GPUUtilization", *d], [INSTANCE_NS, "GPUMemoryUtilization", *d]]
    widgets = [
        widget("Invocations per minute", [[INVOCATION_NS, "Invocations", *d]], 0, 0, "Sum"),
        widget(
            "Model latency p50 / p99 (microseconds)",
            [
                [INVOCATION_NS, "ModelLatency", *d, {"stat": "p50"}],
                [INVOCATION_NS, "ModelLatency", *d, {"stat": "p99"}],
            ],
            12,
            0,
        ),
        widget(
            "Errors",
            [[INVOCATION_NS, "Invocation4XXErrors", *d], [INVOCATION_NS, "Invocation5XXErrors", *d]],
            0,
            6,
            "Sum",
        ),
        widget("Utilization (%; CPU and GPU summed over cores)", util, 12, 6),
        {
            "type": "alarm",
            "x": 0,
            "y": 12,
            "width": 24,
            "height": 3,
            "properties": {"title": "Alarms", "alarms": alarm_arns},
        },
    ]
    return json.dumps({"widgets": widgets}, sort_keys=True)
