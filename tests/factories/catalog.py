"""Catalog factories."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from fixia.catalog import taxonomy
from fixia.config import Settings
from tests.factories.accounts import Account, register

OFICIOS = str(taxonomy.category_id("oficios-y-reparaciones"))
PLOMERIA = str(taxonomy.subcategory_id("oficios-y-reparaciones", "plomeria"))
LIMPIEZA = str(taxonomy.category_id("limpieza"))


def service_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category_id": OFICIOS,
        "subcategory_id": PLOMERIA,
        "title": "Plomero matriculado en Trelew",
        "description": "Reparo pérdidas, destapo cañerías e instalo termotanques en Trelew y "
        "alrededores, con garantía.",
        "price": "15000.00",
        "tags": ["plomero", "destapaciones"],
        "delivery_time_days": 2,
        "revisions_included": 1,
    }
    body.update(overrides)
    return body


async def create_service(
    client: httpx.AsyncClient, owner: Account, **overrides: Any
) -> dict[str, Any]:
    r = await client.post("/api/v1/services", json=service_body(**overrides), headers=owner.headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


DbExec = Callable[..., Awaitable[list[tuple[object, ...]]]]


def sql_value(settings: Settings, value: object) -> object:
    """A value as raw SQL expects it. SQLite keeps UUIDs as 32 hex characters and money as
    integer centavos; PostgreSQL takes uuid and numeric."""
    if isinstance(value, uuid.UUID):
        return value.hex if settings.is_sqlite else value
    if isinstance(value, Decimal):
        return int(value * 100) if settings.is_sqlite else value
    return value


async def sql_update(
    db_exec: DbExec, settings: Settings, table: str, key: str, key_id: str, **values: object
) -> None:
    """UPDATE one row by id (a UUID string), e.g. to give a professional a rating."""
    assignments = ", ".join(f"{column} = :{column}" for column in values)
    params = {column: sql_value(settings, v) for column, v in values.items()}
    await db_exec(
        f"UPDATE {table} SET {assignments} WHERE {key} = :key_id",  # noqa: S608
        key_id=sql_value(settings, uuid.UUID(key_id)),
        **params,
    )


async def set_active(
    client: httpx.AsyncClient, owner: Account, service_id: str, active: bool
) -> httpx.Response:
    return await client.put(
        f"/api/v1/services/{service_id}/active", json={"active": active}, headers=owner.headers
    )


async def search_ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    """Ids of the first page of a search, in order."""
    r = await client.get("/api/v1/services", params=params)
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


async def professional(client: httpx.AsyncClient, outbox: Path, **overrides: Any) -> Account:
    """A verified, logged-in professional."""
    return await register(client, outbox, role="professional", **overrides)


async def set_profile(db_exec: DbExec, settings: Settings, user_id: str, **values: object) -> None:
    """Set professional_profiles columns (rating, review_count, level...) of one user."""
    await sql_update(db_exec, settings, "professional_profiles", "user_id", user_id, **values)


def expect_problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert an RFC 9457 problem response with this status and code; return its body."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    return body


def raw_cursor(value: object) -> str:
    """A cursor with any JSON inside, to forge malformed ones."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


async def walk_pages(client: httpx.AsyncClient, params: dict[str, Any]) -> list[str]:
    """Follow next_cursor from the first page to the last; the ids in the order seen."""
    ids: list[str] = []
    cursor = None
    for _ in range(100):
        r = await client.get(
            "/api/v1/services", params={**params, "cursor": cursor} if cursor else params
        )
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["limit"] == params["limit"] and len(page["items"]) <= params["limit"]
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("pagination never ended")
