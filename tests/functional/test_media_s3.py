"""The media life cycle on S3 (moto's standalone server), and the orphan sweep on both stores."""

from __future__ import annotations

import io
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from pydantic import SecretStr

from fixia.config import MediaSettings, Settings
from fixia.main import create_app
from fixia.platform.storage import ObjectStorage, storage_for
from fixia.platform.storage.s3 import S3Storage
from tests import s3_server
from tests.factories.catalog import create_service
from tests.factories.catalog import professional as pro
from tests.factories.media import API, jpeg, upload
from tests.servers import session_server

# In process: these tests build their own app around an S3 bucket.
pytestmark = pytest.mark.inprocess


@pytest.fixture(scope="session")
def s3() -> Iterator[s3_server.S3Server]:
    missing = f"moto's S3 server is not installed; {s3_server.INSTALL_HINT}"
    with session_server(s3_server.external, s3_server.available, missing, s3_server.start) as s:
        yield s


@pytest.fixture
def s3_settings(settings: Settings, s3: s3_server.S3Server) -> Settings:
    media = MediaSettings(
        storage="s3",
        s3_endpoint_url=s3.url,
        s3_bucket=f"fixia-test-{uuid.uuid4().hex[:12]}",
        s3_access_key_id=SecretStr(s3_server.ACCESS_KEY),
        s3_secret_access_key=SecretStr(s3_server.SECRET_KEY),
    )
    S3Storage.from_settings(media).client.create_bucket(Bucket=media.s3_bucket)
    return settings.model_copy(update={"media": media})


@pytest.fixture
async def s3_client(s3_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(s3_settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c
    await app.state.engine.dispose()


async def bucket_keys(storage: ObjectStorage) -> list[str]:
    return sorted([o.key async for o in storage.scan()])


async def test_life_cycle_on_s3(
    s3_client: httpx.AsyncClient, s3_settings: Settings, outbox: Path
) -> None:
    storage = storage_for(s3_settings)
    owner = await pro(s3_client, outbox)
    listing = await create_service(s3_client, owner)
    r = await upload(s3_client, owner, f"/services/{listing['id']}/photos", jpeg(gps=True))
    assert r.status_code == 202 and r.json()["status"] == "pending"
    asset = (await s3_client.get(f"{API}/media/{r.json()['id']}", headers=owner.headers)).json()
    assert asset["status"] == "ready"
    keys = await bucket_keys(storage)
    assert len(keys) == 6 and all(k.startswith(f"p/{asset['id']}/") for k in keys)
    for variant in asset["variants"]:
        served = await s3_client.get(variant["webp"])
        assert served.status_code == 200 and not Image.open(io.BytesIO(served.content)).getexif()
    page = await s3_client.get(f"/services/{listing['id']}")
    assert asset["srcset_webp"] in page.text
    assert (
        await s3_client.delete(f"{API}/media/{asset['id']}", headers=owner.headers)
    ).status_code == 204
    assert await bucket_keys(storage) == []


@pytest.mark.parametrize("store", ["filesystem", "s3"])
async def test_sweep_removes_orphans_and_keeps_live_objects(
    store: str, request: pytest.FixtureRequest, settings: Settings, outbox: Path
) -> None:
    on_s3 = store == "s3"
    chosen: Settings = request.getfixturevalue("s3_settings") if on_s3 else settings
    # S3 objects cannot be aged: there the grace is 0; on disk the orphans are aged instead,
    # and an upload in flight (younger than the grace) must survive.
    grace = 0 if on_s3 else 3600
    chosen = chosen.model_copy(
        update={"media": chosen.media.model_copy(update={"orphan_grace_s": grace})}
    )
    app = create_app(chosen)
    storage = storage_for(chosen)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        owner = await pro(c, outbox)
        live = (await upload(c, owner, "/me/avatar", jpeg(50, 50))).json()["id"]
        orphan = uuid.uuid4()
        doomed = [f"p/{orphan}/abc-card.webp", f"incoming/{orphan}", "junk/file"]
        doomed.append(f"p/{live}/old-card.webp")  # a live asset's object it no longer names
        fresh = f"incoming/{uuid.uuid4()}"
        for key in [*doomed, fresh]:
            await storage.put(key, b"x", content_type="image/webp")
        if not on_s3:
            old = time.time() - 2 * 3600
            for key in [*doomed, *[k for k in await bucket_keys(storage) if live in k]]:
                os.utime(chosen.media_root / key, (old, old))
        queue = app.state.queue
        await queue.defer_now("media.sweep_orphans", {"timestamp": 0}, lock=None, scheduled_at=None)
        left = await bucket_keys(storage)
    await app.state.engine.dispose()
    assert not set(doomed) & set(left), left
    assert len([k for k in left if k.startswith(f"p/{live}/")]) == 6
    assert (fresh in left) is (not on_s3)
