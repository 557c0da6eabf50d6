"""Catalog: categories, services, search, views and favorites. Never commits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from fixia import events
from fixia.accounts.models import User
from fixia.catalog import exceptions as exc
from fixia.catalog import relax, spelling
from fixia.catalog.analysis import index_document
from fixia.catalog.models import Category, Service, ServiceView, Subcategory
from fixia.catalog.schemas import SearchInfo, ServiceCreate, ServiceQuery, ServiceUpdate
from fixia.catalog.search import PREFER_INDEX, Plan, build_search, visible_services
from fixia.config import Settings
from fixia.db import utcnow, uuid7
from fixia.errors import InvalidInput
from fixia.platform.pagination import fetch_page, newest_first, split_page

REINDEX_BATCH = 1000


async def list_categories(*, session: AsyncSession) -> list[tuple[Category, int]]:
    visible = visible_services().subquery()
    counts = select(visible.c.category_id, func.count().label("n")).group_by(visible.c.category_id)
    by_category = {row.category_id: row.n for row in await session.execute(counts)}
    stmt = (
        select(Category).options(selectinload(Category.subcategories)).order_by(Category.position)
    )
    categories = (await session.execute(stmt)).scalars().all()
    return [(c, by_category.get(c.id, 0)) for c in categories]


async def _check_category(
    *, session: AsyncSession, category_id: uuid.UUID, subcategory_id: uuid.UUID | None
) -> None:
    if await session.get(Category, category_id) is None:
        raise InvalidInput("category_id", "no such category")
    if subcategory_id is not None:
        sub = await session.get(Subcategory, subcategory_id)
        if sub is None or sub.category_id != category_id:
            raise InvalidInput("subcategory_id", "no such subcategory in this category")


def active_services_limit(user: User, settings: Settings) -> int | None:
    plan = user.plan
    if user.plan_expires_at is not None and user.plan_expires_at <= utcnow():
        plan = "free"
    return settings.plan(plan).active_services


async def _ensure_can_activate(*, session: AsyncSession, settings: Settings, owner: User) -> None:
    limit = active_services_limit(owner, settings)
    if limit is None:
        return
    stmt = (
        select(func.count())
        .select_from(Service)
        .where(
            Service.professional_id == owner.id,
            Service.active.is_(True),
            Service.deleted_at.is_(None),
        )
    )
    active = (await session.execute(stmt)).scalar_one()
    if active >= limit:
        raise exc.ActiveServicesLimit(
            f"Your '{owner.plan}' plan allows {limit} active services; deactivate one or upgrade.",
            limit="active_services",
            allowed=limit,
            current=active,
        )


# What a service card shows besides the service: all many-to-one, so joining adds no rows.
CARD_JOINS = (
    joinedload(Service.category, innerjoin=True),
    joinedload(Service.professional, innerjoin=True).joinedload(User.profile),
)


async def load_service(*, session: AsyncSession, service_id: uuid.UUID) -> Service | None:
    stmt = (
        select(Service)
        .where(Service.id == service_id, Service.deleted_at.is_(None))
        .options(*CARD_JOINS)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def create_service(
    *, session: AsyncSession, settings: Settings, owner: User, data: ServiceCreate
) -> Service:
    await _check_category(
        session=session, category_id=data.category_id, subcategory_id=data.subcategory_id
    )
    await _ensure_can_activate(session=session, settings=settings, owner=owner)
    service = Service(professional_id=owner.id, **data.model_dump(), tags_text=" ".join(data.tags))
    session.add(service)
    await session.flush()
    events.emit(session, "service.created", service_id=str(service.id))
    loaded = await load_service(session=session, service_id=service.id)
    assert loaded is not None
    return loaded


async def update_service(
    *, session: AsyncSession, service: Service, data: ServiceUpdate
) -> Service:
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    for field in (
        "category_id",
        "title",
        "description",
        "price",
        "tags",
        "delivery_time_days",
        "revisions_included",
    ):
        if field in changes and changes[field] is None:
            raise InvalidInput(field, "may not be null")
    if "category_id" in changes or "subcategory_id" in changes:
        await _check_category(
            session=session,
            category_id=changes.get("category_id", service.category_id),
            subcategory_id=changes.get("subcategory_id", service.subcategory_id),
        )
    for field, value in changes.items():
        setattr(service, field, value)
    if "tags" in changes:
        service.tags_text = " ".join(service.tags)
    service.search_document = index_document(service.title, service.tags_text, service.description)
    service.updated_at = utcnow()
    await session.flush()
    loaded = await load_service(session=session, service_id=service.id)
    assert loaded is not None
    return loaded


async def set_active(
    *, session: AsyncSession, settings: Settings, service: Service, owner: User, active: bool
) -> Service:
    if active and not service.active:
        await _ensure_can_activate(session=session, settings=settings, owner=owner)
    service.active = active
    return await update_service(session=session, service=service, data=ServiceUpdate())


async def delete_service(*, session: AsyncSession, service: Service) -> None:
    service.deleted_at = utcnow()
    service.active = False


async def _run(
    session: AsyncSession, query: ServiceQuery, plan: Plan
) -> tuple[list[Service], str | None]:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and plan.groups:
        # A word's synonyms are OR'd (and stems match by prefix): PostgreSQL then overestimates
        # the matches and scans every listing instead of the GIN index (330 ms p95 at 100k
        # listings, docs/search.md). For this transaction only; PgBouncer-safe (LOCAL).
        await session.execute(text(PREFER_INDEX))
    # Joined, not selectin: the page, its categories, professionals and profiles come back in
    # the one statement's round trip instead of four (issue #25).
    stmt = build_search(query, dialect, plan).options(*CARD_JOINS)
    rows = list((await session.execute(stmt)).all())
    page, cursor = split_page(rows, query.limit)
    return [row[0] for row in page], cursor


async def search(
    *, session: AsyncSession, settings: Settings, query: ServiceQuery
) -> tuple[list[Service], str | None, SearchInfo]:
    """Strict first; when that finds nothing, relax step by step (catalog/relax.py) and say so.
    A later page repeats the same steps, so it lands on the step that produced the first."""
    if (
        query.min_price is not None
        and query.max_price is not None
        and query.min_price > query.max_price
    ):
        raise InvalidInput("min_price", "min_price must not exceed max_price")
    radius = settings.search.default_service_radius_km
    first = relax.strict(query, radius)
    items, cursor = await _run(session, query, first.plan)
    if items or not relax.relaxable(first):
        return items, cursor, relax.info(first, found=bool(items), tried=[])
    # Only now, when the strict query found nothing: correction may ask the database.
    fixed = await spelling.correct(session=session, text=query.q or "")
    steps = relax.ladder(query, radius, fixed)
    tried: list[str] = []
    for step in steps[1:]:
        items, cursor = await _run(session, query, step.plan)
        tried.append(step.name)
        if items:
            return items, cursor, relax.info(step, found=True, tried=tried)
    return [], None, relax.info(steps[-1], found=False, tried=tried)


async def list_own(
    *, session: AsyncSession, owner: User, cursor: str | None, limit: int
) -> tuple[list[Service], str | None]:
    stmt = (
        select(Service)
        .where(Service.professional_id == owner.id, Service.deleted_at.is_(None))
        .options(
            selectinload(Service.category),
            selectinload(Service.professional).selectinload(User.profile),
        )
    )
    return await fetch_page(session, stmt, newest_first(Service), cursor, limit)


async def record_view(
    *, session: AsyncSession, service: Service, viewer: User | None, viewer_key: str
) -> int:
    """Count a view once per viewer and UTC day, never the owner's; returns the count. The
    count feeds the popular sort, so a repeat (a reload, a script) must not move it."""
    if viewer is not None and viewer.id == service.professional_id:
        return service.view_count
    row = {
        "id": uuid7(),
        "service_id": service.id,
        "viewer_id": viewer.id if viewer else None,
        "viewer_key": viewer_key,
        "view_day": utcnow().date(),
        "created_at": utcnow(),
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(ServiceView).values(row).on_conflict_do_nothing()
    if (await session.execute(stmt)).rowcount == 1:  # type: ignore[attr-defined]
        # UPDATE ... SET n = n + 1 cannot lose concurrent views as read-modify-write would.
        await session.execute(
            update(Service)
            .where(Service.id == service.id)
            .values(view_count=Service.view_count + 1)
        )
    count = await session.scalar(select(Service.view_count).where(Service.id == service.id))
    return int(count or 0)


async def reindex_search(*, session: AsyncSession, everything: bool = False) -> int:
    """Recompute services.search_document: where it is empty (listings the previous release
    wrote during a rolling deploy of 0010_search), or everywhere after the analysis changed.
    Returns how many listings were analysed."""
    done, last = 0, None
    while True:
        stmt = select(Service.id, Service.title, Service.tags_text, Service.description)
        if not everything:
            stmt = stmt.where(Service.search_document == "")
        if last is not None:
            stmt = stmt.where(Service.id > last)
        rows = (await session.execute(stmt.order_by(Service.id).limit(REINDEX_BATCH))).all()
        if not rows:
            return done
        docs = [{"id": r.id, "search_document": index_document(*r[1:])} for r in rows]
        await session.execute(update(Service), docs)
        done, last = done + len(rows), rows[-1].id
