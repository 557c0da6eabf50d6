from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.dependencies import CurrentUser
from fixia.accounts.models import Role, User
from fixia.deps import SessionDep
from fixia.projects import exceptions as exc
from fixia.projects import proposals as proposals_service
from fixia.projects import service
from fixia.projects.models import Project, ProjectStatus, Proposal, ProposalStatus


async def visible_project(project_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Project:
    project = await service.load_project(session=session, project_id=project_id)
    if project is None:
        raise exc.ProjectNotFound()
    return await ensure_visible(session=session, project=project, user=user)


async def ensure_visible(*, session: AsyncSession, project: Project, user: User) -> Project:
    """Owners and admins see any status; the matched professional sees theirs; everyone else
    sees open projects only. The one rule for the API and the web pages alike."""
    if project.client_id == user.id or user.role is Role.admin:
        return project
    if project.status is ProjectStatus.open:
        return project
    # The professional hired on it: their proposal is the accepted one (matches/hiring.py).
    hired = await session.execute(
        select(Proposal.professional_id).where(
            Proposal.project_id == project.id, Proposal.status == ProposalStatus.accepted
        )
    )
    if hired.scalar_one_or_none() == user.id:
        return project
    raise exc.ProjectNotFound()


async def owned_project(project_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Project:
    project = await service.load_project(session=session, project_id=project_id)
    if project is None:
        raise exc.ProjectNotFound()
    if project.client_id != user.id:
        raise exc.NotProjectOwner()
    return project


async def _proposal(proposal_id: uuid.UUID, session: SessionDep) -> Proposal:
    proposal = await proposals_service.load_proposal(session=session, proposal_id=proposal_id)
    if proposal is None:
        raise exc.ProposalNotFound()
    return proposal


async def own_proposal(
    proposal: Annotated[Proposal, Depends(_proposal)], user: CurrentUser
) -> Proposal:
    """The professional who sent it."""
    if proposal.professional_id != user.id:
        raise exc.ProposalNotFound()
    return proposal


async def received_proposal(
    proposal: Annotated[Proposal, Depends(_proposal)], user: CurrentUser
) -> Proposal:
    """The client who owns the project it was sent to."""
    if proposal.project.client_id != user.id:
        raise exc.ProposalNotFound()
    return proposal


VisibleProject = Annotated[Project, Depends(visible_project)]
OwnedProject = Annotated[Project, Depends(owned_project)]
OwnProposal = Annotated[Proposal, Depends(own_proposal)]
ReceivedProposal = Annotated[Proposal, Depends(received_proposal)]
