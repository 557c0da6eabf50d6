"""Objects as files under one directory: the embedded default, no server needed.

Writes go to a temporary file renamed into place, so a reader never sees half an object and
a crash leaves at most a stray temporary file (the orphan sweep removes those too).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import anyio

from fixia.platform.storage import ObjectMissing, StoredObject, valid_key


class FilesystemStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / valid_key(key)

    async def put(
        self, key: str, data: bytes, *, content_type: str, cache_control: str | None = None
    ) -> None:
        await anyio.to_thread.run_sync(self._put, self._path(key), data)

    @staticmethod
    def _put(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    async def get(self, key: str) -> bytes:
        try:
            return await anyio.to_thread.run_sync(self._path(key).read_bytes)
        except (FileNotFoundError, IsADirectoryError) as error:
            raise ObjectMissing(key) from error

    async def delete(self, keys: list[str]) -> None:
        paths = [self._path(k) for k in keys]
        await anyio.to_thread.run_sync(self._delete, paths)

    def _delete(self, paths: list[Path]) -> None:
        for path in paths:
            path.unlink(missing_ok=True)
            # Empty directories left behind are removed up to the root.
            parent = path.parent
            while parent != self.root and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent

    async def exists(self, key: str) -> bool:
        return await anyio.to_thread.run_sync(self._path(key).is_file)

    async def scan(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        found = await anyio.to_thread.run_sync(self._scan, prefix)
        for item in found:
            yield item

    def _scan(self, prefix: str) -> list[StoredObject]:
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.rglob("*"):
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and key.startswith(prefix):
                stat = path.stat()
                modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                found.append(StoredObject(key, stat.st_size, modified))
        return found
