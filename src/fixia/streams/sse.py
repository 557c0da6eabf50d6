"""The SSE loop of one open stream: replay from the store, then live events, heartbeats.

Order matters: subscribe first, then read the store, so an event committed in between is
either in the replay or in the queue; duplicates are dropped by sequence number, and a gap
(or a queue that overflowed) is filled from the store. The stream never holds a database
connection while it waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixia.streams import store
from fixia.streams.broker import CLOSING, LAGGED, Broker, Delivery

OPEN_STREAMS: dict[str, int] = {"count": 0}


@dataclass(frozen=True)
class StreamLimits:
    heartbeat_s: float
    max_age_s: float
    replay_batch: int
    retry_ms: int = 2000
    # When a slot stops, every stream it holds ends at once: each is told to wait
    # CLOSING_RETRY_MS plus a random share of this before reconnecting, so the new slot
    # takes them over a few seconds instead of in one burst that starves its requests.
    closing_spread_ms: int = 2500


# A stream ended by its slot stopping is no error: no reason to wait the full retry_ms.
CLOSING_RETRY_MS = 500


def closing_frame(limits: StreamLimits) -> str:
    spread = 0
    if limits.closing_spread_ms > 0:
        spread = random.randrange(limits.closing_spread_ms)  # noqa: S311 - load spreading
    return f"retry: {CLOSING_RETRY_MS + spread}\n\n"


def format_event(delivery: Delivery) -> str:
    data = json.dumps(delivery.data, separators=(",", ":"), ensure_ascii=False)
    return f"id: {delivery.seq}\nevent: {delivery.type}\ndata: {data}\n\n"


def parse_last_event_id(raw: str | None) -> int | None:
    """None: a fresh stream (starts at the present). A malformed id also starts fresh."""
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw.strip())


class _Reader:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        user_id: uuid.UUID,
        last: int,
        limits: StreamLimits,
    ) -> None:
        self.sessions, self.user_id, self.last, self.limits = sessions, user_id, last, limits

    async def catch_up(self) -> list[str]:
        """Everything stored after the last sent event, batch by batch."""
        out: list[str] = []
        while True:
            async with self.sessions() as session:
                batch = await store.after(
                    session, user_id=self.user_id, seq=self.last, limit=self.limits.replay_batch
                )
            for delivery in batch:
                out.append(format_event(delivery))
                self.last = delivery.seq
            if len(batch) < self.limits.replay_batch:
                return out

    async def take(self, delivery: Delivery) -> list[str]:
        if delivery is LAGGED or delivery.seq > self.last + 1:
            return await self.catch_up()
        if delivery.seq <= self.last:
            return []  # already sent (replay and live overlap)
        self.last = delivery.seq
        return [format_event(delivery)]


async def start_seq(
    sessions: async_sessionmaker[AsyncSession], user_id: uuid.UUID, last_event_id: int | None
) -> int:
    if last_event_id is not None:
        return last_event_id
    async with sessions() as session:
        return await store.last_seq(session, user_id=user_id)


async def event_stream(
    *,
    sessions: async_sessionmaker[AsyncSession],
    broker: Broker,
    user_id: uuid.UUID,
    last_event_id: int | None,
    limits: StreamLimits,
    hello: Callable[[], Awaitable[list[str]]] | None = None,
    opening: asyncio.Semaphore | None = None,
) -> AsyncIterator[str]:
    """Yields SSE frames until the stream is old, or the process stops. The client
    (EventSource) reconnects with Last-Event-ID and resumes where it stopped. `opening`
    bounds how many streams of this process read the store to start at once."""
    OPEN_STREAMS["count"] += 1
    try:
        async with broker.subscribe(user_id) as sub:
            async with opening or contextlib.nullcontext():
                start = await start_seq(sessions, user_id, last_event_id)
                reader = _Reader(sessions, user_id, start, limits)
                frames = await reader.catch_up()
                if hello is not None:
                    frames += await hello()
            yield f"retry: {limits.retry_ms}\n\n"
            for frame in frames:
                yield frame
            ends = time.monotonic() + limits.max_age_s
            while time.monotonic() < ends:
                try:
                    delivery = await asyncio.wait_for(sub.get(), timeout=limits.heartbeat_s)
                except TimeoutError:
                    yield ": ping\n\n"
                    continue
                if delivery is CLOSING:
                    yield closing_frame(limits)
                    return
                for frame in await reader.take(delivery):
                    yield frame
    finally:
        OPEN_STREAMS["count"] -= 1
