"""What an AWS endpoint's serving capacity costs a month (catalog prices; see components/catalog/aws.py)."""

from __future__ import annotations

from typing import Any

from components._common.artifact import ModelRef
from components.aws.validate import resolved_instance_type
from components.catalog import HOURS_PER_MONTH
from components.catalog import aws as prices
from components.spec import EndpointSpec
from stacks.cost import instance_item, per_endpoint_item


def compute_items(key: str, ep: EndpointSpec, model: ModelRef) -> list[dict[str, Any]]:
    s = ep.compute.serverless
    if s is not None:
        gb = s.memory_size_mb / 1024
        busy = gb * s.max_concurrency * prices.SERVERLESS_USD_PER_GB_SECOND * 3600 * HOURS_PER_MONTH
        return [
            per_endpoint_item(
                key,
                "serverless inference",
                f"0 (idle) .. {s.max_concurrency} x {gb:g} GB busy all month",
                0.0,
                busy,
            )
        ]
    t = resolved_instance_type(ep, model.archive_size)
    assert t is not None
    lo = ep.autoscaling.min_instances if ep.autoscales else ep.compute.instances
    hi = ep.autoscaling.max_instances if ep.autoscales else ep.compute.instances
    return [instance_item(key, t, lo, hi)]
