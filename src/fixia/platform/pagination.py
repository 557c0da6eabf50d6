"""Keyset (cursor) pagination: stable under inserts and O(page) at any depth."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeDecorator

from fixia.errors import InvalidInput

T = TypeVar("T")


@dataclass(frozen=True)
class SortKey:
    """One column of the ordering. Every ordering ends with a unique key (the id)."""

    expr: ColumnElement[Any] | InstrumentedAttribute[Any]
    descending: bool = False


def _encode_value(value: Any) -> list[Any]:
    if isinstance(value, Decimal):
        return ["d", str(value)]
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, uuid.UUID):
        return ["u", str(value)]
    return ["v", value]


def _decode_value(tagged: Any) -> Any:
    if not isinstance(tagged, list):
        raise ValueError("bad cursor value")
    kind, raw = tagged
    if kind == "v" and (raw is None or isinstance(raw, int | float | str | bool)):
        return raw
    if not isinstance(raw, str):
        raise ValueError("bad cursor value")
    if kind == "d":
        number = Decimal(raw)
        if not number.is_finite():
            raise ValueError("bad cursor value")
        return number
    if kind == "t":
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            raise ValueError("bad cursor value")
        return moment
    if kind == "u":
        return uuid.UUID(raw)
    raise ValueError("bad cursor value")


def encode_cursor(values: list[Any]) -> str:
    payload = json.dumps([_encode_value(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, expected: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = [_decode_value(v) for v in json.loads(raw)]
    except (ValueError, TypeError, ArithmeticError, binascii.Error, json.JSONDecodeError) as exc:
        raise InvalidInput("cursor", "the cursor is malformed") from exc
    if len(values) != expected:
        raise InvalidInput("cursor", "the cursor does not match this ordering")
    return values


def _python_type(expr: ColumnElement[Any] | InstrumentedAttribute[Any]) -> type | None:
    sql_type = expr.type
    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    try:
        python_type = sql_type.python_type
    except NotImplementedError:
        return None
    return None if python_type is object else python_type


def _check_types(keys: list[SortKey], values: list[Any]) -> None:
    """A cursor of another ordering (or a forged one) must be a 422, never a database error."""
    for key, value in zip(keys, values, strict=True):
        expected = _python_type(key.expr)
        if expected is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif expected is not None:
            ok = isinstance(value, expected) and (expected is bool or not isinstance(value, bool))
        else:
            ok = value is not None
        if not ok:
            raise InvalidInput("cursor", "the cursor does not match this ordering")


def _after(keys: list[SortKey], values: list[Any]) -> ColumnElement[bool]:
    """(k1, k2, ...) > (v1, v2, ...) honouring each key's direction, as an OR of prefixes."""
    clauses = []
    for i, key in enumerate(keys):
        equal_prefix = [keys[j].expr == values[j] for j in range(i)]
        beyond = key.expr < values[i] if key.descending else key.expr > values[i]
        clauses.append(and_(*equal_prefix, beyond))
    return or_(*clauses)


def paginate(stmt: Select[Any], keys: list[SortKey], cursor: str | None, limit: int) -> Select[Any]:
    """Order, seek past the cursor and fetch one extra row to know whether a next page exists.

    The sort keys are added as columns sk0..skN so the next cursor can be read off the rows.
    """
    if cursor:
        values = decode_cursor(cursor, len(keys))
        _check_types(keys, values)
        stmt = stmt.where(_after(keys, values))
    order = [k.expr.desc() if k.descending else k.expr.asc() for k in keys]
    labelled = [k.expr.label(f"sk{i}") for i, k in enumerate(keys)]
    return stmt.add_columns(*labelled).order_by(*order).limit(limit + 1)


def split_page(rows: list[Any], limit: int) -> tuple[list[Any], str | None]:
    """The rows of this page and the cursor of the next one (None on the last page)."""
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    last = page[-1]
    values = [value for name, value in last._mapping.items() if str(name).startswith("sk")]
    return page, encode_cursor(values)


async def fetch_page(
    session: AsyncSession, stmt: Select[Any], keys: list[SortKey], cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """One page of `stmt`'s entities and the next page's cursor."""
    rows = list((await session.execute(paginate(stmt, keys, cursor, limit))).all())
    page, next_cursor = split_page(rows, limit)
    return [row[0] for row in page], next_cursor


def oldest_first(model: Any) -> list[SortKey]:
    """created_at, then id, ascending: queues worked in arrival order (proposals received)."""
    return [SortKey(model.created_at), SortKey(model.id)]


def newest_first(model: Any) -> list[SortKey]:
    """created_at, then id, both descending: the order of every per-user list."""
    return [SortKey(model.created_at, descending=True), SortKey(model.id, descending=True)]


# The query parameters of a paginated list, the same caps everywhere.
CursorParam = Annotated[str | None, Query(max_length=500)]
LimitParam = Annotated[int, Query(ge=1, le=100)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None
    limit: int
