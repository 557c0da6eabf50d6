"""The queue's own tasks: sending e-mail, and keeping the queue healthy."""

from __future__ import annotations

from datetime import timedelta

import procrastinate
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.db import transactional, utcnow
from fixia.platform.email import Email
from fixia.queue.core import TaskSpec, runtime_of
from fixia.queue.defer import defer
from fixia.queue.models import EmailDelivery

SEND_EMAIL = "email.send"


async def queue_email(session: AsyncSession, *, key: str, to: str, subject: str, body: str) -> None:
    """E-mail `to` once this session commits. `key` names the message: the same key is sent
    once however often its job runs."""
    await defer(session, SEND_EMAIL, key=key[:200], to=to, subject=subject, body=body)


async def send_email(
    context: procrastinate.JobContext, *, key: str, to: str, subject: str, body: str
) -> str:
    """Send, then record the key. SMTP and the database cannot commit together: a crash
    between the two re-sends on retry (at least once), with the same Message-ID so a
    receiver can tell; every other re-run finds the key and sends nothing."""
    runtime = runtime_of(context)
    async with transactional(runtime.sessions) as session:
        if await session.get(EmailDelivery, key) is not None:
            return "already sent"
    await runtime.mailer.send(Email(to=to, subject=subject, body=body, message_id=key))
    async with transactional(runtime.sessions) as session:
        if await session.get(EmailDelivery, key) is None:
            session.add(EmailDelivery(key=key, sent_at=utcnow()))
    return "sent"


async def retry_stalled(context: procrastinate.JobContext, timestamp: int) -> int:
    """Jobs of a worker that died (kill -9, a lost host) stay 'doing'; once its heartbeat is
    older than `stalled_after_s`, they go back to the queue."""
    runtime = runtime_of(context)
    manager = context.app.job_manager
    stalled = list(
        await manager.get_stalled_jobs(
            seconds_since_heartbeat=runtime.settings.queue.stalled_after_s
        )
    )
    for job in stalled:
        await manager.retry_job(job)
    return len(stalled)


async def prune_finished(context: procrastinate.JobContext, timestamp: int) -> int:
    """Succeeded jobs are history: keep `keep_finished_days` of them. Failed ones stay until
    an operator retries or deletes them (docs/runbooks/QueueJobsFailing.md)."""
    runtime = runtime_of(context)
    if runtime.settings.is_sqlite:
        return 0
    cutoff = utcnow() - timedelta(days=runtime.settings.queue.keep_finished_days)
    async with transactional(runtime.sessions) as session:
        result = await session.execute(
            text(
                "DELETE FROM procrastinate_jobs WHERE status = 'succeeded' AND id IN ("
                " SELECT job_id FROM procrastinate_events"
                " WHERE type = 'succeeded' AND at < :cutoff)"
            ),
            {"cutoff": cutoff},
        )
    return int(getattr(result, "rowcount", 0) or 0)


TASKS = [
    TaskSpec("email.send", send_email),
    TaskSpec(
        "queue.retry_stalled", retry_stalled, cron=lambda q: q.retry_stalled_cron, retry=False
    ),
    TaskSpec("queue.prune_finished", prune_finished, cron=lambda q: "41 4 * * *", retry=False),
]
