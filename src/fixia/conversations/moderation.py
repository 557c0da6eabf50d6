"""Reports, automatic flags and admin access. Admins read a conversation only once it was
reported, and every read and decision lands in the audit log. Never commits."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import User
from fixia.audit import service as audit
from fixia.config import Settings
from fixia.conversations import exceptions as exc
from fixia.conversations.models import Conversation, Message, MessageReport
from fixia.db import utcnow
from fixia.platform.pagination import SortKey, paginate, split_page

REPORTED = "conversation.reported"
FLAGGED = "conversation.flagged"
ADMIN_READ = "conversation.admin_read"
RESOLVED = "conversation.report_resolved"
AUTO_REASON = "Intentos repetidos de compartir datos de contacto antes del contacto revelado"


async def count_masked(
    *, session: AsyncSession, settings: Settings, conversation: Conversation, sender: User
) -> None:
    """Flag the conversation for moderation when masking keeps catching contact details."""
    conversation.masked_count += 1
    if conversation.masked_count != settings.conversations.flag_after_masked:
        return
    session.add(
        MessageReport(conversation_id=conversation.id, reporter_id=None, reason=AUTO_REASON)
    )
    conversation.reported_at = conversation.reported_at or utcnow()
    audit.record(
        session=session,
        actor_id=None,
        action=FLAGGED,
        target_type="conversation",
        target_id=conversation.id,
        sender_id=str(sender.id),
        masked=conversation.masked_count,
    )


async def report(
    *,
    session: AsyncSession,
    conversation: Conversation,
    reporter: User,
    message_id: uuid.UUID,
    reason: str,
) -> MessageReport:
    message = await session.get(Message, message_id)
    if message is None or message.conversation_id != conversation.id:
        raise exc.MessageNotFound()
    entry = MessageReport(
        conversation_id=conversation.id,
        message_id=message.id,
        reporter_id=reporter.id,
        reason=reason,
    )
    session.add(entry)
    conversation.reported_at = conversation.reported_at or utcnow()
    await session.flush()
    audit.record(
        session=session,
        actor_id=reporter.id,
        action=REPORTED,
        target_type="conversation",
        target_id=conversation.id,
        message_id=str(message.id),
        report_id=str(entry.id),
    )
    return entry


async def open_reports(
    *, session: AsyncSession, cursor: str | None, limit: int
) -> tuple[list[MessageReport], str | None]:
    stmt = select(MessageReport).where(MessageReport.resolved_at.is_(None))
    keys = [
        SortKey(MessageReport.created_at, descending=True),
        SortKey(MessageReport.id, descending=True),
    ]
    rows = list((await session.execute(paginate(stmt, keys, cursor, limit))).all())
    page, next_cursor = split_page(rows, limit)
    return [r[0] for r in page], next_cursor


async def admin_conversation(
    *, session: AsyncSession, admin: User, conversation_id: uuid.UUID
) -> Conversation:
    """A reported conversation for an admin; the read itself is audited."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        raise exc.ConversationNotFound()
    if conversation.reported_at is None:
        raise exc.NotReported()
    audit.record(
        session=session,
        actor_id=admin.id,
        action=ADMIN_READ,
        target_type="conversation",
        target_id=conversation.id,
    )
    return conversation


async def resolve(
    *, session: AsyncSession, admin: User, conversation: Conversation, note: str
) -> int:
    """Close the conversation's open reports (admins keep their read access: it stays reported)."""
    reports = (
        (
            await session.execute(
                select(MessageReport).where(
                    MessageReport.conversation_id == conversation.id,
                    MessageReport.resolved_at.is_(None),
                )
            )
        )
        .scalars()
        .all()
    )
    now = utcnow()
    for entry in reports:
        entry.resolved_at, entry.resolved_by = now, admin.id
    audit.record(
        session=session,
        actor_id=admin.id,
        action=RESOLVED,
        target_type="conversation",
        target_id=conversation.id,
        reports=len(reports),
        note=note[:500],
    )
    return len(reports)


async def reports_of(*, session: AsyncSession, conversation_id: uuid.UUID) -> list[MessageReport]:
    """A conversation's reports, open ones first, newest first within each group."""
    stmt = (
        select(MessageReport)
        .where(MessageReport.conversation_id == conversation_id)
        .order_by(MessageReport.resolved_at.is_not(None), MessageReport.created_at.desc())
    )
    return list((await session.execute(stmt)).scalars())


async def conversations_by_id(
    *, session: AsyncSession, ids: set[uuid.UUID]
) -> dict[uuid.UUID, Conversation]:
    if not ids:
        return {}
    rows = await session.execute(select(Conversation).where(Conversation.id.in_(ids)))
    return {c.id: c for c in rows.scalars()}
