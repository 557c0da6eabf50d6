"""Milestones and payouts in the browser. Either party proposes a plan and the other accepts
it; the client funds through the provider's checkout (the sandbox's own page in development
and tests) and approves; the professional marks done, links a payout account through the
provider's consent page and reads the payout report. Everything works without JavaScript."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import User
from fixia.accounts.web_session import Professional, SignedIn
from fixia.deps import SessionDep, SettingsDep
from fixia.matches.models import Job
from fixia.money import funding, linking, payouts, service
from fixia.money.models import MilestoneStatus
from fixia.money.presenters import plan_out
from fixia.money.schemas import MilestoneOut, PlanIn
from fixia.payments.dependencies import ProviderDep
from fixia.web.flash import N_
from fixia.web.pages import FORM_ERRORS, form_data, form_errors, parse, redirect, render

router = APIRouter()
ACTIONS = ("done", "approve", "dispute")
# Blank rows of the plan form: a plan of up to this many milestones needs no JavaScript.
PLAN_ROWS = 5
EDITABLE = (MilestoneStatus.proposed, MilestoneStatus.agreed)
LINK_DECLINED = N_("No vinculamos ninguna cuenta: la autorización se canceló o llegó incompleta.")
# Argentina has no daylight saving: a due date is that day, noon, in Argentine time.
DUE_TIME = "T12:00:00-03:00"
ARGENTINA = ZoneInfo("America/Argentina/Buenos_Aires")


def _listed(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value or "")]


def plan_rows(data: dict[str, Any]) -> list[dict[str, str]]:
    """The plan form's rows (repeated title/amount/due_date fields), blank rows dropped."""
    titles, amounts, dues = (_listed(data.get(k)) for k in ("title", "amount", "due_date"))
    rows = []
    for n, title in enumerate(titles[:20]):
        amount = amounts[n].strip() if n < len(amounts) else ""
        due = dues[n].strip() if n < len(dues) else ""
        if title.strip() or amount or due:
            rows.append({"title": title, "amount": amount.replace(",", "."), "due_date": due})
    return rows


def _plan_input(rows: list[dict[str, str]]) -> dict[str, Any]:
    items = [{**r, "due_date": r["due_date"] + DUE_TIME if r["due_date"] else ""} for r in rows]
    return {"milestones": [{k: v for k, v in i.items() if v} for i in items]}


def _row(m: MilestoneOut) -> dict[str, str]:
    due = m.due_date.astimezone(ARGENTINA).date().isoformat() if m.due_date else ""
    return {"title": m.title, "amount": str(m.amount), "due_date": due}


async def _plan_context(
    session: AsyncSession, user: User, job: Job, form: dict[str, Any] | None = None
) -> dict[str, Any]:
    plan = await plan_out(session, await service.plan_of(session, job.id))
    rows = form or {"rows": [_row(m) for m in plan]}
    blank = max(PLAN_ROWS - len(rows["rows"]), 1)
    return {
        "job": job,
        "plan": plan,
        "is_client": user.id == job.client_id,
        "can_accept": bool(plan) and plan[0].status is MilestoneStatus.proposed
        and plan[0].proposed_by != user.id,
        "can_propose": all(m.status in EDITABLE for m in plan)
        and job.status not in service.CLOSED_JOB,
        "rows": rows["rows"] + [{"title": "", "amount": "", "due_date": ""}] * blank,
        "idempotency_key": str(uuid.uuid4()),
    }  # fmt: skip


@router.get("/jobs/{job_id}/milestones")
async def milestones_page(
    request: Request, job_id: uuid.UUID, user: SignedIn, session: SessionDep
) -> Response:
    job = await service.party_job(session, user, job_id)
    return render(request, "money/milestones.html", await _plan_context(session, user, job))


