"""Service search: one query builder, two full-text backends (PostgreSQL and SQLite FTS5)."""

from __future__ import annotations

import re
import uuid
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    func,
    literal,
    literal_column,
    select,
    text,
)

from fixia.accounts.models import ProfessionalProfile, User
from fixia.catalog.models import Category, Service, Subcategory
from fixia.catalog.schemas import ServiceQuery, SortBy
from fixia.platform.pagination import SortKey, paginate

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 8


def search_terms(text_query: str) -> list[str]:
    """Words of the query, lower-cased, at most MAX_TERMS: operators never reach the engine."""
    return [w.lower() for w in _WORD.findall(text_query)][:MAX_TERMS]


class FullTextSearch(Protocol):
    def apply(self, stmt: Select[Any], terms: list[str]) -> tuple[Select[Any], ColumnElement[Any]]:
        """Restrict stmt to services matching every term; return it with a rank (higher=better)."""
        ...


# A stored generated column (migration 0004) with a GIN index: computed once per write, not
# once per row a query touches.
PG_DOCUMENT = "services.search_vector"


class PostgresSearch:
    """The stored Spanish tsvector (services.search_vector) and its GIN index."""

    def apply(self, stmt: Select[Any], terms: list[str]) -> tuple[Select[Any], ColumnElement[Any]]:
        # Each term becomes a prefix query: "plom" finds "plomero" while the user is typing.
        query = func.to_tsquery(
            literal_column("'spanish'::regconfig"), literal(" & ".join(f"{t}:*" for t in terms))
        )
        document: ColumnElement[Any] = literal_column(PG_DOCUMENT)
        rank = func.ts_rank(document, query, type_=Float)
        return stmt.where(document.op("@@")(query)), rank


def fts5_query(terms: list[str]) -> str:
    # Quoted prefix terms: FTS5 syntax characters in user input are neutralised.
    return " ".join('"' + t.replace('"', "") + '"*' for t in terms)


class SqliteSearch:
    """FTS5 table services_fts, kept in sync by triggers created in the migrations."""

    def apply(self, stmt: Select[Any], terms: list[str]) -> tuple[Select[Any], ColumnElement[Any]]:
        fts = (
            select(
                literal_column("services_fts.service_id").label("service_id"),
                literal_column("-bm25(services_fts)", Float).label("rank"),
            )
            .select_from(text("services_fts"))
            .where(text("services_fts MATCH :fts_query").bindparams(fts_query=fts5_query(terms)))
            .subquery("fts")
        )
        stmt = stmt.join(fts, fts.c.service_id == Service.id)
        return stmt, fts.c.rank


def backend_for(dialect_name: str) -> FullTextSearch:
    return PostgresSearch() if dialect_name == "postgresql" else SqliteSearch()


def _category_filter(value: str, model: type[Category] | type[Subcategory]) -> Any:
    try:
        return model.id == uuid.UUID(value)
    except ValueError:
        return model.slug == value.lower()


def _filters(stmt: Select[Any], q: ServiceQuery) -> Select[Any]:
    if q.category:
        stmt = stmt.join(Category, Category.id == Service.category_id).where(
            _category_filter(q.category, Category)
        )
    if q.subcategory:
        stmt = stmt.join(Subcategory, Subcategory.id == Service.subcategory_id).where(
            _category_filter(q.subcategory, Subcategory)
        )
    if q.location:
        escaped = q.location.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(func.lower(User.location).like(f"%{escaped}%", escape="\\"))
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


def _sort_keys(sort: SortBy, rank: ColumnElement[Any] | None) -> list[SortKey]:
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
        primary = [SortKey(rank, descending=True)] if rank is not None else []
        # Without a text query there is no relevance to rank by: newest first.
        keys = [*primary, SortKey(Service.created_at, descending=True)]
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


def build_search(q: ServiceQuery, dialect_name: str) -> Select[Any]:
    """The whole search statement: filtered, ranked, ordered and cut at the cursor."""
    stmt = _filters(visible_services(), q)
    rank = None
    terms = search_terms(q.q or "")
    if terms:
        stmt, rank = backend_for(dialect_name).apply(stmt, terms)
    return paginate(stmt, _sort_keys(q.sort, rank), q.cursor, q.limit)
