from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from fixia.accounts.dependencies import AdminUser, CurrentUser, ProfessionalUser
from fixia.admin.dependencies import ClientIp
from fixia.deps import SessionDep, SettingsDep
from fixia.money import disputes, funding, linking, payouts, service
from fixia.money.dependencies import LockedMilestone, PartyJob
from fixia.money.presenters import milestone_out, plan_out
from fixia.money.schemas import (
    DisputeIn,
    FundingOut,
    LinkIn,
    LinkOut,
    MilestoneOut,
    PayoutAccountOut,
    PayoutReport,
    PlanIn,
    ResolveIn,
)
from fixia.payments.dependencies import IdempotencyKey, ProviderDep

router = APIRouter(tags=["milestones"])
REPLAYED: dict[int | str, dict[str, Any]] = {200: {"description": "Replay of the key"}}


@router.get("/jobs/{job_id}/milestones")
async def get_plan(job: PartyJob, session: SessionDep) -> list[MilestoneOut]:
    return await plan_out(session, await service.plan_of(session, job.id))


@router.put("/jobs/{job_id}/milestones")
async def propose_plan(
    data: PlanIn, job: PartyJob, user: CurrentUser, session: SessionDep
) -> list[MilestoneOut]:
    items = [service.PlanItem(m.title, m.amount, m.due_date) for m in data.milestones]
    plan = await service.propose_plan(session=session, job=job, actor=user, items=items)
    return await plan_out(session, plan)


@router.post("/jobs/{job_id}/milestones/accept")
async def accept_plan(job: PartyJob, user: CurrentUser, session: SessionDep) -> list[MilestoneOut]:
    plan = await service.accept_plan(session=session, job=job, actor=user)
    return await plan_out(session, plan)


@router.post(
    "/milestones/{milestone_id}/fund", status_code=status.HTTP_201_CREATED, responses=REPLAYED
)
async def fund_milestone(
    milestone_id: uuid.UUID,
    key: IdempotencyKey,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    provider: ProviderDep,
    response: Response,
) -> FundingOut:
    # No lock here: the provider call must not happen under one. The webhook that funds the
    # milestone takes the lock and holds the money once, however many checkouts were paid.
    payment, created = await funding.fund(
        session=session,
        settings=settings,
        provider=provider,
        payer=user,
        milestone_id=milestone_id,
        idempotency_key=key,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return FundingOut(
        payment_id=payment.id,
        checkout_url=payment.checkout_url,
        preference_id=payment.provider_preference_id,
        amount=payment.amount,
    )


@router.post("/milestones/{milestone_id}/done")
async def mark_done(found: LockedMilestone, user: CurrentUser, session: SessionDep) -> MilestoneOut:
    milestone, job = found
    await service.mark_done(session=session, milestone=milestone, job=job, actor=user)
    return await milestone_out(session, milestone)


@router.post("/milestones/{milestone_id}/approve")
async def approve(
    found: LockedMilestone, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> MilestoneOut:
    milestone, job = found
    await service.approve(
        session=session, settings=settings, milestone=milestone, job=job, actor=user
    )
    return await milestone_out(session, milestone)


@router.post("/milestones/{milestone_id}/dispute")
async def dispute(
    data: DisputeIn, found: LockedMilestone, user: CurrentUser, session: SessionDep
) -> MilestoneOut:
    milestone, job = found
    await service.dispute(
        session=session, milestone=milestone, job=job, actor=user, reason=data.reason
    )
    return await milestone_out(session, milestone)


@router.post("/admin/milestones/{milestone_id}/resolve")
async def resolve(
    milestone_id: uuid.UUID,
    data: ResolveIn,
    admin: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    ip: ClientIp,
) -> MilestoneOut:
    milestone = await disputes.resolve(
        session=session,
        settings=settings,
        admin=admin,
        milestone_id=milestone_id,
        outcome=data.outcome,
        amount=data.refund_amount,
        ip=ip,
    )
    return await milestone_out(session, milestone)


@router.get("/payouts/link")
async def payout_link(
    user: ProfessionalUser, settings: SettingsDep, provider: ProviderDep
) -> LinkOut:
    """Where to send the professional to authorise payouts to their account."""
    return LinkOut(url=linking.consent_url(settings, provider, user))


@router.post("/payouts/account")
async def link_payout_account(
    data: LinkIn,
    user: ProfessionalUser,
    session: SessionDep,
    settings: SettingsDep,
    provider: ProviderDep,
) -> PayoutAccountOut:
    account = await linking.complete(session=session, settings=settings, provider=provider,
                                     user=user, code=data.code, state=data.state)  # fmt: skip
    return PayoutAccountOut.model_validate(account)


@router.get("/payouts/mine")
async def payout_report(user: ProfessionalUser, session: SessionDep) -> PayoutReport:
    report = await payouts.report(session, user.id)
    return PayoutReport.model_validate(report, from_attributes=True)
