"""Two simultaneous accepts on the same project produce exactly one job."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from fixia.config import Settings
from tests.factories.accounts import register
from tests.factories.projects import API, apply, post_project


async def test_concurrent_accepts_create_one_job(
    client: httpx.AsyncClient, outbox: Path, settings: Settings, db_exec
) -> None:  # type: ignore[no-untyped-def]
    owner = await register(client, outbox)
    pros = [await register(client, outbox, role="professional") for _ in range(2)]
    project = await post_project(client, owner)
    proposals = [await apply(client, pro, project["id"]) for pro in pros]
    responses = await asyncio.gather(
        *[
            client.post(f"{API}/proposals/{p['id']}/accept", headers=owner.headers)
            for p in proposals
        ]
    )
    codes = sorted(r.status_code for r in responses)
    # PostgreSQL serialises on the project row lock: the loser sees the project taken (409).
    # SQLite refuses the second writer's stale snapshot: 409, or 503 with Retry-After.
    expected_loser = {409} if not settings.is_sqlite else {409, 503}
    assert codes[0] == 200 and codes[1] in expected_loser, [r.text for r in responses]
    assert await db_exec("SELECT count(*) FROM jobs") == [(1,)]
    assert await db_exec("SELECT count(*) FROM matches") == [(1,)]
    accepted = await db_exec("SELECT count(*) FROM proposals WHERE status = 'accepted'")
    assert accepted == [(1,)]
