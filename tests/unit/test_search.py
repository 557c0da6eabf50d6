"""The search query builder, compiled for both dialects without touching a database."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from fixia.accounts.models import ProfessionalLevel
from fixia.catalog import taxonomy
from fixia.catalog.analysis import analyze
from fixia.catalog.fulltext import fts5_query
from fixia.catalog.query import MAX_GROUPS, Group, parse
from fixia.catalog.relax import strict_plan
from fixia.catalog.schemas import ServiceQuery, SortBy
from fixia.catalog.search import build_search
from fixia.catalog.vocabulary import load
from fixia.errors import InvalidInput
from fixia.platform.pagination import encode_cursor

DIALECTS: dict[str, Dialect] = {
    "postgresql": postgresql.dialect(),  # type: ignore[no-untyped-call]
    "sqlite": sqlite.dialect(),
}
WHEN = datetime(2025, 1, 1, tzinfo=UTC)
BOTH = pytest.mark.parametrize("dialect", sorted(DIALECTS))
VISIBLE = "services.deleted_at IS NULL AND users.deleted_at IS NULL AND users.suspended_at IS NULL"


def compiled(dialect: str, **query: Any) -> tuple[str, dict[str, Any]]:
    """The SQL on one line, and the bound parameters."""
    q = ServiceQuery(**query)
    c = build_search(q, dialect, strict_plan(q, 30)).compile(dialect=DIALECTS[dialect])
    return " ".join(c.string.split()), dict(c.params)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("plomero", ["plomer"]),
        ("Plomeros URGENTE", ["plomer"]),  # "urgente" describes, it is a stopword
        ("  cañerías  ÑANDÚ ", ["caneri", "nandu"]),
        (
            'plomero & (gas | !agua) -luz "foto":* <-> x',
            ["plomer", "gas", "agu", "luz", "fot", "x"],
        ),
        ("NEAR(a b) OR c AND d*", ["near", "b", "or", "c", "and", "d"]),
        ("x'; DROP TABLE services;--", ["x", "drop", "tabl", "servic"]),
        ("*** ||| !!! \"\" '' __", []),
        ("", []),
        ("a1 2b 3", ["a1", "2b", "3"]),
    ],
)
def test_analysis_strips_operators_folds_and_stems(text: str, tokens: list[str]) -> None:
    assert analyze(text) == tokens


def test_query_keeps_at_most_eight_groups() -> None:
    words = [f"w{i}" for i in range(20)]
    parsed = parse(" ".join(words), load())
    assert MAX_GROUPS == 8
    assert [g.stems for g in parsed.groups] == [(w,) for w in words[:8]]


def _g(*stems: str, synonyms: tuple[str, ...] = ()) -> Group:
    return Group(stems=stems, synonyms=synonyms, required=True)


@pytest.mark.parametrize(
    ("groups", "any_", "expected"),
    [
        ([_g("plomer")], False, '(("plomer"*))'),
        ([_g("plomer"), _g("gas")], False, '(("plomer"*)) AND (("gas"*))'),
        ([_g("plomer"), _g("gas")], True, '(("plomer"*)) OR (("gas"*))'),
        (
            [_g("air", "acondicion", synonyms=("split",))],
            False,
            '(("air"* AND "acondicion"*) OR "split")',
        ),
    ],
)
def test_fts5_query_quotes_each_token(groups: list[Group], any_: bool, expected: str) -> None:
    assert fts5_query(groups, any_=any_) == expected


@BOTH
def test_without_filters_only_visible_services_newest_first(dialect: str) -> None:
    sql, params = compiled(dialect)
    assert VISIBLE in sql
    assert "services.active IS" in sql
    assert "JOIN professional_profiles ON professional_profiles.user_id = users.id" in sql
    assert "ORDER BY services.created_at DESC, services.id DESC LIMIT" in sql
    for absent in ("categories", "subcategories", "LIKE", "to_tsquery", "MATCH", ">", "<"):
        assert absent not in sql.split("WHERE")[1], absent
    assert 21 in params.values()  # default limit 20, plus one to detect a next page


@BOTH
@pytest.mark.parametrize("limit", [1, 20, 100])
def test_fetches_limit_plus_one(dialect: str, limit: int) -> None:
    sql, params = compiled(dialect, limit=limit)
    assert "LIMIT" in sql
    assert limit + 1 in params.values()
    assert limit not in params.values()


@BOTH
def test_every_filter_is_in_the_where_clause(dialect: str) -> None:
    sql, params = compiled(
        dialect,
        category="oficios-y-reparaciones",
        subcategory="Plomeria",
        location="Tre%l_w\\",
        min_price=Decimal("100"),
        max_price=Decimal("200"),
        min_rating=Decimal("4.5"),
        level=ProfessionalLevel.top_rated_plus,
        verified=True,
        featured=False,
    )
    true, false = ("true", "false") if dialect == "postgresql" else ("1", "0")
    for fragment in (
        "JOIN categories ON categories.id = services.category_id",
        "JOIN subcategories ON subcategories.id = services.subcategory_id",
        "categories.slug =",
        "subcategories.slug =",
        "lower(users.location) LIKE",
        "ESCAPE '\\'",
        "services.price >=",
        "services.price <=",
        "professional_profiles.rating >=",
        "professional_profiles.level =",
        f"users.verified IS {true}",
        f"services.featured IS {false}",
        VISIBLE,
    ):
        assert fragment in sql, fragment
    values = list(params.values())
    assert {"oficios-y-reparaciones", "plomeria", "%tre\\%l\\_w\\\\%"} <= set(values)
    assert [Decimal("100"), Decimal("200"), Decimal("4.5")] == [
        v for v in values if isinstance(v, Decimal)
    ]
    assert ProfessionalLevel.top_rated_plus in values


@BOTH
def test_category_and_subcategory_accept_ids(dialect: str) -> None:
    cat = taxonomy.category_id("limpieza")
    sub = taxonomy.subcategory_id("limpieza", "limpieza-de-hogar")
    sql, params = compiled(dialect, category=str(cat), subcategory=str(sub))
    assert "categories.id =" in sql and "subcategories.id =" in sql
    assert "slug" not in sql.split("WHERE")[1]
    assert {cat, sub} <= set(params.values())


def test_postgres_text_search_uses_the_analysed_document_and_portable_rank() -> None:
    sql, params = compiled("postgresql", q="Plomero & gas:*")
    assert "services.search_vector @@ to_tsquery('simple'::regconfig," in sql
    query = next(v for v in params.values() if isinstance(v, str) and "plomer:*" in v)
    assert query.startswith("((plomer:*) | ") and " & ((gas:*) | " in query
    assert "ts_rank" not in sql and "ORDER BY coalesce(" in sql
    assert re.search(
        r"DESC, services.created_at DESC, services.id DESC LIMIT %\(param_\d+\)s::INTEGER$", sql
    )


def test_sqlite_text_search_filters_by_fts5_with_quoted_tokens() -> None:
    sql, params = compiled("sqlite", q='Plomero "gas" OR')
    assert "services.id IN (SELECT services_fts.service_id" in sql
    assert "WHERE services_fts MATCH ?)" in sql
    assert params["fts_query"].startswith('(("plomer"*) OR ')
    assert ' AND (("gas"*) OR ' in params["fts_query"]
    assert params["fts_query"].endswith(' AND (("or"*))')
    assert "bm25" not in sql and "ORDER BY coalesce(" in sql


@BOTH
def test_a_locality_in_the_text_filters_by_service_area_and_sorts_by_distance(
    dialect: str,
) -> None:
    sql, params = compiled(dialect, q="plomero en Trelew")
    assert "professional_profiles.service_radius_km" in sql
    assert "CAST(professional_profiles.service_localities AS" in sql
    assert '%"trelew"%' in params.values() and "users.locality IN (" in sql
    assert "CASE users.locality WHEN" in sql and "lower(users.location)" not in sql
    assert "ORDER BY coalesce(" in sql and "END AS FLOAT) ASC, services.created_at DESC" in sql


@BOTH
def test_user_text_never_reaches_the_sql_string(dialect: str) -> None:
    sql, params = compiled(dialect, q="x'); DROP TABLE services;--", location="'; DELETE users")
    for fragment in ("DROP", "drop", "DELETE", "delete users", ";", "--"):
        assert fragment not in sql, fragment
    assert "%'; delete users%" in params.values()


ORDERS = {
    SortBy.price_asc: "services.price ASC, services.id ASC",
    SortBy.price_desc: "services.price DESC, services.id DESC",
    SortBy.rating: "professional_profiles.rating DESC, professional_profiles.review_count DESC, "
    "services.id DESC",
    SortBy.reviews: "professional_profiles.review_count DESC, services.id DESC",
    SortBy.popular: "services.view_count DESC, services.id DESC",
    SortBy.newest: "services.created_at DESC, services.id DESC",
    SortBy.relevance: "services.created_at DESC, services.id DESC",  # no text: newest first
}


@BOTH
def test_distance_sort_needs_a_locality(dialect: str) -> None:
    with pytest.raises(InvalidInput):
        compiled(dialect, sort=SortBy.distance)
    sql, _ = compiled(dialect, sort=SortBy.distance, location="Rawson, Chubut")
    assert "END AS FLOAT) ASC, services.created_at DESC, services.id ASC LIMIT" in sql


@BOTH
@pytest.mark.parametrize("sort", list(ORDERS))
def test_every_sort_ends_with_the_unique_id(dialect: str, sort: SortBy) -> None:
    sql, _ = compiled(dialect, sort=sort)
    assert f"ORDER BY {ORDERS[sort]} LIMIT" in sql


@BOTH
def test_cursor_adds_the_keyset_condition(dialect: str) -> None:
    sid = uuid.uuid4()
    sql, params = compiled(dialect, sort="price_asc", cursor=encode_cursor([Decimal("15.00"), sid]))
    assert "(services.price > " in sql and " OR services.price = " in sql
    assert " AND services.id > " in sql
    assert [v for v in params.values() if v == Decimal("15.00")] == [Decimal("15.00")] * 2
    assert sid in params.values()
    sql, _ = compiled(dialect, sort="rating", cursor=encode_cursor([Decimal("4.5"), 3, sid]))
    assert "professional_profiles.rating < " in sql
    assert (
        "professional_profiles.rating = " in sql and "professional_profiles.review_count < " in sql
    )
    plain, _ = compiled(dialect, sort="price_asc")
    assert "services.price >" not in plain and "services.id >" not in plain


@BOTH
def test_relevance_cursor_carries_the_rank(dialect: str) -> None:
    sid = uuid.uuid4()
    sql, params = compiled(dialect, q="plomero", cursor=encode_cursor([7, WHEN, sid]))
    where = sql.split("ORDER BY")[0]
    assert "coalesce(" in where and " < " in where
    assert 7 in params.values() and WHEN in params.values()
    with pytest.raises(InvalidInput):  # the rank must be an integer
        compiled(dialect, q="plomero", cursor=encode_cursor(["7", WHEN, sid]))
    with pytest.raises(InvalidInput):  # the second key is a datetime, not a string
        compiled(dialect, q="plomero", cursor=encode_cursor([7, WHEN.isoformat(), sid]))


@BOTH
@pytest.mark.parametrize(
    ("sort", "values"),
    [("price_asc", [1, 2, 3]), ("rating", [Decimal(1), uuid.uuid4()]), ("newest", [])],
)
def test_cursor_of_another_ordering_is_invalid_input(
    dialect: str, sort: str, values: list[Any]
) -> None:
    with pytest.raises(InvalidInput):
        compiled(dialect, sort=sort, cursor=encode_cursor(values))
