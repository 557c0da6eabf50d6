"""Fan-out of committed events to the streams open in any process.

`Broker` is the interface; `MemoryBroker` serves one process (the embedded default),
`RedisBroker` every worker of both slots over Redis pub/sub (the stack). A broker only
carries hints: the store holds the truth, and a stream that sees a gap, or fell behind,
reads the store (fixia.streams.sse). So a lost or dropped publish delays an event, never
loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from fixia.config import Settings

log = logging.getLogger("fixia.streams")
CHANNEL_PREFIX = "fixia:stream:"


@dataclass(frozen=True)
class Delivery:
    """A stored event as the broker carries it."""

    user_id: uuid.UUID
    seq: int
    type: str
    data: dict[str, Any]

    def encode(self) -> str:
        return json.dumps(
            {"u": str(self.user_id), "s": self.seq, "t": self.type, "d": self.data},
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, raw: str | bytes) -> Delivery:
        body = json.loads(raw)
        return cls(uuid.UUID(body["u"]), int(body["s"]), str(body["t"]), dict(body["d"]))


# Put on a subscription whose queue overflowed: the stream re-reads the store.
LAGGED = Delivery(uuid.UUID(int=0), -1, "lagged", {})
# Put on every subscription when the process stops: streams end, browsers reconnect to a
# slot that stays (HAProxy drains this one).
CLOSING = Delivery(uuid.UUID(int=0), -2, "closing", {})


@dataclass(eq=False)
class Subscription:
    """One open stream's bounded queue (back-pressure: a slow reader costs at most
    `size` events of memory; beyond that it is told it lagged and catches up from the store)."""

    user_id: uuid.UUID
    size: int
    queue: asyncio.Queue[Delivery] = field(init=False)
    dropped: int = 0

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(self.size)

    def offer(self, item: Delivery) -> None:
        if item is CLOSING:
            while not self.queue.empty():
                self.queue.get_nowait()
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped += 1
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(LAGGED)

    async def get(self) -> Delivery:
        return await self.queue.get()


class Broker(Protocol):
    async def publish(self, delivery: Delivery) -> None: ...

    async def publish_many(self, deliveries: list[Delivery]) -> None:
        """`publish` each, in order, in one round trip where the broker has round trips."""
        ...

    def subscribe(self, user_id: uuid.UUID) -> contextlib.AbstractAsyncContextManager[Subscription]:
        """Subscribed on enter: anything published after it is offered to the queue."""
        ...

    def close_streams(self) -> None:
        """End every stream open in this process (on SIGTERM)."""
        ...

    async def close(self) -> None: ...


class _Local:
    """The subscriptions open in this process, per user."""

    def __init__(self, queue_size: int) -> None:
        self.queue_size = queue_size
        self.by_user: dict[uuid.UUID, set[Subscription]] = {}

    def add(self, user_id: uuid.UUID) -> tuple[Subscription, bool]:
        sub = Subscription(user_id, self.queue_size)
        subs = self.by_user.setdefault(user_id, set())
        subs.add(sub)
        return sub, len(subs) == 1

    def remove(self, sub: Subscription) -> bool:
        subs = self.by_user.get(sub.user_id, set())
        subs.discard(sub)
        if subs:
            return False
        self.by_user.pop(sub.user_id, None)
        return True

    def close_all(self) -> None:
        for subs in list(self.by_user.values()):
            for sub in list(subs):
                sub.offer(CLOSING)

    def dispatch(self, delivery: Delivery) -> None:
        for sub in list(self.by_user.get(delivery.user_id, ())):
            sub.offer(delivery)

    @property
    def count(self) -> int:
        return sum(len(s) for s in self.by_user.values())


class MemoryBroker:
    """In process: a publish reaches the streams of this process only."""

    def __init__(self, queue_size: int = 64) -> None:
        self.local = _Local(queue_size)

    async def publish(self, delivery: Delivery) -> None:
        self.local.dispatch(delivery)

    async def publish_many(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            self.local.dispatch(delivery)

    @asynccontextmanager
    async def subscribe(self, user_id: uuid.UUID) -> AsyncIterator[Subscription]:
        sub, _ = self.local.add(user_id)
        try:
            yield sub
        finally:
            self.local.remove(sub)

    def close_streams(self) -> None:
        self.local.close_all()

    async def close(self) -> None:
        self.local.close_all()


class RedisBroker:
    """Redis pub/sub, one channel per user and ONE subscriber connection per process,
    whatever the number of streams: a reader task hands each message to the local queues."""

    def __init__(self, url: str, queue_size: int = 64) -> None:
        self.redis: Redis = Redis.from_url(url, health_check_interval=30)
        self.local = _Local(queue_size)
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def publish(self, delivery: Delivery) -> None:
        await self.redis.publish(CHANNEL_PREFIX + str(delivery.user_id), delivery.encode())

    async def publish_many(self, deliveries: list[Delivery]) -> None:
        if len(deliveries) == 1:
            await self.publish(deliveries[0])
            return
        # One round trip for a message's events (recipient, sender, unread count), not three.
        async with self.redis.pipeline(transaction=False) as pipe:
            for delivery in deliveries:
                pipe.publish(CHANNEL_PREFIX + str(delivery.user_id), delivery.encode())
            await pipe.execute()

    async def _ensure_reader(self) -> PubSub:
        if self._pubsub is None:
            self._pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read(self._pubsub))
        return self._pubsub

    async def _read(self, pubsub: PubSub) -> None:
        while True:
            try:
                if not pubsub.subscribed:
                    await asyncio.sleep(0.05)
                    continue
                message = await pubsub.get_message(timeout=1.0)
            except RedisError:
                # redis-py reconnects and re-subscribes on the next call; streams that miss
                # a message see the gap at the next one and read the store.
                log.warning("stream broker: redis read failed; retrying")
                await asyncio.sleep(0.5)
                continue
            if message and message.get("type") == "message":
                try:
                    self.local.dispatch(Delivery.decode(message["data"]))
                except (ValueError, KeyError, TypeError):
                    log.warning("stream broker: malformed message ignored")

    @asynccontextmanager
    async def subscribe(self, user_id: uuid.UUID) -> AsyncIterator[Subscription]:
        async with self._lock:
            pubsub = await self._ensure_reader()
            sub, first = self.local.add(user_id)
            if first:
                await pubsub.subscribe(CHANNEL_PREFIX + str(user_id))
        try:
            yield sub
        finally:
            async with self._lock:
                if self.local.remove(sub) and self._pubsub is not None:
                    with contextlib.suppress(RedisError):
                        await self._pubsub.unsubscribe(CHANNEL_PREFIX + str(user_id))

    def close_streams(self) -> None:
        self.local.close_all()

    async def close(self) -> None:
        self.local.close_all()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self.redis.aclose()


def build_broker(*, kind: str, redis_url: str | None, queue_size: int) -> Broker:
    if kind == "redis" or (kind == "auto" and redis_url):
        if not redis_url:
            raise ValueError("streams.broker=redis needs a Redis URL")
        return RedisBroker(redis_url, queue_size)
    return MemoryBroker(queue_size)


def broker_for(settings: Settings) -> Broker:
    s = settings.streams
    return build_broker(
        kind=s.broker, redis_url=s.redis_url or settings.redis_url, queue_size=s.queue_size
    )
