"""Milestones: a plan both parties agree, funds held per milestone, release and disputes.
Every money movement is a ledger entry (fixia.money.rules). Never commits; provider calls
are jobs deferred to after the commit (fixia.money.tasks)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixia import events
from fixia.accounts.models import User
from fixia.config import Settings
from fixia.db import utcnow
from fixia.matches.models import Job, JobStatus
from fixia.money import exceptions as exc
from fixia.money import ledger, rules
from fixia.money.models import LedgerPosting, Milestone, MilestoneStatus
from fixia.payments.models import Payment, PaymentStatus
from fixia.queue.defer import defer

log = logging.getLogger("fixia.money")
M = MilestoneStatus
REFUND_TASK, PAYOUT_TASK = "money.refund", "money.payout"
CLOSED_JOB = (JobStatus.cancelled, JobStatus.completed)


@dataclass(frozen=True)
class PlanItem:
    title: str
    amount: Decimal
    due_date: datetime | None = None


async def schedule_payout(session: AsyncSession, professional_id: uuid.UUID) -> None:
    """Pay the professional once this commits; one payout job per professional at a time."""
    await defer(
        session, PAYOUT_TASK, lock=f"payout:{professional_id}", professional_id=str(professional_id)
    )


async def party_job(session: AsyncSession, user: User, job_id: uuid.UUID) -> Job:
    job = await session.get(Job, job_id)
    if job is None or user.id not in (job.client_id, job.professional_id):
        raise exc.MoneyJobNotFound()
    return job


async def plan_of(session: AsyncSession, job_id: uuid.UUID) -> list[Milestone]:
    stmt = select(Milestone).where(Milestone.job_id == job_id).order_by(Milestone.position)
    return list((await session.execute(stmt)).scalars())


async def propose_plan(
    *, session: AsyncSession, job: Job, actor: User, items: Sequence[PlanItem]
) -> list[Milestone]:
    """Either party proposes; the other accepts. Replaces a plan nobody has funded yet."""
    if job.status in CLOSED_JOB:
        raise exc.PlanLocked("The job is closed.")
    if sum((i.amount for i in items), Decimal(0)) != job.agreed_price:
        raise exc.PlanDoesNotAddUp("milestones", f"They must add up to {job.agreed_price}.")
    current = await plan_of(session, job.id)
    if any(m.status not in (M.proposed, M.agreed) for m in current):
        raise exc.PlanLocked("Some milestones are already funded.")
    if current and await _checkout_open(session, [m.id for m in current]):
        # Its payment would fund a milestone that no longer exists.
        raise exc.PlanLocked("A milestone's checkout is open; it must be paid or fail first.")
    for old in current:
        await session.delete(old)
    await session.flush()
    plan = [
        Milestone(
            job_id=job.id,
            position=n,
            title=i.title,
            amount=i.amount,
            due_date=i.due_date,
            proposed_by=actor.id,
            status=M.proposed,
        )
        for n, i in enumerate(items, start=1)
    ]
    session.add_all(plan)
    await session.flush()
    events.emit(session, "milestones.proposed", job_id=str(job.id), count=len(plan))
    return plan


async def _checkout_open(session: AsyncSession, milestone_ids: list[uuid.UUID]) -> bool:
    live = (PaymentStatus.pending, PaymentStatus.approved)
    stmt = select(Payment.id).where(
        Payment.milestone_id.in_(milestone_ids), Payment.status.in_(live)
    )
    return (await session.execute(stmt.limit(1))).first() is not None


async def accept_plan(*, session: AsyncSession, job: Job, actor: User) -> list[Milestone]:
    plan = await plan_of(session, job.id)
    if not plan or any(m.status is not M.proposed for m in plan):
        raise exc.PlanLocked("There is no proposed plan to accept.")
    if plan[0].proposed_by == actor.id:
        raise exc.NotMilestoneParty("The other party accepts the plan.")
    for m in plan:
        m.status = M.agreed
    await session.flush()
    events.emit(session, "milestones.agreed", job_id=str(job.id))
    return plan


async def lock(session: AsyncSession, milestone_id: uuid.UUID) -> Milestone | None:
    """The milestone row, locked: every posting about its money happens under this lock.
    SQLite has no row locks, so the write first takes its database write lock."""
    await session.execute(
        update(Milestone).where(Milestone.id == milestone_id).values(updated_at=utcnow())
    )
    stmt = (
        select(Milestone)
        .where(Milestone.id == milestone_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def visible(
    *, session: AsyncSession, user: User, milestone_id: uuid.UUID, for_update: bool = False
) -> tuple[Milestone, Job]:
    milestone = (
        await lock(session, milestone_id)
        if for_update
        else await session.get(Milestone, milestone_id)
    )
    job = await session.get(Job, milestone.job_id) if milestone else None
    if milestone is None or job is None or user.id not in (job.client_id, job.professional_id):
        raise exc.MilestoneNotFound()
    return milestone, job


def _require(milestone: Milestone, *allowed: MilestoneStatus) -> None:
    if milestone.status not in allowed:
        raise exc.MilestoneStateConflict(f"The milestone is {milestone.status.value}.")


async def funded(session: AsyncSession, milestone_id: uuid.UUID) -> str:
    """The provider confirmed a funding payment (webhook). Idempotent: the ledger key."""
    milestone = await lock(session, milestone_id)
    if milestone is None:
        return "unknown"
    if milestone.status is not M.agreed:
        # A second checkout paid too: the money came in, but the milestone is held once.
        log.warning("milestone %s funded again while %s", milestone.id, milestone.status)
        events.observe("milestone.funded_twice", milestone_id=str(milestone.id))
        return "duplicate"
    cents = ledger.to_cents(milestone.amount)
    await ledger.post(session, rules.fund(milestone.id, milestone.job_id, cents))
    milestone.status, milestone.funded_at = M.funded, utcnow()
    events.emit(session, "milestone.funded", milestone_id=str(milestone.id))
    return "funded"


async def mark_done(*, session: AsyncSession, milestone: Milestone, job: Job, actor: User) -> None:
    if actor.id != job.professional_id:
        raise exc.NotMilestoneParty("The professional marks a milestone done.")
    _require(milestone, M.funded)
    milestone.status, milestone.done_at = M.done, utcnow()
    events.emit(session, "milestone.done", milestone_id=str(milestone.id))


async def held_cents(session: AsyncSession, milestone: Milestone) -> int:
    return await ledger.balance(session, ledger.held(milestone.id))


async def release(
    *, session: AsyncSession, settings: Settings, milestone: Milestone, job: Job
) -> None:
    """Everything still held goes to the professional (less the fee); a payout follows."""
    cents = await held_cents(session, milestone)
    rate = settings.payments.commission_rate
    entry = rules.release(milestone.id, job.id, job.professional_id, cents, rate)
    if entry.postings:
        await ledger.post(session, entry)
    milestone.status, milestone.released_at = M.released, utcnow()
    events.emit(session, "milestone.released", milestone_id=str(milestone.id))
    await schedule_payout(session, job.professional_id)


async def approve(
    *, session: AsyncSession, settings: Settings, milestone: Milestone, job: Job, actor: User
) -> None:
    if actor.id != job.client_id:
        raise exc.NotMilestoneParty("The client approves a milestone.")
    _require(milestone, M.done, M.funded)
    if job.status is JobStatus.disputed:
        raise exc.MilestoneStateConflict("The job is disputed.")
    await release(session=session, settings=settings, milestone=milestone, job=job)


async def dispute(
    *, session: AsyncSession, milestone: Milestone, job: Job, actor: User, reason: str
) -> None:
    """Freezes the held money: no approval or auto-release until an admin resolves it."""
    _require(milestone, M.funded, M.done)
    milestone.status, milestone.dispute_reason = M.disputed, reason
    events.emit(session, "milestone.disputed", milestone_id=str(milestone.id), by=str(actor.id))


async def resolve(
    *,
    session: AsyncSession,
    settings: Settings,
    milestone: Milestone,
    job: Job,
    refund: Decimal | None,
) -> None:
    """An admin's decision: refund None releases everything, the whole amount refunds it all,
    less refunds that part and releases the rest. The provider refund runs after commit."""
    _require(milestone, M.disputed)
    held = await held_cents(session, milestone)
    cents = ledger.to_cents(refund) if refund is not None else 0
    if cents < 0 or cents > held:
        raise exc.InvalidRefund("refund_amount", f"Refund between 0 and {ledger.from_cents(held)}.")
    if cents:
        await ledger.post(session, rules.refund(milestone.id, job.id, cents))
        milestone.refunded_amount = ledger.from_cents(cents)
        await defer(session, REFUND_TASK, milestone_id=str(milestone.id))
    if cents == held:
        milestone.status = M.refunded
        events.emit(session, "milestone.refunded", milestone_id=str(milestone.id))
        return
    await release(session=session, settings=settings, milestone=milestone, job=job)


async def auto_release_due(*, session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Done milestones the client neither approved nor disputed in time are released."""
    cutoff = now - timedelta(days=settings.money.auto_release_days)
    stmt = (
        select(Milestone.id)
        .join(Job, Job.id == Milestone.job_id)
        .where(Milestone.status == M.done, Milestone.done_at <= cutoff)
        .where(Job.status != JobStatus.disputed)
        .limit(settings.money.batch_size)
    )
    released = 0
    for milestone_id in list((await session.execute(stmt)).scalars()):
        milestone = await lock(session, milestone_id)
        job = await session.get(Job, milestone.job_id) if milestone else None
        if milestone is None or job is None or milestone.status is not M.done:
            continue  # approved or disputed meanwhile
        await release(session=session, settings=settings, milestone=milestone, job=job)
        released += 1
    return released


