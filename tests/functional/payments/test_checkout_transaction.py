"""Opening a checkout calls the provider with no transaction open and no pooled connection
checked out; a concurrent request with the same key that wins the race is replayed.

The provider here watches the app's sessions (SQLAlchemy's transaction events) and its
engine's pool at the moment it is called, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import QueuePool

from fixia.accounts.models import User
from fixia.config import Settings
from fixia.db import WritesBeforeExternalCall, create_engine, released, session_factory
from fixia.payments.models import Payment
from fixia.payments.providers import CheckoutRequest, Preference, SandboxProvider
from tests.factories.accounts import register
from tests.factories.payments import create_job, new_key, pay_job
from tests.functional.web.helpers import csrf_token, web_login

pytestmark = pytest.mark.inprocess


class OpenTransactions:
    """Sessions that hold a connection in a transaction right now."""

    def __init__(self) -> None:
        self.open: set[int] = set()

    def begun(self, session: Session, _tx: SessionTransaction, _conn: object) -> None:
        self.open.add(id(session))

    def ended(self, session: Session, tx: SessionTransaction) -> None:
        if tx.parent is None:
            self.open.discard(id(session))


@pytest.fixture
def transactions() -> Iterator[OpenTransactions]:
    watch = OpenTransactions()
    event.listen(Session, "after_begin", watch.begun)
    event.listen(Session, "after_transaction_end", watch.ended)
    yield watch
    event.remove(Session, "after_begin", watch.begun)
    event.remove(Session, "after_transaction_end", watch.ended)


class WatchingProvider(SandboxProvider):
    """The sandbox, recording what the database held while it was being called."""

    def __init__(self, settings: Settings, app: FastAPI, watch: OpenTransactions) -> None:
        super().__init__(settings)
        self.app, self.watch = app, watch
        self.seen: list[tuple[int, int | None]] = []
        self.during: Callable[[], Awaitable[None]] | None = None

    async def create_preference(self, request: CheckoutRequest) -> Preference:
        pool = self.app.state.engine.sync_engine.pool
        checked_out = pool.checkedout() if isinstance(pool, QueuePool) else None
        self.seen.append((len(self.watch.open), checked_out))
        during, self.during = self.during, None
        if during is not None:
            await during()
        return await super().create_preference(request)


@pytest.fixture
def provider(app: FastAPI, settings: Settings, transactions: OpenTransactions) -> WatchingProvider:
    watching = WatchingProvider(settings, app, transactions)
    app.state.payment_provider = watching
    return watching


async def test_job_checkout_calls_the_provider_outside_any_transaction(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, provider: WatchingProvider
) -> None:
    payer = await register(client, outbox, "client")
    pro = await register(client, outbox, "professional")
    job_id = await create_job(settings, client=payer, professional=pro)
    r = await pay_job(client, payer, job_id)
    assert r.status_code == 201, r.text
    # The request had read the user and the job; none of it was open during the call.
    assert provider.seen and all(open_ == 0 for open_, _ in provider.seen), provider.seen
    assert all(out in (0, None) for _, out in provider.seen), provider.seen
    body = r.json()
    assert body["provider_preference_id"] and body["status"] == "pending"


async def test_subscription_checkout_calls_the_provider_outside_any_transaction(
    client: httpx.AsyncClient, outbox: Path, provider: WatchingProvider
) -> None:
    user = await register(client, outbox, "client")
    headers = {**user.headers, "Idempotency-Key": new_key()}
    r = await client.post("/api/v1/subscriptions", json={"plan": "professional"}, headers=headers)
    assert r.status_code == 201, r.text
    assert provider.seen == [(0, provider.seen[0][1])] and provider.seen[0][1] in (0, None)


async def test_a_concurrent_request_with_the_same_key_is_replayed_not_duplicated(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, provider: WatchingProvider
) -> None:
    payer = await register(client, outbox, "client")
    pro = await register(client, outbox, "professional")
    job_id = await create_job(settings, client=payer, professional=pro)
    key = new_key()
    winner: list[httpx.Response] = []

    async def concurrent_request_wins() -> None:
        # Runs while the first request waits on the provider, so it commits first.
        winner.append(await pay_job(client, payer, job_id, key))

    provider.during = concurrent_request_wins
    loser = await pay_job(client, payer, job_id, key)
    assert winner[0].status_code == 201, winner[0].text
    assert loser.status_code == 200, loser.text
    assert loser.json()["id"] == winner[0].json()["id"]
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as session:
            stmt = select(func.count()).select_from(Payment).where(Payment.idempotency_key == key)
            assert await session.scalar(stmt) == 1
    finally:
        await engine.dispose()


async def test_released_refuses_when_the_unit_of_work_already_wrote(
    settings: Settings, client: httpx.AsyncClient, outbox: Path
) -> None:
    payer = await register(client, outbox, "client")
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as session:
            stmt = select(Payment).where(Payment.payer_id == uuid.UUID(payer.id)).limit(1)
            await session.execute(stmt)
            async with released(session):
                assert not session.in_transaction()
            user = await session.get(User, uuid.UUID(payer.id))
            assert user is not None
            user.name = "Otro nombre"
            with pytest.raises(WritesBeforeExternalCall):
                async with released(session):
                    pass
            await session.rollback()
    finally:
        await engine.dispose()


async def test_the_web_plan_checkout_also_calls_the_provider_outside_any_transaction(
    client: httpx.AsyncClient, outbox: Path, provider: WatchingProvider
) -> None:
    user = await register(client, outbox, "professional")
    await web_login(client, user)
    token = await csrf_token(client, "/subscription")
    r = await client.post(
        "/subscription",
        data={"plan": "professional", "idempotency_key": new_key(), "csrf_token": token},
    )
    assert r.status_code == 303, r.text[:1000]
    assert "sbxpref_" in r.headers["location"]
    assert provider.seen == [(0, provider.seen[0][1])] and provider.seen[0][1] in (0, None)
