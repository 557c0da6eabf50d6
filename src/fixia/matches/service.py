"""Matches and jobs: creation, lifecycle with history, completion handshake, disputes."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fixia import events
from fixia.accounts.models import User
from fixia.db import utcnow
from fixia.matches import exceptions as exc
from fixia.matches.models import Job, JobStatus, JobStatusUpdate, Match, MatchStatus
from fixia.notifications.service import notify
from fixia.platform.pagination import SortKey, fetch_page, newest_first
from fixia.projects.models import Project, Proposal
from fixia.projects.service import close_for_job
from fixia.queue.signals import trust_inputs_changed

# Which statuses each transition may start from.
# Which statuses each transition may start from. Leaving `disputed` is for admins only.
TRANSITIONS: dict[JobStatus, tuple[JobStatus, ...]] = {
    JobStatus.in_progress: (
        JobStatus.not_started,
        JobStatus.completion_requested,
        JobStatus.disputed,
    ),
    JobStatus.completion_requested: (JobStatus.not_started, JobStatus.in_progress),
    JobStatus.completed: (JobStatus.completion_requested, JobStatus.disputed),
    JobStatus.disputed: (
        JobStatus.not_started,
        JobStatus.in_progress,
        JobStatus.completion_requested,
    ),
    JobStatus.cancelled: (JobStatus.not_started, JobStatus.disputed),
}


def job_query() -> Select[Job]:
    return select(Job).options(selectinload(Job.client), selectinload(Job.professional))


async def load_job(*, session: AsyncSession, job_id: uuid.UUID, lock: bool = False) -> Job | None:
    stmt = job_query().where(Job.id == job_id)
    if lock:
        stmt = stmt.with_for_update(of=Job)
    return (await session.execute(stmt)).scalar_one_or_none()


async def _new_match_and_job(
    session: AsyncSession,
    *,
    client_id: uuid.UUID,
    professional_id: uuid.UUID,
    title: str,
    price: object,
    delivery_days: int,
    project_id: uuid.UUID | None = None,
    proposal_id: uuid.UUID | None = None,
    service_request_id: uuid.UUID | None = None,
) -> tuple[Match, Job]:
    match = Match(
        client_id=client_id,
        professional_id=professional_id,
        project_id=project_id,
        proposal_id=proposal_id,
        service_request_id=service_request_id,
    )
    session.add(match)
    await session.flush()  # a second accept of the same project fails here (unique)
    job = Job(
        match_id=match.id,
        client_id=client_id,
        professional_id=professional_id,
        title=title[:100],
        agreed_price=price,
        delivery_date=utcnow() + timedelta(days=delivery_days),
    )
    session.add(job)
    await session.flush()
    session.add(
        JobStatusUpdate(
            job_id=job.id,
            from_status=None,
            to_status=JobStatus.not_started.value,
            actor_id=client_id,
            message="job created",
        )
    )
    await notify(
        session=session,
        user_id=client_id,
        type="match_created",
        title="¡Tenés un nuevo trabajo!",
        message=f"Se creó el trabajo «{title}».",
        action_url=f"/jobs/{job.id}",
    )
    events.emit(session, "match.created", match_id=str(match.id), job_id=str(job.id))
    return match, job


async def create_from_proposal(
    *, session: AsyncSession, project: Project, proposal: Proposal
) -> tuple[Match, Job]:
    return await _new_match_and_job(
        session,
        client_id=project.client_id,
        professional_id=proposal.professional_id,
        title=project.title,
        price=proposal.quoted_price,
        delivery_days=proposal.delivery_time_days,
        project_id=project.id,
        proposal_id=proposal.id,
    )


async def create_from_request(
    *,
    session: AsyncSession,
    client_id: uuid.UUID,
    professional_id: uuid.UUID,
    title: str,
    price: object,
    delivery_days: int,
    request_id: uuid.UUID,
) -> tuple[Match, Job]:
    return await _new_match_and_job(
        session,
        client_id=client_id,
        professional_id=professional_id,
        title=title,
        price=price,
        delivery_days=delivery_days,
        service_request_id=request_id,
    )


def other_party(job: Job, user: User) -> uuid.UUID:
    return job.professional_id if user.id == job.client_id else job.client_id


async def _transition(
    session: AsyncSession,
    job: Job,
    to: JobStatus,
    actor: User | None,
    message: str | None = None,
    *,
    resolving: bool = False,
) -> Job:
    if job.status is JobStatus.disputed and not resolving:
        raise exc.InvalidTransition("The job is disputed; an admin must resolve it first.")
    if job.status not in TRANSITIONS.get(to, ()):
        raise exc.InvalidTransition(f"A job cannot go from {job.status.value} to {to.value}.")
    session.add(
        JobStatusUpdate(
            job_id=job.id,
            from_status=job.status.value,
            to_status=to.value,
            message=message,
            actor_id=actor.id if actor else None,
        )
    )
    job.status = to
    job.updated_at = utcnow()
    match = await session.get(Match, job.match_id)
    assert match is not None
    if to is JobStatus.disputed:
        match.status = MatchStatus.disputed
    elif to in (JobStatus.completed, JobStatus.cancelled):
        match.status = MatchStatus.completed if to is JobStatus.completed else MatchStatus.cancelled
        if match.project_id:
            await close_for_job(
                session=session, project_id=match.project_id, completed=to is JobStatus.completed
            )
        await trust_inputs_changed(session, job.professional_id)  # completion and reliability
    elif match.status is MatchStatus.disputed:
        match.status = MatchStatus.active
    return job


async def start(*, session: AsyncSession, job: Job, actor: User) -> Job:
    if actor.id != job.professional_id:
        raise exc.NotAllowedParty("Only the professional starts the job.")
    job.started_at = job.started_at or utcnow()
    await _transition(session, job, JobStatus.in_progress, actor, "started")
    await notify(
        session=session,
        user_id=job.client_id,
        type="job_started",
        title="Trabajo iniciado",
        message=f"Comenzó «{job.title}».",
        action_url=f"/jobs/{job.id}",
    )
    return job


async def report_progress(
    *, session: AsyncSession, job: Job, actor: User, progress: int, message: str | None
) -> Job:
    if actor.id != job.professional_id:
        raise exc.NotAllowedParty("Only the professional reports progress.")
    if job.status is not JobStatus.in_progress:
        raise exc.InvalidTransition("Progress can be reported only while in progress.")
    job.progress = progress
    session.add(
        JobStatusUpdate(
            job_id=job.id,
            from_status=job.status.value,
            to_status=job.status.value,
            actor_id=actor.id,
            message=message or f"progress {progress}%",
        )
    )
    return job


async def request_completion(*, session: AsyncSession, job: Job, actor: User) -> Job:
    await _transition(session, job, JobStatus.completion_requested, actor, "completion requested")
    job.completion_requested_by, job.completion_requested_at = actor.id, utcnow()
    await notify(
        session=session,
        user_id=other_party(job, actor),
        type="completion_requested",
        title="Confirmá la finalización",
        message=f"{actor.name} indicó que «{job.title}» está terminado. Confirmalo.",
        action_url=f"/jobs/{job.id}",
        email=True,
    )
    return job


async def confirm_completion(*, session: AsyncSession, job: Job, actor: User) -> Job:
    if job.status is JobStatus.completion_requested and job.completion_requested_by == actor.id:
        raise exc.NotAllowedParty("The other party must confirm the completion.")
    await _transition(session, job, JobStatus.completed, actor, "completion confirmed")
    job.completed_at, job.progress = utcnow(), 100
    for user_id in (job.client_id, job.professional_id):
        await notify(
            session=session,
            user_id=user_id,
            type="job_completed",
            title="Trabajo finalizado",
            message=f"«{job.title}» quedó finalizado. Ya pueden dejar su reseña.",
            action_url=f"/jobs/{job.id}",
            email=True,
        )
    events.emit(session, "job.completed", job_id=str(job.id))
    return job


async def decline_completion(
    *, session: AsyncSession, job: Job, actor: User, message: str | None
) -> Job:
    if job.completion_requested_by == actor.id:
        raise exc.NotAllowedParty("The other party must answer the completion request.")
    if job.status is not JobStatus.completion_requested:
        raise exc.InvalidTransition("There is no completion request to decline.")
    await _transition(session, job, JobStatus.in_progress, actor, message or "not finished yet")
    job.completion_requested_by = job.completion_requested_at = None
    return job


async def dispute(*, session: AsyncSession, job: Job, actor: User, reason: str) -> Job:
    await _transition(session, job, JobStatus.disputed, actor, reason)
    job.dispute_reason, job.disputed_by = reason, actor.id
    await notify(
        session=session,
        user_id=other_party(job, actor),
        type="job_disputed",
        title="Trabajo en disputa",
        message=f"Se abrió una disputa: {reason}",
        action_url=f"/jobs/{job.id}",
    )
    events.emit(session, "job.disputed", job_id=str(job.id))
    return job


async def cancel(*, session: AsyncSession, job: Job, actor: User, reason: str) -> Job:
    await _transition(session, job, JobStatus.cancelled, actor, reason)
    job.cancelled_at = utcnow()
    await notify(
        session=session,
        user_id=other_party(job, actor),
        type="job_cancelled",
        title="Trabajo cancelado",
        message=f"«{job.title}» fue cancelado: {reason}",
        action_url=f"/jobs/{job.id}",
    )
    return job


async def resolve_dispute(
    *, session: AsyncSession, job: Job, admin: User, outcome: JobStatus, resolution: str
) -> Job:
    """An admin closes a dispute as completed, cancelled, or back to in progress."""
    if job.status is not JobStatus.disputed:
        raise exc.InvalidTransition("The job is not disputed.")
    await _transition(session, job, outcome, admin, resolution, resolving=True)
    job.resolution, job.resolved_by, job.resolved_at = resolution, admin.id, utcnow()
    if outcome is JobStatus.completed:
        job.completed_at = utcnow()
        events.emit(session, "job.completed", job_id=str(job.id))
    for user_id in (job.client_id, job.professional_id):
        await notify(
            session=session,
            user_id=user_id,
            type="dispute_resolved",
            title="Disputa resuelta",
            message=resolution,
            action_url=f"/jobs/{job.id}",
        )
    return job


async def history(*, session: AsyncSession, job: Job) -> list[JobStatusUpdate]:
    stmt = (
        select(JobStatusUpdate)
        .where(JobStatusUpdate.job_id == job.id)
        .order_by(JobStatusUpdate.created_at, JobStatusUpdate.id)
    )
    return list((await session.execute(stmt)).scalars())


async def jobs_of(
    *, session: AsyncSession, user: User, cursor: str | None, limit: int
) -> tuple[list[Job], str | None]:
    stmt = job_query().where(or_(Job.client_id == user.id, Job.professional_id == user.id))
    return await fetch_page(session, stmt, newest_first(Job), cursor, limit)


async def disputed_jobs(
    *, session: AsyncSession, cursor: str | None, limit: int
) -> tuple[list[Job], str | None]:
    """Open disputes, the longest-waiting first: one page."""
    stmt = job_query().where(Job.status == JobStatus.disputed)
    return await fetch_page(
        session, stmt, [SortKey(Job.updated_at), SortKey(Job.id)], cursor, limit
    )
