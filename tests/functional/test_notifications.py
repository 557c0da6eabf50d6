"""In-app notifications: list, unread count, mark read, delete; own only."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.factories.accounts import register
from tests.factories.projects import API, apply, post_project


async def test_notification_lifecycle(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await register(client, outbox)
    pro = await register(client, outbox, role="professional")
    project = await post_project(client, owner)
    for _ in range(2):
        await apply(client, pro, project["id"])
    count = (await client.get(f"{API}/notifications/unread-count", headers=owner.headers)).json()
    assert count == {"unread": 2}
    page = (
        await client.get(f"{API}/notifications", params={"limit": 1}, headers=owner.headers)
    ).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = (
        await client.get(
            f"{API}/notifications",
            params={"limit": 1, "cursor": page["next_cursor"]},
            headers=owner.headers,
        )
    ).json()
    assert rest["next_cursor"] is None
    first, second = page["items"][0], rest["items"][0]
    assert first["type"] == second["type"] == "proposal_received"
    # Someone else's notification does not exist for them.
    assert (
        await client.post(f"{API}/notifications/{first['id']}/read", headers=pro.headers)
    ).status_code == 404
    assert (
        await client.delete(f"{API}/notifications/{first['id']}", headers=pro.headers)
    ).status_code == 404
    r = await client.post(f"{API}/notifications/{first['id']}/read", headers=owner.headers)
    assert r.status_code == 200 and r.json()["read_at"]
    unread = (
        await client.get(f"{API}/notifications", params={"unread": "true"}, headers=owner.headers)
    ).json()["items"]
    assert [n["id"] for n in unread] == [second["id"]]
    assert (
        await client.post(f"{API}/notifications/read-all", headers=owner.headers)
    ).status_code == 204
    count = (await client.get(f"{API}/notifications/unread-count", headers=owner.headers)).json()
    assert count == {"unread": 0}
    assert (
        await client.delete(f"{API}/notifications/{second['id']}", headers=owner.headers)
    ).status_code == 204
    remaining = (await client.get(f"{API}/notifications", headers=owner.headers)).json()
    assert [n["id"] for n in remaining["items"]] == [first["id"]]


async def test_notifications_require_auth(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/notifications")).status_code == 401
    assert (await client.get(f"{API}/notifications/unread-count")).status_code == 401
