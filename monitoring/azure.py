"""The alert vocabulary compiled for Azure Monitor: metric alerts on Azure ML online endpoints.

Metrics (Azure Monitor, "supported metrics" for Azure ML online endpoints):
- endpoint scope (``.../onlineEndpoints``): ``RequestLatency_P99`` (ms, Average), ``RequestsPerMinute``
  (Average; dimensions ``deployment``, ``statusCode``, ``statusCodeClass``, ``modelStatusCode``);
- deployment scope (``.../onlineEndpoints/deployments``): ``CpuUtilizationPercentage``,
  ``CpuMemoryUtilizationPercentage``, ``GpuUtilizationPercentage`` (0..100 per instance, not summed over
  cores), ``DeploymentCapacity`` (instances), ``RequestLatency_P99``, ``RequestsPerMinute``.

Metric alerts cannot divide one metric by another, so the error rate is compiled as a count of non-2xx
requests per minute against a reference traffic (``components.azure.validate.error_count_threshold``); the
plan says so. Every alert carries the action group (emails and webhooks from ``mlinfra:notify``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from monitoring.rules import AlertRule

ENDPOINT_TYPE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
DEPLOYMENT_TYPE = f"{ENDPOINT_TYPE}/deployments"
SINGLE_RESOURCE = "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
SEVERITY = {"error_rate": 1, "capacity": 1, "latency_p99": 2, "cpu": 2, "memory": 2, "gpu": 2}
ENDPOINT_SIGNALS = ("latency_p99", "error_rate")
"""Signals measured on the endpoint (all deployments); the others are per deployment."""


@dataclass(frozen=True)
class Criterion:
    """One static-threshold criterion, in the wire shape of ``MetricCriteria``."""

    metric: str
    namespace: str
    aggregation: str
    operator: str
    threshold: float
    dimensions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def args(self, name: str):
        from pulumi_azure_native import monitor

        return monitor.MetricCriteriaArgs(
            criterion_type="StaticThresholdCriterion",
            name=name,
            metric_name=self.metric,
            metric_namespace=self.namespace,
            operator=self.operator,
            threshold=self.threshold,
            time_aggregation=self.aggregation,
            dimensions=[
                monitor.MetricDimensionArgs(name=d, operator=op, values=list(v))
                for d, op, v in self.dimensions
            ]
            or None,
        )


def capacity_rule(min_instances: int, minutes: int) -> AlertRule:
    """Azure-only: a deployment running fewer instances than autoscaling's minimum (failed or evicted)."""
    return AlertRule(
        "capacity",
        "deployment capacity",
        "capacity",
        float(min_instances),
        "instances",
        minutes,
        f"fewer than {min_instances} running instances for {minutes} minutes",
    )


def criterion(rule: AlertRule, error_count: int = 1) -> Criterion:
    """The Azure Monitor criterion for one rule."""
    if rule.signal == "latency_p99":
        return Criterion("RequestLatency_P99", ENDPOINT_TYPE, "Average", "GreaterThan", rule.threshold)
    if rule.signal == "error_rate":
        return Criterion(
            "RequestsPerMinute",
            ENDPOINT_TYPE,
            "Average",
            "GreaterThan",
            float(error_count),
            (("statusCodeClass", "Exclude", ("2xx",)),),
        )
    if rule.signal == "capacity":
        return Criterion("DeploymentCapacity", DEPLOYMENT_TYPE, "Minimum", "LessThan", rule.threshold)
    metric = {
        "cpu": "CpuUtilizationPercentage",
        "memory": "CpuMemoryUtilizationPercentage",
        "gpu": "GpuUtilizationPercentage",
    }[rule.signal]
    return Criterion(metric, DEPLOYMENT_TYPE, "Average", "GreaterThan", rule.threshold)


def metric_alert_args(
    rule: AlertRule, alert_name: str, scope: Any, action_group_id: Any, error_count: int = 1
) -> dict[str, Any]:
    """Keyword arguments of ``monitor.MetricAlert`` for one rule on one scope (endpoint or deployment id)."""
    from pulumi_azure_native import monitor

    c = criterion(rule, error_count)
    description = rule.description
    if rule.signal == "error_rate":
        description = f"non-2xx responses above {error_count} per minute for {rule.evaluation_minutes} minutes ({rule.threshold:g}% of the reference traffic)"
    return {
        "rule_name": alert_name,
        "description": f"mlinfra {alert_name}: {description}",
        "location": "global",
        "enabled": True,
        "auto_mitigate": True,
        "severity": SEVERITY[rule.signal],
        "scopes": [scope],
        "evaluation_frequency": "PT1M",
        "window_size": window(rule.evaluation_minutes),
        "criteria": monitor.MetricAlertSingleResourceMultipleMetricCriteriaArgs(
            odata_type=SINGLE_RESOURCE, all_of=[c.args(rule.id)]
        ),
        "actions": [monitor.MetricAlertActionArgs(action_group_id=action_group_id)],
    }


