"""Rows to response models; attachment URLs come from the media package."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.config import Settings
from fixia.conversations import messaging, moderation, service
from fixia.conversations.models import Conversation, Message, MessageReport
from fixia.conversations.schemas import AttachmentOut, ConversationOut, MessageOut
from fixia.media import service as media_service
from fixia.media.models import MediaAsset


async def messages_out(
    session: AsyncSession, settings: Settings, messages: list[Message]
) -> list[MessageOut]:
    ids = {uuid.UUID(i) for m in messages for i in m.attachment_ids}
    assets: dict[uuid.UUID, MediaAsset] = {}
    if ids:
        rows = await session.execute(select(MediaAsset).where(MediaAsset.id.in_(ids)))
        assets = {a.id: a for a in rows.scalars()}

    def attachment(raw: str) -> AttachmentOut:
        asset = assets.get(uuid.UUID(raw))
        url = media_service.card_url(settings, asset) if asset is not None else None
        return AttachmentOut(id=uuid.UUID(raw), url=url)

    return [
        MessageOut(
            id=m.id,
            conversation_id=m.conversation_id,
            sender_id=m.sender_id,
            body=m.body,
            masked=list(m.masked),
            attachments=[attachment(a) for a in m.attachment_ids],
            created_at=m.created_at,
            read_at=m.read_at,
        )
        for m in messages
    ]


async def conversations_out(
    session: AsyncSession, viewer_id: uuid.UUID, conversations: list[Conversation]
) -> list[ConversationOut]:
    ids = [c.id for c in conversations]
    unread = await service.unread_by_conversation(session=session, user_id=viewer_id, ids=ids)
    others = {service.other_party(c, viewer_id) for c in conversations}
    names = await service.names_of(session=session, ids=others)
    return [conversation_out(c, viewer_id, names, unread.get(c.id, 0)) for c in conversations]


def conversation_out(
    c: Conversation, viewer_id: uuid.UUID, names: dict[uuid.UUID, str], unread: int
) -> ConversationOut:
    return ConversationOut(
        id=c.id,
        context_type=c.context_type,
        context_id=c.context_id,
        title=c.title,
        client_id=c.client_id,
        professional_id=c.professional_id,
        other_party_name=names.get(service.other_party(c, viewer_id), ""),
        last_message_at=c.last_message_at,
        archived=service.archived_for(c, viewer_id),
        unread=unread,
        reported=c.reported_at is not None,
    )


async def reported_list(
    session: AsyncSession, reports: list[MessageReport]
) -> list[dict[str, Any]]:
    """The admin list's rows: each open report with its conversation and both parties."""
    ids = {r.conversation_id for r in reports}
    conversations = await moderation.conversations_by_id(session=session, ids=ids)
    people = {p for c in conversations.values() for p in (c.client_id, c.professional_id)}
    names = await service.names_of(session=session, ids=people)
    rows = []
    for r in reports:
        c = conversations[r.conversation_id]
        rows.append(
            {
                "report": r,
                "conversation": c,
                "client": names.get(c.client_id, ""),
                "professional": names.get(c.professional_id, ""),
            }
        )
    return rows


async def admin_thread(
    session: AsyncSession,
    settings: Settings,
    conversation: Conversation,
    cursor: str | None,
) -> dict[str, Any]:
    """The admin read view's context: the thread (oldest first), its reports, the parties."""
    items, older = await messaging.history(
        session=session, conversation=conversation, cursor=cursor, limit=50
    )
    people = {conversation.client_id, conversation.professional_id}
    reports = await moderation.reports_of(session=session, conversation_id=conversation.id)
    return {
        "conversation": conversation,
        "names": await service.names_of(session=session, ids=people),
        "messages": list(reversed(await messages_out(session, settings, items))),
        "older_cursor": older,
        "reports": reports,
        "reported_ids": {r.message_id for r in reports if r.resolved_at is None},
        "open_reports": sum(1 for r in reports if r.resolved_at is None),
    }
