"""A real database (in-memory SQLite) and the money service, driven without HTTP: the
property tests run thousands of operations through the same code the routes and tasks use."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import StaticPool

from fixia.accounts.models import Role, User
from fixia.config import Settings
from fixia.db import Base, session_factory, transactional, utcnow
from fixia.matches.models import Job, JobStatus, Match
from fixia.models import import_all
from fixia.money import ledger
from fixia.money.models import LedgerEntry, LedgerPosting, Milestone, MilestoneStatus
from fixia.queue.defer import QUEUE_KEY

T = TypeVar("T")


@dataclass
class RecordingQueue:
    """Stands in for the process queue: the deferred jobs are what the test runs next."""

    deferred: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    eager: bool = False

    async def defer_now(
        self, task: str, args: dict[str, Any], *, lock: str | None, scheduled_at: datetime | None
    ) -> None:
        self.deferred.append((task, args))

    async def committed(self) -> None:
        return None


class Books:
    """One database, a client, a professional, a job and its agreed milestone plan."""

    def __init__(self, amounts: list[int]) -> None:
        import_all()
        self.loop = asyncio.new_event_loop()
        self.settings = Settings(env="test")
        self.queue = RecordingQueue()
        self.engine: AsyncEngine = create_async_engine(
            "sqlite+aiosqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        self.sessions = session_factory(self.engine, info={QUEUE_KEY: self.queue})
        self.client_id, self.pro_id = uuid.uuid4(), uuid.uuid4()
        self.job_id = uuid.uuid4()
        self.milestones: list[uuid.UUID] = []
        self.run(self._setup(amounts))

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.run(self.engine.dispose())
        self.loop.close()

    def tx(self) -> Any:
        return transactional(self.sessions)

    async def _setup(self, amounts: list[int]) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with self.tx() as session:
            for uid, role in ((self.client_id, Role.client), (self.pro_id, Role.professional)):
                session.add(User(id=uid, email=f"{uid}@t.ar", password_hash="x", name="T",
                                 role=role))  # fmt: skip
            await session.flush()
            match = Match(client_id=self.client_id, professional_id=self.pro_id)
            session.add(match)
            await session.flush()
            price = ledger.from_cents(sum(amounts))
            session.add(Job(id=self.job_id, match_id=match.id, client_id=self.client_id,
                            professional_id=self.pro_id, title="t", agreed_price=price,
                            delivery_date=utcnow() + timedelta(days=9),
                            status=JobStatus.in_progress))  # fmt: skip
            await session.flush()
            for n, cents in enumerate(amounts, start=1):
                m = Milestone(job_id=self.job_id, position=n, title=f"m{n}",
                              amount=ledger.from_cents(cents), proposed_by=self.pro_id,
                              status=MilestoneStatus.agreed)  # fmt: skip
                session.add(m)
                await session.flush()
                self.milestones.append(m.id)

    async def milestone(self, session: AsyncSession, n: int) -> tuple[Milestone, Job]:
        m = await session.get(Milestone, self.milestones[n], populate_existing=True)
        job = await session.get(Job, self.job_id, populate_existing=True)
        assert m is not None and job is not None
        return m, job

    async def all_balances(self) -> dict[str, int]:
        async with self.tx() as session:
            debit = select(LedgerPosting.debit_account.label("a"))
            credit = select(LedgerPosting.credit_account.label("a"))
            accounts = set((await session.execute(debit.union(credit))).scalars())
            return await ledger.balances(session, accounts)

    async def entries_without_postings(self) -> int:
        async with self.tx() as session:
            stmt = (
                select(func.count())
                .select_from(LedgerEntry)
                .where(~LedgerEntry.id.in_(select(LedgerPosting.entry_id)))
            )
            return int(await session.scalar(stmt) or 0)

    async def signed_sum(self) -> int:
        """Debits minus credits over every posting, computed by the database from lines."""
        async with self.tx() as session:
            rows = (await session.execute(select(LedgerPosting))).scalars()
            return sum(v for p in rows for _, v in ledger.lines([
                ledger.Posting(p.debit_account, p.credit_account, p.amount_cents)]))  # fmt: skip


def cents(value: Decimal | None) -> int:
    return ledger.to_cents(value) if value is not None else 0
