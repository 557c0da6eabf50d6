"""Milestones and payouts in the browser. The client funds through the provider's checkout
(the sandbox's own page in development and tests) and approves; the professional marks
done and reads the payout report."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fixia.deps import SessionDep, SettingsDep
from fixia.money import funding, payouts, service
from fixia.money.presenters import plan_out
from fixia.payments.dependencies import ProviderDep
from fixia.web.pages import form_data, redirect, render
from fixia.web.session import Professional, SignedIn

router = APIRouter()
ACTIONS = ("done", "approve", "dispute")


@router.get("/jobs/{job_id}/milestones")
async def milestones_page(
    request: Request, job_id: uuid.UUID, user: SignedIn, session: SessionDep
) -> Response:
    job = await service.party_job(session, user, job_id)
    plan = await plan_out(session, await service.plan_of(session, job.id))
    context = {
        "job": job,
        "plan": plan,
        "is_client": user.id == job.client_id,
        "can_accept": bool(plan) and plan[0].status.value == "proposed"
        and plan[0].proposed_by != user.id,
        "idempotency_key": str(uuid.uuid4()),
    }  # fmt: skip
    return render(request, "money/milestones.html", context)


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
