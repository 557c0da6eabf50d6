"""In-app notifications (and e-mail for the key steps). Never commits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import User
from fixia.db import utcnow, uuid7
from fixia.notifications.exceptions import NotificationNotFound
from fixia.notifications.models import Notification
from fixia.platform.pagination import SortKey, paginate, split_page
from fixia.queue.tasks import queue_email
from fixia.streams import store as stream_store


async def notify(
    *,
    session: AsyncSession,
    user_id: uuid.UUID,
    type: str,
    title: str,
    message: str,
    action_url: str | None = None,
    email: bool = False,
) -> Notification:
    """Store an in-app notification; with `email`, also e-mail it (the key steps) once the
    transaction commits, keyed by the notification so a re-run sends it once."""
    note = Notification(
        id=uuid7(), user_id=user_id, type=type, title=title, message=message, action_url=action_url
    )
    session.add(note)
    await session.flush()

    # Live on the user's stream (after the commit), with the new unread count: counted under
    # the stream's cursor lock, so a later seq never carries an older count.
    async def event() -> dict[str, Any]:
        return {
            "id": str(note.id),
            "type": type,
            "title": title,
            "message": message,
            "action_url": action_url,
            "unread": await unread_count_of(session=session, user_id=user_id),
        }

    await stream_store.append_many(session, [(user_id, "notification", event)])
    if email:
        user = await session.get(User, user_id)
        if user is not None and user.deleted_at is None:
            await queue_email(
                session,
                key=f"notification:{note.id}",
                to=user.email,
                subject=f"Fixia: {title}",
                body=f"Hola {user.name}:\n\n{message}\n",
            )
    return note


async def list_for(
    *, session: AsyncSession, user: User, unread_only: bool, cursor: str | None, limit: int
) -> tuple[list[Notification], str | None]:
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    keys = [
        SortKey(Notification.created_at, descending=True),
        SortKey(Notification.id, descending=True),
    ]
    rows = list((await session.execute(paginate(stmt, keys, cursor, limit))).all())
    page, next_cursor = split_page(rows, limit)
    return [r[0] for r in page], next_cursor


async def unread_count(*, session: AsyncSession, user: User) -> int:
    return await unread_count_of(session=session, user_id=user.id)


async def unread_count_of(*, session: AsyncSession, user_id: uuid.UUID) -> int:
    stmt = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return int((await session.execute(stmt)).scalar_one())


async def _own(*, session: AsyncSession, user: User, notification_id: uuid.UUID) -> Notification:
    note = await session.get(Notification, notification_id)
    # Someone else's notification is indistinguishable from a missing one.
    if note is None or note.user_id != user.id:
        raise NotificationNotFound()
    return note


async def mark_read(
    *, session: AsyncSession, user: User, notification_id: uuid.UUID
) -> Notification:
    note = await _own(session=session, user=user, notification_id=notification_id)
    if note.read_at is None:
        note.read_at = utcnow()
    return note


async def mark_all_read(*, session: AsyncSession, user: User) -> None:
    await session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )


async def remove(*, session: AsyncSession, user: User, notification_id: uuid.UUID) -> None:
    note = await _own(session=session, user=user, notification_id=notification_id)
    await session.execute(delete(Notification).where(Notification.id == note.id))
