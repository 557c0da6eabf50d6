"""The books payments posts to when a provider confirms or reverses money
(`fixia.payments.settlement.Books`): milestones (`service.py`) and whole-job payments
(`job_payments.py`). Put in `Session.info` by the composition root. Never commits."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.matches.models import Job
from fixia.money import job_payments, service
from fixia.money.models import Milestone
from fixia.payments.models import Payment
from fixia.payments.settlement import Books


class MoneyBooks:
    async def milestone_funded(self, session: AsyncSession, milestone_id: uuid.UUID) -> str:
        return await service.funded(session, milestone_id)

    async def milestone_reversed(self, session: AsyncSession, milestone_id: uuid.UUID) -> str:
        return await service.reversed_by_provider(session, milestone_id)

    async def job_paid(
        self, session: AsyncSession, *, payment: Payment, job: Job, duplicate: bool
    ) -> bool:
        return await job_payments.paid(session, payment=payment, job=job, duplicate=duplicate)

    async def job_payment_reversed(self, session: AsyncSession, payment: Payment) -> str:
        return await job_payments.reversed_by_provider(session, payment)

    async def paid_by_milestones(self, session: AsyncSession, job_id: uuid.UUID) -> bool:
        return bool(await session.scalar(select(exists().where(Milestone.job_id == job_id))))


def money_books() -> Books:
    """Typed as the port, so mypy checks that MoneyBooks fills it."""
    return MoneyBooks()
