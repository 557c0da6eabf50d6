"""Service search: one query builder over two full-text backends (catalog/fulltext.py).

A search runs as a Plan: the groups the query asks for, whether all or any must match, and
the locality it is about. catalog/service.py tries a strict plan first and relaxes it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from fixia.accounts.models import ProfessionalProfile, User
from fixia.catalog import geo
from fixia.catalog.fulltext import backend_for, rank
from fixia.catalog.localities import Locality
from fixia.catalog.models import Category, Service, Subcategory
from fixia.catalog.query import Group
from fixia.catalog.schemas import ServiceQuery, SortBy
from fixia.errors import InvalidInput
from fixia.platform.pagination import SortKey, paginate

# What a PostgreSQL text search runs first (catalog.service._run; the plan test mirrors it).
PREFER_INDEX = "SET LOCAL enable_seqscan = off"


@dataclass(frozen=True)
class Plan:
    groups: tuple[Group, ...] = ()
    any_: bool = False  # at least one group instead of all
    locality: Locality | None = None
    area_filter: bool = True  # only professionals serving the locality (or else: nearest)
    default_radius_km: int = 30


def _category_filter(value: str, model: type[Category] | type[Subcategory]) -> Any:
    try:
        return model.id == uuid.UUID(value)
    except ValueError:
        return model.slug == value.lower()


def _location_filter(stmt: Select[Any], q: ServiceQuery, plan: Plan) -> Select[Any]:
    if plan.locality is not None and plan.area_filter:
        if q.radius_km is not None:
            return stmt.where(geo.near(plan.locality, q.radius_km))
        return stmt.where(geo.serves(plan.locality, plan.default_radius_km))
    if plan.locality is None and q.location:
        return stmt.where(geo.location_text(q.location))
    return stmt


def _filters(stmt: Select[Any], q: ServiceQuery, plan: Plan) -> Select[Any]:
    if q.category:
        stmt = stmt.join(Category, Category.id == Service.category_id).where(
            _category_filter(q.category, Category)
        )
    if q.subcategory:
        stmt = stmt.join(Subcategory, Subcategory.id == Service.subcategory_id).where(
            _category_filter(q.subcategory, Subcategory)
        )
    stmt = _location_filter(stmt, q, plan)
    if q.min_price is not None:
        stmt = stmt.where(Service.price >= q.min_price)
    if q.max_price is not None:
        stmt = stmt.where(Service.price <= q.max_price)
    if q.min_rating is not None:
        stmt = stmt.where(ProfessionalProfile.rating >= q.min_rating)
    if q.level is not None:
        stmt = stmt.where(ProfessionalProfile.level == q.level)
    if q.verified is not None:
        stmt = stmt.where(User.verified.is_(q.verified))
    if q.featured is not None:
        stmt = stmt.where(Service.featured.is_(q.featured))
    return stmt


def _relevance(
    relevance: ColumnElement[Any] | None, distance: ColumnElement[Any] | None
) -> list[SortKey]:
    keys = [SortKey(relevance, descending=True)] if relevance is not None else []
    if distance is not None:
        # Equally relevant listings: the nearest professional first.
        keys.append(SortKey(distance))
    # Without a text query there is no relevance to rank by: newest first.
    return [*keys, SortKey(Service.created_at, descending=True)]


def _sort_keys(
    sort: SortBy, relevance: ColumnElement[Any] | None, distance: ColumnElement[Any] | None
) -> list[SortKey]:
    by: dict[SortBy, list[SortKey]] = {
        SortBy.price_asc: [SortKey(Service.price)],
        SortBy.price_desc: [SortKey(Service.price, descending=True)],
        SortBy.rating: [
            SortKey(ProfessionalProfile.rating, descending=True),
            SortKey(ProfessionalProfile.review_count, descending=True),
        ],
        SortBy.reviews: [SortKey(ProfessionalProfile.review_count, descending=True)],
        SortBy.popular: [SortKey(Service.view_count, descending=True)],
        SortBy.newest: [SortKey(Service.created_at, descending=True)],
    }
    if sort is SortBy.relevance:
        keys = _relevance(relevance, distance)
    elif sort is SortBy.distance:
        if distance is None:
            raise InvalidInput("sort", "sorting by distance needs a known locality")
        keys = [SortKey(distance), *_relevance(relevance, None)]
    else:
        keys = by[sort]
    # The id breaks ties in the same direction as the main key, so one index on (key, id)
    # serves the whole ORDER BY by scanning backwards for descending sorts.
    return [*keys, SortKey(Service.id, descending=keys[0].descending)]


def visible_services() -> Select[Any]:
    """Active, not deleted services of professionals who are neither deleted nor suspended."""
    return (
        select(Service)
        .join(User, User.id == Service.professional_id)
        .join(ProfessionalProfile, ProfessionalProfile.user_id == User.id)
        .where(
            Service.active.is_(True),
            Service.deleted_at.is_(None),
            User.deleted_at.is_(None),
            User.suspended_at.is_(None),
        )
    )


def build_search(q: ServiceQuery, dialect_name: str, plan: Plan) -> Select[Any]:
    """The whole search statement: filtered, ranked, ordered and cut at the cursor."""
    stmt = _filters(visible_services(), q, plan)
    relevance = None
    if plan.groups:
        must = plan.groups if plan.any_ else tuple(g for g in plan.groups if g.required)
        stmt = backend_for(dialect_name).match(stmt, must or plan.groups, any_=plan.any_)
        relevance = rank(plan.groups)
    distance = geo.distance_to(plan.locality) if plan.locality is not None else None
    return paginate(stmt, _sort_keys(q.sort, relevance, distance), q.cursor, q.limit)
