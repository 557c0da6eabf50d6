"""Favorites: a user saves services and professionals. Never commits."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fixia.accounts.models import User
from fixia.catalog import exceptions as exc
from fixia.catalog.models import Favorite, Service


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


async def list_for(
    *, session: AsyncSession, user: User
) -> list[tuple[Favorite, Service | None, User | None]]:
    favorites = list(
        (
            await session.execute(
                select(Favorite)
                .where(Favorite.user_id == user.id)
                .order_by(Favorite.created_at.desc())
            )
        ).scalars()
    )
    service_ids = [f.service_id for f in favorites if f.service_id]
    pro_ids = [f.professional_id for f in favorites if f.professional_id]
    services = (
        {
            s.id: s
            for s in (
                await session.execute(
                    select(Service)
                    .where(Service.id.in_(service_ids), Service.deleted_at.is_(None))
                    .options(
                        selectinload(Service.category),
                        selectinload(Service.professional).selectinload(User.profile),
                    )
                )
            ).scalars()
        }
        if service_ids
        else {}
    )
    pros = (
        {
            u.id: u
            for u in (await session.execute(select(User).where(User.id.in_(pro_ids)))).scalars()
        }
        if pro_ids
        else {}
    )
    rows = [
        (
            f,
            services.get(f.service_id) if f.service_id else None,
            pros.get(f.professional_id) if f.professional_id else None,
        )
        for f in favorites
    ]
    # Favorites whose target has gone since (deleted listing or account) are not shown.
    return [r for r in rows if r[1] is not None or (r[2] is not None and r[2].deleted_at is None)]
