"""The small step that sets an online endpoint's traffic once its deployments exist.

An endpoint's ``traffic`` and ``mirrorTraffic`` may name only deployments that already exist, and the
deployments need the endpoint first, so the endpoint itself cannot carry them (a dependency cycle), and
azure-native refuses to create a second resource for the same endpoint. ``EndpointTraffic`` is a Pulumi
dynamic resource that runs after both deployments: it reads the endpoint (ARM GET), sets
``properties.traffic`` and ``properties.mirrorTraffic`` and writes it back (ARM PUT, as ``az ml online-endpoint
update --traffic`` does). Deleting it first sends all traffic nowhere, so the deployments can be deleted.

The ``OnlineEndpoint`` resource ignores changes to both properties, and ``endpointRevision`` (a digest of the
endpoint's declared inputs) makes this step run again whenever the endpoint itself is updated, so an endpoint
update can never leave traffic unset.

Credentials at ``pulumi up``: ``azure.identity.DefaultAzureCredential`` (``az login``, a managed identity or
the ``AZURE_*`` environment), the same as the azure-native provider's defaults.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

API_VERSION = "2025-12-01"  # machinelearningservices in pulumi-azure-native 3 (FACTS.md)
ARM = "https://management.azure.com"
WRITABLE = ("location", "tags", "identity", "kind", "sku", "properties")
READ_ONLY_PROPERTIES = ("provisioningState", "scoringUri", "swaggerUri", "openapiUri")


def _session():  # pragma: no cover - runs only under `pulumi up`
    import requests
    from azure.identity import DefaultAzureCredential

    token = DefaultAzureCredential().get_token(f"{ARM}/.default").token
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    return s


def _wait(s, response) -> None:
    import time

    url = response.headers.get("Azure-AsyncOperation") or response.headers.get("Location")
    deadline = time.time() + 1800
    while url and time.time() < deadline:
        r = s.get(url, timeout=60)
        r.raise_for_status()
        status = (r.json() or {}).get("status", "Succeeded") if r.content else "Succeeded"
        if status in ("Succeeded", "Failed", "Canceled"):
            if status != "Succeeded":
                raise RuntimeError(f"setting endpoint traffic ended {status}: {r.text[:500]}")
            return
        time.sleep(int(r.headers.get("Retry-After", "10")))


def apply_traffic(
    endpoint_id: str, traffic: dict[str, int], mirror: dict[str, int], missing_ok: bool = False
) -> None:
    """GET the endpoint, set its traffic and mirror traffic, PUT it back and wait for the operation."""
    s = _session()
    url = f"{ARM}{endpoint_id}?api-version={API_VERSION}"
    got = s.get(url, timeout=60)
    if got.status_code == 404 and missing_ok:
        return
    got.raise_for_status()
    body = {k: v for k, v in got.json().items() if k in WRITABLE}
    props = {k: v for k, v in body.get("properties", {}).items() if k not in READ_ONLY_PROPERTIES}
    props["traffic"] = {k: int(v) for k, v in traffic.items()}
    props["mirrorTraffic"] = {k: int(v) for k, v in mirror.items()}
    body["properties"] = props
    put = s.put(url, json=body, timeout=120)
    put.raise_for_status()
    _wait(s, put)


class _TrafficProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        apply_traffic(props["endpointId"], props["traffic"], props["mirrorTraffic"])
        return CreateResult(id_=f"{props['endpointId']}/traffic", outs=props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = ("endpointId", "traffic", "mirrorTraffic", "endpointRevision")
        changed = [k for k in keys if olds.get(k) != news.get(k)]
        return DiffResult(
            changes=bool(changed),
            replaces=["endpointId"] if "endpointId" in changed else [],
            delete_before_replace=True,
        )

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        apply_traffic(news["endpointId"], news["traffic"], news["mirrorTraffic"])
        return UpdateResult(outs=news)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        apply_traffic(props["endpointId"], {}, {}, missing_ok=True)


class EndpointTraffic(Resource, module="mlinfra", name="EndpointTraffic"):
    """Live and mirror traffic of one online endpoint, set after its deployments exist.

    Args:
        endpoint_id: the endpoint's ARM id.
        traffic: percent of live traffic per deployment name (sums to 100).
        mirror_traffic: percent of live traffic copied to a deployment (at most 50).
        endpoint_revision: changes whenever the endpoint's declared inputs change (re-applies traffic).
    """

    endpoint_id: pulumi.Output[str]
    traffic: pulumi.Output[dict[str, int]]
    mirror_traffic: pulumi.Output[dict[str, int]]

    def __init__(
        self,
        name: str,
        endpoint_id: pulumi.Input[str],
        traffic: dict[str, int],
        mirror_traffic: dict[str, int],
        endpoint_revision: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            _TrafficProvider(),
            name,
            {
                "endpointId": endpoint_id,
                "traffic": traffic,
                "mirrorTraffic": mirror_traffic,
                "endpointRevision": endpoint_revision,
            },
            opts,
        )