@router.post("/jobs/{job_id}/milestones")
async def propose_plan(
    request: Request, job_id: uuid.UUID, user: SignedIn, session: SessionDep
) -> Response:
    job = await service.party_job(session, user, job_id)
    rows = plan_rows(await form_data(request))
    try:
        data = parse(PlanIn, _plan_input(rows))
        items = [service.PlanItem(m.title, m.amount, m.due_date) for m in data.milestones]
        await service.propose_plan(session=session, job=job, actor=user, items=items)
    except FORM_ERRORS as error:
        errors = await form_errors(session, error)
        await session.refresh(user)  # the refusal rolled back: the page reads them again
        job = await service.party_job(session, user, job_id)
        context = await _plan_context(session, user, job, {"rows": rows})
        return render(request, "money/milestones.html", {**context, "errors": errors}, 422)
    return redirect(request, f"/jobs/{job.id}/milestones", ok="plan_proposed")


@router.post("/jobs/{job_id}/milestones/accept")
async def accept_plan(
    request: Request, job_id: uuid.UUID, user: SignedIn, session: SessionDep
) -> Response:
    job = await service.party_job(session, user, job_id)
    await service.accept_plan(session=session, job=job, actor=user)
    return redirect(request, f"/jobs/{job.id}/milestones", ok="plan_accepted")


@router.post("/milestones/{milestone_id}/fund")
async def fund(
    request: Request,
    milestone_id: uuid.UUID,
    user: SignedIn,
    session: SessionDep,
    settings: SettingsDep,
    provider: ProviderDep,
) -> Response:
    data = await form_data(request)
    key = str(data.get("idempotency_key", ""))[:64] or str(uuid.uuid4())
    payment, _ = await funding.fund(session=session, settings=settings, provider=provider,
                                    payer=user, milestone_id=milestone_id,
                                    idempotency_key=key)  # fmt: skip
    if payment.checkout_url and not payment.checkout_url.startswith(settings.public_url):
        return redirect(request, payment.checkout_url)
    back = f"/jobs/{payment.job_id}/milestones"
    return redirect(request, f"/checkout/sandbox/{payment.provider_preference_id}?next={back}")


@router.post("/milestones/{milestone_id}/{action}")
async def act(
    request: Request,
    milestone_id: uuid.UUID,
    action: str,
    user: SignedIn,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    milestone, job = await service.visible(
        session=session, user=user, milestone_id=milestone_id, for_update=True
    )
    data = await form_data(request)
    if action == "done":
        await service.mark_done(session=session, milestone=milestone, job=job, actor=user)
    elif action == "approve":
        await service.approve(session=session, settings=settings, milestone=milestone, job=job,
                              actor=user)  # fmt: skip
    elif action == "dispute":
        reason = str(data.get("reason", "")).strip()[:2000] or "Sin detalle"
        await service.dispute(session=session, milestone=milestone, job=job, actor=user,
                              reason=reason)  # fmt: skip
    else:
        return render(request, "error.html", {"status": 404}, status=404)
    return redirect(request, f"/jobs/{job.id}/milestones", ok=f"milestone_{action}")


@router.get("/payouts")
async def payouts_page(request: Request, user: Professional, session: SessionDep) -> Response:
    return render(request, "money/payouts.html", {"report": await payouts.report(session, user.id)})


@router.post("/payouts/link")
async def start_link(
    request: Request, user: Professional, settings: SettingsDep, provider: ProviderDep
) -> Response:
    """Off to the provider's consent page (MercadoPago OAuth; the sandbox comes straight back)."""
    return redirect(request, linking.consent_url(settings, provider, user))


@router.get(linking.CALLBACK_PATH)
async def linked(
    request: Request,
    user: Professional,
    session: SessionDep,
    settings: SettingsDep,
    provider: ProviderDep,
) -> Response:
    code = (request.query_params.get("code") or "")[:500]
    state = (request.query_params.get("state") or "")[:200]
    if not code or not state:
        # The professional declined at the provider, or the link was cut: nothing to link.
        context = {"report": await payouts.report(session, user.id),
                   "errors": {"__all__": LINK_DECLINED}}  # fmt: skip
        return render(request, "money/payouts.html", context, status=400)
    await linking.complete(session=session, settings=settings, provider=provider, user=user,
                           code=code, state=state)  # fmt: skip
    return redirect(request, "/payouts", ok="payout_linked")
