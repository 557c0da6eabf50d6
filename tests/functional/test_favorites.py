"""Favorites whose target disappears stay removable and drop out of the list."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.factories.accounts import register
from tests.factories.catalog import create_service

API = "/api/v1"


async def test_hidden_favorites_can_be_removed(client: httpx.AsyncClient, outbox: Path) -> None:
    fan = await register(client, outbox)
    pro = await register(client, outbox, role="professional")
    service = await create_service(client, pro)
    assert (
        await client.put(f"{API}/me/favorites/services/{service['id']}", headers=fan.headers)
    ).status_code == 201
    assert (
        await client.put(f"{API}/me/favorites/professionals/{pro.id}", headers=fan.headers)
    ).status_code == 201
    r = await client.put(
        f"{API}/services/{service['id']}/active", json={"active": False}, headers=pro.headers
    )
    assert r.status_code == 200
    # Gone from public view, yet the fan can still take it off their list.
    assert (
        await client.delete(f"{API}/me/favorites/services/{service['id']}", headers=fan.headers)
    ).status_code == 204
    assert (
        await client.delete(f"{API}/me/favorites/services/{service['id']}", headers=fan.headers)
    ).status_code == 404
    assert (await client.delete(f"{API}/me", headers=pro.headers)).status_code == 204
    assert (await client.get(f"{API}/me/favorites", headers=fan.headers)).json()["items"] == []
    assert (
        await client.delete(f"{API}/me/favorites/professionals/{pro.id}", headers=fan.headers)
    ).status_code == 204
