"""Keyset cursors: exact round trips, and 422 (never a crash) for anything forged."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql import select

from fixia.catalog.models import Service
from fixia.errors import InvalidInput
from fixia.platform.pagination import (
    Page,
    SortKey,
    decode_cursor,
    encode_cursor,
    paginate,
    split_page,
)

ID = uuid.UUID("0190c7a2-1111-7abc-8def-0123456789ab")
WHEN = datetime(2025, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)


def forge(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "value",
    [
        Decimal("12.50"),
        Decimal("0.00"),
        Decimal("-0.01"),
        Decimal("1000000.00"),
        WHEN,
        WHEN.astimezone(timezone(timedelta(hours=-3))),
        ID,
        uuid.uuid4(),
        0,
        -7,
        2**62,
        0.5,
        1e-9,
        -3.25,
        "",
        'texto con ñ y "comillas"',
        True,
        False,
        None,
    ],
)
def test_roundtrip_keeps_value_and_type(value: Any) -> None:
    [decoded] = decode_cursor(encode_cursor([value]), 1)
    assert decoded == value
    assert type(decoded) is type(value)
    if isinstance(value, Decimal):
        assert str(decoded) == str(value)  # no float ever touches a price
    if isinstance(value, datetime):
        assert decoded.utcoffset() == value.utcoffset()


def test_roundtrip_of_a_whole_sort_key() -> None:
    values = [Decimal("4.80"), 120, WHEN, 0.125, "x", ID]
    cursor = encode_cursor(values)
    assert decode_cursor(cursor, len(values)) == values
    assert not set(cursor) & set("=+/ ")  # URL-safe, no padding


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "not a cursor",
        "%%%",
        "ñ",
        "e30",
        forge("not a list"),
        forge(5),
        forge(None),
        forge({"d": "1"}),
        forge([5]),
        forge(["d"]),
        forge([["d"]]),
        forge([["d", "1", "2"]]),
        forge([["x", 1]]),
        forge([["d", "abc"]]),
        forge([["d", "NaN"]]),
        forge([["d", "-Infinity"]]),
        forge([["d", 1]]),
        forge([["u", "not-a-uuid"]]),
        forge([["u", 123]]),
        forge([["u", None]]),
        forge([["t", "yesterday"]]),
        forge([["t", 1700000000]]),
        forge([["t", "2025-03-14T15:09:26"]]),
        forge([["v", [1]]]),
        forge([["v", {"a": 1}]]),
        forge({"d": 1, "u": 2}),
        base64.urlsafe_b64encode(b"\xff\xfe[").decode(),
    ],
)
def test_malformed_cursor_is_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_cursor(cursor, 1)
    assert caught.value.status == 422
    assert caught.value.extra["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize(("values", "expected"), [([1, 2], 3), ([1, 2], 1), ([], 1), ([1], 0)])
def test_wrong_length_is_invalid_input(values: list[int], expected: int) -> None:
    with pytest.raises(InvalidInput, match="does not match this ordering"):
        decode_cursor(encode_cursor(values), expected)


def compiled(cursor: str | None, keys: list[SortKey], limit: int = 10) -> tuple[str, list[Any]]:
    c = paginate(select(Service.id), keys, cursor, limit).compile(dialect=sqlite.dialect())
    return " ".join(c.string.split()), list(c.params.values())


PRICE = [SortKey(Service.price), SortKey(Service.id)]
NEWEST = [SortKey(Service.created_at, descending=True), SortKey(Service.id)]


def test_paginate_orders_labels_and_fetches_one_extra_row() -> None:
    sql, params = compiled(None, NEWEST, limit=20)
    assert "services.created_at AS sk0, services.id AS sk1" in sql
    assert "ORDER BY services.created_at DESC, services.id ASC LIMIT ?" in sql
    assert 21 in params and "WHERE" not in sql


def test_paginate_seeks_past_the_cursor_honouring_direction() -> None:
    sql, params = compiled(encode_cursor([Decimal("9000.00"), ID]), PRICE)
    assert "WHERE services.price > ? OR services.price = ? AND services.id > ?" in sql
    assert params[:3] == [Decimal("9000.00"), Decimal("9000.00"), ID]
    sql, _ = compiled(encode_cursor([WHEN, ID]), NEWEST)
    assert "services.created_at < ? OR services.created_at = ? AND services.id > ?" in sql


@pytest.mark.parametrize(
    ("keys", "values"),
    [
        (PRICE, [WHEN, ID]),
        (PRICE, ["9000", ID]),
        (PRICE, [9000, ID]),
        (PRICE, [None, ID]),
        (PRICE, [Decimal(1), str(ID)]),
        (NEWEST, [Decimal(1), ID]),
        (NEWEST, ["2025-01-01", ID]),
        ([SortKey(Service.view_count), SortKey(Service.id)], [True, ID]),
        ([SortKey(Service.view_count), SortKey(Service.id)], [1.5, ID]),
    ],
)
def test_paginate_refuses_a_cursor_of_another_ordering(
    keys: list[SortKey], values: list[Any]
) -> None:
    with pytest.raises(InvalidInput, match="does not match this ordering"):
        compiled(encode_cursor(values), keys)


def row(**mapping: Any) -> SimpleNamespace:
    return SimpleNamespace(_mapping=mapping)


def test_split_page_cuts_at_limit_and_points_at_the_last_row() -> None:
    rows = [row(Service=f"s{i}", sk0=Decimal(i), sk1=uuid.UUID(int=i)) for i in range(4)]
    page, cursor = split_page(rows, 3)
    assert page == rows[:3]
    assert cursor is not None
    assert decode_cursor(cursor, 2) == [Decimal(2), uuid.UUID(int=2)]
    assert split_page(rows, 4) == (rows, None)
    assert split_page(rows, 10) == (rows, None)
    assert split_page([], 1) == ([], None)


def test_page_model_serialises() -> None:
    page = Page[int](items=[1, 2], next_cursor=None, limit=2)
    assert page.model_dump() == {"items": [1, 2], "next_cursor": None, "limit": 2}
