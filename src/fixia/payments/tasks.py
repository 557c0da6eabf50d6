"""Scheduled payments work: subscription expiry and renewal reminders."""

from __future__ import annotations

from datetime import datetime, timedelta

import procrastinate
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixia.accounts.models import User
from fixia.config import Settings
from fixia.db import transactional, utcnow
from fixia.payments import expiry, renewals, webhooks
from fixia.payments.exceptions import ProviderRejected, ProviderUnavailable
from fixia.payments.models import Subscription
from fixia.payments.providers import PaymentProvider, build_provider
from fixia.payments.subscriptions import RUNNING
from fixia.queue.core import TaskSpec, runtime_of
from fixia.queue.models import EmailDelivery
from fixia.queue.tasks import queue_email


async def expire_subscriptions(context: procrastinate.JobContext, timestamp: int) -> dict[str, int]:
    """Expire what is due and downgrade its users; their listings' cached pages are dropped
    after the commit (expiry invalidates them)."""
    runtime = runtime_of(context)
    async with transactional(runtime.sessions) as session:
        return await expiry.expire_due(session=session, settings=runtime.settings)


async def renewal_reminders(context: procrastinate.JobContext, timestamp: int) -> int:
    """E-mail each running subscription that ends within `renewal_reminder_days`, once per
    subscription and end date: the message key is recorded when sent, so daily runs and
    retries do not repeat it."""
    runtime = runtime_of(context)
    now = utcnow()
    horizon = now + timedelta(days=runtime.settings.queue.renewal_reminder_days)
    queued = 0
    async with transactional(runtime.sessions) as session:
        stmt = (
            select(Subscription, User)
            .join(User, User.id == Subscription.user_id)
            .where(
                Subscription.status.in_(RUNNING),
                Subscription.expires_at > now,
                Subscription.expires_at <= horizon,
                User.deleted_at.is_(None),
            )
        )
        for subscription, user in (await session.execute(stmt)).all():
            assert subscription.expires_at is not None  # filtered above
            key = f"renewal:{subscription.id}:{subscription.expires_at.date().isoformat()}"
            if await session.get(EmailDelivery, key) is not None:
                continue
            ends = subscription.expires_at.date().strftime("%d/%m/%Y")
            await queue_email(
                session,
                key=key,
                to=user.email,
                subject="Tu plan de Fixia vence pronto",
                body=_reminder(runtime.settings, subscription, user, ends),
            )
            queued += 1
    return queued


def _reminder(settings: Settings, subscription: Subscription, user: User, ends: str) -> str:
    if subscription.auto_renew and subscription.agreement_id:
        price = settings.plan(subscription.plan).price_ars
        return (
            f"Hola {user.name}:\n\nTu plan {subscription.plan} se renueva automáticamente el "
            f"{ends}: Mercado Pago te cobrará ${price}. Si no querés renovarlo, desactivá la "
            "renovación desde tu cuenta antes de esa fecha.\n"
        )
    return (
        f"Hola {user.name}:\n\nTu plan {subscription.plan} vence el {ends}. "
        "Renovalo desde tu cuenta para que tus servicios sigan publicados.\n"
    )


async def renew_subscriptions(context: procrastinate.JobContext, timestamp: int) -> dict[str, int]:
    """Open the periods that are due, ask the provider for each unpaid period's charge with
    no transaction open, apply each answer in its own transaction (like a webhook), then dun
    what runs on grace. Safe to re-run and to overlap with the provider's notifications."""
    runtime = runtime_of(context)
    provider = build_provider(runtime.settings)
    return await renew(runtime.sessions, runtime.settings, provider, now=utcnow())


async def renew(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    provider: PaymentProvider,
    *,
    now: datetime,
) -> dict[str, int]:
    """The scheduler's renewal pass, with the clock and the provider injected (tests)."""
    counts = {"opened": 0, "applied": 0, "unavailable": 0, "dunned": 0}
    async with transactional(sessions) as session:
        counts["opened"] = await renewals.open_due(
            session=session, settings=settings, provider=provider.name, now=now
        )
        charges = await renewals.collectable(session=session, settings=settings, now=now)
    for request in charges:
        try:
            remote = await provider.charge(request)
        except (ProviderUnavailable, ProviderRejected):
            counts["unavailable"] += 1  # the next run asks again
            continue
        async with transactional(sessions) as session:
            result = await webhooks.apply(
                session=session, settings=settings, provider=provider.name,
                notice=webhooks.polled(provider.name, remote), remote=remote,
                reference=request.reference,
            )  # fmt: skip
        counts["applied"] += result == "applied"
    async with transactional(sessions) as session:
        counts["dunned"] = await renewals.dun_overdue(session=session, settings=settings, now=now)
    return counts


async def cancel_agreement(context: procrastinate.JobContext, *, agreement_id: str) -> str:
    """After the commit that stopped renewing: the provider stops charging. Retried by the
    queue while the provider is down; cancelling twice is harmless."""
    provider = build_provider(runtime_of(context).settings)
    try:
        await provider.cancel_agreement(agreement_id)
    except ProviderRejected:
        return "unknown agreement"
    return "cancelled"


TASKS = [
    TaskSpec(
        "payments.expire_subscriptions",
        expire_subscriptions,
        cron=lambda q: q.expire_subscriptions_cron,
    ),
    TaskSpec(
        "payments.renewal_reminders", renewal_reminders, cron=lambda q: q.renewal_reminders_cron
    ),
    TaskSpec(
        "payments.renew_subscriptions",
        renew_subscriptions,
        cron=lambda q: q.renew_subscriptions_cron,
    ),
    TaskSpec(renewals.CANCEL_AGREEMENT, cancel_agreement),
]
