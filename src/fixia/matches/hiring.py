"""Hiring: a client accepts or rejects a proposal. Accepting takes the proposal and its project
(projects' `proposals.take`, which locks the project row), creates the match and job, and
turns the other pending proposals down, in ONE transaction. When the job ends, its project
closes with it (`service._transition`, through `projects.service.close_for_job`). Only
public functions of `projects`; projects imports nothing of matches. Never commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fixia import events
from fixia.matches import service
from fixia.matches.models import Job, Match
from fixia.notifications.service import notify
from fixia.projects import proposals
from fixia.projects.models import Proposal
from fixia.projects.service import reject_pending


async def accept(*, session: AsyncSession, proposal: Proposal) -> tuple[Proposal, Match, Job]:
    """Accept in ONE transaction: proposal, project, match, job, notifications."""
    project = await proposals.take(session=session, proposal=proposal)
    match, job = await service.create_from_proposal(
        session=session, project=project, proposal=proposal
    )
    await reject_pending(session, project, keep=proposal.id)
    await notify(
        session=session,
        user_id=proposal.professional_id,
        type="proposal_accepted",
        title="¡Tu propuesta fue aceptada!",
        action_url=f"/jobs/{job.id}",
        message=f"{project.client.name} aceptó tu propuesta para «{project.title}».",
        email=True,
    )
    events.emit(session, "proposal.accepted", proposal_id=str(proposal.id), job_id=str(job.id))
    return proposal, match, job


async def reject(*, session: AsyncSession, proposal: Proposal) -> Proposal:
    return await proposals.reject(session=session, proposal=proposal)
