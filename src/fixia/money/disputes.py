"""An admin's decision on a disputed milestone: release, full refund or partial refund.
Audited; the refund at the provider runs after the commit. Never commits."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import User
from fixia.audit import service as audit
from fixia.config import Settings
from fixia.matches.models import Job
from fixia.money import exceptions as exc
from fixia.money import service
from fixia.money.models import Milestone, MilestoneStatus

Outcome = Literal["release", "refund", "partial"]


def refund_for(milestone: Milestone, outcome: Outcome, amount: Decimal | None) -> Decimal | None:
    if outcome == "release":
        return None
    if outcome == "refund":
        return milestone.amount
    if amount is None or amount >= milestone.amount:
        raise exc.InvalidRefund("refund_amount", "Partial: less than the milestone.")
    return amount


async def resolve(
    *,
    session: AsyncSession,
    settings: Settings,
    admin: User,
    milestone_id: uuid.UUID,
    outcome: Outcome,
    amount: Decimal | None,
    ip: str | None,
) -> Milestone:
    milestone = await service.lock(session, milestone_id)
    job = await session.get(Job, milestone.job_id) if milestone else None
    if milestone is None or job is None:
        raise exc.MilestoneNotFound()
    refund = refund_for(milestone, outcome, amount)
    await service.resolve(
        session=session, settings=settings, milestone=milestone, job=job, refund=refund
    )
    audit.record(
        session=session,
        actor_id=admin.id,
        action="milestone.resolved",
        target_type="milestone",
        target_id=milestone.id,
        ip=ip,
        outcome=outcome,
        refund=str(refund) if refund is not None else None,
    )
    return milestone


async def open_disputes(session: AsyncSession, limit: int) -> list[tuple[Milestone, Job]]:
    """Disputed milestones waiting for an admin, oldest first."""
    stmt = (
        select(Milestone, Job)
        .join(Job, Job.id == Milestone.job_id)
        .where(Milestone.status == MilestoneStatus.disputed)
        .order_by(Milestone.updated_at, Milestone.id)
        .limit(limit)
    )
    return [(m, j) for m, j in await session.execute(stmt)]
