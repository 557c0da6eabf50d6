"""Issue #27, item 1: request bodies are counted on every route, chunked ones included, and
web forms are parsed with explicit limits (fields, part size, no files)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from fixia.config import Settings
from tests.factories.catalog import expect_problem
from tests.functional.web.helpers import csrf_token

# In process only: the tests count how much of a lazily generated body the app pulled.
pytestmark = pytest.mark.inprocess

CHUNK = 64 * 1024
FIELD = 60 * 1024
BOUNDARY = "fixia-test-boundary"


def multipart_upload(
    token: str, total: int, pulled: list[int], *, file: bool = False
) -> AsyncIterator[bytes]:
    """A multipart form with a CSRF field, then either endless 60 KB text fields (each under
    the part-size limit, so only the byte count can stop them) or one endless file part;
    generated lazily, `pulled` records how many bytes the server asked for."""

    def part(name: str) -> bytes:
        filename = f'; filename="{name}.bin"' if file else ""
        return (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"{filename}\r\n\r\n'
        ).encode()

    async def gen() -> AsyncIterator[bytes]:
        head = part("csrf_token") + token.encode() + b"\r\n"
        pulled[0] += len(head)
        yield head
        for i in range(total // FIELD + 1):
            if pulled[0] >= total:
                return
            body = part(f"f{i}") + b"x" * FIELD + (b"" if file else b"\r\n")
            pulled[0] += len(body)
            yield body

    return gen()


async def test_a_chunked_multipart_form_is_cut_off_at_the_limit(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    token = await csrf_token(client)
    pulled = [0]
    r = await client.post(
        "/login",
        content=multipart_upload(token, 20 * 1024 * 1024, pulled),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("text/html")  # a page on a web route
    # Stopped as soon as the count passed the limit, not after spooling the whole body.
    assert pulled[0] <= settings.security.max_body_bytes + 2 * CHUNK


async def test_a_file_part_is_refused_without_being_spooled(client: httpx.AsyncClient) -> None:
    token = await csrf_token(client)
    pulled = [0]
    r = await client.post(
        "/login",
        content=multipart_upload(token, 20 * 1024 * 1024, pulled, file=True),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert r.status_code == 400  # no form takes files: refused at the part's headers
    assert pulled[0] <= 4 * CHUNK


async def test_a_declared_oversized_body_on_a_web_route_gets_a_page(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    big = b"a=" + b"x" * settings.security.max_body_bytes
    r = await client.post(
        "/login", content=big, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")


async def test_a_chunked_json_body_on_the_api_is_problem_json(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    pulled = [0]

    async def chunks() -> AsyncIterator[bytes]:
        while pulled[0] < 20 * 1024 * 1024:
            pulled[0] += CHUNK
            yield b" " * CHUNK

    r = await client.post(
        "/api/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    expect_problem(r, 413, "payload_too_large")
    assert pulled[0] <= settings.security.max_body_bytes + 2 * CHUNK


async def test_forms_are_parsed_with_a_field_count_limit(client: httpx.AsyncClient) -> None:
    # /lang answers 303 to any well-formed form: a 400 can only come from the parser.
    token = await csrf_token(client)
    fields = {f"f{i}": "x" for i in range(500)}  # a few KB, far under the byte limit
    r = await client.post("/lang", data={"csrf_token": token, "lang": "en", **fields})
    assert r.status_code == 400, r.status_code
    r = await client.post("/lang", data={"csrf_token": token, "lang": "en"})
    assert r.status_code == 303


async def test_forms_are_parsed_with_a_field_size_limit(client: httpx.AsyncClient) -> None:
    token = await csrf_token(client)
    r = await client.post("/lang", data={"csrf_token": token, "next": "/" + "a" * 200_000})
    assert r.status_code == 400, r.status_code


async def test_forms_refuse_files(client: httpx.AsyncClient) -> None:
    token = await csrf_token(client)
    r = await client.post("/lang", data={"csrf_token": token}, files={"a": ("a.bin", b"tiny")})
    assert r.status_code == 400, r.status_code


async def test_a_form_without_a_csrf_cookie_is_refused_before_its_body_is_read(
    client: httpx.AsyncClient,
) -> None:
    pulled = [0]
    r = await client.post(
        "/login",
        content=multipart_upload("x", 512 * 1024, pulled),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert r.status_code == 403
    assert pulled[0] < 512 * 1024
