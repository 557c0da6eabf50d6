"""The search query builder, compiled for both dialects without touching a database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from fixia.accounts.models import ProfessionalLevel
from fixia.catalog import taxonomy
from fixia.catalog.schemas import ServiceQuery, SortBy
from fixia.catalog.search import MAX_TERMS, build_search, fts5_query, search_terms
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
    c = build_search(ServiceQuery(**query), dialect).compile(dialect=DIALECTS[dialect])
    return " ".join(c.string.split()), dict(c.params)


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("plomero", ["plomero"]),
        ("Plomero URGENTE Trelew", ["plomero", "urgente", "trelew"]),
        ("  cañerías  ÑANDÚ ", ["cañerías", "ñandú"]),
        (
            'plomero & (gas | !agua) -luz "foto":* <-> x',
            ["plomero", "gas", "agua", "luz", "foto", "x"],
        ),
        ("NEAR(a b) OR c AND d*", ["near", "a", "b", "or", "c", "and", "d"]),
        ("x'; DROP TABLE services;--", ["x", "drop", "table", "services"]),
        ("*** ||| !!! \"\" ''", []),
        ("", []),
        ("a1 2b 3", ["a1", "2b", "3"]),
    ],
)
def test_search_terms_strip_operators_and_lowercase(text: str, terms: list[str]) -> None:
    assert search_terms(text) == terms


def test_search_terms_keep_at_most_eight() -> None:
    words = [f"w{i}" for i in range(20)]
    assert MAX_TERMS == 8
    assert search_terms(" ".join(words)) == words[:8]
    assert search_terms(" & ".join(words)) == words[:8]


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        (["plomero"], '"plomero"*'),
        (["plomero", "gas"], '"plomero"* "gas"*'),
        (['in"jection'], '"injection"*'),
        (['"', "or"], '""* "or"*'),
        ([], ""),
    ],
)
def test_fts5_query_quotes_each_term_as_a_prefix(terms: list[str], expected: str) -> None:
    assert fts5_query(terms) == expected


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


def test_postgres_text_search_uses_prefix_tsquery_and_the_indexed_document() -> None:
    sql, params = compiled("postgresql", q="Plomero & gas:*")
    assert "services.search_vector @@ to_tsquery('spanish'::regconfig," in sql
    assert "@@ to_tsquery('spanish'::regconfig," in sql
    assert "plomero:* & gas:*" in params.values()
    assert "ORDER BY ts_rank(" in sql
    assert sql.endswith(
        "DESC, services.created_at DESC, services.id DESC LIMIT %(param_2)s::INTEGER"
    )


def test_sqlite_text_search_joins_fts5_with_quoted_terms() -> None:
    sql, params = compiled("sqlite", q='Plomero "gas" OR')
    assert "JOIN (SELECT services_fts.service_id AS service_id, -bm25(services_fts) AS rank" in sql
    assert "WHERE services_fts MATCH ?) AS fts ON fts.service_id = services.id" in sql
    assert params["fts_query"] == '"plomero"* "gas"* "or"*'
    assert "ORDER BY fts.rank DESC, services.created_at DESC, services.id DESC" in sql


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
@pytest.mark.parametrize("sort", list(SortBy))
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
    sql, params = compiled(dialect, q="plomero", cursor=encode_cursor([0.25, WHEN, sid]))
    where = sql.split("ORDER BY")[0]
    assert ("ts_rank(" if dialect == "postgresql" else "fts.rank <") in where
    assert 0.25 in params.values() and WHEN in params.values()
    with pytest.raises(InvalidInput):  # the rank must be a number
        compiled(dialect, q="plomero", cursor=encode_cursor(["0.25", WHEN, sid]))
    with pytest.raises(InvalidInput):  # the second key is a datetime, not a string
        compiled(dialect, q="plomero", cursor=encode_cursor([0.25, WHEN.isoformat(), sid]))


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
