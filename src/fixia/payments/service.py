"""Payments: checkout creation with idempotency keys, commission, and reads. Never commits."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fixia import events
from fixia.accounts.models import User
from fixia.config import Settings
from fixia.db import WritesBeforeExternalCall, released
from fixia.matches.models import Job, JobStatus
from fixia.payments import exceptions as exc
from fixia.payments.models import Payment, PaymentEvent, PaymentKind, PaymentStatus
from fixia.payments.providers import CheckoutRequest, PaymentProvider
from fixia.payments.settlement import books_of
from fixia.platform.pagination import SortKey, paginate, split_page

CENT = Decimal("0.01")
# Payment ids derive from (payer, idempotency key, request): a client retrying after a failed
# attempt gets the same id, hence the same provider idempotency key and the same preference.
PAYMENT_ID_NAMESPACE = uuid.UUID("5f0c3a4e-8d1b-4c55-9e0a-6b7f2d1c9a31")


def split_commission(amount: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(platform fee, professional amount): the fee rounds half up to the centavo and the
    professional gets exactly the rest, so the two always add up to the amount."""
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    fee = (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return fee, amount - fee


def _payment_id(
    payer: User, key: str, kind: PaymentKind, subject: str, amount: Decimal
) -> uuid.UUID:
    return uuid.uuid5(PAYMENT_ID_NAMESPACE, f"{payer.id}|{key}|{kind.value}|{subject}|{amount}")


async def find_replay(
    *,
    session: AsyncSession,
    payer: User,
    key: str,
    kind: PaymentKind,
    job_id: uuid.UUID | None = None,
    plan: str | None = None,
) -> Payment | None:
    """The payment this key already created, or None. The key with another request -> 409."""
    stmt = select(Payment).where(Payment.payer_id == payer.id, Payment.idempotency_key == key)
    existing = (await session.execute(stmt)).scalar_one_or_none()
    if existing is None:
        return None
    if (existing.kind, existing.job_id, existing.plan) != (kind, job_id, plan):
        raise exc.IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different payment; use a new key."
        )
    return existing


def _created_event(payment: Payment) -> PaymentEvent:
    """The first line of the payment's history."""
    return PaymentEvent(
        payment_id=payment.id,
        provider=payment.provider,
        provider_event_id=f"created:{payment.id}",
        status=PaymentStatus.pending.value,
        applied=True,
        payload={"preference_id": payment.provider_preference_id},
    )


async def open_checkout(
    *,
    session: AsyncSession,
    provider: PaymentProvider,
    payer: User,
    payment: Payment,
    subject: str,
    title: str,
) -> tuple[Payment, bool]:
    """Create the provider preference, then store the payment. Returns (payment, created).

    The caller has only read and validated so far. The provider is called with no transaction
    open (`released`): no pooled connection or row lock waits on the network, and a failing
    provider leaves nothing behind (the client retries with the same key). Then the INSERT; a
    concurrent request with the same key that won the race is replayed, not duplicated.
    """
    payment.id = _payment_id(payer, payment.idempotency_key, payment.kind, subject, payment.amount)
    payer_id, announced = payer.id, {"kind": payment.kind.value, "amount": str(payment.amount)}
    request = CheckoutRequest(
        reference=str(payment.id),
        title=title,
        amount=payment.amount,
        currency=payment.currency,
        payer_email=payer.email,
        idempotency_key=str(payment.id),
    )
    try:
        async with released(session):
            preference = await provider.create_preference(request)
    except WritesBeforeExternalCall:
        raise
    except Exception:
        events.observe("checkout.failed", **announced)
        raise
    payment.provider_preference_id = preference.id
    payment.checkout_url = preference.checkout_url
    try:
        async with session.begin_nested():
            session.add(payment)
            session.add(_created_event(payment))
    except IntegrityError:
        return await _raced(session, payer_id, payment), False
    events.emit(session, "checkout.opened", **announced)
    return payment, True


async def _raced(session: AsyncSession, payer_id: uuid.UUID, payment: Payment) -> Payment:
    """The same key committed by a concurrent request between our reads and our INSERT."""
    stmt = select(Payment).where(
        Payment.payer_id == payer_id, Payment.idempotency_key == payment.idempotency_key
    )
    existing = (await session.execute(stmt)).scalar_one_or_none()
    if existing is None or existing.id != payment.id:
        # Another row holds the key (or the INSERT failed for another reason): not a replay.
        raise exc.IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different payment; use a new key."
        )
    return existing


