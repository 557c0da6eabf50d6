"""What a payment's outcome means for the books: the port `money` fills.

The ledger, milestones and payouts live in `money`, which builds on payments (checkouts,
providers, refunds). A webhook must still post the money it confirms in its own transaction,
under the payment's row lock, so payments calls the books through this Protocol, and the
composition root puts money's implementation in `Session.info` beside the queue and the
cache (`fixia.wiring.wired_sessions`, `fixia.worker.build_queue`). Payments imports nothing
of money."""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from fixia.matches.models import Job
from fixia.payments.models import Payment

BOOKS_KEY = "fixia.books"


class Books(Protocol):
    async def milestone_funded(self, session: AsyncSession, milestone_id: uuid.UUID) -> str:
        """The provider confirmed a milestone's funding payment."""
        ...

    async def milestone_reversed(self, session: AsyncSession, milestone_id: uuid.UUID) -> str:
        """The provider reports a milestone's funding payment refunded."""
        ...

    async def job_paid(
        self, session: AsyncSession, *, payment: Payment, job: Job, duplicate: bool
    ) -> bool:
        """The provider approved a whole-job payment."""
        ...

    async def job_payment_reversed(self, session: AsyncSession, payment: Payment) -> str:
        """The provider reports a whole-job payment refunded."""
        ...

    async def paid_by_milestones(self, session: AsyncSession, job_id: uuid.UUID) -> bool:
        """The job is paid milestone by milestone, so it takes no whole-job checkout."""
        ...


def books_of(session: AsyncSession) -> Books:
    books: Books | None = session.info.get(BOOKS_KEY)
    if books is None:
        raise RuntimeError("this session has no books: build it with wiring.wired_sessions")
    return books
