"""Whole-job payments (one checkout for the agreed price, no milestones) in the ledger.

`fixia.payments.webhooks` calls these while it holds the payment's row lock, in the same
transaction that records the provider's status: the books and the payment change together.
Each movement is posted under a key naming the payment, so a replayed or reordered webhook
posts nothing twice. Never commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fixia import events
from fixia.matches.models import Job
from fixia.money import ledger, rules, service
from fixia.payments.models import Payment

PAID = "job_payment:{}"


async def paid(session: AsyncSession, *, payment: Payment, job: Job, duplicate: bool) -> bool:
    """The provider approved the payment; True if this posted it (False: already posted)."""
    total = ledger.to_cents(payment.amount)
    if duplicate:
        entry = rules.job_paid_twice(payment.id, job.id, total)
    else:
        fee = ledger.to_cents(payment.platform_fee)
        entry = rules.job_paid(payment.id, job.id, job.professional_id, fee, total - fee)
    _, created = await ledger.post(session, entry)
    if created and not duplicate:
        events.emit(session, "job_payment.posted", payment_id=str(payment.id))
        await service.schedule_payout(session, job.professional_id)
    return created


async def reversed_by_provider(session: AsyncSession, payment: Payment) -> str:
    """The provider reports the payment refunded. Nothing posted (a notice before the
    approval, or a payment from before the ledger) -> nothing to reverse."""
    entry = await ledger.posted(session, PAID.format(payment.id))
    job = await session.get(Job, payment.job_id) if payment.job_id else None
    if entry is None or job is None:
        return "not_posted"
    total = ledger.to_cents(payment.amount)
    if entry.kind == "job_payment_duplicate":
        reversal = rules.job_duplicate_refunded(payment.id, job.id, total)
    else:
        fee = ledger.to_cents(payment.platform_fee)
        await ledger.lock_payable(session, job.professional_id)  # a payout may be spending it
        owed = await ledger.balance(session, ledger.payable(job.professional_id))
        reversal = rules.job_payment_reversed(
            payment.id, job.id, job.professional_id, fee, owed, total - fee
        )
    _, created = await ledger.post(session, reversal)
    if created:
        events.emit(session, "job_payment.reversed", payment_id=str(payment.id))
    return "reversed" if created else "already_reversed"
