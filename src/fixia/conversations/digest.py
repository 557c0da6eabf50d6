"""The unread-message digest: one e-mail per recipient for messages unread after N minutes.

Each message is mailed at most once (digested_at), and the e-mail is keyed by the newest
message it covers, so a re-run of the job sends nothing twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import User
from fixia.config import Settings
from fixia.conversations.models import Conversation, Message
from fixia.db import utcnow
from fixia.queue.tasks import queue_email

MAX_PER_RUN = 500


async def send_due(*, session: AsyncSession, settings: Settings) -> int:
    """Queue the digests due now; returns how many e-mails."""
    cutoff = utcnow() - timedelta(minutes=settings.conversations.digest_after_min)
    rows = (
        await session.execute(
            select(Message.id, Message.recipient_id, Conversation.title)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Message.read_at.is_(None),
                Message.digested_at.is_(None),
                Message.created_at <= cutoff,
            )
            .order_by(Message.created_at)
            .limit(MAX_PER_RUN)
        )
    ).all()
    per_user: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = defaultdict(list)
    for message_id, recipient_id, title in rows:
        per_user[recipient_id].append((message_id, title))
    sent = 0
    for user_id, items in per_user.items():
        user = await session.get(User, user_id)
        if user is not None and user.deleted_at is None:
            await queue_email(
                session,
                key=f"conversation-digest:{items[-1][0]}",
                to=user.email,
                subject="Fixia: tenés mensajes sin leer",
                body=_body(settings, user.name, items),
            )
            sent += 1
    await session.execute(
        update(Message).where(Message.id.in_([r[0] for r in rows])).values(digested_at=utcnow())
    )
    return sent


def _body(settings: Settings, name: str, items: list[tuple[uuid.UUID, str]]) -> str:
    titles = sorted({title for _, title in items})
    lines = "\n".join(f"- {t}" for t in titles)
    return (
        f"Hola {name}:\n\nTenés {len(items)} mensaje(s) sin leer en:\n{lines}\n\n"
        f"Leelos en {settings.public_url}/messages\n"
    )
