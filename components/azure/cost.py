"""What an Azure endpoint's serving capacity costs a month (catalog prices; see components/catalog/azure.py).

Blue/green keeps two deployments running, each between minInstances and maxInstances (each has its own
autoscale setting); all-at-once keeps one.
"""

from __future__ import annotations

from typing import Any

from components._common.artifact import ModelRef
from components.azure.validate import resolved_instance_type, traffic_split
from components.spec import EndpointSpec
from stacks.cost import instance_item


def compute_items(key: str, ep: EndpointSpec, model: ModelRef) -> list[dict[str, Any]]:
    t = resolved_instance_type(ep, model.archive_size)
    lo = ep.autoscaling.min_instances if ep.autoscales else ep.compute.instances
    hi = ep.autoscaling.max_instances if ep.autoscales else ep.compute.instances
    live, _ = traffic_split(ep)
    items = []
    for slot in sorted(live):
        item = instance_item(key, t, lo, hi)
        item["item"] = f"{t.name} instances, deployment {slot}"
        items.append(item)
    return items
