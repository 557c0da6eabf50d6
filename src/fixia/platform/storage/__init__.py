"""Object storage: one interface, two implementations (docs/media.md).

Keys are slash-separated paths chosen by the caller (`p/<asset>/<hash>-card.webp`). The
filesystem implementation is the embedded default (`make run`, no server); the S3 one talks
to any S3-compatible API (AWS, MinIO, moto's server in tests). The conformance test in
tests/unit/platform/test_storage.py runs the same assertions against both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from fixia.config import Settings


class ObjectMissing(Exception):
    """The key names no object."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: datetime


class ObjectStorage(Protocol):
    async def put(
        self, key: str, data: bytes, *, content_type: str, cache_control: str | None = None
    ) -> None:
        """Write (or overwrite) one object."""

    async def get(self, key: str) -> bytes:
        """The object's bytes; ObjectMissing when absent."""

    async def delete(self, keys: list[str]) -> None:
        """Remove the objects; keys already gone are not an error (deletes are retried)."""

    async def exists(self, key: str) -> bool: ...

    def scan(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        """Every object under `prefix`, in no promised order."""


def valid_key(key: str) -> str:
    """Keys are made by us, but a bug must never become a path traversal."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"invalid object key {key!r}")
    return key


def build_storage(settings: Settings) -> ObjectStorage:
    media = settings.media
    if media.storage == "s3":
        from fixia.platform.storage.s3 import S3Storage

        return S3Storage.from_settings(media)
    from fixia.platform.storage.filesystem import FilesystemStorage

    return FilesystemStorage(settings.media_root)


_BUILT: dict[tuple[str, ...], ObjectStorage] = {}


def storage_for(settings: Settings) -> ObjectStorage:
    """One storage per configuration and process: the app and the in-process worker share it,
    and an S3 client (its connection pool) is not rebuilt per job."""
    media = settings.media
    key = (media.storage, str(settings.media_root), media.s3_bucket, media.s3_endpoint_url or "")
    if key not in _BUILT:
        _BUILT[key] = build_storage(settings)
    return _BUILT[key]
