"""Issue #27, item 7: the rate limiter keeps its windows in its own Redis (noeviction), so
flooding the cache with distinct searches, which makes the cache's Redis evict, cannot evict
a login window and reopen password guessing. Both Redis instances require a password."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from redis import Redis
from redis.exceptions import AuthenticationError, ResponseError

from tests import stack as stack_module
from tests.factories.accounts import register
from tests.factories.catalog import create_service
from tests.stack import RunningStack

pytestmark = pytest.mark.stack

API = "/api/v1"
FLOOD_REQUESTS = 600  # ~12 KB cached per search: several times the cache's 2 MB
FLOOD_SECONDS = 90


@pytest.fixture(scope="module")
def limited_stack() -> Iterator[RunningStack]:
    running = stack_module.start(suite="limiter")
    try:
        yield running
    finally:
        stack_module.stop_and_remove(running.env, running.state)


def _login(client: httpx.Client) -> int:
    wrong = "Wrong-Pass-928!"  # pragma: allowlist secret
    body = {"email": "nadie@example.com.ar", "password": wrong}
    return client.post(f"{API}/auth/login", json=body).status_code


def _evicted(url: str) -> int:
    with Redis.from_url(url) as redis:
        return int(redis.info("stats")["evicted_keys"])


async def _professional_with_big_listings(stack: RunningStack) -> None:
    async with httpx.AsyncClient(base_url=stack.http, timeout=30) as client:
        pro = await register(client, stack.state / "outbox", role="professional")
        for i in range(5):
            await create_service(
                client, pro, title=f"Plomero matriculado {i}", description="x" * 1990
            )


def test_flooding_the_cache_does_not_evict_login_windows(limited_stack: RunningStack) -> None:
    import asyncio

    asyncio.run(_professional_with_big_listings(limited_stack))
    with httpx.Client(base_url=limited_stack.http, timeout=30) as client:
        codes = [_login(client) for _ in range(8)]  # registering logged in once already
        assert codes[-1] == 429, codes
        deadline = time.monotonic() + FLOOD_SECONDS
        for i in range(FLOOD_REQUESTS):
            if time.monotonic() > deadline:
                break
            r = client.get(f"{API}/services", params={"min_price": i, "limit": 5})
            assert r.status_code == 200
        assert _evicted(limited_stack.redis_url) > 0, "the flood did not make the cache evict"
        assert _login(client) == 429  # the login window survived the flood


def test_both_redis_instances_require_a_password(limited_stack: RunningStack) -> None:
    for port_name in ("redis", "redis_limiter"):
        port = limited_stack.ports.get(port_name)
        assert port, port_name
        with (
            Redis(host="127.0.0.1", port=port) as anonymous,
            pytest.raises((AuthenticationError, ResponseError)),
        ):
            anonymous.ping()
    with Redis.from_url(limited_stack.limiter_redis_url) as limiter:
        assert limiter.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
