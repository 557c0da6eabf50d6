"""Stored events: `append` inside the caller's transaction, published after its commit."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.db import after_commit, utcnow
from fixia.streams.broker import Broker, Delivery
from fixia.streams.models import StreamCursor, StreamEvent

BROKER_KEY = "stream_broker"


async def _next_seq(session: AsyncSession, user_id: uuid.UUID) -> int:
    dialect = session.get_bind().dialect.name
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        make(StreamCursor).values(user_id=user_id, seq=0).on_conflict_do_nothing()
    )
    # The UPDATE locks the user's cursor row until this transaction ends.
    result = await session.execute(
        update(StreamCursor)
        .where(StreamCursor.user_id == user_id)
        .values(seq=StreamCursor.seq + 1)
        .returning(StreamCursor.seq)
    )
    return int(result.scalar_one())


async def append(
    session: AsyncSession, *, user_id: uuid.UUID, type: str, data: dict[str, Any]
) -> Delivery:
    """Store an event for `user_id`; once the transaction commits, the broker in
    `session.info` (if any: the worker and CLI have none, and readers find it in the store)
    pushes it to the user's open streams."""
    seq = await _next_seq(session, user_id)
    await session.execute(
        insert(StreamEvent).values(
            user_id=user_id, seq=seq, type=type, data=data, created_at=utcnow()
        )
    )
    delivery = Delivery(user_id, seq, type, data)
    broker: Broker | None = session.info.get(BROKER_KEY)
    if broker is not None:

        async def push() -> None:
            await broker.publish(delivery)

        after_commit(session, push)
    return delivery


async def after(
    session: AsyncSession, *, user_id: uuid.UUID, seq: int, limit: int
) -> list[Delivery]:
    """The user's events after `seq`, oldest first."""
    rows = await session.execute(
        select(StreamEvent.seq, StreamEvent.type, StreamEvent.data)
        .where(StreamEvent.user_id == user_id, StreamEvent.seq > seq)
        .order_by(StreamEvent.seq)
        .limit(limit)
    )
    return [Delivery(user_id, s, t, d) for s, t, d in rows]


async def last_seq(session: AsyncSession, *, user_id: uuid.UUID) -> int:
    value = await session.scalar(select(StreamCursor.seq).where(StreamCursor.user_id == user_id))
    return int(value or 0)


async def prune(session: AsyncSession, *, keep_days: int) -> int:
    """Events older than `keep_days` go; a stream away longer starts from now."""
    cutoff = utcnow() - timedelta(days=keep_days)
    result = await session.execute(delete(StreamEvent).where(StreamEvent.created_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
