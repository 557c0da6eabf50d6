"""OWASP API4 (unrestricted resource consumption), API7 (SSRF) and injection."""

from __future__ import annotations

import ast
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from fixia.config import RateLimitSettings, Settings
from fixia.main import create_app
from fixia.media.limits import upload_limits
from tests.factories.accounts import register
from tests.factories.catalog import create_service, expect_problem, search_ids, service_body

# In process only: these tests build their own apps and settings.
pytestmark = pytest.mark.inprocess

API = "/api/v1"
SRC = Path(__file__).resolve().parents[3] / "src" / "fixia"


async def test_page_sizes_are_capped(client: httpx.AsyncClient, outbox: Path) -> None:
    user = await register(client, outbox)
    for path in ("/services", "/notifications", "/opportunities", "/payments/mine"):
        r = await client.get(API + path, params={"limit": 101}, headers=user.headers)
        if r.status_code == 403:  # opportunities are for professionals
            continue
        expect_problem(r, 422, "validation_error")
        r = await client.get(API + path, params={"limit": 100}, headers=user.headers)
        assert r.status_code == 200, path


async def test_request_bodies_are_limited(client: httpx.AsyncClient, settings: Settings) -> None:
    limit = settings.security.max_body_bytes
    big = b'{"email": "' + b"a" * limit + b'"}'
    r = await client.post(
        f"{API}/auth/login", content=big, headers={"Content-Type": "application/json"}
    )
    expect_problem(r, 413, "payload_too_large")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for _ in range(limit // 65_536 + 2):
            yield b" " * 65_536

    r = await client.post(
        f"{API}/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    expect_problem(r, 413, "payload_too_large")


async def test_only_the_media_routes_accept_uploads(settings: Settings) -> None:
    """Files arrive only on the media upload routes (issue #21), each with its own body limit;
    everything else takes JSON."""
    spec = create_app(settings).openapi()
    multipart = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = set(operation.get("requestBody", {}).get("content", {}))
            assert content <= {"application/json", "multipart/form-data"}, (method, path)
            if "multipart/form-data" in content:
                multipart.add((method.upper(), path))
    limited = upload_limits(settings.media)
    for method, path in multipart:
        concrete = path.replace("{service_id}", str(uuid.uuid4()))
        concrete = concrete.replace("{project_id}", str(uuid.uuid4()))
        concrete = concrete.replace("{asset_id}", str(uuid.uuid4()))
        assert any(method in r.methods and r.path.fullmatch(concrete) for r in limited), (
            method,
            path,
        )
    assert len(multipart) == 6


async def test_rate_limits_are_on_by_default_and_answer_429(settings: Settings) -> None:
    assert Settings().ratelimit.enabled
    limited = settings.model_copy(update={"ratelimit": RateLimitSettings(enabled=True)})
    app = create_app(limited)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        body = {"email": "nadie@example.com.ar", "password": "Wrong-Pass-928!"}
        codes = [(await c.post(f"{API}/auth/login", json=body)).status_code for _ in range(6)]
        assert (
            codes[-1] == 429
            and "Retry-After" in (await c.post(f"{API}/auth/login", json=body)).headers
        )
    await app.state.engine.dispose()


async def test_user_supplied_urls_are_never_fetched(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    """SSRF: image and avatar URLs are stored and echoed, never requested by the server."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        pro = await register(client, outbox, role="professional")
        target = f"https://127.0.0.1:{port}/internal"
        service = await create_service(client, pro, main_image_url=target)
        r = await client.put(f"{API}/me", json={"avatar_url": target}, headers=pro.headers)
        assert r.status_code == 200
        assert (await client.get(f"{API}/services/{service['id']}")).status_code == 200
        assert (await client.get(f"{API}/professionals/{pro.id}")).status_code == 200
        with pytest.raises(TimeoutError):
            listener.accept()
    for scheme in ("http://127.0.0.1/", "file:///etc/passwd", "gopher://x/"):
        r = await client.post(
            f"{API}/services", json=service_body(main_image_url=scheme), headers=pro.headers
        )
        expect_problem(r, 422, "validation_error")


def test_outbound_http_only_to_configured_providers() -> None:
    """Every HTTP client the service creates lives in the payment providers and the SMS
    sender, whose base URLs come from settings (MercadoPago API, the sandbox's own webhook
    URL, Twilio's API), never from a request."""
    makers = {"AsyncClient", "Client", "request", "get", "post", "urlopen"}
    found = set()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in makers
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"httpx", "requests", "urllib", "aiohttp"}
            ):
                found.add(str(path.relative_to(SRC)))
    assert found <= {
        "payments/providers/mercadopago.py",
        "payments/providers/sandbox.py",
        "platform/sms.py",
    }


async def test_search_metacharacters_are_inert(client: httpx.AsyncClient, outbox: Path) -> None:
    pro = await register(client, outbox, role="professional")
    plumber = await create_service(client, pro)
    await create_service(
        client,
        pro,
        title="Limpieza de oficinas en Rawson",
        description="Limpieza periódica de oficinas y comercios, con personal y productos propios.",
        tags=["limpieza"],
    )
    assert await search_ids(client, q="plomero") == [plumber["id"]]
    everything = sorted(await search_ids(client))
    for q in (
        "' OR 1=1 --",
        '" OR ""="',
        "%",
        "_",
        "\\",
        "plomero:* | limpieza",
        "!(plomero) & (x)",
        "*",
        "NEAR(plomero limpieza)",
        "<script>alert(1)</script>",
        "; DROP TABLE services; --",
        "\x00",
    ):
        r = await client.get(f"{API}/services", params={"q": q})
        assert r.status_code in (200, 422), q
        if r.status_code == 200:
            ids = sorted(i["id"] for i in r.json()["items"])
            if any(c.isalpha() for c in q):
                # Operators never widen a word search; only the declared relaxation to any
                # of the words does.
                relaxed = r.json()["search"]["relaxed"]
                assert len(ids) <= 1 or "any_term" in relaxed, (q, ids)
            else:
                # No words left: either the public listing or nothing.
                assert ids in (everything, []) or len(ids) <= 1, q
    assert len(await search_ids(client)) == 2  # the table is intact


async def test_crlf_in_input_never_reaches_response_headers(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/services/%0d%0aSet-Cookie:%20pwned=1")
    assert r.status_code in (404, 422)
    assert "set-cookie" not in r.headers and "pwned" not in "".join(r.headers.keys())
    r = await client.get(f"{API}/services", params={"q": "a\r\nX-Injected: 1", "cursor": "\r\n"})
    assert "x-injected" not in r.headers
    # The echoed path is JSON-escaped in the body, never a header.
    r = await client.get("/api/v1/nothing%0d%0aX-Injected:%201")
    assert r.status_code == 404 and "x-injected" not in r.headers
