"""What a GCP endpoint's serving capacity costs a month (catalog prices; see components/catalog/gcp.py).

Vertex AI bills every replica (machine + accelerators) all month: min..max replicas. Cloud Run bills an
instance while it runs: with minInstances 0 the idle floor is 0, and the ceiling is maxInstances busy all
month (instance-based billing, which GPU services require).
"""

from __future__ import annotations

from typing import Any

from components._common.artifact import ModelRef
from components.catalog import HOURS_PER_MONTH
from components.gcp.validate import backend, resolved_shape
from components.spec import EndpointSpec
from stacks.cost import per_endpoint_item


def compute_items(key: str, ep: EndpointSpec, model: ModelRef) -> list[dict[str, Any]]:
    shape = resolved_shape(ep, model.archive_size)
    a = ep.autoscaling
    lo = a.min_instances if a.enabled else ep.compute.instances
    hi = a.max_instances if a.enabled else ep.compute.instances
    rate = shape.hourly_usd
    what = "replicas" if backend(ep) == "vertex" else "Cloud Run instances"
    label = f"{shape.machine.name}{' + ' + str(shape.accelerator_count) + 'x ' + shape.accelerator_type if shape.accelerator_type and not shape.machine.gpu_count else ''} {what}"
    detail = f"{lo}..{hi} x ${rate:.4f}/h x {HOURS_PER_MONTH:g} h"
    if backend(ep) == "cloudrun" and lo == 0:
        detail += " (0 when idle: scales to zero)"
    return [per_endpoint_item(key, label, detail, lo * rate * HOURS_PER_MONTH, hi * rate * HOURS_PER_MONTH)]
