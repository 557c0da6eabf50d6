"""Rate limits answer 429 problem+json with Retry-After; login fails closed without Redis."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from fixia.config import RateLimitSettings, Settings
from fixia.main import create_app
from fixia.platform.email import OutboxEmailSender
from tests.factories.accounts import registration

API = "/api/v1"


def _dead_redis_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"  # nothing listens there


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, mailer=OutboxEmailSender(settings.email.outbox_dir, "t@fixia"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c
    await app.state.engine.dispose()


@pytest.fixture(params=["memory", "redis-down"])
async def limited(
    request: pytest.FixtureRequest, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    redis_url = _dead_redis_url() if request.param == "redis-down" else None
    custom = settings.model_copy(
        update={"ratelimit": RateLimitSettings(enabled=True), "redis_url": redis_url}
    )
    async for c in _client(custom):
        yield c


async def test_login_limited_even_without_redis(limited: httpx.AsyncClient) -> None:
    body = {"email": "nadie@example.com", "password": "Wrong-Pass-928!"}
    codes = [(await limited.post(f"{API}/auth/login", json=body)).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    r = await limited.post(f"{API}/auth/login", json=body)
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "rate_limited" and r.json()["rule"] == "login"
    assert 1 <= int(r.headers["Retry-After"]) <= 15 * 60


async def test_register_limit(limited: httpx.AsyncClient, outbox: Path) -> None:
    codes = [
        (await limited.post(f"{API}/auth/register", json=registration())).status_code
        for _ in range(4)
    ]
    app = limited._transport.app  # type: ignore[attr-defined]
    if app.state.settings.redis_url:
        # Fails open: with Redis down, registration keeps working.
        assert codes == [201] * 4
    else:
        assert codes == [201, 201, 201, 429]


async def test_disabled_limits_never_answer_429(client: httpx.AsyncClient) -> None:
    body = {"email": "nadie@example.com", "password": "Wrong-Pass-928!"}
    for _ in range(8):
        assert (await client.post(f"{API}/auth/login", json=body)).status_code == 401
