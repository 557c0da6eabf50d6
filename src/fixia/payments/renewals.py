"""Renewals through the provider's recurring agreement: opt in, open each period's charge,
collect it, dun while it is unpaid. Never commits.

The lifecycle (docs/money.md): `renewal_lead_hours` before a renewing subscription ends,
the scheduler opens the next period (a pending subscription and its payment) and asks the
provider for its charge. Approved, the period activates from the old end (subscriptions.activate);
declined, the user gets a dunning e-mail, and one a day while the plan runs on grace; past
`renewal_grace_days` unpaid, expiry downgrades them (expiry.expire_due) and the agreement is
cancelled so the provider stops charging.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from fixia import events
from fixia.accounts.models import User
from fixia.config import Settings
from fixia.db import released, utcnow
from fixia.payments import exceptions as exc
from fixia.payments.models import Payment, PaymentEvent, PaymentKind, PaymentStatus, Subscription
from fixia.payments.models import SubscriptionStatus as Status
from fixia.payments.providers import Agreement, AgreementRequest, ChargeRequest, PaymentProvider
from fixia.payments.service import CENT, PAYMENT_ID_NAMESPACE
from fixia.payments.subscriptions import current, purchasable_plans
from fixia.queue.defer import defer
from fixia.queue.tasks import queue_email

CANCEL_AGREEMENT = "payments.cancel_agreement"
OPEN = (PaymentStatus.pending, PaymentStatus.rejected)


async def _lock(session: AsyncSession, subscription_id: uuid.UUID) -> Subscription:
    stmt = (
        select(Subscription)
        .where(Subscription.id == subscription_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one()


async def enable(
    *, session: AsyncSession, settings: Settings, provider: PaymentProvider, user: User
) -> tuple[Subscription, Agreement]:
    """Start the agreement (the payer authorises it at `authorize_url`) and mark the running
    subscription as renewing. The provider is called with no transaction open."""
    found = await current(session=session, user_id=user.id)
    if found is None:
        raise exc.SubscriptionNotFound("You have no running subscription to renew.")
    if found.status is not Status.active or found.plan not in purchasable_plans(settings):
        raise exc.SubscriptionNotRenewable("A cancelled subscription does not renew.")
    if found.auto_renew:
        # A second agreement would charge twice; stop the first one before starting another.
        raise exc.SubscriptionNotRenewable("This subscription already renews.")
    assert found.expires_at is not None  # running
    plan = settings.plan(found.plan)
    request = AgreementRequest(
        reference=str(found.id),
        reason=f"Fixia plan {found.plan} ({plan.duration_days} días)",
        amount=plan.price_ars.quantize(CENT),
        currency="ARS",
        frequency_days=plan.duration_days,
        starts=found.expires_at,
        payer_email=user.email,
        # A retry reuses the key; switching renewal back on after stopping it (the old
        # agreement cancelled) starts a new agreement.
        idempotency_key=f"agreement:{found.id}:{found.agreement_id or 'first'}",
    )
    async with released(session):
        agreement = await provider.create_agreement(request)
    subscription = await _lock(session, found.id)
    subscription.auto_renew, subscription.agreement_id = True, agreement.id
    events.emit(session, "subscription.renewal_enabled", subscription_id=str(subscription.id))
    return subscription, agreement


async def stop(session: AsyncSession, subscription: Subscription) -> None:
    """No more renewals: the provider's agreement is cancelled by a job after the commit."""
    if subscription.auto_renew and subscription.agreement_id:
        await defer(session, CANCEL_AGREEMENT, agreement_id=subscription.agreement_id)
    subscription.auto_renew = False


async def disable(*, session: AsyncSession, user: User) -> Subscription:
    found = await current(session=session, user_id=user.id)
    if found is None:
        raise exc.SubscriptionNotFound("You have no running subscription.")
    subscription = await _lock(session, found.id)
    await stop(session, subscription)
    events.emit(session, "subscription.renewal_disabled", subscription_id=str(subscription.id))
    return subscription


def _renewal_payment(settings: Settings, base: Subscription, provider: str) -> Payment:
    price = settings.plan(base.plan).price_ars.quantize(CENT)
    return Payment(
        # One period, one payment: a re-run of the scheduler finds it by this id and key.
        id=uuid.uuid5(PAYMENT_ID_NAMESPACE, f"renewal|{base.id}"),
        payer_id=base.user_id,
        kind=PaymentKind.subscription,
        plan=base.plan,
        amount=price,
        currency="ARS",
        platform_fee=price,
        professional_amount=Decimal("0.00"),
        provider=provider,
        idempotency_key=f"renewal:{base.id}",
        status=PaymentStatus.pending,
    )


def _add_period(
    session: AsyncSession, settings: Settings, base: Subscription, provider: str
) -> None:
    """The next period of `base`: a pending subscription and its payment."""
    payment = _renewal_payment(settings, base, provider)
    session.add(payment)
    session.add(
        PaymentEvent(
            payment_id=payment.id,
            provider=provider,
            provider_event_id=f"created:{payment.id}",
            status=PaymentStatus.pending.value,
            applied=True,
            payload={"renewal_of": str(base.id)},
        )
    )
    session.add(
        Subscription(
            user_id=base.user_id, plan=base.plan, payment_id=payment.id,
            renewal_of_id=base.id, auto_renew=True, agreement_id=base.agreement_id,
        )
    )  # fmt: skip


