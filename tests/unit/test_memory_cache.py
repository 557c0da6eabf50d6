"""Issue #27, item 8: the in-process cache drops expired entries by itself, not only when the
same key is read again: distinct keys that are never read back (searches) cannot grow it."""

from __future__ import annotations

import asyncio

from fixia.platform.cache import MemoryBackend


async def test_expired_keys_are_evicted_without_being_read() -> None:
    backend = MemoryBackend(sweep_every_s=0.02)
    for i in range(1000):
        await backend.set(f"search:{i}", b"x" * 100, ttl_s=0.01)
    await asyncio.sleep(0.05)
    for i in range(1000):  # new writes, never a read of the old keys
        await backend.set(f"other:{i}", b"y", ttl_s=60)
    assert len(backend) == 1000  # the old ones are gone
    assert await backend.get("other:999") == b"y"


async def test_the_cache_is_bounded_even_before_anything_expires() -> None:
    backend = MemoryBackend(max_entries=500)
    for i in range(2000):
        await backend.set(f"search:{i}", b"x", ttl_s=60)
    assert len(backend) <= 500
    assert await backend.get("search:1999") == b"x"  # the newest survive


async def test_cache_versions_are_never_dropped() -> None:
    backend = MemoryBackend(max_entries=10)
    assert await backend.incr("version:search") == 1
    for i in range(100):
        await backend.set(f"search:{i}", b"x", ttl_s=60)
    assert await backend.get("version:search") == b"1"
    assert await backend.incr("version:search") == 2