async def _job_is_paid(session: AsyncSession, job_id: uuid.UUID) -> bool:
    stmt = select(
        exists().where(Payment.job_id == job_id, Payment.status == PaymentStatus.approved)
    )
    return bool(await session.scalar(stmt))


async def _payable_job(session: AsyncSession, payer: User, job_id: uuid.UUID) -> Job:
    job = await session.get(Job, job_id)
    if job is None or payer.id not in (job.client_id, job.professional_id):
        raise exc.PayableJobNotFound()
    if job.client_id != payer.id:
        raise exc.NotJobClient()
    if job.status is JobStatus.cancelled:
        raise exc.JobNotPayable("The job is cancelled.")
    if await _job_is_paid(session, job.id):
        raise exc.JobAlreadyPaid()
    if await books_of(session).paid_by_milestones(session, job.id):
        raise exc.JobNotPayable("This job is paid milestone by milestone.")
    return job


def job_payment(
    *,
    settings: Settings,
    provider: PaymentProvider,
    payer: User,
    job: Job,
    amount: Decimal,
    idempotency_key: str,
    milestone_id: uuid.UUID | None = None,
) -> Payment:
    """A pending payment for (part of) a job's price, its commission split off."""
    fee, net = split_commission(amount, settings.payments.commission_rate)
    return Payment(
        payer_id=payer.id,
        kind=PaymentKind.job,
        job_id=job.id,
        milestone_id=milestone_id,
        amount=fee + net,
        currency=job.currency,
        platform_fee=fee,
        professional_amount=net,
        provider=provider.name,
        idempotency_key=idempotency_key,
        status=PaymentStatus.pending,
    )


async def create_job_payment(
    *,
    session: AsyncSession,
    settings: Settings,
    provider: PaymentProvider,
    payer: User,
    job_id: uuid.UUID,
    idempotency_key: str,
) -> tuple[Payment, bool]:
    """Checkout for a job's agreed price. Returns (payment, created); created is False on a
    replay of the same Idempotency-Key."""
    replay = await find_replay(
        session=session, payer=payer, key=idempotency_key, kind=PaymentKind.job, job_id=job_id
    )
    if replay is not None:
        return replay, False
    job = await _payable_job(session, payer, job_id)
    payment = job_payment(
        settings=settings, provider=provider, payer=payer, job=job, amount=job.agreed_price,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    return await open_checkout(
        session=session,
        provider=provider,
        payer=payer,
        payment=payment,
        subject=str(job.id),
        title=f"Fixia: {job.title}"[:100],
    )


async def own_preference(*, session: AsyncSession, payer: User, preference_id: str) -> Payment:
    """The payment behind a checkout, for its payer only; to anyone else it is missing."""
    stmt = select(Payment).where(Payment.provider_preference_id == preference_id)
    payment = (await session.execute(stmt)).scalar_one_or_none()
    if payment is None or payment.payer_id != payer.id:
        raise exc.PreferenceNotFound()
    return payment


async def get_visible(*, session: AsyncSession, user: User, payment_id: uuid.UUID) -> Payment:
    """The payer and, for a job payment, the job's professional; to anyone else it is missing."""
    payment = await session.get(Payment, payment_id)
    if payment is None:
        raise exc.PaymentNotFound()
    if payment.payer_id == user.id:
        return payment
    if payment.job_id is not None:
        job = await session.get(Job, payment.job_id)
        if job is not None and job.professional_id == user.id:
            return payment
    raise exc.PaymentNotFound()


async def history(*, session: AsyncSession, payment: Payment) -> list[PaymentEvent]:
    stmt = (
        select(PaymentEvent)
        .where(PaymentEvent.payment_id == payment.id)
        .order_by(PaymentEvent.created_at, PaymentEvent.id)
    )
    return list((await session.execute(stmt)).scalars())


async def list_mine(
    *, session: AsyncSession, payer: User, cursor: str | None, limit: int
) -> tuple[list[Payment], str | None]:
    stmt = select(Payment).where(Payment.payer_id == payer.id)
    keys = [SortKey(Payment.created_at, descending=True), SortKey(Payment.id, descending=True)]
    rows = list((await session.execute(paginate(stmt, keys, cursor, limit))).all())
    page, next_cursor = split_page(rows, limit)
    return [row[0] for row in page], next_cursor
