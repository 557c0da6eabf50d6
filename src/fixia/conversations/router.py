from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status
from fastapi.responses import StreamingResponse

from fixia.accounts.dependencies import AdminUser, CurrentUser
from fixia.conversations import messaging, moderation, presenters, service
from fixia.conversations.dependencies import PartyConversation
from fixia.conversations.live import counts_hello
from fixia.conversations.models import MessageReport
from fixia.conversations.schemas import (
    ArchiveIn,
    ConversationOpen,
    ConversationOut,
    MessageIn,
    MessageOut,
    ReportIn,
    ReportOut,
    SentOut,
    UnreadOut,
)
from fixia.deps import SessionDep, SettingsDep
from fixia.platform.pagination import CursorParam, LimitParam, Page
from fixia.streams.http import StreamAdmission, stream_response

router = APIRouter(tags=["conversations"])


@router.post("/conversations", status_code=status.HTTP_200_OK)
async def open_conversation(
    data: ConversationOpen, user: CurrentUser, session: SessionDep
) -> ConversationOut:
    found = await service.open_for(
        session=session, user=user, context_type=data.context_type, context_id=data.context_id
    )
    await session.flush()
    [out] = await presenters.conversations_out(session, user.id, [found])
    return out


@router.get("/conversations")
async def list_conversations(
    user: CurrentUser,
    session: SessionDep,
    archived: bool = False,
    cursor: CursorParam = None,
    limit: LimitParam = 20,
) -> Page[ConversationOut]:
    items, next_cursor = await service.list_for(
        session=session, user=user, archived=archived, cursor=cursor, limit=limit
    )
    out = await presenters.conversations_out(session, user.id, items)
    return Page(items=out, next_cursor=next_cursor, limit=limit)


@router.get("/conversations/unread")
async def unread(user: CurrentUser, session: SessionDep) -> UnreadOut:
    by = await service.unread_by_conversation(session=session, user_id=user.id)
    return UnreadOut(total=sum(by.values()), by_conversation=by)


@router.get("/conversations/{conversation_id}")
async def get_conversation(
    conversation: PartyConversation, user: CurrentUser, session: SessionDep
) -> ConversationOut:
    [out] = await presenters.conversations_out(session, user.id, [conversation])
    return out


@router.get("/conversations/{conversation_id}/messages")
async def list_messages(
    conversation: PartyConversation,
    session: SessionDep,
    settings: SettingsDep,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[MessageOut]:
    items, next_cursor = await messaging.history(
        session=session, conversation=conversation, cursor=cursor, limit=limit
    )
    out = await presenters.messages_out(session, settings, items)
    return Page(items=out, next_cursor=next_cursor, limit=limit)


@router.post("/conversations/{conversation_id}/messages", status_code=status.HTTP_201_CREATED)
async def send_message(
    conversation: PartyConversation,
    data: MessageIn,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> SentOut:
    message, notice = await messaging.send(
        session=session,
        settings=settings,
        conversation=conversation,
        sender=user,
        body=data.body,
        attachment_ids=data.attachment_ids,
    )
    [out] = await presenters.messages_out(session, settings, [message])
    return SentOut(**out.model_dump(), notice=notice)


@router.post("/conversations/{conversation_id}/read", status_code=status.HTTP_204_NO_CONTENT)
async def mark_read(
    conversation: PartyConversation, user: CurrentUser, session: SessionDep
) -> None:
    await messaging.mark_read(session=session, conversation=conversation, reader=user)


@router.put("/conversations/{conversation_id}/archived")
async def archive(
    conversation: PartyConversation, data: ArchiveIn, user: CurrentUser, session: SessionDep
) -> ConversationOut:
    service.set_archived(conversation, user.id, data.archived)
    [out] = await presenters.conversations_out(session, user.id, [conversation])
    return out


@router.post(
    "/conversations/{conversation_id}/messages/{message_id}/report",
    status_code=status.HTTP_201_CREATED,
)
async def report_message(
    conversation: PartyConversation,
    message_id: uuid.UUID,
    data: ReportIn,
    user: CurrentUser,
    session: SessionDep,
) -> ReportOut:
    entry = await moderation.report(
        session=session,
        conversation=conversation,
        reporter=user,
        message_id=message_id,
        reason=data.reason,
    )
    return report_out(entry)


def report_out(entry: MessageReport) -> ReportOut:
    return ReportOut(
        id=entry.id,
        conversation_id=entry.conversation_id,
        message_id=entry.message_id,
        reason=entry.reason,
        automatic=entry.reporter_id is None,
        created_at=entry.created_at,
    )


@router.get("/admin/conversations/reports")
async def open_reports(
    admin: AdminUser, session: SessionDep, cursor: CursorParam = None, limit: LimitParam = 20
) -> Page[ReportOut]:
    items, next_cursor = await moderation.open_reports(session=session, cursor=cursor, limit=limit)
    return Page(items=[report_out(r) for r in items], next_cursor=next_cursor, limit=limit)


@router.get("/admin/conversations/{conversation_id}/messages")
async def admin_messages(
    conversation_id: uuid.UUID,
    admin: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[MessageOut]:
    conversation = await moderation.admin_conversation(
        session=session, admin=admin, conversation_id=conversation_id
    )
    items, next_cursor = await messaging.history(
        session=session, conversation=conversation, cursor=cursor, limit=limit
    )
    out = await presenters.messages_out(session, settings, items)
    return Page(items=out, next_cursor=next_cursor, limit=limit)


@router.post("/admin/conversations/{conversation_id}/resolve")
async def resolve_reports(
    conversation_id: uuid.UUID, data: ReportIn, admin: AdminUser, session: SessionDep
) -> dict[str, int]:
    conversation = await moderation.admin_conversation(
        session=session, admin=admin, conversation_id=conversation_id
    )
    closed = await moderation.resolve(
        session=session, admin=admin, conversation=conversation, note=data.reason
    )
    return {"resolved": closed}


@router.get("/stream", response_class=StreamingResponse)
async def stream(
    request: Request, _admitted: StreamAdmission, user: CurrentUser
) -> StreamingResponse:
    """Server-Sent Events: message, read, unread and notification events, resumable with
    Last-Event-ID (docs/conversations.md)."""
    return stream_response(request, user.id, counts_hello(request, user.id))
