"""Sending and reading messages: masking before the reveal, attachments, read receipts, and
the stream events each step owes both parties. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import User
from fixia.config import Settings
from fixia.conversations import exceptions as exc
from fixia.conversations import moderation
from fixia.conversations.masking import mask
from fixia.conversations.models import Conversation, Message
from fixia.conversations.service import other_party, set_archived, unread_total
from fixia.db import utcnow, uuid7
from fixia.matches.reveal import revealed_between
from fixia.media.models import MediaAsset, MediaKind, MediaStatus
from fixia.platform.pagination import SortKey, paginate, split_page
from fixia.streams import store

MASKED_NOTICE = (
    "Ocultamos datos de contacto ({kinds}): se comparten en Fixia después de ver el contacto "
    "del trabajo, para cuidar a ambas partes."
)


async def _attachments(
    session: AsyncSession,
    settings: Settings,
    sender: User,
    ids: list[uuid.UUID],
    uploaded: Sequence[MediaAsset] = (),
) -> list[str]:
    """`uploaded`: images this request just accepted for the sender (the web form's file),
    still pending their variants; the thread shows them once processed."""
    if len(ids) + len(uploaded) > settings.conversations.max_attachments:
        raise exc.InvalidAttachment(
            "attachment_ids",
            f"At most {settings.conversations.max_attachments} attachments per message.",
        )
    fresh = [str(a.id) for a in uploaded if a.owner_id == sender.id]
    if not ids:
        return fresh
    rows = (await session.execute(select(MediaAsset).where(MediaAsset.id.in_(ids)))).scalars().all()
    usable = {
        a.id
        for a in rows
        if a.owner_id == sender.id
        and a.status is MediaStatus.ready
        and a.kind is not MediaKind.document
    }
    if usable != set(ids):
        raise exc.InvalidAttachment(
            "attachment_ids", "Attach your own images, once they are processed."
        )
    return [str(i) for i in ids] + fresh


def message_event(message: Message, sender_name: str) -> dict[str, Any]:
    return {
        "id": str(message.id),
        "conversation_id": str(message.conversation_id),
        "sender_id": str(message.sender_id),
        "sender_name": sender_name,
        "body": message.body,
        "attachment_ids": message.attachment_ids,
        "created_at": message.created_at.isoformat(),
    }


async def send(
    *,
    session: AsyncSession,
    settings: Settings,
    conversation: Conversation,
    sender: User,
    body: str,
    attachment_ids: list[uuid.UUID],
    uploaded: Sequence[MediaAsset] = (),
) -> tuple[Message, str | None]:
    """Store the message (masked before the reveal) and its events; returns the message and,
    when something was masked, the notice the sender sees."""
    body = body.strip()
    if len(body) > settings.conversations.max_chars:
        raise exc.MessageTooLong("body", f"At most {settings.conversations.max_chars} characters.")
    attachments = await _attachments(session, settings, sender, attachment_ids, uploaded)
    recipient_id = other_party(conversation, sender.id)
    kinds: tuple[str, ...] = ()
    if body and not await revealed_between(session=session, user_a=sender.id, user_b=recipient_id):
        masked = mask(body)
        body, kinds = masked.text, masked.kinds
    now = utcnow()
    message = Message(
        id=uuid7(),
        conversation_id=conversation.id,
        sender_id=sender.id,
        recipient_id=recipient_id,
        body=body,
        masked=list(kinds),
        attachment_ids=attachments,
        created_at=now,
    )
    session.add(message)
    conversation.last_message_at = now
    set_archived(conversation, recipient_id, False)  # a new message brings it back
    notice = None
    if kinds:
        notice = MASKED_NOTICE.format(kinds=", ".join(kinds))
        await moderation.count_masked(
            session=session, settings=settings, conversation=conversation, sender=sender
        )
    await session.flush()
    await _announce_message(session, message, sender.name)
    return message, notice


async def _announce_message(session: AsyncSession, message: Message, sender_name: str) -> None:
    data = message_event(message, sender_name)
    # Stored together (two statements, not nine): the recipient's message and new unread
    # count, and the message for the sender's other tabs.
    await store.append_many(
        session,
        [
            (message.recipient_id, "message", data),
            (message.sender_id, "message", data),
            (message.recipient_id, "unread", _unread(session, message.recipient_id)),
        ],
    )


def _unread(session: AsyncSession, user_id: uuid.UUID) -> Callable[[], Awaitable[dict[str, Any]]]:
    """The user's unread total, counted under their stream's cursor lock (store.append_many)."""

    async def read() -> dict[str, Any]:
        return {"messages": await unread_total(session=session, user_id=user_id)}

    return read


async def history(
    *, session: AsyncSession, conversation: Conversation, cursor: str | None, limit: int
) -> tuple[list[Message], str | None]:
    """Newest first (keyset): the page after `cursor` holds older messages."""
    stmt = select(Message).where(Message.conversation_id == conversation.id)
    keys = [SortKey(Message.created_at, descending=True), SortKey(Message.id, descending=True)]
    rows = list((await session.execute(paginate(stmt, keys, cursor, limit))).all())
    page, next_cursor = split_page(rows, limit)
    return [r[0] for r in page], next_cursor


async def mark_read(
    *, session: AsyncSession, conversation: Conversation, reader: User
) -> datetime | None:
    """Read receipts: the reader's unread messages here are read now; the sender hears."""
    now = utcnow()
    result = await session.execute(
        update(Message)
        .where(
            Message.conversation_id == conversation.id,
            Message.recipient_id == reader.id,
            Message.read_at.is_(None),
        )
        .values(read_at=now)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    receipt = {"conversation_id": str(conversation.id), "read_at": now.isoformat()}
    await store.append_many(
        session,
        [
            (other_party(conversation, reader.id), "read", receipt),
            (reader.id, "unread", _unread(session, reader.id)),
        ],
    )
    return now
