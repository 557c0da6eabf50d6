"""Favorites: a user saves services and professionals. Never commits."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fixia.accounts.models import User
from fixia.catalog import exceptions as exc
from fixia.catalog.models import Favorite, Service
from fixia.platform.pagination import fetch_page, newest_first


async def add(
    *,
    session: AsyncSession,
    user: User,
    service_id: uuid.UUID | None = None,
    professional_id: uuid.UUID | None = None,
) -> Favorite:
    stmt = select(Favorite.id).where(Favorite.user_id == user.id)
    if service_id is not None:
        stmt = stmt.where(Favorite.service_id == service_id)
    else:
        stmt = stmt.where(Favorite.professional_id == professional_id)
    if (await session.execute(stmt)).first():
        raise exc.AlreadyFavorite()
    favorite = Favorite(user_id=user.id, service_id=service_id, professional_id=professional_id)
    session.add(favorite)
    await session.flush()
    return favorite


async def remove(
    *,
    session: AsyncSession,
    user: User,
    service_id: uuid.UUID | None = None,
    professional_id: uuid.UUID | None = None,
) -> None:
    stmt = delete(Favorite).where(Favorite.user_id == user.id)
    if service_id is not None:
        stmt = stmt.where(Favorite.service_id == service_id)
    else:
        stmt = stmt.where(Favorite.professional_id == professional_id)
    result = await session.execute(stmt)
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise exc.FavoriteNotFound()


Row = tuple[Favorite, Service | None, User | None]


async def list_for(
    *, session: AsyncSession, user: User, cursor: str | None, limit: int
) -> tuple[list[Row], str | None]:
    """One page of the user's favorites with their targets. A favorite whose target has gone
    since (deleted listing or account) is left out, so a page may hold fewer than `limit`."""
    stmt = select(Favorite).where(Favorite.user_id == user.id)
    favorites, next_cursor = await fetch_page(session, stmt, newest_first(Favorite), cursor, limit)
    services, pros = await _targets(session, favorites)
    rows = [
        (
            f,
            services.get(f.service_id) if f.service_id else None,
            pros.get(f.professional_id) if f.professional_id else None,
        )
        for f in favorites
    ]
    live = [r for r in rows if r[1] is not None or (r[2] is not None and r[2].deleted_at is None)]
    return live, next_cursor


async def _targets(
    session: AsyncSession, favorites: list[Favorite]
) -> tuple[dict[uuid.UUID, Service], dict[uuid.UUID, User]]:
    service_ids = [f.service_id for f in favorites if f.service_id]
    pro_ids = [f.professional_id for f in favorites if f.professional_id]
    services: dict[uuid.UUID, Service] = {}
    if service_ids:
        stmt = (
            select(Service)
            .where(Service.id.in_(service_ids), Service.deleted_at.is_(None))
            .options(
                selectinload(Service.category),
                selectinload(Service.professional).selectinload(User.profile),
            )
        )
        services = {s.id: s for s in (await session.execute(stmt)).scalars()}
    pros: dict[uuid.UUID, User] = {}
    if pro_ids:
        found = await session.execute(select(User).where(User.id.in_(pro_ids)))
        pros = {u.id: u for u in found.scalars()}
    return services, pros
