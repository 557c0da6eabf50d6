"""Health, readiness, OpenAPI and the problem+json contract for malformed input."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from fixia import migrate
from fixia.platform.health import SCHEMA_RECHECK_S
from tests.factories.accounts import register

API = "/api/v1"


async def test_healthz(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


async def test_readyz_ready_at_head(client: httpx.AsyncClient) -> None:
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["checks"] == {"draining": False, "database": "ok", "migrations": "at_head"}


@pytest.mark.inprocess  # over HAProxy this would take the only slot out of rotation
async def test_readyz_not_ready_when_schema_behind(client: httpx.AsyncClient, db_exec) -> None:  # type: ignore[no-untyped-def]
    (head,) = migrate.head_revisions()
    await db_exec("UPDATE alembic_version SET version_num = '0004'")  # a known older revision
    try:
        r = await client.get("/readyz")
        assert r.status_code == 503 and r.headers["Retry-After"] == "5"
        assert r.json()["checks"]["migrations"].startswith("behind")
    finally:
        await db_exec("UPDATE alembic_version SET version_num = :v", v=head)


async def test_readyz_ready_when_a_newer_release_migrated_ahead(
    client: httpx.AsyncClient, db_exec
) -> None:  # type: ignore[no-untyped-def]
    """An expand migration this code does not know (a canary ran it): the old release keeps
    serving, which is what makes expand-then-deploy safe."""
    (head,) = migrate.head_revisions()
    await db_exec("UPDATE alembic_version SET version_num = '9999_from_a_newer_release'")
    try:
        # A running slot re-reads the schema at most every SCHEMA_RECHECK_S, per worker.
        deadline = time.monotonic() + 3 * SCHEMA_RECHECK_S
        while True:
            r = await client.get("/readyz")
            assert r.status_code == 200, r.text
            if r.json()["checks"]["migrations"] == "ahead" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert r.json()["checks"]["migrations"] == "ahead"
    finally:
        await db_exec("UPDATE alembic_version SET version_num = :v", v=head)


@pytest.mark.inprocess
async def test_readyz_not_ready_while_draining(client: httpx.AsyncClient) -> None:
    app = client._transport.app  # type: ignore[attr-defined]
    app.state.draining = True
    r = await client.get("/readyz")
    assert r.status_code == 503 and r.json()["checks"]["draining"] is True
    app.state.draining = False


async def test_openapi_and_docs(client: httpx.AsyncClient) -> None:
    spec = (await client.get(f"{API}/openapi.json")).json()
    assert f"{API}/services" in spec["paths"] and f"{API}/auth/login" in spec["paths"]
    assert (await client.get("/docs")).status_code == 200


async def test_unknown_route_and_method_are_problems(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/nope")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "not_found"
    r = await client.delete(f"{API}/categories")
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("/auth/register", b"{not json"),
        ("/auth/register", b"[]"),
        ("/auth/register", b"null"),
        ("/auth/login", b'{"email": 5, "password": []}'),
        ("/auth/login", b'{"email": "a@b.co", "password": "' + b"x" * 100_000 + b'"}'),
        ("/auth/refresh", b'{"refresh_token": 1e999}'),
        ("/auth/verify-email", b'{"token": {"$ne": null}}'),
        ("/auth/forgot-password", '{"email": "\u0000@x.com"}'.encode()),
    ],
)
async def test_malformed_bodies_get_422(
    client: httpx.AsyncClient, path: str, content: bytes
) -> None:
    r = await client.post(
        f"{API}{path}", content=content, headers={"content-type": "application/json"}
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "9" * 40},
        {"min_price": "-1"},
        {"min_price": "1e400"},
        {"min_rating": "6"},
        {"sort": "random"},
        {"level": "God"},
        {"verified": "maybe"},
        {"q": "x" * 101},
        {"cursor": "!!"},
    ],
)
async def test_bad_query_params_get_422(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    r = await client.get(f"{API}/services", params=params)
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("q", ["'", '"', "a & b | !c", "plomero:*", "(", "NEAR(a b)", "* OR 1=1"])
async def test_search_operators_are_inert(client: httpx.AsyncClient, q: str) -> None:
    r = await client.get(f"{API}/services", params={"q": q})
    assert r.status_code == 200


async def test_huge_and_wrong_typed_json_on_authenticated_route(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    account = await register(client, outbox)
    for body in ({"name": 12345}, {"bio": "x" * 5000}, {"phone": ["1"]}):
        r = await client.put(f"{API}/me", headers=account.headers, json=body)
        assert r.status_code == 422, body
