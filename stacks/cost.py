"""Monthly cost range of a plan: catalog price x min..max instances, plus storage and the fixed-price
resources the components declare (keys, alarms, dashboards), per endpoint."""

from __future__ import annotations

from typing import Any

from components import catalog
from components._common.artifact import ModelRef
from components.spec import EndpointSpec, StackSpec


def _money(x: float) -> float:
    return round(x + 1e-9, 2)


def estimate(spec: StackSpec, resources: list[dict[str, Any]]) -> dict[str, Any]:
    """``{currency, monthly_min, monthly_max, items: [...], source: {...}}`` for the whole stack."""
    cloud_catalog = catalog._module(spec.cloud)
    items: list[dict[str, Any]] = []
    owners = _owners(resources, set(spec.endpoints))
    for key, ep in spec.endpoints.items():
        model = spec.model_ref(key)
        items.extend(compute_items(spec.cloud, key, ep, model))
        size = model.archive_size
        per_gb = getattr(cloud_catalog, "STORAGE_USD_PER_GB_MONTH", 0.0)
        if size and per_gb:
            gb = size / 1e9
            shown = next(
                f"{size / d:.3g} {u}"
                for d, u in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB"), (1, "B"))
                if size >= d or d == 1
            )
            items.append(
                _item(key, "artifact storage", f"{shown} x ${per_gb}/GB-month", gb * per_gb, gb * per_gb)
            )
    fixed = getattr(cloud_catalog, "FIXED_MONTHLY_USD", {})
    counts: dict[tuple[str, str], int] = {}
    for r in resources:
        if r["type"] in fixed:
            k = (owners.get(r["urn"], "(stack)"), r["type"])
            counts[k] = counts.get(k, 0) + 1
    for (owner, typ), n in sorted(counts.items()):
        label, unit = fixed[typ]
        items.append(_item(owner, label, f"{n} x ${unit:.2f}/month", n * unit, n * unit))
    src = catalog.source(spec.cloud)
    return {
        "currency": "USD",
        "monthly_min": _money(sum(i["monthly_min"] for i in items)),
        "monthly_max": _money(sum(i["monthly_max"] for i in items)),
        "items": items,
        "source": {"region": src.region, "as_of": src.as_of, "url": src.url, "basis": src.basis},
        "region": spec.region,
    }


def compute_items(cloud: str, key: str, ep: EndpointSpec, model: ModelRef) -> list[dict[str, Any]]:
    """The serving capacity of one endpoint: instance-hours between min and max instances."""
    if cloud == "aws":
        from components.aws.cost import compute_items as fn
    elif cloud == "azure":
        from components.azure.cost import compute_items as fn
    else:
        from components.gcp.cost import compute_items as fn
    return fn(key, ep, model)


def _item(endpoint: str, item: str, detail: str, lo: float, hi: float) -> dict[str, Any]:
    return {
        "endpoint": endpoint,
        "item": item,
        "detail": detail,
        "monthly_min": _money(lo),
        "monthly_max": _money(hi),
    }


def instance_item(endpoint: str, t: catalog.InstanceType, lo: int, hi: int) -> dict[str, Any]:
    """``lo``..``hi`` instances of ``t`` running all month."""
    return _item(
        endpoint,
        f"{t.name} instances",
        f"{lo}..{hi} x ${t.hourly_usd:.3f}/h x {catalog.HOURS_PER_MONTH:g} h",
        lo * t.hourly_usd * catalog.HOURS_PER_MONTH,
        hi * t.hourly_usd * catalog.HOURS_PER_MONTH,
    )


def _owners(resources: list[dict[str, Any]], keys: set[str]) -> dict[str, str]:
    """Map each resource URN to the endpoint key of the component it sits under."""
    by_urn = {r["urn"]: r for r in resources}
    out: dict[str, str] = {}
    for r in resources:
        cur: dict[str, Any] | None = r
        while cur is not None:
            if not cur.get("custom") and cur["name"] in keys:
                out[r["urn"]] = cur["name"]
                break
            cur = by_urn.get(cur.get("parent") or "")
    return out


per_endpoint_item = _item
