"""Cache hits of the public reads, answered before routing: stored bytes, no database.

`CachedReads` is pure ASGI and sits innermost, so every other middleware (observability,
security headers, audit context) still wraps it. For the four cached reads it looks the
stored response up (the worker's near cache, then Redis) and, on a hit, sends its bytes as
they are: no dependency resolution, no session, no pydantic. A miss, or any request it does
not recognise, goes on to the routes, which build the entry once and store it
(`catalog/cached.py`). Both paths share the keys below, so they can never disagree.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from fixia.platform import flags
from fixia.platform.cache import Cache
from fixia.platform.near_cache import Entry

API = "/api/v1"
CATEGORIES_KEY = "api:categories"
RANKING_FLAG = "new-search-ranking"
# Set on the scope when this middleware answered: the observability middleware samples the
# access log and spans of hits (fixia.observability.middleware.HitSampling).
CACHE_HIT = "fixia.cache_hit"
_PREFIXES = (f"{API}/services", f"{API}/categories", f"{API}/professionals/")
_IF_NONE_MATCH = b"if-none-match"
_AUTHORIZATION = b"authorization"


@dataclass(frozen=True, slots=True)
class RouteTemplate:
    """What the observability middleware reads to label a request answered here."""

    path_format: str


@dataclass(frozen=True, slots=True)
class Read:
    name: str  # the cache's metric label
    key: str  # without the version: search keys get it at lookup
    template: RouteTemplate
    versioned: bool = False


SEARCH_ROUTE = RouteTemplate(f"{API}/services")
SERVICE_ROUTE = RouteTemplate(f"{API}/services/{{service_id}}")
PROFILE_ROUTE = RouteTemplate(f"{API}/professionals/{{professional_id}}")
CATEGORIES_ROUTE = RouteTemplate(f"{API}/categories")


def service_key(service_id: uuid.UUID) -> str:
    return f"api:svc:{service_id}"


def professional_key(professional_id: uuid.UUID) -> str:
    return f"api:pro:{professional_id}"


def search_key(raw_query: str, ranking: str, version: int | None) -> str:
    """Keyed on the query string as sent: no parsing or validation on a hit. A query string
    the route rejects is never stored, so its key never hits."""
    digest = hashlib.sha256(f"{ranking}|{raw_query}".encode()).hexdigest()[:32]
    return f"api:search:{version or 0}:{digest}"


def raw_ranking(raw_query: str, client_host: str | None) -> str:
    """The ranking the search would use, read from the raw query string and the ranking flag
    (a sticky rollout per client address). The route stores an entry only when its own,
    validated, answer agrees, so a hit never serves another ranking than the route would."""
    params = parse_qs(raw_query, keep_blank_values=True)
    sort = params.get("sort", ["relevance"])[-1]
    if sort != "relevance":
        return sort
    location = params.get("location", [""])[-1].strip()
    on = flags.enabled(
        RANKING_FLAG, default=False, key=client_host or "anonymous", location=location
    )
    return "rating" if on else "relevance"


def _uuid_tail(path: str, prefix: str) -> uuid.UUID | None:
    tail = path[len(prefix) :]
    if len(tail) not in (32, 36) or "/" in tail:
        return None
    try:
        return uuid.UUID(tail)
    except ValueError:
        return None


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def recognise(scope: Scope) -> Read | None:
    path: str = scope["path"]
    if path == f"{API}/services":
        client = scope.get("client")
        raw = scope["query_string"].decode("latin-1")
        ranking = raw_ranking(raw, client[0] if client else None)
        return Read("search_response", f"{ranking}|{raw}", SEARCH_ROUTE, versioned=True)
    if path == f"{API}/categories":
        return Read("categories_response", CATEGORIES_KEY, CATEGORIES_ROUTE)
    if path.startswith(f"{API}/services/"):
        # Signed-in callers may own an inactive listing: never answered from the cache.
        service_id = _uuid_tail(path, f"{API}/services/")
        if service_id is None or _header(scope, _AUTHORIZATION) is not None:
            return None
        return Read("service_response", service_key(service_id), SERVICE_ROUTE)
    if path.startswith(f"{API}/professionals/"):
        professional_id = _uuid_tail(path, f"{API}/professionals/")
        if professional_id is None:
            return None
        return Read("professional_response", professional_key(professional_id), PROFILE_ROUTE)
    return None


def candidate(scope: Scope) -> bool:
    """May this request be answered here? A path test only, before anything runs."""
    return scope["method"] == "GET" and str(scope["path"]).startswith(_PREFIXES)


def answered(scope: Scope) -> bool:
    return scope.get(CACHE_HIT) is True


def entry_headers(entry: Entry, not_modified: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"etag", entry.etag),
        # Stored copies must ask again (with If-None-Match) before reuse.
        (b"cache-control", b"no-cache"),
        *entry.headers,
    ]
    if not not_modified:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(entry.body)).encode()),
        ]
    return headers


async def send_entry(send: Send, entry: Entry, if_none_match: bytes | None) -> None:
    not_modified = entry.matches(if_none_match)
    await send(
        {
            "type": "http.response.start",
            "status": 304 if not_modified else 200,
            "headers": entry_headers(entry, not_modified),
        }
    )
    await send({"type": "http.response.body", "body": b"" if not_modified else entry.body})


async def lookup(cache: Cache, read: Read) -> Entry | None:
    version = await cache.synced_version()
    if read.versioned:
        ranking, _, raw = read.key.partition("|")
        key = search_key(raw, ranking, version)
    else:
        key = read.key
    return await cache.get_entry(read.name, key, version)


class CachedReads:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        read = recognise(scope)
        entry = None
        if read is not None:
            entry = await lookup(scope["app"].state.cache, read)
        if read is None or entry is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = read.template
        scope[CACHE_HIT] = True
        await send_entry(send, entry, _header(scope, _IF_NONE_MATCH))
