"""Stored events: `append` inside the caller's transaction, published after its commit."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.db import after_commit, utcnow
from fixia.streams.broker import Broker, Delivery
from fixia.streams.models import StreamCursor, StreamEvent

BROKER_KEY = "stream_broker"
# An event's data, or a coroutine function that reads it under the cursor lock (append_many).
EventData = dict[str, Any] | Callable[[], Awaitable[dict[str, Any]]]


async def _reserve(session: AsyncSession, counts: dict[uuid.UUID, int]) -> dict[uuid.UUID, int]:
    """Advance each user's cursor by its count in ONE statement (an upsert); returns each
    user's new last seq. The upsert locks the cursor rows until this transaction ends, taken
    in user-id order, so two transactions that both touch users A and B (messages each way
    in two of their conversations) wait for each other instead of deadlocking."""
    dialect = session.get_bind().dialect.name
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    rows = [{"user_id": user_id, "seq": n} for user_id, n in sorted(counts.items())]
    upsert = make(StreamCursor).values(rows)
    stmt = upsert.on_conflict_do_update(
        index_elements=[StreamCursor.user_id], set_={"seq": StreamCursor.seq + upsert.excluded.seq}
    ).returning(StreamCursor.user_id, StreamCursor.seq)
    return {user_id: int(seq) for user_id, seq in await session.execute(stmt)}


async def append(
    session: AsyncSession, *, user_id: uuid.UUID, type: str, data: dict[str, Any]
) -> Delivery:
    """Store an event for `user_id`; once the transaction commits, the broker in
    `session.info` (if any: the worker and CLI have none, and readers find it in the store)
    pushes it to the user's open streams."""
    [delivery] = await append_many(session, [(user_id, type, data)])
    return delivery


async def append_many(
    session: AsyncSession, events: Sequence[tuple[uuid.UUID, str, EventData]]
) -> list[Delivery]:
    """`append` for several (user_id, type, data) events in two statements whatever their
    number: each user's events take consecutive seqs in the order given.

    `data` may be a coroutine function, called once the users' cursor rows are locked: for
    data that must be read under the lock, such as an unread count (a concurrent write for
    the same user then commits first and the count includes it, so a later seq never
    carries an older count)."""
    if not events:
        return []
    counts: dict[uuid.UUID, int] = {}
    for user_id, _, _ in events:
        counts[user_id] = counts.get(user_id, 0) + 1
    last = await _reserve(session, counts)
    next_seq = {user_id: last[user_id] - n + 1 for user_id, n in counts.items()}
    deliveries = []
    for user_id, type, data in events:
        body = await data() if callable(data) else data
        deliveries.append(Delivery(user_id, next_seq[user_id], type, body))
        next_seq[user_id] += 1
    now = utcnow()
    await session.execute(
        insert(StreamEvent).values(
            [
                {
                    "user_id": d.user_id,
                    "seq": d.seq,
                    "type": d.type,
                    "data": d.data,
                    "created_at": now,
                }
                for d in deliveries
            ]
        )
    )
    broker: Broker | None = session.info.get(BROKER_KEY)
    if broker is not None:

        async def push() -> None:
            await broker.publish_many(deliveries)

        after_commit(session, push)
    return deliveries


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
