"""The two full-text backends and the ranking they share.

Both engines index the same analysed tokens (services.search_document), receive the same
boolean query over them, and rank with the same SQL expression: so SQLite and PostgreSQL find
and order the same services. Each engine's own ranking (bm25, ts_rank) would differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
)

from fixia.catalog.analysis import TITLE_END
from fixia.catalog.models import Service
from fixia.catalog.query import Group

# Weights of a group's evidence: the client's own word in the title or tags, a synonym there,
# the client's word in the description, a synonym there.
TITLE, TITLE_SYNONYM, BODY, SYNONYM = 4, 3, 2, 1


class FullTextSearch(Protocol):
    def match(self, stmt: Select[Any], groups: Sequence[Group], *, any_: bool) -> Select[Any]:
        """Restrict stmt to services satisfying every group (any_: at least one)."""
        ...


def _pg_group(g: Group) -> str:
    own = " & ".join(f"{s}:*" for s in g.stems)
    return "(" + " | ".join([f"({own})", *g.synonyms]) + ")"


class PostgresSearch:
    """services.search_vector: to_tsvector('simple', search_document), stored, GIN-indexed."""

    def match(self, stmt: Select[Any], groups: Sequence[Group], *, any_: bool) -> Select[Any]:
        joined = (" | " if any_ else " & ").join(_pg_group(g) for g in groups)
        query = func.to_tsquery(literal_column("'simple'::regconfig"), literal(joined))
        return stmt.where(literal_column("services.search_vector").op("@@")(query))


def _fts5_group(g: Group) -> str:
    own = " AND ".join(f'"{s}"*' for s in g.stems)
    return "(" + " OR ".join([f"({own})", *(f'"{s}"' for s in g.synonyms)]) + ")"


def fts5_query(groups: Sequence[Group], *, any_: bool) -> str:
    # Tokens are letters and digits only (catalog.analysis), and quoted: no FTS5 syntax gets in.
    return (" OR " if any_ else " AND ").join(_fts5_group(g) for g in groups)


class SqliteSearch:
    """FTS5 table services_fts over search_document, kept in sync by triggers (0010_search)."""

    def match(self, stmt: Select[Any], groups: Sequence[Group], *, any_: bool) -> Select[Any]:
        ids: Select[Any] = (
            select(literal_column("services_fts.service_id"))
            .select_from(text("services_fts"))
            .where(
                text("services_fts MATCH :fts_query").bindparams(
                    fts_query=fts5_query(groups, any_=any_)
                )
            )
        )
        return stmt.where(Service.id.in_(ids))


def backend_for(dialect_name: str) -> FullTextSearch:
    return PostgresSearch() if dialect_name == "postgresql" else SqliteSearch()


def _padded() -> ColumnElement[str]:
    return literal(" ") + Service.search_document + literal(" ")


def _has_all(patterns: list[str]) -> ColumnElement[bool]:
    doc = _padded()
    return and_(*(doc.like(p) for p in patterns))


def _group_rank(g: Group, weight: int) -> ColumnElement[int]:
    doc = _padded()
    branches: list[tuple[ColumnElement[bool], int]] = [
        (_has_all([f"% {s}%{TITLE_END}%" for s in g.stems]), TITLE * weight),
        (_has_all([f"% {s}%" for s in g.stems]), BODY * weight),
    ]
    if g.synonyms:
        in_title = or_(*(doc.like(f"% {s} %{TITLE_END}%") for s in g.synonyms))
        branches.insert(1, (in_title, TITLE_SYNONYM * weight))
        branches.append((or_(*(doc.like(f"% {s} %") for s in g.synonyms)), SYNONYM * weight))
    return case(*branches, else_=0)


def rank(groups: Sequence[Group]) -> ColumnElement[int]:
    """The same integer on both engines: LIKE over the analysed document, no engine scoring.
    Required groups weigh twice as much as describing words ("arreglo", "urgente")."""
    total: ColumnElement[Any] = literal(0)
    for g in groups:
        total = total + _group_rank(g, 2 if g.required else 1)
    return func.coalesce(total, 0, type_=Integer)
