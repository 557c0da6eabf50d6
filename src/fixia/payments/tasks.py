"""Scheduled payments work: subscription expiry and renewal reminders."""

from __future__ import annotations

from datetime import timedelta

import procrastinate
from sqlalchemy import select

from fixia.accounts.models import User
from fixia.db import transactional, utcnow
from fixia.payments import expiry
from fixia.payments.models import Subscription
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
                body=f"Hola {user.name}:\n\nTu plan {subscription.plan} vence el {ends}. "
                "Renovalo desde tu cuenta para que tus servicios sigan publicados.\n",
            )
            queued += 1
    return queued


TASKS = [
    TaskSpec(
        "payments.expire_subscriptions",
        expire_subscriptions,
        cron=lambda q: q.expire_subscriptions_cron,
    ),
    TaskSpec(
        "payments.renewal_reminders", renewal_reminders, cron=lambda q: q.renewal_reminders_cron
    ),
]
