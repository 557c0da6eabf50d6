"""Cache-aside for the hot public reads, and their invalidation after commit.

What is cached: categories, service detail, public professional profiles and anonymous search
pages. Everything is invalidated by the writes that change it, after the transaction commits
(`catalog/invalidation.py`); TTLs only bound what an invalidation race could leave behind.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from fixia.accounts.dependencies import valid_professional_id
from fixia.accounts.presenters import public_professional
from fixia.catalog import service
from fixia.catalog.exceptions import ServiceNotFound
from fixia.catalog.fastpath import entry_headers
from fixia.catalog.presenters import service_out
from fixia.catalog.schemas import CategoryOut, SearchPage, ServiceQuery, SubcategoryOut
from fixia.config import Settings
from fixia.platform.cache import Cache
from fixia.platform.near_cache import Entry

SEARCH = "search"


async def categories(*, session: AsyncSession, cache: Cache, settings: Settings) -> Any:
    async def load() -> list[dict[str, Any]]:
        rows = await service.list_categories(session=session)
        return [
            CategoryOut(
                id=c.id,
                name=c.name,
                slug=c.slug,
                icon=c.icon,
                popular=c.popular,
                service_count=n,
                subcategories=[SubcategoryOut.model_validate(s) for s in c.subcategories],
            ).model_dump(mode="json")
            for c, n in rows
        ]

    return await cache.get_or_load(
        "categories", "categories", settings.cache.categories_ttl_s, load
    )


async def search(
    *, session: AsyncSession, cache: Cache, settings: Settings, query: ServiceQuery
) -> Any:
    async def load() -> dict[str, Any]:
        items, cursor, info = await service.search(session=session, settings=settings, query=query)
        page = SearchPage(
            items=[service_out(s) for s in items],
            next_cursor=cursor,
            limit=query.limit,
            search=info,
        )
        return page.model_dump(mode="json")

    version = await cache.version(SEARCH)
    digest = hashlib.sha256(query.model_dump_json().encode()).hexdigest()[:32]
    return await cache.get_or_load(
        "search", f"search:{version}:{digest}", settings.cache.search_ttl_s, load
    )


async def public_service(
    *, session: AsyncSession, cache: Cache, settings: Settings, service_id: uuid.UUID
) -> Any:
    """Only what anybody may see is cached: active listings of active professionals."""

    async def load() -> dict[str, Any]:
        found = await service.load_service(session=session, service_id=service_id)
        if found is None or not found.active or not found.professional.is_active:
            raise ServiceNotFound()
        return service_out(found).model_dump(mode="json")

    return await cache.get_or_load(
        "service", f"svc:{service_id}", settings.cache.service_ttl_s, load
    )


async def professional(
    *, session: AsyncSession, cache: Cache, settings: Settings, professional_id: uuid.UUID
) -> Any:
    async def load() -> dict[str, Any]:
        user = await valid_professional_id(professional_id, session)
        return public_professional(user).model_dump(mode="json")

    return await cache.get_or_load(
        "professional", f"pro:{professional_id}", settings.cache.profile_ttl_s, load
    )


def entry_response(entry: Entry, request: Request) -> Response:
    """The stored bytes as a response (a 304 when the client's ETag still matches)."""
    not_modified = entry.matches(request.headers.get("if-none-match", "").encode() or None)
    response = Response(status_code=304 if not_modified else 200)
    response.raw_headers = entry_headers(entry, not_modified)
    response.body = b"" if not_modified else entry.body
    return response


async def stored(
    request: Request,
    cache: Cache,
    *,
    key: Callable[[int | None], str] | None,
    ttl_s: float,
    load: Callable[[], Awaitable[Any]],
    headers: tuple[tuple[bytes, bytes], ...] = (),
    name: str = "stored",
) -> Response:
    """A miss of the fast path (`catalog/fastpath.py`): serialise the value once, store the
    bytes for the next hits, answer with them. `key` None: answer without storing. `load`
    gives the value, or its JSON bytes already. In this worker one request loads a key while
    the others wait for its bytes (TTL expiry of a popular page must not stampede)."""
    version = await cache.synced_version()
    full = key(version) if key is not None else None
    if full is not None and cache.flight(full).locked():
        async with cache.flight(full):
            pass
        entry = await cache.get_entry(name, full, version)
        if entry is not None:
            return entry_response(entry, request)
    if full is None:
        return entry_response(Entry.of(await _body(load), headers), request)
    async with cache.flight(full):
        entry = Entry.of(await _body(load), headers)
        await cache.put_entry(full, entry, ttl_s, version)
    cache.landed(full)
    return entry_response(entry, request)


async def _body(load: Callable[[], Awaitable[Any]]) -> bytes:
    value = await load()
    return value if isinstance(value, bytes) else orjson.dumps(value)


async def search_bytes(*, session: AsyncSession, settings: Settings, query: ServiceQuery) -> bytes:
    """A search page as the API sends it, serialised by pydantic in one go. Its stored
    response is its only cache: the web's search pages ask for other page sizes."""
    items, cursor, info = await service.search(session=session, settings=settings, query=query)
    page = SearchPage(
        items=[service_out(s) for s in items], next_cursor=cursor, limit=query.limit, search=info
    )
    return page.model_dump_json().encode()
