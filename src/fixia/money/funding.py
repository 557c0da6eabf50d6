"""Funding a milestone: a checkout for its amount, held once the provider approves it."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import User
from fixia.config import Settings
from fixia.money import exceptions as exc
from fixia.money.models import Milestone, MilestoneStatus
from fixia.money.service import visible
from fixia.payments.exceptions import IdempotencyKeyReused
from fixia.payments.models import Payment
from fixia.payments.providers import PaymentProvider
from fixia.payments.service import job_payment, open_checkout


async def fund(
    *,
    session: AsyncSession,
    settings: Settings,
    provider: PaymentProvider,
    payer: User,
    milestone_id: uuid.UUID,
    idempotency_key: str,
) -> tuple[Payment, bool]:
    """A checkout for one agreed milestone; (payment, created), a replayed key -> the same."""
    milestone, job = await visible(session=session, user=payer, milestone_id=milestone_id)
    stmt = select(Payment).where(
        Payment.payer_id == payer.id, Payment.idempotency_key == idempotency_key
    )
    replay = (await session.execute(stmt)).scalar_one_or_none()
    if replay is not None:
        if replay.milestone_id != milestone.id:
            raise IdempotencyKeyReused("This Idempotency-Key was used for another payment.")
        return replay, False
    if payer.id != job.client_id:
        raise exc.NotMilestoneParty("The client funds a milestone.")
    if milestone.status is not MilestoneStatus.agreed:
        raise exc.MilestoneStateConflict(f"The milestone is {milestone.status.value}.")
    payment = job_payment(
        settings=settings,
        provider=provider,
        payer=payer,
        job=job,
        amount=milestone.amount,
        idempotency_key=idempotency_key,
        milestone_id=milestone.id,
    )
    return await open_checkout(
        session=session,
        provider=provider,
        payer=payer,
        payment=payment,
        subject=f"{job.id}:{milestone.id}",
        title=f"Fixia: {milestone.title}"[:100],
    )


async def milestone_of(session: AsyncSession, payment: Payment) -> Milestone | None:
    return await session.get(Milestone, payment.milestone_id) if payment.milestone_id else None
