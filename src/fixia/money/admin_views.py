"""The admin's page for disputed milestones: release, full refund or partial refund, audited
like the API (`POST /api/v1/admin/milestones/{id}/resolve`). No JavaScript."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.web_session import Admin
from fixia.admin.dependencies import peer_ip
from fixia.deps import SessionDep, SettingsDep
from fixia.money import disputes
from fixia.money.presenters import milestone_out
from fixia.money.schemas import ResolveIn
from fixia.web.pages import (
    FORM_ERRORS,
    WEB_PAGE_SIZE,
    form_data,
    form_errors,
    parse,
    redirect,
    render,
)

router = APIRouter(prefix="/admin/milestones")
PAGE = "/admin/milestones"


async def _page(session: AsyncSession) -> dict[str, Any]:
    rows = await disputes.open_disputes(session, WEB_PAGE_SIZE)
    items = [(await milestone_out(session, m), m.dispute_reason, j) for m, j in rows]
    return {"items": items, "failed": ""}


@router.get("")
async def disputed(request: Request, admin: Admin, session: SessionDep) -> Response:
    return render(request, "admin/milestones.html", await _page(session))


@router.post("/{milestone_id}/resolve")
async def resolve(
    request: Request,
    milestone_id: uuid.UUID,
    admin: Admin,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    form = await form_data(request)
    if form.get("outcome") != "partial":
        form.pop("refund_amount", None)  # only a partial refund names an amount
    elif isinstance(form.get("refund_amount"), str):
        form["refund_amount"] = form["refund_amount"].strip().replace(",", ".")
    try:
        data = parse(ResolveIn, form)
        await disputes.resolve(session=session, settings=settings, admin=admin,
                               milestone_id=milestone_id, outcome=data.outcome,
                               amount=data.refund_amount, ip=peer_ip(request))  # fmt: skip
    except FORM_ERRORS as error:
        errors = await form_errors(session, error)
        await session.refresh(admin)  # the refusal rolled back: the page reads it again
        context = {**await _page(session), "errors": errors, "failed": str(milestone_id)}
        return render(request, "admin/milestones.html", context, 422)
    return redirect(request, PAGE, ok="milestone_resolved")
