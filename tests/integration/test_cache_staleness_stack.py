"""After a write, no cached or near-cached read is stale beyond the documented bound, on
either slot and either of its two workers (issue #25).

Two slots with two uvicorn workers each, as staging and production run them: each worker
keeps its own near cache in front of the shared Redis. The bound is the near cache's
version check interval (`FIXIA_CACHE__NEAR_CHECK_S`, 0.5 s by default) plus a Redis round
trip; the test waits that plus a margin, then asks every worker many times.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Iterator

import httpx
import pytest

from fixia.config import CacheSettings
from tests import stack as stack_module
from tests.factories.accounts import register
from tests.factories.catalog import OFICIOS, create_service

pytestmark = pytest.mark.stack
API = "/api/v1"
BOUND_S = CacheSettings().near_check_s
MARGIN_S = 0.5
# Enough reads per door that each of a slot's two workers answers several (the kernel
# spreads a slot's connections over its workers; each request uses a new connection).
READS_PER_DOOR = 24


@pytest.fixture(scope="module")
def two_slots() -> Iterator[stack_module.RunningStack]:
    for binary in ("haproxy", "pgbouncer", "redis-server"):
        if shutil.which(binary) is None:
            message = f"{binary} is not installed (scripts/install-system-deps --stack)"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
    stack = stack_module.start("--slots=blue,green", suite="workers")
    try:
        yield stack
    finally:
        stack_module.stop_and_remove(stack.env, stack.state)


@pytest.fixture
def doors(two_slots: stack_module.RunningStack) -> dict[str, str]:
    """HAProxy and each slot's own port, once each answers: `stack up` waits for HAProxy,
    which one ready slot satisfies; on a busy host the other may still be importing."""
    ports = two_slots.ports
    found = {
        "haproxy": two_slots.http,
        "blue": f"http://127.0.0.1:{ports['blue']}",
        "green": f"http://127.0.0.1:{ports['green']}",
    }
    for base in found.values():
        deadline = time.monotonic() + 180
        while not _ready(base):
            assert time.monotonic() < deadline, f"{base} never became ready"
            time.sleep(0.5)
    return found


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


async def _read_everywhere(doors: dict[str, str], url: str) -> list[httpx.Response]:
    answers = []
    for base in doors.values():
        for _ in range(READS_PER_DOOR):
            # A new connection per request: the slot's workers take turns accepting.
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                answers.append(await http.get(url))
    return answers


async def test_no_read_is_stale_beyond_the_bound(
    two_slots: stack_module.RunningStack, doors: dict[str, str]
) -> None:
    outbox = two_slots.state / "outbox"
    async with httpx.AsyncClient(base_url=two_slots.http, timeout=30) as front:
        pro = await register(front, outbox, role="professional")
        svc = await create_service(front, pro, title="Herrero artístico en Gaiman")
        detail = f"{API}/services/{svc['id']}"
        search = f"{API}/services?q=herrero%20artistico&limit=5"
        categories = f"{API}/categories"

        def oficios(r: httpx.Response) -> int:
            return int(next(c["service_count"] for c in r.json() if c["id"] == OFICIOS))

        # Every worker holds the old answers in its near cache.
        for url in (detail, search, categories):
            assert all(r.status_code == 200 for r in await _read_everywhere(doors, url))
        before = oficios(await front.get(categories))
        old_etag = (await front.get(detail)).headers["etag"]

        r = await front.patch(detail, json={"price": "4321.00"}, headers=pro.headers)
        assert r.status_code == 200
        await create_service(front, pro)  # one more in its category
        await asyncio.sleep(BOUND_S + MARGIN_S)

    details = await _read_everywhere(doors, detail)
    assert {r.json()["price"] for r in details} == {"4321.00"}
    pages = await _read_everywhere(doors, search)
    assert {tuple(i["price"] for i in r.json()["items"]) for r in pages} == {("4321.00",)}
    counts = {oficios(r) for r in await _read_everywhere(doors, categories)}
    assert counts == {before + 1}
    assert len({r.headers["etag"] for r in details}) == 1
    # A client holding the old ETag gets the new bytes from every worker, never a 304.
    for base in doors.values():
        for _ in range(READS_PER_DOOR // 4):
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                r = await http.get(detail, headers={"If-None-Match": old_etag})
            assert r.status_code == 200
            assert r.json()["price"] == "4321.00"
