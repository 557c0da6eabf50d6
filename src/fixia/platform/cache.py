"""Cache-aside with Redis, or in process for the embedded default.

Failures of the cache never fail a request: a Redis error is a miss (fail open), logged and
counted, and the next call tries Redis again, so recovery needs no restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from fixia.observability.metrics import CACHE_REQUESTS
from fixia.platform.near_cache import Entry, NearCache

log = logging.getLogger("fixia.cache")


class CacheBackend(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes, ttl_s: float) -> None: ...
    async def delete(self, *keys: str) -> None: ...
    async def incr(self, key: str) -> int: ...
    async def add(self, key: str, value: bytes, ttl_s: float) -> bool:
        """Set only if absent (a lock); True when this caller set it."""
        ...

    async def ping(self) -> bool: ...


class MemoryBackend:
    """A per-process dict with expiry: right for one embedded process, wrong for a fleet.

    Expired entries go on a sweep at most once a second, not only when their key is read
    again: distinct keys that are never read back (one per search) would otherwise stay
    forever. `max_entries` bounds it before anything expires, dropping the oldest writes.
    Counters (`incr`: the cache versions) live apart and never expire or get dropped: losing
    one would bring an older version, and its entries, back.
    """

    def __init__(self, max_entries: int = 10_000, sweep_every_s: float = 1.0) -> None:
        self._data: dict[str, tuple[bytes, float]] = {}
        self._counters: dict[str, int] = {}
        self.max_entries = max_entries
        self.sweep_every_s = sweep_every_s
        self._next_sweep = time.monotonic() + sweep_every_s

    def __len__(self) -> int:
        return len(self._data)

    def _live(self, key: str) -> bytes | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[1] < time.monotonic():
            self._data.pop(key, None)
            return None
        return item[0]

    def _store(self, key: str, value: bytes, expires_at: float) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._data = {k: v for k, v in self._data.items() if v[1] >= now}
            self._next_sweep = now + self.sweep_every_s
        self._data.pop(key, None)  # re-inserted last: dict order is write order
        self._data[key] = (value, expires_at)
        while len(self._data) > self.max_entries:
            del self._data[next(iter(self._data))]

    async def get(self, key: str) -> bytes | None:
        if key in self._counters:
            return str(self._counters[key]).encode()
        return self._live(key)

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        self._counters.pop(key, None)
        self._store(key, value, time.monotonic() + ttl_s)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._data.pop(key, None)
            self._counters.pop(key, None)

    async def incr(self, key: str) -> int:
        value = self._counters.get(key, int(self._data.pop(key, (b"0", 0.0))[0])) + 1
        self._counters[key] = value
        return value

    async def add(self, key: str, value: bytes, ttl_s: float) -> bool:
        if self._live(key) is not None:
            return False
        await self.set(key, value, ttl_s)
        return True

    async def ping(self) -> bool:
        return True


class RedisBackend:
    def __init__(self, client: Redis) -> None:
        self.client = client

    async def get(self, key: str) -> bytes | None:
        value = await self.client.get(key)
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        await self.client.set(key, value, px=max(int(ttl_s * 1000), 1))

    async def delete(self, *keys: str) -> None:
        if keys:
            await self.client.delete(*keys)

    async def incr(self, key: str) -> int:
        return int(await self.client.incr(key))

    async def add(self, key: str, value: bytes, ttl_s: float) -> bool:
        return bool(await self.client.set(key, value, px=max(int(ttl_s * 1000), 1), nx=True))

    async def ping(self) -> bool:
        return bool(await self.client.ping())


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    errors: int = 0
    by_name: dict[str, list[int]] = field(default_factory=dict)

    def record(self, name: str, hit: bool) -> None:
        CACHE_REQUESTS.labels(name, "hit" if hit else "miss").inc()
        if hit:
            self.hits += 1
        else:
            self.misses += 1
        counts = self.by_name.setdefault(name, [0, 0])
        counts[0 if hit else 1] += 1


Loader = Callable[[], Awaitable[Any]]
_FAILED = object()
# The namespace whose version every invalidation bumps: the near cache follows it.
NEAR_NAMESPACE = "search"


class Cache:
    """JSON values, TTL jitter, versioned namespaces and single-flight loading."""

    def __init__(
        self,
        backend: CacheBackend,
        *,
        prefix: str = "fixia:",
        jitter: float = 0.1,
        lock_ttl_s: float = 5.0,
        near: NearCache | None = None,
    ) -> None:
        self.backend = backend
        self.prefix = prefix
        self.jitter = jitter
        self.lock_ttl_s = lock_ttl_s
        self.stats = CacheStats()
        self._local_locks: dict[str, asyncio.Lock] = {}
        self.near = near if near is not None else NearCache(check_every_s=0)

    async def _safe(self, op: Awaitable[Any], default: Any = None, *, name: str = "any") -> Any:
        try:
            return await op
        except (RedisError, OSError, TimeoutError) as exc:
            self.stats.errors += 1
            CACHE_REQUESTS.labels(name, "error").inc()
            log.warning("cache unavailable, continuing without it: %s", exc)
            return default

    def _ttl(self, ttl_s: float) -> float:
        # Jitter spreads expiries so keys written together do not all expire together.
        return ttl_s * random.uniform(1 - self.jitter, 1 + self.jitter)  # noqa: S311

    async def version(self, namespace: str) -> int:
        raw = await self._safe(self.backend.get(f"{self.prefix}v:{namespace}"))
        return int(raw) if raw else 0

    async def bump(self, namespace: str) -> None:
        """Invalidate a whole namespace at once (e.g. every cached search page)."""
        await self._safe(self.backend.incr(f"{self.prefix}v:{namespace}"))
        # This worker's own write: its near entries go now, not at the next version check.
        self.near.forget()

    async def synced_version(self) -> int | None:
        """The invalidation version, read from the backend at most every near check interval.
        None when the backend cannot say: then nothing may be served from the near cache."""
        near = self.near
        if not near.due():
            return near.version
        key = f"{self.prefix}v:{NEAR_NAMESPACE}"
        raw = await self._safe(self.backend.get(key), default=_FAILED)
        if raw is _FAILED:
            near.forget()
            return None
        near.observe(int(raw) if raw else 0)
        return near.version

    async def get_entry(self, name: str, key: str, version: int | None) -> Entry | None:
        """A stored response: from this worker's memory, else from the backend."""
        entry = self.near.get(key)
        if entry is None:
            raw = await self._safe(self.backend.get(self.prefix + key), name=name)
            entry = Entry.unpack(raw) if raw is not None else None
            if entry is not None:
                self.near.put(key, entry, version)
        self.stats.record(name, hit=entry is not None)
        return entry

    async def put_entry(self, key: str, entry: Entry, ttl_s: float, version: int | None) -> None:
        await self._safe(self.backend.set(self.prefix + key, entry.pack(), self._ttl(ttl_s)))
        self.near.put(key, entry, version)

    async def delete(self, *keys: str) -> None:
        await self._safe(self.backend.delete(*[self.prefix + k for k in keys]))

    async def get_or_load(self, name: str, key: str, ttl_s: float, loader: Loader) -> Any:
        full = self.prefix + key
        raw = await self._safe(self.backend.get(full), name=name)
        if raw is not None:
            self.stats.record(name, hit=True)
            return json.loads(raw)
        self.stats.record(name, hit=False)
        # Single flight: in this process one coroutine loads a key while others wait; across
        # processes a short Redis lock lets one loader through and the others retry the read.
        lock = self._local_locks.setdefault(full, asyncio.Lock())
        async with lock:
            raw = await self._safe(self.backend.get(full))
            if raw is not None:
                return json.loads(raw)
            got_lock = await self._safe(
                self.backend.add(full + ":lock", b"1", self.lock_ttl_s), default=True
            )
            if not got_lock:
                await asyncio.sleep(0.05)
                raw = await self._safe(self.backend.get(full))
                if raw is not None:
                    return json.loads(raw)
            value = await loader()
            await self._safe(self.backend.set(full, json.dumps(value).encode(), self._ttl(ttl_s)))
            if got_lock:
                await self._safe(self.backend.delete(full + ":lock"))
            self._local_locks.pop(full, None)
            return value

    def flight(self, key: str) -> asyncio.Lock:
        """This worker's lock for loading `key` (single flight); `landed` forgets it."""
        return self._local_locks.setdefault(key, asyncio.Lock())

    def landed(self, key: str) -> None:
        lock = self._local_locks.get(key)
        if lock is not None and not lock.locked():
            del self._local_locks[key]

    async def healthy(self) -> bool:
        return bool(await self._safe(self.backend.ping(), default=False))


def build_cache(
    redis_url: str | None, *, timeout_s: float = 0.2, near: NearCache | None = None
) -> Cache:
    """`near`: the worker's near cache in front of Redis (none for the embedded dict)."""
    if not redis_url:
        return Cache(MemoryBackend())
    client = Redis.from_url(redis_url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    return Cache(RedisBackend(client), near=near)
