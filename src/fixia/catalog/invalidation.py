"""Cached public reads follow the writes that change them, once those writes commit.

A flush hook sees every ORM write in any session (requests, the worker's jobs, CLI commands)
and notes which services and professionals it touched; one after-commit action per unit of
work then drops their cached pages and every search page. Bulk UPDATEs bypass the ORM, so
their callers name what they changed (`invalidate_services`). No route has to remember it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from fixia.accounts.models import ProfessionalProfile, User
from fixia.catalog.cached import SEARCH
from fixia.catalog.fastpath import CATEGORIES_KEY, professional_key, service_key
from fixia.catalog.models import Service
from fixia.platform.cache import Cache
from fixia.reviews.models import Review

# `Session.info` keys (db.session_factory): the process's cache and session factory.
CACHE_KEY = "cache"
SESSIONS_KEY = "sessions"
_PENDING = "cache_pending"
# What a professional's public card and listings show: other columns (log-in counters, the
# password, tokens) change on every log-in and must not empty the search cache.
PUBLIC_USER_FIELDS = (
    "name", "location", "avatar_url", "bio", "role", "is_professional_active", "plan",
    "verified", "suspended_at", "deleted_at",
)  # fmt: skip


@dataclass
class _Pending:
    services: set[uuid.UUID] = field(default_factory=set)
    professionals: set[uuid.UUID] = field(default_factory=set)


def _pending(info: dict[str, Any]) -> _Pending | None:
    found: _Pending | None = info.get(_PENDING)
    if found is not None:
        return found
    cache: Cache | None = info.get(CACHE_KEY)
    if cache is None:  # a session without a cache (migrations, seeding): nothing cached
        return None
    pending = info[_PENDING] = _Pending()
    sessions: async_sessionmaker[AsyncSession] | None = info.get(SESSIONS_KEY)

    async def run() -> None:
        info.pop(_PENDING, None)
        services = set(pending.services)
        if pending.professionals and sessions is not None:
            services |= await _services_of(sessions, pending.professionals)
        keys = [f"svc:{i}" for i in services] + [f"pro:{u}" for u in pending.professionals]
        keys += [service_key(i) for i in services]
        keys += [professional_key(u) for u in pending.professionals]
        await cache.delete(*keys, "categories", CATEGORIES_KEY)
        await cache.bump(SEARCH)

    # An AsyncSession shares `info` with its sync Session: the flush hook sees the same list
    # that `db.run_after_commit` runs.
    info.setdefault("after_commit", []).append(run)
    return pending


async def _services_of(
    sessions: async_sessionmaker[AsyncSession], professionals: set[uuid.UUID]
) -> set[uuid.UUID]:
    async with sessions() as session:
        stmt = select(Service.id).where(Service.professional_id.in_(professionals))
        return set((await session.execute(stmt)).scalars())


def invalidate_services(session: AsyncSession | Session, service_ids: Iterable[uuid.UUID]) -> None:
    """Once `session` commits, drop these services' pages and every search page."""
    pending = _pending(session.info)
    if pending is not None:
        pending.services.update(service_ids)


def invalidate_professionals(
    session: AsyncSession | Session, user_ids: Iterable[uuid.UUID]
) -> None:
    """Once `session` commits, drop these professionals' profiles and their services' pages."""
    pending = _pending(session.info)
    if pending is not None:
        pending.professionals.update(user_ids)


def _public_change(user: User) -> bool:
    attrs = inspect(user).attrs
    return any(attrs[name].history.has_changes() for name in PUBLIC_USER_FIELDS)


def _touched(obj: Any, services: set[uuid.UUID], professionals: set[uuid.UUID]) -> None:
    if isinstance(obj, Service):
        services.add(obj.id)
    elif isinstance(obj, ProfessionalProfile):
        professionals.add(obj.user_id)
    elif isinstance(obj, Review) and obj.reviewed_role == "professional":
        professionals.add(obj.reviewed_id)  # the average on their card and listings


def flushed(session: Session, _context: Any) -> None:
    """SQLAlchemy's after_flush hook (the attribute history is still there)."""
    services: set[uuid.UUID] = set()
    professionals: set[uuid.UUID] = set()
    dirty = [obj for obj in session.dirty if session.is_modified(obj)]
    for obj in (*session.new, *dirty, *session.deleted):
        if isinstance(obj, User):
            if obj in session.new or obj in session.deleted or _public_change(obj):
                professionals.add(obj.id)
        else:
            _touched(obj, services, professionals)
    if services:
        invalidate_services(session, services)
    if professionals:
        invalidate_professionals(session, professionals)


# Class-level: every session, whoever opened it. Sessions without a cache in `info` pass.
event.listen(Session, "after_flush", flushed)
