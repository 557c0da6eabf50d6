"""Portfolio items: past work on the professional's page. Never commits."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import User
from fixia.accounts.plans import current_plan
from fixia.catalog.models import Category
from fixia.config import Settings
from fixia.errors import InvalidInput
from fixia.media import service
from fixia.media.exceptions import BadOrder, MediaLimitReached, PortfolioItemNotFound
from fixia.media.models import MediaAsset, MediaKind, PortfolioItem
from fixia.media.schemas import PortfolioItemIn, PortfolioItemUpdate
from fixia.media.validation import Checked
from fixia.platform.storage import ObjectStorage


async def items_of(
    *, session: AsyncSession, owner_id: uuid.UUID
) -> list[tuple[PortfolioItem, MediaAsset | None]]:
    """Featured first, then the owner's order."""
    stmt = (
        select(PortfolioItem, MediaAsset)
        .outerjoin(MediaAsset, MediaAsset.portfolio_item_id == PortfolioItem.id)
        .where(PortfolioItem.owner_id == owner_id)
        .order_by(PortfolioItem.featured.desc(), PortfolioItem.position, PortfolioItem.created_at)
    )
    return [(item, image) for item, image in (await session.execute(stmt)).all()]


async def owned_item(*, session: AsyncSession, owner: User, item_id: uuid.UUID) -> PortfolioItem:
    item = await session.get(PortfolioItem, item_id)
    if item is None or item.owner_id != owner.id:
        raise PortfolioItemNotFound()
    return item


async def _check_category(session: AsyncSession, category_id: uuid.UUID | None) -> None:
    if category_id is not None and await session.get(Category, category_id) is None:
        raise InvalidInput("category_id", "no such category")


async def create(
    *,
    session: AsyncSession,
    settings: Settings,
    storage: ObjectStorage,
    owner: User,
    data: PortfolioItemIn,
    image: tuple[bytes, Checked, str] | None,
) -> tuple[PortfolioItem, MediaAsset | None]:
    await _check_category(session, data.category_id)
    count = await session.scalar(
        select(func.count()).select_from(PortfolioItem).where(PortfolioItem.owner_id == owner.id)
    )
    limit = settings.media.portfolio_limit(current_plan(owner))
    if (count or 0) >= limit:
        raise MediaLimitReached(f"Your plan allows {limit} portfolio items.")
    last = await session.scalar(
        select(func.max(PortfolioItem.position)).where(PortfolioItem.owner_id == owner.id)
    )
    item = PortfolioItem(
        owner_id=owner.id, position=(last if last is not None else -1) + 1, **data.model_dump()
    )
    session.add(item)
    await session.flush()
    asset = None
    if image is not None:
        raw, checked, alt = image
        asset = await service.accept(
            session=session,
            settings=settings,
            storage=storage,
            owner=owner,
            kind=MediaKind.portfolio,
            data=raw,
            checked=checked,
            alt=alt,
            target={"portfolio_item_id": item.id},
        )
    return item, asset


async def update(
    *, session: AsyncSession, item: PortfolioItem, data: PortfolioItemUpdate
) -> PortfolioItem:
    changes = data.model_dump(exclude_unset=True)
    for field in ("title", "tags", "featured", "description"):
        if field in changes and changes[field] is None:
            raise InvalidInput(field, "may not be null")
    await _check_category(session, changes.get("category_id"))
    for field, value in changes.items():
        setattr(item, field, value)
    await session.flush()
    return item


async def image_of(*, session: AsyncSession, item_id: uuid.UUID) -> MediaAsset | None:
    stmt = select(MediaAsset).where(MediaAsset.portfolio_item_id == item_id)
    return (await session.execute(stmt)).scalars().first()


async def delete(*, session: AsyncSession, settings: Settings, item: PortfolioItem) -> None:
    image = await image_of(session=session, item_id=item.id)
    if image is not None:
        await service.remove(session=session, settings=settings, asset=image)
    await session.delete(item)
    await session.flush()


async def reorder(*, session: AsyncSession, owner: User, ids: list[uuid.UUID]) -> None:
    items = {i.id: i for i, _ in await items_of(session=session, owner_id=owner.id)}
    if len(ids) != len(set(ids)) or set(ids) != set(items):
        raise BadOrder()
    for position, item_id in enumerate(ids):
        items[item_id].position = position
    await session.flush()
