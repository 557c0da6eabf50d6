"""Stored HTTP answers (bytes and ETag) and a per-worker near cache in front of Redis.

An `Entry` is a response body exactly as it goes on the wire, its ETag and the few headers
that belong to it. It is serialised once, when it is built, and never validated again.

The near cache keeps hot entries in the worker's memory. Every entry is tagged with the
invalidation version (a Redis counter that every invalidation bumps) the worker knew when it
fetched it. The worker re-reads that counter at most every `check_every_s`: when it moved,
every entry goes. A worker's own writes drop its entries at once (`forget`). So an entry is
never older than one check interval plus one Redis round trip after a write committed: that
is the documented staleness bound (docs/performance.md).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass

Header = tuple[bytes, bytes]


@dataclass(frozen=True, slots=True)
class Entry:
    etag: bytes  # quoted, as it goes in the ETag header
    body: bytes
    headers: tuple[Header, ...] = ()

    @classmethod
    def of(cls, body: bytes, headers: tuple[Header, ...] = ()) -> Entry:
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        return cls(f'"{digest}"'.encode(), body, headers)

    def pack(self) -> bytes:
        headers = [[k.decode(), v.decode()] for k, v in self.headers]
        meta = {"etag": self.etag.decode(), "h": headers}
        return json.dumps(meta, separators=(",", ":")).encode() + b"\n" + self.body

    @classmethod
    def unpack(cls, raw: bytes) -> Entry | None:
        """None for anything that is not a packed entry (an older format): a miss."""
        head, sep, body = raw.partition(b"\n")
        if not sep:
            return None
        try:
            meta = json.loads(head)
            headers = tuple((k.encode(), v.encode()) for k, v in meta["h"])
            return cls(meta["etag"].encode(), body, headers)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def matches(self, if_none_match: bytes | None) -> bool:
        """RFC 9110 weak comparison, as If-None-Match asks for."""
        if not if_none_match:
            return False
        for candidate in if_none_match.split(b","):
            tag = candidate.strip()
            if tag == b"*" or tag.removeprefix(b"W/") == self.etag:
                return True
        return False


class NearCache:
    """Entries of one invalidation version, bounded in count and bytes (oldest out first)."""

    def __init__(
        self, check_every_s: float = 0.5, max_entries: int = 2000, max_bytes: int = 32 << 20
    ) -> None:
        self.check_every_s = check_every_s
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.version: int | None = None
        self._checked_at = float("-inf")
        self._entries: dict[str, Entry] = {}
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def due(self) -> bool:
        """Whether the version must be read again before an entry may be served."""
        return self.check_every_s <= 0 or time.monotonic() - self._checked_at >= self.check_every_s

    def observe(self, version: int) -> None:
        if version != self.version:
            self._clear()
            self.version = version
        self._checked_at = time.monotonic()

    def forget(self) -> None:
        """Drop everything and read the version before the next hit (after a local write,
        or when Redis cannot tell the version)."""
        self._clear()
        self.version = None
        self._checked_at = float("-inf")

    def get(self, key: str) -> Entry | None:
        return self._entries.get(key)

    def put(self, key: str, entry: Entry, version: int | None) -> None:
        """Keep `entry` only if it was fetched under the version this worker still knows."""
        if version is None or version != self.version or self.check_every_s <= 0:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)
        self._entries[key] = entry
        self._bytes += len(entry.body)
        while self._entries and (
            len(self._entries) > self.max_entries or self._bytes > self.max_bytes
        ):
            dropped = self._entries.pop(next(iter(self._entries)))
            self._bytes -= len(dropped.body)

    def _clear(self) -> None:
        self._entries.clear()
        self._bytes = 0
