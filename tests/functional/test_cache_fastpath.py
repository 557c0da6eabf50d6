"""Cache hits on the lean path (catalog/fastpath.py): stored bytes, ETags, no database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from tests.factories.accounts import register
from tests.factories.catalog import create_service

API = "/api/v1"
pytestmark = pytest.mark.inprocess


def _app(client: httpx.AsyncClient) -> Any:
    return client._transport.app  # type: ignore[attr-defined]


class Counter:
    def __init__(self) -> None:
        self.checkouts = 0
        self.sessions = 0


@pytest.fixture
def counted(client: httpx.AsyncClient) -> Iterator[Counter]:
    """Counts the pool's connection checkouts and the sessions the app opens."""
    app = _app(client)
    counter = Counter()
    pool = app.state.engine.sync_engine.pool
    factory = app.state.sessions

    def checkout(*_args: object) -> None:
        counter.checkouts += 1

    def sessions() -> Any:
        counter.sessions += 1
        return factory()

    event.listen(pool, "checkout", checkout)
    app.state.sessions = sessions
    yield counter
    app.state.sessions = factory
    event.remove(pool, "checkout", checkout)


async def _reads(client: httpx.AsyncClient, outbox: Path) -> list[str]:
    pro = await register(client, outbox, role="professional")
    svc = await create_service(client, pro)
    return [
        f"{API}/categories",
        f"{API}/services?q=plomero&limit=5",
        f"{API}/services/{svc['id']}",
        f"{API}/professionals/{pro.id}",
    ]


async def test_a_hit_opens_no_session_and_takes_no_connection(
    client: httpx.AsyncClient, outbox: Path, counted: Counter
) -> None:
    urls = await _reads(client, outbox)
    misses = [await client.get(url) for url in urls]
    assert all(r.status_code == 200 for r in misses)
    assert counted.sessions >= len(urls)  # the misses did use the database
    counted.checkouts = counted.sessions = 0
    for _ in range(3):
        hits = [await client.get(url) for url in urls]
        # The very bytes the miss stored, not a re-serialisation.
        assert [r.content for r in hits] == [r.content for r in misses]
    assert (counted.sessions, counted.checkouts) == (0, 0)
    stats = _app(client).state.cache.stats.by_name
    for name in ("categories", "search", "service", "professional"):
        assert stats[f"{name}_response"][0] == 3, name  # three hits each


async def test_hits_keep_the_headers_of_the_route(client: httpx.AsyncClient, outbox: Path) -> None:
    url = (await _reads(client, outbox))[1]
    miss, hit = await client.get(url), await client.get(url)
    for r in (miss, hit):
        assert r.headers["content-type"] == "application/json"
        assert r.headers["x-fixia-ranking"] in {"relevance", "rating"}
        assert r.headers["x-content-type-options"] == "nosniff"  # the middleware still wraps
        assert "x-request-id" in r.headers
    assert hit.headers["etag"] == miss.headers["etag"]


async def test_304_only_while_the_bytes_are_unchanged(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    pro = await register(client, outbox, role="professional")
    svc = await create_service(client, pro)
    url = f"{API}/services/{svc['id']}"
    first = await client.get(url)
    etag = first.headers["etag"]
    for _ in range(2):  # the miss's answer, then the stored one's
        same = await client.get(url, headers={"If-None-Match": etag})
        assert same.status_code == 304
        assert same.content == b""
        assert same.headers["etag"] == etag
    assert (await client.get(url, headers={"If-None-Match": f"W/{etag}"})).status_code == 304

    r = await client.patch(url, json={"price": "12345.00"}, headers=pro.headers)
    assert r.status_code == 200
    changed = await client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["price"] == "12345.00"
    assert changed.headers["etag"] != etag
    again = await client.get(url, headers={"If-None-Match": changed.headers["etag"]})
    assert again.status_code == 304


async def test_signed_in_and_unknown_reads_bypass_the_stored_bytes(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    pro = await register(client, outbox, role="professional")
    svc = await create_service(client, pro)
    url = f"{API}/services/{svc['id']}"
    await client.get(url)
    await client.put(f"{url}/active", json={"active": False}, headers=pro.headers)
    assert (await client.get(url)).status_code == 404
    assert (await client.get(url, headers=pro.headers)).status_code == 200  # the owner
    assert (await client.get(f"{API}/services/not-a-uuid")).status_code == 422
    bad = await client.get(f"{API}/services", params={"limit": "1000"})
    assert bad.status_code == 422
    assert (await client.get(f"{API}/services", params={"limit": "1000"})).status_code == 422


async def test_concurrent_misses_of_one_page_load_it_once(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fixia.catalog import cached

    loads = 0
    real = cached.search_bytes

    async def counted(**kwargs: Any) -> bytes:
        nonlocal loads
        loads += 1
        return await real(**kwargs)

    monkeypatch.setattr(cached, "search_bytes", counted)
    url = f"{API}/services?q=electricista&limit=7"
    answers = await asyncio.gather(*(client.get(url) for _ in range(5)))
    assert [r.status_code for r in answers] == [200] * 5
    assert len({r.content for r in answers}) == 1
    assert loads == 1
