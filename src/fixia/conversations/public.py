"""What other domains may read from conversations (trust: the response-time signal)."""

from __future__ import annotations

import statistics
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.conversations.models import Message
from fixia.db import utcnow

# Only recent behaviour counts, and a bounded number of conversations is read.
WINDOW_DAYS = 90
MAX_MESSAGES = 2000


async def response_time_of(
    session: AsyncSession, user_id: uuid.UUID, *, window_days: int = WINDOW_DAYS
) -> timedelta | None:
    """The median time `user_id` took to answer, over the last `window_days`.

    In each conversation, a response time runs from the first message the other party sent
    after the user's last reply, to the user's next message. Threads the user never answered
    do not count (they are not a time); None when there is nothing to measure.
    """
    since = utcnow() - timedelta(days=window_days)
    rows = (
        await session.execute(
            select(Message.conversation_id, Message.sender_id, Message.created_at)
            .where(
                (Message.sender_id == user_id) | (Message.recipient_id == user_id),
                Message.created_at >= since,
            )
            .order_by(Message.conversation_id, Message.created_at)
            .limit(MAX_MESSAGES)
        )
    ).all()
    waits: list[float] = []
    waiting_since = None
    current = None
    for conversation_id, sender_id, created_at in rows:
        if conversation_id != current:
            current, waiting_since = conversation_id, None
        if sender_id != user_id:
            waiting_since = waiting_since or created_at
        elif waiting_since is not None:
            waits.append((created_at - waiting_since).total_seconds())
            waiting_since = None
    if not waits:
        return None
    return timedelta(seconds=statistics.median(waits))
