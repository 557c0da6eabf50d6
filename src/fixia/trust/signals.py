"""What changes a trust score, said from where it changes: each call queues a recompute
for after the commit (fixia.queue.defer), one job per user at a time (the lock)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from fixia.queue.defer import defer

RECOMPUTE = "trust.recompute"


async def inputs_changed(session: AsyncSession, user_id: uuid.UUID) -> None:
    await defer(session, RECOMPUTE, lock=f"trust:{user_id}", user_id=str(user_id))
