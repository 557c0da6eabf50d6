"""Issue #27, item 4: a listing's view count (which feeds the popular sort) counts each viewer
once per day, a signed-in user by id and an anonymous one by a keyed hash of IP and user
agent, and the endpoint is rate-limited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from fixia.config import RateLimitSettings, Settings
from fixia.main import create_app
from fixia.platform.email import OutboxEmailSender
from tests.factories.accounts import register
from tests.factories.catalog import DbExec, create_service, expect_problem, professional

API = "/api/v1"


async def views(client: httpx.AsyncClient, sid: str, **headers: str) -> int:
    r = await client.post(f"{API}/services/{sid}/views", headers=headers)
    assert r.status_code == 200, r.text
    count: int = r.json()["view_count"]
    return count


async def test_an_anonymous_viewer_counts_once_a_day(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    sid = (await create_service(client, await professional(client, outbox)))["id"]
    for _ in range(20):
        assert await views(client, sid, **{"User-Agent": "browser-a"}) == 1
    # Another browser on the same address is another viewer.
    assert await views(client, sid, **{"User-Agent": "browser-b"}) == 2
    assert (await client.get(f"{API}/services/{sid}")).json()["view_count"] == 2


async def test_a_signed_in_viewer_counts_once_a_day_whatever_the_device(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec
) -> None:
    sid = (await create_service(client, await professional(client, outbox)))["id"]
    customer = await register(client, outbox)
    for agent in ("phone", "laptop", "tablet"):
        assert await views(client, sid, **customer.headers, **{"User-Agent": agent}) == 1
    # Tomorrow the same person counts again.
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    await db_exec("UPDATE service_views SET view_day = :day", day=yesterday)
    assert await views(client, sid, **customer.headers) == 2


@pytest.mark.inprocess
async def test_recording_views_is_rate_limited(settings: Settings, outbox: Path) -> None:
    limited = settings.model_copy(update={"ratelimit": RateLimitSettings()})
    app = create_app(limited, mailer=OutboxEmailSender(outbox, "t@fixia"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        owner = await register(client, outbox, role="professional")
        sid = (await create_service(client, owner))["id"]
        statuses = [
            (await client.post(f"{API}/services/{sid}/views")).status_code for _ in range(70)
        ]
        assert statuses[0] == 200 and statuses[-1] == 429
        expect_problem(await client.post(f"{API}/services/{sid}/views"), 429, "rate_limited")
    await app.state.engine.dispose()
