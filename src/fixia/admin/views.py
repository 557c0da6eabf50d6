"""Admin pages: users, review moderation, disputes and reported conversations. Every route
needs the admin role."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.web_session import Admin
from fixia.admin import service
from fixia.admin.dependencies import peer_ip
from fixia.admin.presenters import admin_user_out
from fixia.conversations import moderation as conversation_moderation
from fixia.conversations import presenters as conversation_presenters
from fixia.conversations.schemas import ReportIn
from fixia.deps import SessionDep, SettingsDep
from fixia.errors import NotFound
from fixia.matches.models import JobStatus
from fixia.matches.presenters import job_out
from fixia.matches.schemas import ResolveIn
from fixia.reviews import moderation
from fixia.reviews.dependencies import moderated_review
from fixia.reviews.presenters import flagged_out
from fixia.reviews.schemas import ModerationIn
from fixia.web.pages import (
    WEB_PAGE_SIZE,
    cursor_param,
    form_data,
    parse,
    redirect,
    render,
    validation_errors,
)

router = APIRouter(prefix="/admin")


@router.get("/users")
async def users(request: Request, admin: Admin, session: SessionDep) -> Response:
    q = (request.query_params.get("q") or "")[:100] or None
    rows, next_cursor = await service.list_users(
        session=session,
        q=q,
        role=None,
        status=None,
        cursor=request.query_params.get("cursor"),
        limit=50,
    )
    context = {
        "users": [admin_user_out(u) for u in rows],
        "next_cursor": next_cursor,
        "form": {"q": q or ""},
    }
    return render(request, "admin/users.html", context)


@router.get("/reviews")
async def flagged_reviews(request: Request, admin: Admin, session: SessionDep) -> Response:
    items, _ = await moderation.flagged_queue(session=session, cursor=None, limit=50)
    return render(request, "admin/reviews.html", {"items": [flagged_out(i) for i in items]})


@router.post("/reviews/{review_id}/{action}")
async def moderate(
    request: Request,
    review_id: uuid.UUID,
    action: str,
    admin: Admin,
    session: SessionDep,
) -> Response:
    if action not in ("hide", "restore"):
        raise NotFound()
    review = await moderated_review(admin, review_id, session)
    try:
        reason = parse(ModerationIn, await form_data(request)).reason
    except ValidationError as error:
        items, _ = await moderation.flagged_queue(session=session, cursor=None, limit=50)
        context = {"items": [flagged_out(i) for i in items], "errors": validation_errors(error)}
        return render(request, "admin/reviews.html", context, 422)
    act = moderation.hide if action == "hide" else moderation.restore
    await act(session=session, review=review, admin=admin, reason=reason)
    return redirect(request, "/admin/reviews", ok="moderated")


async def _disputes_page(request: Request, session: AsyncSession) -> dict[str, Any]:
    jobs, next_cursor = await service.disputes(
        session=session, cursor=cursor_param(request), limit=WEB_PAGE_SIZE
    )
    return {"jobs": [job_out(j) for j in jobs], "next_cursor": next_cursor}


@router.get("/disputes")
async def disputes(request: Request, admin: Admin, session: SessionDep) -> Response:
    return render(request, "admin/disputes.html", await _disputes_page(request, session))


@router.post("/disputes/{job_id}")
async def resolve(
    request: Request, job_id: uuid.UUID, admin: Admin, session: SessionDep
) -> Response:
    try:
        data = parse(ResolveIn, await form_data(request))
    except ValidationError as error:
        context = {**await _disputes_page(request, session), "errors": validation_errors(error)}
        return render(request, "admin/disputes.html", context, 422)
    await service.resolve_dispute(
        session=session,
        admin=admin,
        job_id=job_id,
        outcome=JobStatus(data.outcome),
        resolution=data.resolution,
        ip=peer_ip(request),
    )
    return redirect(request, "/admin/disputes", ok="moderated")


@router.get("/conversations")
async def reported_conversations(request: Request, admin: Admin, session: SessionDep) -> Response:
    """Open reports, newest first. Listing them reads no message, so it is not audited (the
    API's list is not either); opening one is."""
    reports, next_cursor = await conversation_moderation.open_reports(
        session=session, cursor=cursor_param(request), limit=WEB_PAGE_SIZE
    )
    rows = await conversation_presenters.reported_list(session, reports)
    return render(request, "admin/conversations.html", {"rows": rows, "next_cursor": next_cursor})


async def _thread(
    request: Request,
    admin: Admin,
    session: AsyncSession,
    settings: SettingsDep,
    conversation_id: uuid.UUID,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    # 404 when missing, 403 when never reported; audited as conversation.admin_read.
    conversation = await conversation_moderation.admin_conversation(
        session=session, admin=admin, conversation_id=conversation_id
    )
    context = await conversation_presenters.admin_thread(
        session, settings, conversation, cursor_param(request)
    )
    return render(request, "admin/conversation.html", {**context, **(extra or {})}, status)


@router.get("/conversations/{conversation_id}")
async def reported_conversation(
    request: Request,
    conversation_id: uuid.UUID,
    admin: Admin,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    return await _thread(request, admin, session, settings, conversation_id)


@router.post("/conversations/{conversation_id}/resolve")
async def resolve_conversation_reports(
    request: Request,
    conversation_id: uuid.UUID,
    admin: Admin,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    try:
        note = parse(ReportIn, await form_data(request)).reason
    except ValidationError as error:
        extra = {"errors": validation_errors(error)}
        return await _thread(request, admin, session, settings, conversation_id, extra, 422)
    # The same two audited steps as POST /api/v1/admin/conversations/{id}/resolve.
    conversation = await conversation_moderation.admin_conversation(
        session=session, admin=admin, conversation_id=conversation_id
    )
    await conversation_moderation.resolve(
        session=session, admin=admin, conversation=conversation, note=note
    )
    return redirect(request, "/admin/conversations", ok="moderated")
