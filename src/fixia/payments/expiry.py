"""The end of a subscription: expiry (cron) and refunds take the plan away. Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixia import events
from fixia.accounts.models import Role, User
from fixia.catalog import invalidation
from fixia.catalog.models import Service
from fixia.config import Settings
from fixia.db import utcnow
from fixia.payments import renewals
from fixia.payments.models import Payment, Subscription
from fixia.payments.models import SubscriptionStatus as Status
from fixia.payments.subscriptions import FREE, RUNNING, current
from fixia.queue.tasks import queue_email


async def _deactivate(session: AsyncSession, service_ids: list[uuid.UUID]) -> int:
    if not service_ids:
        return 0
    await session.execute(
        update(Service).where(Service.id.in_(service_ids)).values(active=False, updated_at=utcnow())
    )
    # A bulk UPDATE bypasses the flush hook: the listings' cached pages are dropped by hand.
    invalidation.invalidate_services(session, service_ids)
    return len(service_ids)


async def _trim_services(session: AsyncSession, settings: Settings, user: User) -> int:
    """Dual users stop being professionals, so all their listings go; professionals keep the
    oldest ones up to the free plan's limit."""
    stmt = (
        select(Service.id)
        .where(
            Service.professional_id == user.id,
            Service.active.is_(True),
            Service.deleted_at.is_(None),
        )
        .order_by(Service.created_at, Service.id)
    )
    active = list((await session.execute(stmt)).scalars())
    if user.role is Role.dual:
        return await _deactivate(session, active)
    if user.role is Role.professional:
        limit = settings.plan(FREE).active_services
        return await _deactivate(session, active[limit:] if limit is not None else [])
    return 0


async def downgrade_user(
    *, session: AsyncSession, settings: Settings, user_id: uuid.UUID, now: datetime
) -> int | None:
    """Back to the free plan unless another subscription still runs. Returns the number of
    services deactivated, or None when the user keeps a plan."""
    # Lock the user before looking for another subscription: an activation running now holds
    # this lock, so we either see its subscription or it overwrites our downgrade afterwards.
    stmt = select(User).where(User.id == user_id).with_for_update(of=User)
    user = (await session.execute(stmt.execution_options(populate_existing=True))).scalar_one()
    if await current(session=session, user_id=user_id, now=now) is not None:
        return None
    user.plan, user.plan_expires_at = FREE, None
    if user.role is Role.dual:
        user.is_professional_active = False
    deactivated = await _trim_services(session, settings, user)
    events.emit(session, "subscription.downgraded", user_id=str(user.id), services=deactivated)
    return deactivated


async def end_for_refund(*, session: AsyncSession, settings: Settings, payment: Payment) -> None:
    """A refunded subscription payment takes the plan away at once."""
    stmt = select(Subscription).where(Subscription.payment_id == payment.id).with_for_update()
    subscription = (await session.execute(stmt)).scalar_one_or_none()
    if subscription is None or subscription.status is Status.expired:
        return
    now = utcnow()
    was_running = subscription.status in RUNNING
    subscription.status, subscription.expires_at = Status.expired, now
    await session.flush()
    if was_running:
        await downgrade_user(
            session=session, settings=settings, user_id=subscription.user_id, now=now
        )


async def _lapsed_unpaid(session: AsyncSession, subscription: Subscription) -> None:
    """Grace is over and the renewal was never paid: stop the agreement, tell the user.
    A renewal paid meanwhile is active already and keeps the plan (downgrade_user checks)."""
    await renewals.stop(session, subscription)
    events.emit(session, "subscription.renewal_lapsed", subscription_id=str(subscription.id))
    # Its unpaid next period is over too: it never started.
    await session.execute(
        update(Subscription)
        .where(
            Subscription.renewal_of_id == subscription.id,
            Subscription.status == Status.pending,
        )
        .values(status=Status.expired, auto_renew=False, updated_at=utcnow())
    )
    user = await renewals.recipient(session, subscription.user_id)
    if user is None:
        return
    await queue_email(
        session,
        key=f"downgraded:{subscription.id}",
        to=user.email,
        subject="Tu plan de Fixia venció",
        body=f"Hola {user.name}:\n\nNo pudimos cobrar la renovación de tu plan "
        f"{subscription.plan} y terminó el período de gracia: tu cuenta pasó al plan gratuito. "
        "Podés volver a contratarlo cuando quieras desde tu cuenta.\n",
    )


async def expire_due(
    *, session: AsyncSession, settings: Settings, now: datetime | None = None
) -> dict[str, int]:
    """Expire every running subscription past expires_at. Safe to re-run: a second run finds
    nothing. SKIP LOCKED lets two overlapping cron runs share the work instead of waiting."""
    now = now or utcnow()
    grace_start = now - timedelta(days=settings.payments.renewal_grace_days)
    stmt = (
        select(Subscription)
        .where(
            Subscription.status.in_(RUNNING),
            Subscription.expires_at <= now,
            # A renewing plan whose charge has not come through runs on grace (renewals.py).
            or_(
                Subscription.auto_renew.is_(False),
                Subscription.status != Status.active,
                Subscription.expires_at <= grace_start,
            ),
        )
        .order_by(Subscription.expires_at)
        .with_for_update(skip_locked=True)
    )
    due = list((await session.execute(stmt)).scalars())
    for subscription in due:
        if subscription.auto_renew:
            await _lapsed_unpaid(session, subscription)
        subscription.status = Status.expired
        events.emit(
            session,
            "subscription.expired",
            subscription_id=str(subscription.id),
            plan=subscription.plan,
        )
    await session.flush()
    downgraded = services = 0
    for user_id in dict.fromkeys(s.user_id for s in due):
        result = await downgrade_user(session=session, settings=settings, user_id=user_id, now=now)
        if result is not None:
            downgraded += 1
            services += result
    return {
        "subscriptions_expired": len(due),
        "users_downgraded": downgraded,
        "services_deactivated": services,
    }
