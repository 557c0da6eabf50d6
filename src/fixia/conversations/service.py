"""Conversations: opening one for a context, listing, unread counts, archive. Never commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import User
from fixia.conversations import exceptions as exc
from fixia.conversations.models import ContextType, Conversation, Message
from fixia.db import utcnow
from fixia.matches import requests as requests_service
from fixia.matches import service as matches_service
from fixia.platform.pagination import SortKey, paginate, split_page
from fixia.projects import proposals as proposals_service


@dataclass(frozen=True)
class Parties:
    client_id: uuid.UUID
    professional_id: uuid.UUID
    title: str


async def _parties(
    session: AsyncSession, context_type: ContextType, context_id: uuid.UUID
) -> Parties | None:
    if context_type is ContextType.proposal:
        proposal = await proposals_service.load_proposal(session=session, proposal_id=context_id)
        if proposal is None:
            return None
        project = proposal.project
        return Parties(project.client_id, proposal.professional_id, project.title)
    if context_type is ContextType.service_request:
        request = await requests_service.load_request(session=session, request_id=context_id)
        if request is None:
            return None
        return Parties(request.client_id, request.professional_id, request.service.title)
    job = await matches_service.load_job(session=session, job_id=context_id)
    if job is None:
        return None
    return Parties(job.client_id, job.professional_id, job.title)


async def open_for(
    *, session: AsyncSession, user: User, context_type: ContextType, context_id: uuid.UUID
) -> Conversation:
    """The conversation of this context between its two parties, created on first use."""
    parties = await _parties(session, context_type, context_id)
    if parties is None or user.id not in (parties.client_id, parties.professional_id):
        raise exc.ContextNotFound()
    if parties.client_id == parties.professional_id:
        raise exc.ContextNotFound()
    key = (
        Conversation.context_type == context_type,
        Conversation.context_id == context_id,
        Conversation.client_id == parties.client_id,
        Conversation.professional_id == parties.professional_id,
    )
    found = (await session.execute(select(Conversation).where(*key))).scalar_one_or_none()
    if found is not None:
        return found
    conversation = Conversation(
        context_type=context_type,
        context_id=context_id,
        client_id=parties.client_id,
        professional_id=parties.professional_id,
        title=parties.title[:120],
    )
    try:
        # A savepoint: two first messages at once create it once; the loser reads it.
        async with session.begin_nested():
            session.add(conversation)
    except IntegrityError:
        return (await session.execute(select(Conversation).where(*key))).scalar_one()
    return conversation


def is_party(conversation: Conversation, user_id: uuid.UUID) -> bool:
    return user_id in (conversation.client_id, conversation.professional_id)


def other_party(conversation: Conversation, user_id: uuid.UUID) -> uuid.UUID:
    if user_id == conversation.client_id:
        return conversation.professional_id
    return conversation.client_id


async def party_conversation(
    *, session: AsyncSession, user: User, conversation_id: uuid.UUID, lock: bool = False
) -> Conversation:
    stmt = select(Conversation).where(Conversation.id == conversation_id)
    if lock:
        stmt = stmt.with_for_update()
    found = (await session.execute(stmt)).scalar_one_or_none()
    # Someone else's conversation is indistinguishable from a missing one.
    if found is None or not is_party(found, user.id):
        raise exc.ConversationNotFound()
    return found


def archived_for(conversation: Conversation, user_id: uuid.UUID) -> bool:
    if user_id == conversation.client_id:
        return conversation.client_archived_at is not None
    return conversation.professional_archived_at is not None


def set_archived(conversation: Conversation, user_id: uuid.UUID, archived: bool) -> None:
    value = utcnow() if archived else None
    if user_id == conversation.client_id:
        conversation.client_archived_at = value
    else:
        conversation.professional_archived_at = value


async def list_for(
    *, session: AsyncSession, user: User, archived: bool, cursor: str | None, limit: int
) -> tuple[list[Conversation], str | None]:
    """The caller's conversations, most recent message first (keyset)."""
    mine_as_client = and_(
        Conversation.client_id == user.id,
        Conversation.client_archived_at.isnot(None)
        if archived
        else Conversation.client_archived_at.is_(None),
    )
    mine_as_pro = and_(
        Conversation.professional_id == user.id,
        Conversation.professional_archived_at.isnot(None)
        if archived
        else Conversation.professional_archived_at.is_(None),
    )
    stmt = select(Conversation).where(or_(mine_as_client, mine_as_pro))
    keys = [
        SortKey(Conversation.last_message_at, descending=True),
        SortKey(Conversation.id, descending=True),
    ]
    rows = list((await session.execute(paginate(stmt, keys, cursor, limit))).all())
    page, next_cursor = split_page(rows, limit)
    return [r[0] for r in page], next_cursor


async def unread_by_conversation(
    *, session: AsyncSession, user_id: uuid.UUID, ids: list[uuid.UUID] | None = None
) -> dict[uuid.UUID, int]:
    stmt = (
        select(Message.conversation_id, func.count())
        .where(Message.recipient_id == user_id, Message.read_at.is_(None))
        .group_by(Message.conversation_id)
    )
    if ids is not None:
        stmt = stmt.where(Message.conversation_id.in_(ids))
    return {cid: int(n) for cid, n in (await session.execute(stmt)).all()}


async def unread_total(*, session: AsyncSession, user_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(Message.recipient_id == user_id, Message.read_at.is_(None))
    return int((await session.execute(stmt)).scalar_one())


async def names_of(*, session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return {uid: name for uid, name in rows.all()}
