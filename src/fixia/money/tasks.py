"""Money work after the commit: automatic release, refunds and payouts at the provider.

Provider calls happen here, outside any transaction and without row locks; each call carries
an idempotency key derived from what it pays, so a retried job never moves money twice."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import procrastinate
from sqlalchemy import select

from fixia.db import transactional, utcnow
from fixia.money import ledger, payouts, service
from fixia.money import reconcile as reconciliation
from fixia.money.models import Milestone, Payout, PayoutStatus
from fixia.payments.exceptions import ProviderRejected
from fixia.payments.models import Payment, PaymentStatus
from fixia.payments.providers import PaymentProvider, PayoutRequest, RefundRequest, build_provider
from fixia.queue.core import TaskSpec, runtime_of

log = logging.getLogger("fixia.money")


def provider_for(context: procrastinate.JobContext) -> PaymentProvider:
    """The worker's provider, built from settings like the app's (the sandbox is stateless)."""
    return build_provider(runtime_of(context).settings)


async def auto_release(context: procrastinate.JobContext, timestamp: int) -> int:
    runtime = runtime_of(context)
    async with transactional(runtime.sessions) as session:
        return await service.auto_release_due(
            session=session, settings=runtime.settings, now=utcnow()
        )


async def refund(context: procrastinate.JobContext, milestone_id: str) -> str:
    """Ask the provider to refund what the admin decided, then settle it in the books."""
    runtime = runtime_of(context)
    key = uuid.UUID(milestone_id)
    async with transactional(runtime.sessions) as session:
        milestone = await session.get(Milestone, key)
        decided = await ledger.posted(session, f"refund:{key}")
        if milestone is None or milestone.refunded_amount is None or decided is None:
            return "nothing to refund"
        if await ledger.posted(session, f"refund_settled:{key}") is not None:
            return "already settled"
        stmt = select(Payment.provider_payment_id).where(
            Payment.milestone_id == key, Payment.status == PaymentStatus.approved
        )
        provider_payment_id = (await session.execute(stmt.limit(1))).scalar()
        amount = milestone.refunded_amount
    if provider_payment_id is None:
        raise RuntimeError(f"milestone {key} has no approved payment to refund")
    await provider_for(context).refund(
        RefundRequest(provider_payment_id, amount, idempotency_key=f"refund:{key}")
    )
    async with transactional(runtime.sessions) as session:
        locked = await service.lock(session, key)
        if locked is not None:
            await service.settle_refund(session, locked)
    return "refunded"


async def payout(context: procrastinate.JobContext, professional_id: str) -> str:
    runtime = runtime_of(context)
    pro = uuid.UUID(professional_id)
    async with transactional(runtime.sessions) as session:
        prepared = await payouts.prepare(session, pro)
        if prepared is None:
            return "nothing to pay"
        request = PayoutRequest(
            account_id=prepared.account_id,
            amount=prepared.amount,
            currency=prepared.currency,
            reference=str(prepared.id),
            idempotency_key=f"payout:{prepared.id}",
        )
        payout_id = prepared.id
    final = context.job.attempts + 1 >= runtime.settings.queue.max_attempts
    try:
        sent = await provider_for(context).payout(request)
    except ProviderRejected as error:
        async with transactional(runtime.sessions) as session:
            await payouts.attempt_failed(session, payout_id, str(error), final=True)
        return "rejected"
    except Exception as error:
        async with transactional(runtime.sessions) as session:
            await payouts.attempt_failed(session, payout_id, type(error).__name__, final=final)
        raise  # the queue retries with backoff; the same payout id is the same transfer
    async with transactional(runtime.sessions) as session:
        await payouts.settled(session, payout_id, sent.id)
    return "paid"


async def sweep_payouts(context: procrastinate.JobContext, timestamp: int) -> int:
    """Pending payouts whose job gave up are sent again (same key, so at most once)."""
    runtime = runtime_of(context)
    async with transactional(runtime.sessions) as session:
        stmt = select(Payout.professional_id).where(Payout.status == PayoutStatus.pending)
        owed = set((await session.execute(stmt.distinct())).scalars())
        for pro in owed:
            await service.schedule_payout(session, pro)
    return len(owed)


async def reconcile(context: procrastinate.JobContext, timestamp: int) -> int:
    runtime = runtime_of(context)
    since = utcnow() - timedelta(days=runtime.settings.money.reconcile_days)
    found = await reconciliation.run(runtime.sessions, provider_for(context), since)
    return len(found)


TASKS = [
    TaskSpec("money.auto_release", auto_release, cron=lambda q: q.auto_release_cron),
    TaskSpec(service.REFUND_TASK, refund),
    TaskSpec(service.PAYOUT_TASK, payout),
    TaskSpec("money.sweep_payouts", sweep_payouts, cron=lambda q: q.sweep_payouts_cron),
    TaskSpec("money.reconcile", reconcile, cron=lambda q: q.reconcile_cron),
]
