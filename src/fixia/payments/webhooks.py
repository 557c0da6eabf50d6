"""Applying provider notifications: verified, deduplicated, confirmed, ordered. Never commits.

A notification only says which payment changed. Its status and amount are always fetched from
the provider, so a replayed or forged-but-signed body cannot make us apply anything the
provider does not say. Every notification is recorded in payment_events, applied or not.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixia import events
from fixia.audit import service as audit
from fixia.config import Settings
from fixia.db import utcnow
from fixia.matches.models import Job
from fixia.notifications.service import notify
from fixia.payments import expiry, renewals, subscriptions
from fixia.payments.exceptions import InvalidWebhookSignature
from fixia.payments.models import Payment, PaymentEvent, PaymentKind, PaymentStatus
from fixia.payments.providers import (
    CHARGE_TOPIC,
    PaymentProvider,
    ProviderPayment,
    ProviderPaymentMissing,
    WebhookNotice,
)
from fixia.payments.settlement import books_of

log = logging.getLogger("fixia.payments.webhooks")
Result = Literal["applied", "unchanged", "duplicate", "ignored"]
S = PaymentStatus
# Later attempts on the same checkout may succeed after a rejection or cancellation; money
# that was approved only ever leaves through a refund.
ALLOWED: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    S.pending: frozenset({S.approved, S.rejected, S.cancelled, S.refunded}),
    S.rejected: frozenset({S.pending, S.approved, S.cancelled}),
    S.cancelled: frozenset({S.approved}),
    S.approved: frozenset({S.refunded}),
    S.refunded: frozenset(),
}


@dataclass(frozen=True)
class Decision:
    apply: bool
    reason: str


def decide(payment: Payment, remote: ProviderPayment) -> Decision:
    """Whether the provider's view of the payment moves our record forward."""
    if remote.amount != payment.amount or remote.currency != payment.currency:
        return Decision(False, "amount_mismatch")
    if remote.status is payment.status:
        return Decision(False, "same_status")
    last = payment.status_changed_at
    if last is not None and remote.status_changed_at < last:
        return Decision(False, "stale")
    if remote.status not in ALLOWED[payment.status]:
        return Decision(False, "transition_not_allowed")
    return Decision(True, "applied")


async def _seen(session: AsyncSession, notice: WebhookNotice) -> bool:
    stmt = select(
        exists().where(
            PaymentEvent.provider == notice.provider,
            PaymentEvent.provider_event_id == notice.event_id,
        )
    )
    return bool(await session.scalar(stmt))


def _record(
    session: AsyncSession,
    notice: WebhookNotice,
    payment: Payment | None,
    remote: ProviderPayment | None,
    decision: Decision,
) -> None:
    """Every verified notification leaves a row, whether or not it changed anything."""
    payload: dict[str, Any] = {"notice": notice.payload, "reason": decision.reason}
    if remote is not None:
        payload["provider_payment"] = {
            "id": remote.id,
            "status": remote.provider_status,
            "amount": str(remote.amount),
            "currency": remote.currency,
            "status_changed_at": remote.status_changed_at.isoformat(),
        }
    session.add(
        PaymentEvent(
            payment_id=payment.id if payment else None,
            provider=notice.provider,
            provider_event_id=notice.event_id,
            status=remote.status.value if remote else None,
            applied=decision.apply,
            payload=payload,
        )
    )


