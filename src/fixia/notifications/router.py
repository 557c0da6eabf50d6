from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from fixia.accounts.dependencies import CurrentUser
from fixia.deps import SessionDep
from fixia.notifications import service
from fixia.notifications.schemas import NotificationOut, UnreadCount
from fixia.platform.pagination import Page

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get("")
async def list_notifications(
    user: CurrentUser,
    session: SessionDep,
    unread: bool = False,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[NotificationOut]:
    items, next_cursor = await service.list_for(
        session=session, user=user, unread_only=unread, cursor=cursor, limit=limit
    )
    return Page(
        items=[NotificationOut.model_validate(n) for n in items],
        next_cursor=next_cursor,
        limit=limit,
    )


@router.get("/unread-count")
async def unread_count(user: CurrentUser, session: SessionDep) -> UnreadCount:
    return UnreadCount(unread=await service.unread_count(session=session, user=user))


@router.post("/read-all", status_code=status.HTTP_204_NO_CONTENT)
async def mark_all_read(user: CurrentUser, session: SessionDep) -> None:
    await service.mark_all_read(session=session, user=user)


@router.post("/{notification_id}/read")
async def mark_read(
    notification_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> NotificationOut:
    note = await service.mark_read(session=session, user=user, notification_id=notification_id)
    return NotificationOut.model_validate(note)


@router.delete("/{notification_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_notification(
    notification_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> None:
    await service.remove(session=session, user=user, notification_id=notification_id)
