"""Subscriptions: buy a plan, activate it on the approved payment, cancel, expire.

A plan only takes effect when the provider confirms the payment (the webhook), never when
the checkout is created. Never commits.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fixia import events
from fixia.accounts.models import ProfessionalProfile, Role, User
from fixia.audit import service as audit
from fixia.config import Settings
from fixia.db import utcnow
from fixia.errors import InvalidInput
from fixia.notifications.service import notify
from fixia.payments import exceptions as exc
from fixia.payments.models import Payment, PaymentKind, PaymentStatus, Subscription
from fixia.payments.models import SubscriptionStatus as Status
from fixia.payments.providers import PaymentProvider
from fixia.payments.service import CENT, find_replay, open_checkout

FREE = "free"
# Statuses under which a subscription still gives its plan until expires_at.
RUNNING = (Status.active, Status.cancelled)


def purchasable_plans(settings: Settings) -> list[str]:
    return [name for name, plan in settings.plans.items() if name != FREE and plan.price_ars > 0]


async def current(
    *, session: AsyncSession, user_id: uuid.UUID, now: datetime | None = None
) -> Subscription | None:
    """The subscription giving the user a plan right now (active, or cancelled but unexpired)."""
    stmt = (
        select(Subscription)
        .where(
            Subscription.user_id == user_id,
            Subscription.status.in_(RUNNING),
            Subscription.expires_at > (now or utcnow()),
        )
        .order_by(Subscription.expires_at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def for_me(*, session: AsyncSession, user: User) -> Subscription:
    """The running subscription, else the most recent one of any status."""
    found = await current(session=session, user_id=user.id)
    if found is None:
        stmt = (
            select(Subscription)
            .where(Subscription.user_id == user.id)
            .order_by(Subscription.created_at.desc(), Subscription.id.desc())
            .limit(1)
        )
        found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise exc.SubscriptionNotFound("You have no subscription.")
    return found


async def payment_of(*, session: AsyncSession, subscription: Subscription) -> Payment | None:
    if subscription.payment_id is None:
        return None
    return await session.get(Payment, subscription.payment_id)


async def _ensure_can_subscribe(
    session: AsyncSession, settings: Settings, user: User, plan: str
) -> None:
    if user.email_verified_at is None:
        raise exc.EmailNotVerifiedForPayment()
    if plan not in purchasable_plans(settings):
        raise InvalidInput("plan", f"choose one of: {', '.join(purchasable_plans(settings))}")
    if await current(session=session, user_id=user.id) is not None:
        raise exc.SubscriptionAlreadyActive(
            "You already have a subscription running; wait until it expires."
        )


async def subscribe(
    *,
    session: AsyncSession,
    settings: Settings,
    provider: PaymentProvider,
    user: User,
    plan: str,
    idempotency_key: str,
) -> tuple[Subscription, Payment, bool]:
    """A pending subscription and its checkout. Returns (subscription, payment, created)."""
    replay = await find_replay(
        session=session, payer=user, key=idempotency_key, kind=PaymentKind.subscription, plan=plan
    )
    if replay is not None:
        stmt = select(Subscription).where(Subscription.payment_id == replay.id)
        return (await session.execute(stmt)).scalar_one(), replay, False
    await _ensure_can_subscribe(session, settings, user, plan)
    limits = settings.plan(plan)
    price = limits.price_ars.quantize(CENT)
    payment = Payment(
        payer_id=user.id,
        kind=PaymentKind.subscription,
        plan=plan,
        amount=price,
        currency="ARS",
        # A subscription is the platform's own sale: all of it is the platform's.
        platform_fee=price,
        professional_amount=Decimal("0.00"),
        provider=provider.name,
        idempotency_key=idempotency_key,
        status=PaymentStatus.pending,
    )
    title = f"Fixia plan {plan} ({limits.duration_days} días)"
    payment, created = await open_checkout(
        session=session, provider=provider, payer=user, payment=payment, subject=plan, title=title
    )
    if not created:
        stmt = select(Subscription).where(Subscription.payment_id == payment.id)
        return (await session.execute(stmt)).scalar_one(), payment, False
    subscription = Subscription(user_id=user.id, plan=plan, payment_id=payment.id)
    session.add(subscription)
    await session.flush()
    return subscription, payment, True


async def cancel(*, session: AsyncSession, user: User) -> Subscription:
    """Stop it from counting as renewable; the plan stays until expires_at."""
    found = await current(session=session, user_id=user.id)
    if found is None:
        raise exc.SubscriptionNotFound("You have no running subscription to cancel.")
    if found.status is Status.active:
        from fixia.payments.renewals import stop  # renewals builds on this module

        await stop(session, found)
        found.status, found.cancelled_at = Status.cancelled, utcnow()
        events.emit(
            session, "subscription.cancelled", subscription_id=str(found.id), plan=found.plan
        )
    return found


async def _lock_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    stmt = (
        select(User)
        .where(User.id == user_id)
        .options(selectinload(User.profile))
        .with_for_update(of=User)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one()


async def _grant_professional(session: AsyncSession, user: User) -> None:
    """The professional plan makes a client a dual user with a (new) professional profile."""
    if user.role is Role.client:
        user.role = Role.dual
        audit.record(
            session=session,
            actor_id=user.id,
            action=audit.ROLE_CHANGED,
            target_type="user",
            target_id=user.id,
            from_role=Role.client.value,
            to_role=Role.dual.value,
            reason="professional plan purchased",
        )
    if user.role is Role.dual:
        user.is_professional_active = True
    if user.profile is None:
        session.add(ProfessionalProfile(user_id=user.id))


async def _supersede_running(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    """Paying a second checkout while one runs replaces it: one subscription gives the plan.
    Already-lapsed ones are left to the expiry job, which may hold their locks right now."""
    await session.execute(
        update(Subscription)
        .where(
            Subscription.user_id == user_id,
            Subscription.status.in_(RUNNING),
            Subscription.expires_at > now,
        )
        .values(status=Status.expired, updated_at=now)
    )


async def _start_of(session: AsyncSession, subscription: Subscription, now: datetime) -> datetime:
    """A renewal continues its period from the old end (paid early, nothing is lost; paid
    during grace, from now). A new purchase starts now and replaces what runs."""
    if subscription.renewal_of_id is None:
        await _supersede_running(session, subscription.user_id, now)
        return now
    previous = await session.get(Subscription, subscription.renewal_of_id)
    if previous is None or previous.expires_at is None or previous.status is Status.expired:
        return now
    # Renewing (and its agreement) passes to the new period; the old one just ends.
    previous.auto_renew = False
    return max(now, previous.expires_at)


async def activate(
    *, session: AsyncSession, settings: Settings, payment: Payment
) -> Subscription | None:
    """Called with the payment row locked, when its approval is applied."""
    stmt = select(Subscription).where(Subscription.payment_id == payment.id).with_for_update()
    subscription = (await session.execute(stmt)).scalar_one_or_none()
    if subscription is None or subscription.status is not Status.pending:
        return None
    user = await _lock_user(session, subscription.user_id)
    now = utcnow()
    start = await _start_of(session, subscription, now)
    plan = settings.plan(subscription.plan)
    subscription.status, subscription.started_at = Status.active, start
    subscription.expires_at = start + timedelta(days=plan.duration_days)
    user.plan, user.plan_expires_at = subscription.plan, subscription.expires_at
    if subscription.plan == "professional":
        await _grant_professional(session, user)
    await session.flush()
    await _announce(session, subscription)
    if subscription.renewal_of_id is not None:
        events.emit(session, "subscription.renewed", subscription_id=str(subscription.id))
    return subscription


async def _announce(session: AsyncSession, subscription: Subscription) -> None:
    assert subscription.expires_at is not None
    events.emit(
        session,
        "subscription.activated",
        subscription_id=str(subscription.id),
        user_id=str(subscription.user_id),
        plan=subscription.plan,
    )
    await notify(
        session=session,
        user_id=subscription.user_id,
        type="subscription_activated",
        title=f"Tu plan {subscription.plan} está activo",
        message=f"Tu plan {subscription.plan} vence el {subscription.expires_at:%d/%m/%Y}.",
        action_url="/subscription",
        email=True,
    )
