"""Scheduled accounts work: purging expired tokens."""

from __future__ import annotations

import procrastinate
from sqlalchemy import delete

from fixia.accounts.models import OneTimeToken, RefreshToken
from fixia.db import transactional, utcnow
from fixia.queue.core import TaskSpec, runtime_of


async def purge_expired_tokens(context: procrastinate.JobContext, timestamp: int) -> int:
    """Expired refresh tokens (sessions) and one-time links are refused anyway; keeping them
    only keeps their hashes around. A used refresh token still inside its lifetime stays:
    reuse detection needs it."""
    runtime = runtime_of(context)
    now = utcnow()
    async with transactional(runtime.sessions) as session:
        sessions = await session.execute(delete(RefreshToken).where(RefreshToken.expires_at < now))
        links = await session.execute(delete(OneTimeToken).where(OneTimeToken.expires_at < now))
    return int(getattr(sessions, "rowcount", 0) or 0) + int(getattr(links, "rowcount", 0) or 0)


TASKS = [
    TaskSpec(
        "accounts.purge_expired_tokens", purge_expired_tokens, cron=lambda q: q.purge_tokens_cron
    )
]
