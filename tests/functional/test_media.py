"""Media over HTTP: uploads, processing by the (eager) queue, serving, removal.

Runs on SQLite and PostgreSQL in process, with the filesystem storage under the test's
var_dir; tests/functional/test_media_s3.py runs the life cycle against moto's S3 server.
"""

from __future__ import annotations

import io
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from fixia.config import Settings
from fixia.media import urls
from tests.factories.accounts import register
from tests.factories.catalog import create_service, expect_problem
from tests.factories.catalog import professional as pro
from tests.factories.media import (
    API,
    disguised,
    forged_document_urls,
    jpeg,
    png,
    png_bomb,
    upload,
    upload_document,
)

# In process: the assertions read the app's storage directory and rely on the eager queue
# (on the stack a separate worker makes the variants, a little later).
pytestmark = pytest.mark.inprocess


def stored(settings: Settings) -> list[str]:
    root = settings.media_root
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


async def test_photo_life_upload_variants_shown_deleted(
    client: httpx.AsyncClient, outbox: Path, settings: Settings
) -> None:
    owner = await pro(client, outbox)
    listing = await create_service(client, owner)
    r = await upload(client, owner, f"/services/{listing['id']}/photos", jpeg(gps=True))
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "pending" and r.json()["variants"] == []
    asset_id = r.json()["id"]

    r = await client.get(f"{API}/media/{asset_id}", headers=owner.headers)
    body = r.json()
    assert body["status"] == "ready", body
    assert {(v["name"], v["width"]) for v in body["variants"]} == {
        ("thumb", 160),
        ("card", 480),
        ("full", 1200),
    }
    keys = stored(settings)
    assert len(keys) == 6 and all(k.startswith(f"p/{asset_id}/") for k in keys)

    for variant in body["variants"]:
        for fmt in ("webp", "jpeg"):
            served = await client.get(variant[fmt])
            assert served.status_code == 200
            assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert served.headers["content-type"] == f"image/{fmt}"
            image = Image.open(io.BytesIO(served.content))
            assert image.format == fmt.upper()
            assert not image.getexif(), f"{variant['name']}.{fmt} carries EXIF"
            assert b"Exif" not in served.content and b"FixiaCam" not in served.content

    page = await client.get(f"/services/{listing['id']}")
    assert page.status_code == 200
    assert 'type="image/webp"' in page.text and body["srcset_jpeg"] in page.text
    svc = await client.get(f"{API}/services/{listing['id']}")
    assert svc.json()["main_image_url"] == body["url"]

    r = await client.delete(f"{API}/media/{asset_id}", headers=owner.headers)
    assert r.status_code == 204
    assert stored(settings) == []
    assert (await client.get(body["variants"][0]["jpeg"])).status_code == 404
    assert (await client.get(f"{API}/services/{listing['id']}")).json()["main_image_url"] is None


async def test_gallery_is_a_cover_and_eight_reorderable_photos(
    client: httpx.AsyncClient, outbox: Path, settings: Settings
) -> None:
    owner = await pro(client, outbox)
    listing = await create_service(client, owner)
    path = f"/services/{listing['id']}/photos"
    ids = []
    for n in range(9):
        r = await upload(client, owner, path, jpeg(40, 30, color=f"#{n}0{n}0{n}0"))
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
    expect_problem(await upload(client, owner, path, jpeg(40, 30)), 403, "media_limit_reached")

    wanted = list(reversed(ids))
    r = await client.put(f"{API}{path}/order", json={"ids": wanted}, headers=owner.headers)
    assert r.status_code == 200, r.text
    listed = await client.get(f"{API}{path}")
    assert [p["id"] for p in listed.json()] == wanted
    assert (await client.get(f"{API}/services/{listing['id']}")).json()["main_image_url"] == (
        listed.json()[0]["url"]
    )
    bad = await client.put(f"{API}{path}/order", json={"ids": wanted[:3]}, headers=owner.headers)
    expect_problem(bad, 409, "bad_media_order")


async def test_disguised_and_hostile_files_are_refused(
    client: httpx.AsyncClient, outbox: Path, settings: Settings
) -> None:
    owner = await pro(client, outbox)
    listing = await create_service(client, owner)
    path = f"/services/{listing['id']}/photos"
    for name, data in [*disguised(), ("bomba.png", png_bomb()), ("vacia.jpg", b"")]:
        r = await upload(client, owner, path, data, name=name)
        assert r.status_code == 415, (name, r.text)
    assert stored(settings) == []


