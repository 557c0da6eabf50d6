"""Signals one domain sends another through the queue. Each names a task the receiving domain
binds (its `tasks.py`), so the sender imports neither that domain nor its models: reviews and
matches tell trust its inputs changed, and trust reads reviews and matches.

Each call queues the job in the sender's transaction (fixia.queue.defer), so it runs only if
that commits, one job per user at a time (the lock)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from fixia.queue.defer import defer

TRUST_RECOMPUTE = "trust.recompute"


async def trust_inputs_changed(session: AsyncSession, user_id: uuid.UUID) -> None:
    """What changes a trust score, said from where it changes."""
    await defer(session, TRUST_RECOMPUTE, lock=f"trust:{user_id}", user_id=str(user_id))
