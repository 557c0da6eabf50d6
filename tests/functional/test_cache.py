"""Cache-aside on the hot reads: no stale read after any write that changes them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.factories.accounts import register
from tests.factories.catalog import create_service

API = "/api/v1"


def _stats(client: httpx.AsyncClient) -> dict[str, list[int]]:
    app = client._transport.app  # type: ignore[attr-defined]
    return app.state.cache.stats.by_name  # type: ignore[no-any-return]


@pytest.mark.inprocess
async def test_service_detail_is_cached_and_invalidated(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    pro = await register(client, outbox, role="professional")
    svc = await create_service(client, pro)
    url = f"{API}/services/{svc['id']}"
    assert (await client.get(url)).json()["title"] == svc["title"]
    assert (await client.get(url)).status_code == 200
    # One hit after one miss, answered from the stored bytes (catalog/fastpath.py).
    assert _stats(client)["service_response"] == [1, 1]
    r = await client.patch(url, json={"title": "Plomería urgente en Rawson"}, headers=pro.headers)
    assert r.status_code == 200
    assert (await client.get(url)).json()["title"] == "Plomería urgente en Rawson"
    await client.put(f"{url}/active", json={"active": False}, headers=pro.headers)
    assert (await client.get(url)).status_code == 404
    # The owner still sees it (never from the cache).
    assert (await client.get(url, headers=pro.headers)).status_code == 200
    await client.put(f"{url}/active", json={"active": True}, headers=pro.headers)
    assert (await client.get(url)).status_code == 200
    assert (await client.delete(url, headers=pro.headers)).status_code == 204
    assert (await client.get(url)).status_code == 404


async def test_search_and_categories_follow_writes(client: httpx.AsyncClient, outbox: Path) -> None:
    pro = await register(client, outbox, role="professional")
    categories = {
        c["slug"]: c["service_count"] for c in (await client.get(f"{API}/categories")).json()
    }
    assert (await client.get(f"{API}/services", params={"q": "plomero"})).json()["items"] == []
    svc = await create_service(client, pro)
    found = (await client.get(f"{API}/services", params={"q": "plomero"})).json()["items"]
    assert [i["id"] for i in found] == [svc["id"]]
    after = {c["slug"]: c["service_count"] for c in (await client.get(f"{API}/categories")).json()}
    assert after["oficios-y-reparaciones"] == categories["oficios-y-reparaciones"] + 1
    await client.patch(f"{API}/services/{svc['id']}", json={"price": "999.00"}, headers=pro.headers)
    item = (await client.get(f"{API}/services", params={"q": "plomero"})).json()["items"][0]
    assert item["price"] == "999.00"


async def test_profile_changes_reach_profile_and_listing(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    pro = await register(client, outbox, role="professional")
    svc = await create_service(client, pro)
    assert (await client.get(f"{API}/professionals/{pro.id}")).status_code == 200
    await client.get(f"{API}/services/{svc['id']}")
    r = await client.put(f"{API}/me", json={"name": "Nombre Nuevo"}, headers=pro.headers)
    assert r.status_code == 200
    assert (await client.get(f"{API}/professionals/{pro.id}")).json()["name"] == "Nombre Nuevo"
    await client.put(
        f"{API}/me/professional-profile", json={"years_experience": 33}, headers=pro.headers
    )
    profile = (await client.get(f"{API}/professionals/{pro.id}")).json()
    assert profile["profile"]["years_experience"] == 33
    detail = (await client.get(f"{API}/services/{svc['id']}")).json()
    assert detail["professional"]["name"] == "Nombre Nuevo"
    assert (await client.delete(f"{API}/me", headers=pro.headers)).status_code == 204
    assert (await client.get(f"{API}/professionals/{pro.id}")).status_code == 404
    assert (await client.get(f"{API}/services/{svc['id']}")).status_code == 404
