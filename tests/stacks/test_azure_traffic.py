"""The traffic step's provider against a fake ARM session: what it reads, what it writes, when it replaces,
and that the provider survives Pulumi's serialization (it runs in another process at `pulumi up`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.azure import traffic as t

EP = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/onlineEndpoints/e"


class Response:
    def __init__(
        self, status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ):
        self.status_code, self._body, self.headers = status, body, headers or {}
        self.content = json.dumps(body).encode() if body is not None else b""
        self.text = self.content.decode()

    def json(self) -> Any:
        return self._body

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}")


class FakeArm:
    """GET returns the endpoint as ARM does (with read-only fields); PUT records the body; one async poll."""

    def __init__(self, exists: bool = True):
        self.exists = exists
        self.puts: list[tuple[str, dict[str, Any]]] = []
        self.polled: list[str] = []

    def get(self, url: str, timeout: int = 0) -> Response:
        if url.startswith("https://op/"):
            self.polled.append(url)
            return Response(200, {"status": "Succeeded"})
        if not self.exists:
            return Response(404, {"error": {"code": "ResourceNotFound"}})
        return Response(200, {
            "id": EP, "name": "e", "type": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
            "location": "westeurope", "tags": {"managed-by": "mlinfra"}, "identity": {"type": "SystemAssigned", "principalId": "p"},
            "kind": "Managed", "systemData": {"createdBy": "x"},
            "properties": {"authMode": "AADToken", "traffic": {"blue": 100}, "mirrorTraffic": {}, "provisioningState": "Succeeded", "scoringUri": "https://e/score", "swaggerUri": "https://e/swagger.json"},
        })  # fmt: skip

    def put(self, url: str, json: dict[str, Any], timeout: int = 0) -> Response:  # noqa: A002 (requests' name)
        self.puts.append((url, json))
        return Response(201, json, {"Azure-AsyncOperation": "https://op/1"})


@pytest.fixture
def arm(monkeypatch) -> FakeArm:
    fake = FakeArm()
    monkeypatch.setattr(t, "_session", lambda: fake)
    return fake


def test_create_sets_traffic_and_mirror_keeping_the_rest_and_waits(arm: FakeArm) -> None:
    out = t._TrafficProvider().create(
        {
            "endpointId": EP,
            "traffic": {"blue": 90, "green": 10},
            "mirrorTraffic": {},
            "endpointRevision": "r1",
        }
    )
    assert out.id == f"{EP}/traffic"
    ((url, body),) = arm.puts
    assert url == f"https://management.azure.com{EP}?api-version={t.API_VERSION}"
    assert set(body) == {"location", "tags", "identity", "kind", "properties"}
    assert body["properties"] == {
        "authMode": "AADToken",
        "traffic": {"blue": 90, "green": 10},
        "mirrorTraffic": {},
    }
    assert arm.polled == ["https://op/1"]


def test_update_moves_traffic_and_delete_sends_it_nowhere(arm: FakeArm) -> None:
    p = t._TrafficProvider()
    p.update(
        f"{EP}/traffic",
        {},
        {
            "endpointId": EP,
            "traffic": {"blue": 0, "green": 100},
            "mirrorTraffic": {},
            "endpointRevision": "r1",
        },
    )
    p.delete(f"{EP}/traffic", {"endpointId": EP, "traffic": {"blue": 0, "green": 100}, "mirrorTraffic": {}})
    assert [b["properties"]["traffic"] for _, b in arm.puts] == [{"blue": 0, "green": 100}, {}]


def test_delete_after_the_endpoint_is_gone_is_fine(monkeypatch) -> None:
    fake = FakeArm(exists=False)
    monkeypatch.setattr(t, "_session", lambda: fake)
    t._TrafficProvider().delete(f"{EP}/traffic", {"endpointId": EP, "traffic": {}, "mirrorTraffic": {}})
    assert fake.puts == []


def test_diff_updates_on_traffic_or_endpoint_revision_and_replaces_on_another_endpoint() -> None:
    p = t._TrafficProvider()
    old = {
        "endpointId": EP,
        "traffic": {"blue": 90, "green": 10},
        "mirrorTraffic": {},
        "endpointRevision": "r1",
    }
    assert p.diff("id", old, dict(old)).changes is False
    assert p.diff("id", old, {**old, "traffic": {"blue": 50, "green": 50}}).changes is True
    assert p.diff("id", old, {**old, "endpointRevision": "r2"}).changes is True
    moved = p.diff("id", old, {**old, "endpointId": EP + "2"})
    assert moved.changes is True and moved.replaces == ["endpointId"]


def test_provider_survives_pulumi_serialization() -> None:
    import base64

    import dill
    from pulumi.dynamic.dynamic import serialize_provider

    restored = dill.loads(base64.b64decode(serialize_provider(t._TrafficProvider())))
    assert (
        type(restored).__module__ == "components.azure.traffic"
        and type(restored).__name__ == "_TrafficProvider"
    )
