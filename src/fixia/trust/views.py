"""Web pages: a user's verification requests, and the admins' review queue."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import User
from fixia.accounts.web_session import Admin, SignedIn
from fixia.deps import SessionDep
from fixia.trust import verifications
from fixia.trust.models import VerificationType
from fixia.trust.presenters import admin_verification_out, verification_out
from fixia.trust.schemas import Decision, VerificationCreate
from fixia.web.pages import (
    FORM_ERRORS,
    WEB_PAGE_SIZE,
    cursor_param,
    form_data,
    form_errors,
    parse,
    redirect,
    render,
)

router = APIRouter()
REQUESTABLE = [t.value for t in VerificationType if t is not VerificationType.phone]


async def _mine(request: Request, session: AsyncSession, user: User) -> dict[str, Any]:
    items, next_cursor = await verifications.mine(
        session=session, user=user, cursor=cursor_param(request), limit=WEB_PAGE_SIZE
    )
    return {
        "requests": [verification_out(v) for v in items],
        "next_cursor": next_cursor,
        "types": REQUESTABLE,
    }


@router.get("/account/verifications")
async def my_verifications(request: Request, user: SignedIn, session: SessionDep) -> Response:
    return render(request, "trust/mine.html", await _mine(request, session, user))


@router.post("/account/verifications")
async def request_verification(request: Request, user: SignedIn, session: SessionDep) -> Response:
    form = await form_data(request)
    try:
        data = parse(VerificationCreate, form)
        await verifications.create(session=session, user=user, data=data)
    except FORM_ERRORS as error:
        errors = await form_errors(session, error)
        await session.refresh(user)  # the rollback expired it; the page shows who is signed in
        context = {**await _mine(request, session, user), "errors": errors, "form": form}
        return render(request, "trust/mine.html", context, 422)
    return redirect(request, "/account/verifications", ok="verification_requested")


async def _queue(request: Request, session: AsyncSession) -> dict[str, Any]:
    items, next_cursor = await verifications.admin_queue(
        session=session, kind=None, cursor=cursor_param(request), limit=WEB_PAGE_SIZE
    )
    settings = request.app.state.settings
    documents = await verifications.documents_for(session, [v for v, _ in items])
    return {
        "requests": [admin_verification_out(v, n, settings, documents[v.id]) for v, n in items],
        "next_cursor": next_cursor,
    }


@router.get("/admin/verifications")
async def queue(request: Request, admin: Admin, session: SessionDep) -> Response:
    return render(request, "trust/queue.html", await _queue(request, session))


@router.post("/admin/verifications/{verification_id}")
async def decide(
    request: Request, verification_id: uuid.UUID, admin: Admin, session: SessionDep
) -> Response:
    form = await form_data(request)
    answer = {
        "approved": form.get("decision") == "approve",
        "reason": form.get("reason") or None,
        "notes": form.get("notes") or None,
    }
    target = await verifications.load(session, verification_id)
    try:
        decision = parse(Decision, answer)
        await verifications.decide(session=session, admin=admin, request=target, decision=decision)
    except FORM_ERRORS as error:
        errors = await form_errors(session, error)
        await session.refresh(admin)
        context = {**await _queue(request, session), "errors": errors}
        return render(request, "trust/queue.html", context, 422)
    return redirect(request, "/admin/verifications", ok="verification_decided")