async def test_a_large_upload_is_refused_with_413(
    client: httpx.AsyncClient, outbox: Path, settings: Settings
) -> None:
    owner = await pro(client, outbox)
    big = b"\xff\xd8\xff" + b"\0" * (settings.media.image_max_bytes + 1)
    r = await upload(client, owner, "/me/avatar", big)
    expect_problem(r, 413, "payload_too_large")
    assert stored(settings) == []


async def test_chunked_60_mb_upload_is_cut_at_the_limit_and_nothing_written(
    client: httpx.AsyncClient, outbox: Path, settings: Settings
) -> None:
    owner = await pro(client, outbox)
    boundary = "fixiaboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="alt"\r\n\r\nFoto grande\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="g.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    sent = [0]
    chunk = b"\xff" * (256 * 1024)

    async def body() -> AsyncIterator[bytes]:
        yield head
        for _ in range(60 * 4):  # 60 MB
            sent[0] += len(chunk)
            yield chunk

    headers = {**owner.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    r = await client.post(f"{API}/me/avatar", content=body(), headers=headers)
    expect_problem(r, 413, "payload_too_large")
    # Read no further than the limit (plus the chunk in flight); nothing stored.
    assert sent[0] <= settings.media.image_max_bytes + 64 * 1024 + 2 * len(chunk)
    assert stored(settings) == []


async def test_another_user_can_neither_delete_nor_replace(
    client: httpx.AsyncClient, outbox: Path, settings: Settings
) -> None:
    owner, stranger = await pro(client, outbox), await pro(client, outbox)
    listing = await create_service(client, owner)
    r = await upload(client, owner, f"/services/{listing['id']}/photos", jpeg(60, 40))
    asset_id = r.json()["id"]
    before = stored(settings)

    attempts = [
        await client.delete(f"{API}/media/{asset_id}", headers=stranger.headers),
        await client.put(
            f"{API}/media/{asset_id}/file",
            files={"file": ("x.jpg", jpeg(60, 40, color="red"), "image/jpeg")},
            headers=stranger.headers,
        ),
        await client.patch(
            f"{API}/media/{asset_id}", json={"alt": "Otra cosa"}, headers=stranger.headers
        ),
        await upload(client, stranger, f"/services/{listing['id']}/photos", jpeg(60, 40)),
    ]
    assert [a.status_code for a in attempts] == [404, 404, 404, 403]
    assert stored(settings) == before
    assert (await client.get(f"{API}/media/{asset_id}", headers=owner.headers)).json()[
        "status"
    ] == "ready"

    # The owner replaces it: same position, new file, the old objects gone.
    r = await client.put(
        f"{API}/media/{asset_id}/file",
        files={"file": ("x.jpg", jpeg(60, 40, color="red"), "image/jpeg")},
        headers=owner.headers,
    )
    assert r.status_code == 202, r.text
    assert not any(asset_id in k for k in stored(settings))


async def test_private_document_url_is_signed_expires_and_cannot_be_guessed(
    client: httpx.AsyncClient, outbox: Path, settings: Settings
) -> None:
    owner, stranger = await pro(client, outbox), await pro(client, outbox)
    r = await upload_document(client, owner)
    assert r.status_code == 202, r.text
    doc_id = uuid.UUID(r.json()["id"])
    docs = (await client.get(f"{API}/users/{owner.id}/documents", headers=owner.headers)).json()
    url = docs[0]["url"]
    assert docs[0]["status"] == "ready" and url.startswith(f"/media/d/{doc_id}?")
    got = await client.get(url)
    assert got.status_code == 200 and got.content.startswith(b"%PDF-")
    assert got.headers["cache-control"] == "private, no-store"
    assert "attachment" in got.headers["content-disposition"]

    expect_problem(
        await client.get(f"{API}/users/{owner.id}/documents", headers=stranger.headers),
        404, "not_found",
    )  # fmt: skip
    assert not any(k.startswith("p/") for k in stored(settings))  # never public
    # Without, with a forged, or with a stretched signature: not found.
    sig = re.search(r"sig=(\w+)", url)
    assert sig is not None
    for forged in forged_document_urls(url, doc_id):
        assert (await client.get(forged)).status_code == 404, forged
    # Expired: signed for an instant longer ago than the TTL.
    old = urls.signed_url(settings, doc_id, time.time() - settings.media.signed_url_ttl_s - 5)
    assert (await client.get(old)).status_code == 404


async def test_avatar_replaces_the_previous_and_shows_on_the_profile(
    client: httpx.AsyncClient, outbox: Path, settings: Settings
) -> None:
    owner = await pro(client, outbox)
    first = (await upload(client, owner, "/me/avatar", png())).json()["id"]
    second = (await upload(client, owner, "/me/avatar", jpeg(300, 300))).json()["id"]
    keys = stored(settings)
    assert keys and all(k.startswith(f"p/{second}/") for k in keys) and first not in str(keys)
    me = (await client.get(f"{API}/me", headers=owner.headers)).json()
    assert me["avatar_url"].startswith(f"/media/p/{second}/")
    page = await client.get(f"/professionals/{owner.id}")
    assert me["avatar_url"] in page.text


async def test_portfolio_crud_and_order(
    client: httpx.AsyncClient, outbox: Path, settings: Settings
) -> None:
    owner = await pro(client, outbox)
    made = []
    for title in ("Baño completo en Rawson", "Cocina en Trelew", "Techo en Gaiman"):
        r = await client.post(
            f"{API}/me/portfolio",
            data={"title": title, "project_url": "https://example.com/obra", "tags": ["baño"]},
            files={"file": ("obra.jpg", jpeg(200, 150), "image/jpeg")},
            headers=owner.headers,
        )
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
    r = await client.patch(
        f"{API}/me/portfolio/{made[2]}", json={"featured": True}, headers=owner.headers
    )
    assert r.status_code == 200 and r.json()["featured"] is True
    r = await client.put(
        f"{API}/me/portfolio/order",
        json={"ids": [made[1], made[0], made[2]]},
        headers=owner.headers,
    )
    assert r.status_code == 204
    listed = (await client.get(f"{API}/professionals/{owner.id}/portfolio")).json()
    assert [i["id"] for i in listed] == [made[2], made[1], made[0]]  # featured first
    assert listed[0]["image"]["status"] == "ready"
    page = await client.get(f"/professionals/{owner.id}")
    assert "Techo en Gaiman" in page.text and 'loading="lazy"' in page.text

    r = await client.delete(f"{API}/me/portfolio/{made[0]}", headers=owner.headers)
    assert r.status_code == 204
    left = (await client.get(f"{API}/professionals/{owner.id}/portfolio")).json()
    assert len(left) == 2
    assert len(stored(settings)) == 2 * 6


async def test_account_deletion_removes_the_users_media(
    client: httpx.AsyncClient, outbox: Path, settings: Settings
) -> None:
    owner = await pro(client, outbox)
    await upload(client, owner, "/me/avatar", jpeg(100, 100))
    await client.post(
        f"{API}/me/documents",
        files={"file": ("dni.jpg", jpeg(300, 200, gps=True), "image/jpeg")},
        data={"label": "dni_back"},
        headers=owner.headers,
    )
    assert stored(settings)
    r = await client.delete(f"{API}/me", headers=owner.headers)
    assert r.status_code == 204
    assert stored(settings) == []


async def test_project_photos_up_to_five(
    client: httpx.AsyncClient, outbox: Path, settings: Settings
) -> None:
    from tests.factories.projects import post_project

    owner = await register(client, outbox, role="client")
    project = await post_project(client, owner)
    path = f"/projects/{project['id']}/photos"
    for _ in range(5):
        assert (await upload(client, owner, path, jpeg(50, 50))).status_code == 202
    expect_problem(await upload(client, owner, path, jpeg(50, 50)), 403, "media_limit_reached")


async def test_deleting_a_service_removes_its_gallery(
    client: httpx.AsyncClient, outbox: Path, settings: Settings
) -> None:
    owner = await pro(client, outbox)
    listing = await create_service(client, owner)
    for _ in range(2):
        await upload(client, owner, f"/services/{listing['id']}/photos", jpeg(60, 40))
    assert len(stored(settings)) == 12
    r = await client.delete(f"{API}/services/{listing['id']}", headers=owner.headers)
    assert r.status_code == 204
    assert stored(settings) == []
