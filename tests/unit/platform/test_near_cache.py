"""Stored responses and the per-worker near cache: ETags, versions, bounds, staleness."""

from __future__ import annotations

import pytest

from fixia.platform import near_cache
from fixia.platform.cache import Cache, MemoryBackend
from fixia.platform.near_cache import Entry, NearCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(near_cache.time, "monotonic", fake)
    return fake


def test_entry_round_trips_with_its_headers() -> None:
    entry = Entry.of(b'{"a":"\xc3\xb1"}', ((b"x-fixia-ranking", b"rating"),))
    assert Entry.unpack(entry.pack()) == entry
    assert entry.etag.startswith(b'"') and entry.etag.endswith(b'"')
    assert Entry.unpack(b'{"not":"an entry"}') is None  # the older JSON values: a miss


def test_etag_changes_exactly_when_the_bytes_do() -> None:
    assert Entry.of(b"[1]").etag == Entry.of(b"[1]").etag
    assert Entry.of(b"[1]").etag != Entry.of(b"[2]").etag


def test_if_none_match_uses_weak_comparison() -> None:
    entry = Entry.of(b"[1]")
    assert entry.matches(entry.etag)
    assert entry.matches(b"W/" + entry.etag)
    assert entry.matches(b'"other", ' + entry.etag)
    assert entry.matches(b"*")
    assert not entry.matches(Entry.of(b"[2]").etag)
    assert not entry.matches(None)
    assert not entry.matches(b"")


def test_entries_of_another_version_are_refused_and_dropped(clock: Clock) -> None:
    near = NearCache(check_every_s=0.5)
    near.put("k", Entry.of(b"1"), version=None)
    assert near.get("k") is None  # no version known yet: nothing kept
    near.observe(3)
    near.put("k", Entry.of(b"1"), version=2)  # fetched before the version moved
    assert near.get("k") is None
    near.put("k", Entry.of(b"1"), version=3)
    assert near.get("k") == Entry.of(b"1")
    near.observe(3)
    assert near.get("k") is not None
    near.observe(4)
    assert near.get("k") is None


def test_version_is_due_once_per_interval(clock: Clock) -> None:
    near = NearCache(check_every_s=0.5)
    assert near.due()
    near.observe(1)
    clock.now += 0.49
    assert not near.due()
    clock.now += 0.01
    assert near.due()
    near.forget()
    assert near.due() and near.version is None


def test_bounded_in_entries_and_bytes(clock: Clock) -> None:
    near = NearCache(check_every_s=1, max_entries=3, max_bytes=10)
    near.observe(0)
    for i in range(5):
        near.put(f"k{i}", Entry.of(b"12"), 0)
    assert len(near) == 3 and near.get("k0") is None and near.get("k4") is not None
    near.put("big", Entry.of(b"123456789"), 0)
    assert len(near) == 1 and near.get("big") is not None
    near.put("huge", Entry.of(b"x" * 11), 0)
    assert len(near) == 0


async def test_another_worker_is_stale_at_most_one_check_interval(clock: Clock) -> None:
    """Two workers over one Redis (here the shared backend): the writer's own near cache is
    fresh at once, the other's after at most `check_every_s`."""
    redis = MemoryBackend()
    writer, reader = (Cache(redis, near=NearCache(check_every_s=0.5)) for _ in range(2))
    for worker in (writer, reader):
        version = await worker.synced_version()
        await worker.put_entry("api:svc:1", Entry.of(b"old"), 60, version)
    assert (await reader.get_entry("t", "api:svc:1", await reader.synced_version())).body == b"old"

    # The write commits: its invalidation drops the stored copy and bumps the version, and
    # the next miss stores the new bytes.
    await writer.delete("api:svc:1")
    await writer.bump("search")
    version = await writer.synced_version()
    assert version == 1
    await writer.put_entry("api:svc:1", Entry.of(b"new"), 60, version)
    assert (await writer.get_entry("t", "api:svc:1", version)).body == b"new"  # type: ignore[union-attr]

    clock.now += 0.4  # within the bound the other worker may still answer from memory
    still = await reader.get_entry("t", "api:svc:1", await reader.synced_version())
    assert still is not None and still.body == b"old"
    clock.now += 0.1  # the bound: it reads the version again and drops what it held
    fresh = await reader.get_entry("t", "api:svc:1", await reader.synced_version())
    assert fresh is not None and fresh.body == b"new"


async def test_unknown_version_serves_nothing_from_memory(clock: Clock) -> None:
    class Down(MemoryBackend):
        async def get(self, key: str) -> bytes | None:
            raise OSError("redis is down")

    cache = Cache(Down(), near=NearCache(check_every_s=0.5))
    cache.near.observe(0)
    cache.near.put("k", Entry.of(b"1"), 0)
    clock.now += 1
    assert await cache.synced_version() is None
    assert cache.near.get("k") is None
    assert await cache.get_entry("t", "k", None) is None