async def reversed_by_provider(session: AsyncSession, milestone_id: uuid.UUID) -> str:
    """The provider reports the funding payment refunded. After our own full refund that is
    its confirmation; otherwise it is a chargeback. Either way at most once (ledger keys),
    and in any order relative to the approval: before it, nothing was posted to reverse."""
    milestone = await lock(session, milestone_id)
    if milestone is None or await ledger.posted(session, f"fund:{milestone.id}") is None:
        return "not_funded"
    if await ledger.posted(session, f"refund:{milestone.id}") is not None:
        await settle_refund(session, milestone)
        return "refund_confirmed"
    held = await held_cents(session, milestone)
    cents = ledger.to_cents(milestone.amount)
    await ledger.post(session, rules.chargeback(milestone.id, milestone.job_id, held, cents))
    if milestone.status is not M.released:
        milestone.status = M.refunded
        milestone.refunded_amount = milestone.amount
    events.emit(session, "milestone.charged_back", milestone_id=str(milestone.id))
    return "charged_back"


async def settle_refund(session: AsyncSession, milestone: Milestone) -> bool:
    """The provider confirmed our refund: what was pending leaves the books. Only a refund
    an admin decided is settled, for the amount decided (a chargeback is not one)."""
    decided = await ledger.posted(session, f"refund:{milestone.id}")
    if decided is None:
        return False
    stmt = select(LedgerPosting.amount_cents).where(LedgerPosting.entry_id == decided.id)
    cents = sum((await session.execute(stmt)).scalars())
    _, created = await ledger.post(
        session, rules.refund_settled(milestone.id, milestone.job_id, cents)
    )
    return created
