"""What every cloud's endpoint component promises. Stacks type against this, never one cloud's class."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import pulumi


@runtime_checkable
class InferenceEndpoint(Protocol):
    """An endpoint serving one model, with its storage, scaling, alarms and dashboard."""

    endpoint_name: pulumi.Output[str]
    invoke_url: pulumi.Output[str]
    artifact_bucket: pulumi.Output[str]
    model_data_url: pulumi.Output[str]
    alarm_names: pulumi.Output[list[str]]
    dashboard_url: pulumi.Output[str]

    def exports(self) -> dict[str, pulumi.Input[object]]:
        """The stack outputs for this endpoint (names are the same on every cloud)."""
        ...


EXPORT_KEYS = ("endpointName", "invokeUrl", "artifactBucket", "modelDataUrl", "alarmNames", "dashboardUrl")
