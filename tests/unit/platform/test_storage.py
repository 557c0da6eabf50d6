"""One conformance suite for every ObjectStorage: the filesystem and S3 (moto's server)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fixia.config import MediaSettings
from fixia.platform.storage import ObjectMissing, ObjectStorage
from fixia.platform.storage.filesystem import FilesystemStorage
from fixia.platform.storage.s3 import S3Storage
from tests import s3_server
from tests.servers import session_server


@pytest.fixture(scope="session")
def s3() -> Iterator[s3_server.S3Server]:
    missing = f"moto's S3 server is not installed; {s3_server.INSTALL_HINT}"
    with session_server(s3_server.external, s3_server.available, missing, s3_server.start) as s:
        yield s


def s3_settings(url: str, bucket: str) -> MediaSettings:
    from pydantic import SecretStr

    return MediaSettings(
        storage="s3",
        s3_endpoint_url=url,
        s3_bucket=bucket,
        s3_access_key_id=SecretStr(s3_server.ACCESS_KEY),
        s3_secret_access_key=SecretStr(s3_server.SECRET_KEY),
    )


def new_bucket(server: s3_server.S3Server) -> S3Storage:
    bucket = f"fixia-test-{uuid.uuid4().hex[:12]}"
    storage = S3Storage.from_settings(s3_settings(server.url, bucket))
    storage.client.create_bucket(Bucket=bucket)
    return storage


@pytest.fixture(params=["filesystem", "s3"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ObjectStorage]:
    if request.param == "filesystem":
        yield FilesystemStorage(tmp_path / "media")
        return
    yield new_bucket(request.getfixturevalue("s3"))


async def keys(storage: ObjectStorage, prefix: str = "") -> list[str]:
    return sorted([o.key async for o in storage.scan(prefix)])


async def test_put_get_overwrite(storage: ObjectStorage) -> None:
    await storage.put("p/a/1-card.webp", b"one", content_type="image/webp")
    assert await storage.get("p/a/1-card.webp") == b"one"
    await storage.put("p/a/1-card.webp", b"two", content_type="image/webp", cache_control="x")
    assert await storage.get("p/a/1-card.webp") == b"two"
    assert await storage.exists("p/a/1-card.webp")


async def test_missing_objects(storage: ObjectStorage) -> None:
    with pytest.raises(ObjectMissing):
        await storage.get("p/none/here.jpeg")
    assert not await storage.exists("p/none/here.jpeg")
    await storage.delete(["p/none/here.jpeg"])  # idempotent


async def test_scan_and_delete(storage: ObjectStorage) -> None:
    before = datetime.now(UTC) - timedelta(minutes=5)
    for key in ("p/a/1.webp", "p/a/2.jpeg", "d/b/3.pdf", "incoming/c"):
        await storage.put(key, key.encode(), content_type="application/octet-stream")
    assert await keys(storage) == ["d/b/3.pdf", "incoming/c", "p/a/1.webp", "p/a/2.jpeg"]
    assert await keys(storage, "p/") == ["p/a/1.webp", "p/a/2.jpeg"]
    found = [o async for o in storage.scan("d/")]
    assert found[0].size == len(b"d/b/3.pdf") and found[0].modified > before
    await storage.delete(["p/a/1.webp", "incoming/c"])
    assert await keys(storage) == ["d/b/3.pdf", "p/a/2.jpeg"]


async def test_keys_cannot_escape(storage: ObjectStorage) -> None:
    for bad in ("../etc/passwd", "/abs", "p//x", "p/./x", ""):
        with pytest.raises(ValueError):
            await storage.put(bad, b"x", content_type="text/plain")