async def _lock_payment(session: AsyncSession, reference: str | None) -> Payment | None:
    try:
        payment_id = uuid.UUID(reference or "")
    except ValueError:
        return None
    # SQLite has no row locks and the driver opens its transaction only at the first write,
    # so reads before it are not protected. Writing the row first takes the database write
    # lock there (and the row lock on PostgreSQL); the locked SELECT then reads fresh data.
    await session.execute(
        update(Payment).where(Payment.id == payment_id).values(updated_at=utcnow())
    )
    stmt = (
        select(Payment)
        .where(Payment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def _fetch(provider: PaymentProvider, payment_id: str) -> ProviderPayment | None:
    try:
        return await provider.get_payment(payment_id)
    except ProviderPaymentMissing:
        return None


async def _fetch_charge(
    session: AsyncSession, provider: PaymentProvider, charge_id: str
) -> tuple[ProviderPayment | None, str | None]:
    """A recurring charge names only its agreement; the period it pays is our latest one."""
    try:
        charge = await provider.get_charge(charge_id)
    except ProviderPaymentMissing:
        return None, None
    reference = charge.payment.external_reference
    if reference is None:
        payment = await renewals.payment_for_agreement(session, charge.agreement_id)
        reference = str(payment.id) if payment is not None else None
    return charge.payment, reference


async def handle(
    *,
    session: AsyncSession,
    settings: Settings,
    provider: PaymentProvider,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    body: bytes,
) -> Result:
    try:
        notice = provider.parse_webhook(headers=headers, query=query, body=body)
    except InvalidWebhookSignature:
        events.observe("payment.webhook_signature_failed", provider=provider.name)
        raise
    if notice is None:
        return "ignored"
    if await _seen(session, notice):
        return "duplicate"
    # Fetch before locking: no row lock is held across the network call.
    if notice.topic == CHARGE_TOPIC:
        remote, reference = await _fetch_charge(session, provider, notice.payment_id)
    else:
        remote = await _fetch(provider, notice.payment_id)
        reference = remote.external_reference if remote else None
    return await apply(
        session=session, settings=settings, provider=provider.name, notice=notice,
        remote=remote, reference=reference,
    )  # fmt: skip


def polled(provider: str, remote: ProviderPayment) -> WebhookNotice:
    """What the scheduler read from the provider, as a notice: the same view read twice is
    one event, so re-running a poll records and applies it once."""
    changed = int(remote.status_changed_at.timestamp())
    return WebhookNotice(
        provider=provider,
        event_id=f"poll:{remote.id}:{remote.status.value}:{changed}"[:128],
        topic="poll",
        payment_id=remote.id,
    )


async def apply(
    *,
    session: AsyncSession,
    settings: Settings,
    provider: str,
    notice: WebhookNotice,
    remote: ProviderPayment | None,
    reference: str | None,
) -> Result:
    """Apply the provider's view of our payment `reference` (a webhook's or a poll's)."""
    if await _seen(session, notice):
        return "duplicate"
    payment = await _lock_payment(session, reference)
    if payment is None or remote is None or payment.provider != provider:
        log.info("notice for unknown payment %s ignored", notice.payment_id)
        _record(session, notice, None, remote, Decision(False, "unknown_payment"))
        return "ignored"
    # Re-check under the lock: a concurrent delivery of the same event may have just committed.
    if await _seen(session, notice):
        return "duplicate"
    decision = decide(payment, remote)
    _record(session, notice, payment, remote, decision)
    if not decision.apply:
        if decision.reason == "amount_mismatch":
            log.warning(
                "payment %s: provider says %s %s", payment.id, remote.amount, remote.currency
            )
        return "unchanged"
    audit.record(
        session=session,
        actor_id=None,
        actor_name=f"provider:{provider}",
        action=audit.PAYMENT_STATUS_CHANGED,
        target_type="payment",
        target_id=payment.id,
        old=payment.status.value,
        new=remote.status.value,
        provider_payment_id=remote.id,
    )
    payment.status, payment.status_changed_at = remote.status, remote.status_changed_at
    payment.provider_payment_id = remote.id
    await session.flush()
    await _after_change(session=session, settings=settings, payment=payment)
    return "applied"


async def _after_change(*, session: AsyncSession, settings: Settings, payment: Payment) -> None:
    """What a status change means for the rest of the marketplace."""
    data = {
        "payment_id": str(payment.id),
        "kind": payment.kind.value,
        "amount": str(payment.amount),
    }
    if payment.status is S.approved:
        events.emit(session, "payment.approved", **data)
        if payment.kind is PaymentKind.subscription:
            await subscriptions.activate(session=session, settings=settings, payment=payment)
        elif payment.milestone_id is not None:
            await books_of(session).milestone_funded(session, payment.milestone_id)
        else:
            await _job_paid(session=session, payment=payment)
    elif payment.status is S.rejected:
        events.emit(session, "payment.rejected", **data)
        await notify(
            session=session,
            user_id=payment.payer_id,
            type="payment_rejected",
            title="Tu pago fue rechazado",
            message="El pago no se acreditó. Podés intentarlo de nuevo.",
            action_url=f"/payments/{payment.id}",
        )
        if payment.kind is PaymentKind.subscription:
            await renewals.charge_failed(session=session, settings=settings, payment=payment)
    elif payment.status is S.refunded:
        events.emit(session, "payment.refunded", **data)
        if payment.kind is PaymentKind.subscription:
            await expiry.end_for_refund(session=session, settings=settings, payment=payment)
        elif payment.milestone_id is not None:
            await books_of(session).milestone_reversed(session, payment.milestone_id)
        elif payment.job_id is not None:
            await books_of(session).job_payment_reversed(session, payment)
    else:
        events.emit(session, f"payment.{payment.status.value}", **data)


async def _job_paid(*, session: AsyncSession, payment: Payment) -> None:
    await notify(
        session=session,
        user_id=payment.payer_id,
        type="payment_approved",
        title="Pago aprobado",
        message=f"Tu pago de ${payment.amount} {payment.currency} fue aprobado.",
        action_url=f"/payments/{payment.id}",
        email=True,
    )
    job = await session.get(Job, payment.job_id) if payment.job_id else None
    if job is None:
        return
    # Checkout refuses a paid job, but two checkouts opened earlier can both be paid. The
    # provider took the money, so record the truth and flag it for a refund.
    others = select(Payment.id).where(
        Payment.job_id == job.id, Payment.status == S.approved, Payment.id != payment.id
    )
    duplicate = (await session.execute(others.limit(1))).first() is not None
    await books_of(session).job_paid(session, payment=payment, job=job, duplicate=duplicate)
    if duplicate:
        log.warning("job %s paid twice; payment %s needs a refund", job.id, payment.id)
        events.observe("payment.duplicate", payment_id=str(payment.id), job_id=str(job.id))
    await notify(
        session=session,
        user_id=job.professional_id,
        type="payment_received",
        title="Recibiste un pago",
        message=f"El cliente pagó «{job.title}». Te corresponden "
        f"${payment.professional_amount} {payment.currency}.",
        action_url=f"/payments/{payment.id}",
        email=True,
    )
