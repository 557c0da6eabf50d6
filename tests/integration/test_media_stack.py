"""Issue #21 on the stack: media through HAProxy, the slot, its separate worker and the
stack's S3 API server (deploy/environments/test-media.toml: media_s3, signed URLs for 10 s).

The queue is not eager here: the worker makes the variants and deletes the objects a little
later, so the tests poll for its results, bounded in count and time. The bucket is checked
directly with boto3, with the keys the stack generated (stack.json)."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from PIL import Image

from tests import stack as stack_module
from tests.chunked import refusals, send_chunked
from tests.factories.accounts import Account, register
from tests.factories.catalog import create_service
from tests.factories.media import (
    API,
    disguised,
    forged_document_urls,
    jpeg,
    png_bomb,
    upload,
    upload_document,
)
from tests.stack import RunningStack, eventually

pytestmark = pytest.mark.stack

BUCKET = "fixia-media"  # fixiactl.stack.media.BUCKET
TTL_S = 10  # FIXIA_MEDIA__SIGNED_URL_TTL_S in test-media.toml


@pytest.fixture(scope="module")
def media_stack() -> Iterator[RunningStack]:
    running = stack_module.start(suite="media")
    try:
        yield running
    finally:
        stack_module.stop_and_remove(running.env, running.state)


@pytest.fixture(scope="module")
def bucket(media_stack: RunningStack) -> Any:
    state = json.loads((media_stack.state / "stack.json").read_text())
    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{state['ports']['s3']}",
        region_name="us-east-1",
        aws_access_key_id=state["s3_access_key"],
        aws_secret_access_key=state["s3_secret_key"],
    )


def keys(bucket: Any, prefix: str = "") -> set[str]:
    pages = bucket.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return {o["Key"] for page in pages for o in page.get("Contents", [])}


def of_asset(bucket: Any, asset_id: str) -> set[str]:
    return {k for k in keys(bucket) if f"/{asset_id}" in k or k.endswith(asset_id)}


async def ready(client: httpx.AsyncClient, owner: Account, asset_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {}

    async def check() -> bool:
        nonlocal body
        body = (await client.get(f"{API}/media/{asset_id}", headers=owner.headers)).json()
        return bool(body["status"] != "pending")

    await eventually(check, "process the upload")
    assert body["status"] == "ready", body
    return body


async def pro(client: httpx.AsyncClient, stack: RunningStack) -> Account:
    return await register(client, stack.state / "outbox", role="professional")


async def photo(
    client: httpx.AsyncClient, stack: RunningStack, **kw: Any
) -> tuple[Account, dict[str, Any], dict[str, Any]]:
    """A professional, a listing and one ready photo on it."""
    owner = await pro(client, stack)
    listing = await create_service(client, owner)
    r = await upload(client, owner, f"/services/{listing['id']}/photos", jpeg(**kw))
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "pending" and r.json()["variants"] == []
    return owner, listing, await ready(client, owner, r.json()["id"])


def test_status_lists_the_s3_server_running_and_healthy(media_stack: RunningStack) -> None:
    components = {c["name"]: c for c in json.loads(media_stack.ctl("status", "--json").stdout)}
    s3 = components["s3"]
    assert s3["state"] == "RUNNING" and s3["healthy"] and s3["pid"] > 0
    assert s3["port"] == media_stack.ports["s3"]
    # No key on any command line: the server takes none, the slots read theirs from a file.
    state = json.loads((media_stack.state / "stack.json").read_text())
    for name in ("s3", "app-blue", "worker-blue"):
        argv = (Path("/proc") / str(components[name]["pid"]) / "cmdline").read_bytes()
        assert state["s3_secret_key"].encode() not in argv, name


async def test_photo_life_upload_variants_shown_deleted_gone_from_s3(
    media_stack: RunningStack, bucket: Any
) -> None:
    async with httpx.AsyncClient(base_url=media_stack.http, timeout=30) as client:
        owner, listing, body = await photo(client, media_stack, gps=True)
        asset_id = body["id"]
        stored = of_asset(bucket, asset_id)
        assert len(stored) == 6 and all(k.startswith(f"p/{asset_id}/") for k in stored)
        assert not keys(bucket, f"incoming/{asset_id}")  # the upload as received: gone
        assert {(v["name"], v["width"]) for v in body["variants"]} == {
            ("thumb", 160),
            ("card", 480),
            ("full", 1200),
        }
        for variant in body["variants"]:
            for fmt in ("webp", "jpeg"):
                served = await client.get(variant[fmt])
                assert served.status_code == 200, variant[fmt]
                assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
                image = Image.open(io.BytesIO(served.content))
                assert image.format == fmt.upper()
                # No EXIF at all, so no GPS: neither parsed nor as raw bytes.
                assert not image.getexif(), f"{variant['name']}.{fmt} carries EXIF"
                assert b"Exif" not in served.content and b"FixiaCam" not in served.content
        page = await client.get(f"/services/{listing['id']}")
        assert page.status_code == 200 and body["srcset_jpeg"] in page.text
        service = (await client.get(f"{API}/services/{listing['id']}")).json()
        assert service["main_image_url"] == body["url"]

        r = await client.delete(f"{API}/media/{asset_id}", headers=owner.headers)
        assert r.status_code == 204

        async def gone() -> bool:
            return not of_asset(bucket, asset_id)

        await eventually(gone, "delete the objects")
        assert (await client.get(body["variants"][0]["jpeg"])).status_code == 404
        service = (await client.get(f"{API}/services/{listing['id']}")).json()
        assert service["main_image_url"] is None


async def test_disguised_files_are_refused_and_nothing_stored(
    media_stack: RunningStack, bucket: Any
) -> None:
    before = keys(bucket)
    async with httpx.AsyncClient(base_url=media_stack.http, timeout=30) as client:
        owner = await pro(client, media_stack)
        listing = await create_service(client, owner)
        path = f"/services/{listing['id']}/photos"
        for name, data in disguised():
            r = await upload(client, owner, path, data, name=name)
            assert r.status_code == 415, (name, r.text)
        assert (await client.get(f"{API}{path}")).json() == []
    assert keys(bucket) == before


def _high_water_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB; with its children (uvicorn's
    workers), the largest of them."""
    pids = [pid, *(int(c) for c in (Path("/proc") / str(pid) / "task" / str(pid) / "children")
                   .read_text().split())]  # fmt: skip
    peaks = []
    for p in pids:
        for line in (Path("/proc") / str(p) / "status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


async def test_a_decompression_bomb_is_refused_and_no_process_grows(
    media_stack: RunningStack, bucket: Any
) -> None:
    """A 200,000 × 200,000 PNG of a few kilobytes: refused from its header, before any
    pixel is decoded, so neither the app's workers nor the queue worker's peak memory moves
    past the bound (16 MB, as the in-process probe in tests/unit/media states)."""
    components = {c["name"]: c for c in json.loads(media_stack.ctl("status", "--json").stdout)}
    pids = {name: components[name]["pid"] for name in ("app-blue", "worker-blue")}
    stored_before = keys(bucket)
    async with httpx.AsyncClient(base_url=media_stack.http, timeout=30) as client:
        owner = await pro(client, media_stack)
        listing = await create_service(client, owner)
        path = f"/services/{listing['id']}/photos"
        # The upload path warmed by a refused impostor first: the first request of a route
        # imports and caches what it needs, which is not the bomb's cost.
        for _ in range(2):
            r = await upload(client, owner, path, disguised()[0][1], name="foto.jpg")
            assert r.status_code == 415
        before = {name: _high_water_mb(pid) for name, pid in pids.items()}
        for _ in range(3):
            r = await upload(client, owner, path, png_bomb(200_000), name="bomba.png")
            assert r.status_code == 415, r.text
        assert (await client.get(f"{API}{path}")).json() == []
    assert keys(bucket) == stored_before
    after = {name: _high_water_mb(pid) for name, pid in pids.items()}
    assert all(after[n] - before[n] < 16 for n in pids), (before, after)


async def test_another_user_can_neither_delete_nor_replace(
    media_stack: RunningStack, bucket: Any
) -> None:
    async with httpx.AsyncClient(base_url=media_stack.http, timeout=30) as client:
        owner, listing, body = await photo(client, media_stack, width=60, height=40)
        stranger = await pro(client, media_stack)
        asset_id = body["id"]
        before = of_asset(bucket, asset_id)
        replacement = {"file": ("x.jpg", jpeg(60, 40, color="red"), "image/jpeg")}
        attempts = [
            await client.delete(f"{API}/media/{asset_id}", headers=stranger.headers),
            await client.put(
                f"{API}/media/{asset_id}/file", files=replacement, headers=stranger.headers
            ),
            await client.patch(
                f"{API}/media/{asset_id}", json={"alt": "Otra cosa"}, headers=stranger.headers
            ),
            await upload(client, stranger, f"/services/{listing['id']}/photos", jpeg(60, 40)),
        ]
        assert [a.status_code for a in attempts] == [404, 404, 404, 403]
        # Give a wrongly deferred job the time to run: the objects must still be there.
        await asyncio.sleep(2)
        assert of_asset(bucket, asset_id) == before and len(before) == 6
        again = await client.get(f"{API}/media/{asset_id}", headers=owner.headers)
        assert again.json()["status"] == "ready" and again.json()["url"] == body["url"]


async def test_private_document_url_expires_and_cannot_be_guessed(
    media_stack: RunningStack, bucket: Any
) -> None:
    async with httpx.AsyncClient(base_url=media_stack.http, timeout=30) as client:
        owner, stranger = await pro(client, media_stack), await pro(client, media_stack)
        r = await upload_document(client, owner)
        assert r.status_code == 202, r.text
        doc_id = r.json()["id"]
        docs: list[dict[str, Any]] = []

        async def listed() -> bool:
            nonlocal docs
            url = f"{API}/users/{owner.id}/documents"
            docs = (await client.get(url, headers=owner.headers)).json()
            return bool(docs and docs[0]["status"] != "pending")

        await eventually(listed, "process the document")
        url = docs[0]["url"]
        assert docs[0]["status"] == "ready" and url.startswith(f"/media/d/{doc_id}?")
        stored = of_asset(bucket, doc_id)
        assert stored and all(k.startswith(f"d/{doc_id}/") for k in stored)  # never public
        got = await client.get(url)
        assert got.status_code == 200 and got.content.startswith(b"%PDF-")
        assert got.headers["cache-control"] == "private, no-store"
        stranger_list = await client.get(
            f"{API}/users/{owner.id}/documents", headers=stranger.headers
        )
        assert stranger_list.status_code == 404
        for forged in forged_document_urls(url, doc_id):
            assert (await client.get(forged)).status_code == 404, forged
        await asyncio.sleep(TTL_S + 2)
        assert (await client.get(url)).status_code == 404  # expired


BOUNDARY = "fixia-media-boundary"
TOTAL = 60 * 1024 * 1024


async def _chunked_avatar(port: int, token: str) -> tuple[int, int]:
    """POST a 60 MB chunked multipart avatar while watching for the answer."""
    head = (
        f"POST {API}/me/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    first = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="alt"\r\n\r\nFoto\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        'filename="g.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()
    piece = b"\xff" * (256 * 1024)
    return await send_chunked(port, head, first, lambda _: piece, TOTAL)


async def test_chunked_60_mb_upload_is_cut_at_the_limit_and_nothing_written(
    media_stack: RunningStack, bucket: Any
) -> None:
    route = f"{API}/me/avatar"
    async with httpx.AsyncClient(base_url=media_stack.http, timeout=30) as client:
        owner = await pro(client, media_stack)
        before, refused = keys(bucket), refusals(media_stack.ports["blue"], route)
        status, sent = await _chunked_avatar(media_stack.ports["http"], owner.access_token)
        if status == 0:  # the reset ate the answer on our side: the slot's count has it
            status = 413 if refusals(media_stack.ports["blue"], route) == refused + 1 else -1
        assert status == 413
        # HAProxy and socket buffers let some megabytes past the 5 MB limit, never the body.
        assert sent < 32 * 1024 * 1024, sent
        me = (await client.get(f"{API}/me", headers=owner.headers)).json()
        assert me["avatar_url"] is None
    assert keys(bucket) == before