WINDOWS = (1, 5, 15, 30, 60)


def window(minutes: int) -> str:
    """The smallest Azure metric-alert window (PT1M, PT5M, PT15M, PT30M, PT1H) covering ``minutes``."""
    m = next((w for w in WINDOWS if w >= minutes), 60)
    return "PT1H" if m == 60 else f"PT{m}M"


def action_group_args(short_name: str, emails: list[str], webhooks: list[str]) -> dict[str, Any]:
    """Keyword arguments of ``monitor.ActionGroup``: one email receiver per address, one webhook per URL."""
    return {
        "group_short_name": short_name[:12],
        "enabled": True,
        "location": "global",
        "email_receivers": [
            {"name": f"email-{i}", "email_address": e, "use_common_alert_schema": True}
            for i, e in enumerate(emails)
        ],
        "webhook_receivers": [
            {"name": f"webhook-{i}", "service_uri": w, "use_common_alert_schema": True}
            for i, w in enumerate(webhooks)
        ],
    }


def workbook(endpoint_name: str, endpoint_id: str, deployment_ids: dict[str, str], gpu: bool) -> str:
    """An Azure Monitor workbook (serialized JSON): traffic, latency, errors, utilization and capacity."""

    def chart(
        title: str,
        resource_type: str,
        ids: list[str],
        metrics: list[tuple[str, str]],
        split: str | None = None,
    ) -> dict[str, Any]:
        content: dict[str, Any] = {
            "version": "MetricsItem/2.0",
            "size": 0,
            "chartType": 2,
            "resourceType": resource_type.lower(),
            "metricScope": 0,
            "resourceIds": ids,
            "timeContext": {"durationMs": 3600000},
            "metrics": [
                {
                    "namespace": resource_type.lower(),
                    "metric": f"{resource_type.lower()}--{m}",
                    "aggregation": {"Average": 4, "Minimum": 3, "Total": 1}[agg],
                }
                for m, agg in metrics
            ],
            "title": title,
            "gridSettings": {"rowLimit": 10000},
        }
        if split:
            content["filters"] = []
            content["splitBy"] = [split]
        return {"type": 10, "content": content, "name": title}

    deps = list(deployment_ids.values())
    util = [("CpuUtilizationPercentage", "Average"), ("CpuMemoryUtilizationPercentage", "Average")]
    if gpu:
        util += [("GpuUtilizationPercentage", "Average"), ("GpuMemoryUtilizationPercentage", "Average")]
    items = [
        {
            "type": 1,
            "content": {
                "json": f"## {endpoint_name}\nAzure ML online endpoint: traffic, latency, errors, utilization, capacity."
            },
            "name": "title",
        },
        chart(
            "Requests per minute by deployment",
            ENDPOINT_TYPE,
            [endpoint_id],
            [("RequestsPerMinute", "Average")],
            "deployment",
        ),
        chart(
            "Requests per minute by status class",
            ENDPOINT_TYPE,
            [endpoint_id],
            [("RequestsPerMinute", "Average")],
            "statusCodeClass",
        ),
        chart(
            "Request latency P50 / P99 (ms)",
            ENDPOINT_TYPE,
            [endpoint_id],
            [("RequestLatency_P50", "Average"), ("RequestLatency_P99", "Average")],
        ),
        chart("Utilization (%) per deployment", DEPLOYMENT_TYPE, deps, util),
        chart("Deployment capacity (instances)", DEPLOYMENT_TYPE, deps, [("DeploymentCapacity", "Minimum")]),
    ]
    return json.dumps({"version": "Notebook/1.0", "items": items, "isLocked": False}, sort_keys=True)


__all__ = [
    "ENDPOINT_TYPE",
    "DEPLOYMENT_TYPE",
    "action_group_args",
    "capacity_rule",
    "criterion",
    "metric_alert_args",
    "window",
    "workbook",
]
