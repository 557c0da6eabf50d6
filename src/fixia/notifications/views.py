"""The notifications page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fixia.accounts.web_session import SignedIn
from fixia.deps import SessionDep
from fixia.notifications import service
from fixia.notifications.schemas import NotificationOut
from fixia.web.pages import redirect, render

router = APIRouter()


@router.get("/notifications")
async def notifications(request: Request, user: SignedIn, session: SessionDep) -> Response:
    items, next_cursor = await service.list_for(
        session=session,
        user=user,
        unread_only=False,
        cursor=request.query_params.get("cursor"),
        limit=30,
    )
    context = {
        "items": [NotificationOut.model_validate(n) for n in items],
        "next_cursor": next_cursor,
    }
    return render(request, "notifications/list.html", context)


@router.post("/notifications/read-all")
async def mark_all_read(request: Request, user: SignedIn, session: SessionDep) -> Response:
    await service.mark_all_read(session=session, user=user)
    return redirect(request, "/notifications", ok="all_read")