async def open_due(
    *, session: AsyncSession, settings: Settings, provider: str, now: datetime
) -> int:
    """Open the next period of every renewing subscription that ends within the lead time.
    SKIP LOCKED: overlapping scheduler runs share the work instead of colliding."""
    renewal = aliased(Subscription)
    stmt = (
        select(Subscription)
        .where(
            Subscription.status == Status.active,
            Subscription.auto_renew.is_(True),
            Subscription.agreement_id.is_not(None),
            Subscription.expires_at <= now + timedelta(hours=settings.payments.renewal_lead_hours),
            ~exists().where(renewal.renewal_of_id == Subscription.id),
        )
        .order_by(Subscription.expires_at)
        .with_for_update(skip_locked=True)
    )
    opened = 0
    for base in (await session.execute(stmt)).scalars():
        if base.plan in purchasable_plans(settings):
            _add_period(session, settings, base, provider)
            opened += 1
    await session.flush()
    return opened


def _unpaid_periods(
    settings: Settings, now: datetime
) -> Select[Subscription, Payment, Subscription]:
    """(renewal, its payment, the subscription it continues) still worth collecting."""
    base = aliased(Subscription)
    cutoff = now - timedelta(days=settings.payments.renewal_grace_days)
    return (
        select(Subscription, Payment, base)
        .join(Payment, Payment.id == Subscription.payment_id)
        .join(base, base.id == Subscription.renewal_of_id)
        .where(
            Subscription.status == Status.pending,
            Payment.status.in_(OPEN),
            base.auto_renew.is_(True),
            base.status.in_((Status.active, Status.cancelled)),
            base.expires_at > cutoff,
        )
    )


async def collectable(
    *, session: AsyncSession, settings: Settings, now: datetime
) -> list[ChargeRequest]:
    """The charges to ask the provider about, one per unpaid period."""
    rows = (await session.execute(_unpaid_periods(settings, now))).all()
    return [
        ChargeRequest(
            agreement_id=renewal.agreement_id or "",
            reference=str(payment.id),
            amount=payment.amount,
            currency=payment.currency,
            due=base.expires_at,
        )
        for renewal, payment, base in rows
        if renewal.agreement_id and base.expires_at is not None
    ]


async def payment_for_agreement(session: AsyncSession, agreement_id: str) -> Payment | None:
    """The latest period's payment under an agreement (a charge notification names only it)."""
    stmt = (
        select(Payment)
        .join(Subscription, Subscription.payment_id == Payment.id)
        .where(Subscription.agreement_id == agreement_id, Subscription.renewal_of_id.is_not(None))
        .order_by(Payment.created_at.desc(), Payment.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def recipient(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    user = await session.get(User, user_id)
    return user if user is not None and user.deleted_at is None else None


async def charge_failed(*, session: AsyncSession, settings: Settings, payment: Payment) -> None:
    """A declined renewal: tell the payer at once (one e-mail per decline)."""
    stmt = select(Subscription).where(
        Subscription.payment_id == payment.id, Subscription.renewal_of_id.is_not(None)
    )
    renewal = (await session.execute(stmt)).scalar_one_or_none()
    user = await recipient(session, payment.payer_id)
    if renewal is None or user is None:
        return
    at = payment.status_changed_at or utcnow()
    grace = settings.payments.renewal_grace_days
    await queue_email(
        session,
        key=f"dunning:{payment.id}:{int(at.timestamp())}",
        to=user.email,
        subject="No pudimos cobrar la renovación de tu plan",
        body=f"Hola {user.name}:\n\nEl cobro de ${payment.amount} para renovar tu plan "
        f"{payment.plan} fue rechazado. Reintentamos automáticamente; actualizá tu medio de pago "
        f"en Mercado Pago. Si no se acredita, tu plan sigue {grace} días más y después pasa "
        "al plan gratuito.\n",
    )
    events.emit(session, "subscription.renewal_failed", payment_id=str(payment.id))


async def dun_overdue(*, session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Once a day while a renewing plan runs on grace unpaid: how many days are left."""
    queued = 0
    for _renewal, payment, base in (await session.execute(_unpaid_periods(settings, now))).all():
        if base.expires_at is None or base.expires_at > now:
            continue
        user = await recipient(session, base.user_id)
        if user is None:
            continue
        ends = base.expires_at + timedelta(days=settings.payments.renewal_grace_days)
        await queue_email(
            session,
            key=f"dunning:{payment.id}:{now.date().isoformat()}",
            to=user.email,
            subject="Tu plan de Fixia está vencido: renovalo",
            body=f"Hola {user.name}:\n\nTodavía no pudimos cobrar la renovación de tu plan "
            f"{base.plan}. Lo mantenemos activo hasta el {ends:%d/%m/%Y}; si para entonces no "
            "se acredita el pago, tu cuenta pasa al plan gratuito.\n",
        )
        queued += 1
    return queued
