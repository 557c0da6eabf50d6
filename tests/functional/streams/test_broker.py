"""One conformance test for every broker: in process, and Redis pub/sub (real server), where
two brokers stand for two workers (or two slots)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from fixia.streams.broker import (
    CLOSING,
    LAGGED,
    Broker,
    Delivery,
    MemoryBroker,
    RedisBroker,
)
from tests import redis_server

pytestmark = pytest.mark.inprocess


@pytest.fixture(params=["memory", "redis"])
async def brokers(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[Broker, Broker]]:
    """(publisher side, subscriber side): the same broker in process; two over Redis."""
    if request.param == "memory":
        broker = MemoryBroker(queue_size=4)
        yield broker, broker
        await broker.close()
        return
    server: redis_server.RedisServer | redis_server.ExternalRedis = request.getfixturevalue("redis")
    a, b = RedisBroker(server.url, queue_size=4), RedisBroker(server.url, queue_size=4)
    yield a, b
    await a.close()
    await b.close()


async def _subscribed_probe(publisher: Broker, sub: object, user: uuid.UUID) -> None:
    from fixia.streams.broker import Subscription

    assert isinstance(sub, Subscription)
    for _ in range(100):
        await publisher.publish(Delivery(user, 0, "probe", {}))
        try:
            got = await asyncio.wait_for(sub.get(), 0.1)
        except TimeoutError:
            continue
        assert got.type == "probe"
        while not sub.queue.empty():
            sub.queue.get_nowait()
        return
    raise AssertionError("the subscription never became live")


async def test_delivers_to_the_users_subscriptions_only(brokers: tuple[Broker, Broker]) -> None:
    publisher, subscriber = brokers
    alice, bob = uuid.uuid4(), uuid.uuid4()
    async with (
        subscriber.subscribe(alice) as tab1,
        subscriber.subscribe(alice) as tab2,
        subscriber.subscribe(bob) as other,
    ):
        await _subscribed_probe(publisher, tab1, alice)
        while not tab2.queue.empty():
            tab2.queue.get_nowait()
        await _subscribed_probe(publisher, other, bob)
        sent = Delivery(alice, 7, "message", {"body": "hola", "n": 1})
        await publisher.publish(sent)
        assert await asyncio.wait_for(tab1.get(), 5) == sent
        assert await asyncio.wait_for(tab2.get(), 5) == sent
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(other.get(), 0.3)


async def test_publish_many_delivers_each_in_order_to_its_user(
    brokers: tuple[Broker, Broker],
) -> None:
    """A message's events (recipient, sender, recipient's count) go out in one call."""
    publisher, subscriber = brokers
    alice, bob = uuid.uuid4(), uuid.uuid4()
    async with subscriber.subscribe(alice) as a, subscriber.subscribe(bob) as b:
        await _subscribed_probe(publisher, a, alice)
        await _subscribed_probe(publisher, b, bob)
        batch = [
            Delivery(alice, 3, "message", {"n": 1}),
            Delivery(bob, 9, "message", {"n": 1}),
            Delivery(alice, 4, "unread", {"messages": 2}),
        ]
        await publisher.publish_many(batch)
        assert [await asyncio.wait_for(a.get(), 5) for _ in range(2)] == [batch[0], batch[2]]
        assert await asyncio.wait_for(b.get(), 5) == batch[1]


async def test_slow_reader_is_bounded_and_told_it_lagged(brokers: tuple[Broker, Broker]) -> None:
    publisher, subscriber = brokers
    user = uuid.uuid4()
    async with subscriber.subscribe(user) as sub:
        await _subscribed_probe(publisher, sub, user)
        for seq in range(1, 11):
            await publisher.publish(Delivery(user, seq, "message", {}))
        # Over Redis delivery is asynchronous: wait until the last one was handled.
        for _ in range(100):
            if sub.dropped:
                break
            await asyncio.sleep(0.05)
        assert sub.queue.qsize() <= sub.size
        seen = [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
        assert LAGGED in seen


async def test_close_streams_ends_every_subscription(brokers: tuple[Broker, Broker]) -> None:
    _, subscriber = brokers
    user = uuid.uuid4()
    async with subscriber.subscribe(user) as sub:
        subscriber.close_streams()
        assert await asyncio.wait_for(sub.get(), 5) is CLOSING


async def test_no_delivery_after_unsubscribing(brokers: tuple[Broker, Broker]) -> None:
    publisher, subscriber = brokers
    user = uuid.uuid4()
    async with subscriber.subscribe(user) as sub:
        await _subscribed_probe(publisher, sub, user)
    await publisher.publish(Delivery(user, 1, "message", {}))
    await asyncio.sleep(0.2)
    assert sub.queue.empty()
