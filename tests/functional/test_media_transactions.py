"""An upload's bytes never travel inside the request's transaction (issue #21).

The request records the asset and defers its job in the transaction; the bytes reach the
store only after the commit, when no pooled connection is held, so a rolled-back upload
writes nothing. The worker waits a little for bytes still on their way.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from fixia.accounts.models import User
from fixia.config import Settings
from fixia.db import transactional
from fixia.main import create_app
from fixia.media import service, urls
from fixia.media.dependencies import get_storage
from fixia.media.models import MediaAsset, MediaKind, MediaStatus
from fixia.media.validation import check_image
from fixia.platform.storage import ObjectStorage, StoredObject, storage_for
from tests.factories.catalog import create_service
from tests.factories.catalog import professional as pro
from tests.factories.media import API, jpeg, upload

pytestmark = pytest.mark.inprocess


@dataclass
class WatchedStorage:
    """The real store, noting how many pooled connections were checked out at each put."""

    inner: ObjectStorage
    app: FastAPI
    held: dict[str, int] = field(default_factory=dict)
    drop_incoming: bool = False

    async def put(
        self, key: str, data: bytes, *, content_type: str, cache_control: str | None = None
    ) -> None:
        self.held[key] = self.app.state.engine.pool.checkedout()
        if self.drop_incoming and key.startswith(urls.INCOMING_PREFIX):
            return  # as if the request died between its commit and the upload
        await self.inner.put(key, data, content_type=content_type, cache_control=cache_control)

    async def get(self, key: str) -> bytes:
        return await self.inner.get(key)

    async def delete(self, keys: list[str]) -> None:
        await self.inner.delete(keys)

    async def exists(self, key: str) -> bool:
        return await self.inner.exists(key)

    def scan(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        return self.inner.scan(prefix)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    yield app
    await app.state.engine.dispose()


@pytest.fixture
async def app_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def keys_in(storage: ObjectStorage) -> list[str]:
    return sorted([o.key async for o in storage.scan()])


async def test_the_upload_is_stored_after_commit_with_no_connection_held(
    app: FastAPI, app_client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    watched = WatchedStorage(storage_for(settings), app)
    app.dependency_overrides[get_storage] = lambda: watched
    owner = await pro(app_client, outbox)
    listing = await create_service(app_client, owner)
    r = await upload(app_client, owner, f"/services/{listing['id']}/photos", jpeg(300, 200))
    assert r.status_code == 202, r.text
    incoming = urls.incoming_key(uuid.UUID(r.json()["id"]))
    assert watched.held == {incoming: 0}
    asset = (await app_client.get(f"{API}/media/{r.json()['id']}", headers=owner.headers)).json()
    assert asset["status"] == "ready"  # the eager worker found the bytes


async def test_a_rolled_back_upload_leaves_nothing_in_storage(
    app: FastAPI, app_client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    owner = await pro(app_client, outbox)
    storage = storage_for(settings)
    data = jpeg(300, 200)

    async def fail_after_accepting() -> None:
        async with transactional(app.state.sessions) as session:
            user = await session.get(User, uuid.UUID(owner.id))
            assert user is not None
            await service.accept(
                session=session, settings=settings, storage=storage, owner=user,
                kind=MediaKind.avatar, data=data, checked=check_image(data, settings.media),
                alt="Mi cara",
            )  # fmt: skip
            raise RuntimeError("something failed after the upload in the same request")

    with pytest.raises(RuntimeError, match="after the upload"):
        await fail_after_accepting()
    assert await keys_in(storage) == []
    async with transactional(app.state.sessions) as session:
        owner_id = uuid.UUID(owner.id)
        assert await service.owned(session=session, owner_id=owner_id, kind=MediaKind.avatar) == []


@pytest.mark.parametrize("wait_s", [3600, 0])
async def test_the_worker_waits_for_bytes_on_their_way_then_calls_them_lost(
    wait_s: int, settings: Settings, outbox: Path
) -> None:
    media = settings.media.model_copy(update={"upload_wait_s": wait_s})
    settings = settings.model_copy(update={"media": media})
    app = create_app(settings)
    watched = WatchedStorage(storage_for(settings), app, drop_incoming=True)
    app.dependency_overrides[get_storage] = lambda: watched
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        owner = await pro(c, outbox)
        data = jpeg(300, 200)
        r = await upload(c, owner, "/me/avatar", data)
        assert r.status_code == 202, r.text
        asset_id = uuid.UUID(r.json()["id"])
        async with transactional(app.state.sessions) as session:
            asset = await session.get(MediaAsset, asset_id)
            assert asset is not None
            status, error = asset.status, asset.error
        if wait_s:
            # Still waiting; once the bytes land, the next run makes the variants.
            assert status is MediaStatus.pending
            await watched.inner.put(urls.incoming_key(asset_id), data, content_type="image/jpeg")
            await app.state.queue.defer_now(
                service.PROCESS, {"asset_id": str(asset_id)}, lock=None, scheduled_at=None
            )
            r = await c.get(f"{API}/media/{asset_id}", headers=owner.headers)
            assert r.json()["status"] == "ready", r.text
        else:
            assert status is MediaStatus.failed and error is not None and "lost" in error
            assert await keys_in(watched.inner) == []
    await app.state.engine.dispose()
