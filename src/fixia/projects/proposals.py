"""Proposals: professionals apply and withdraw; a client's accept or reject is hiring
(`matches/hiring.py`), which calls `take` here. Never commits."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from fixia import events
from fixia.accounts.models import User
from fixia.accounts.plans import current_plan
from fixia.config import Settings
from fixia.db import utcnow
from fixia.notifications.service import notify
from fixia.platform.pagination import fetch_page, newest_first, oldest_first
from fixia.projects import exceptions as exc
from fixia.projects.models import Project, ProjectStatus, Proposal, ProposalStatus
from fixia.projects.schemas import ProposalCreate
from fixia.projects.service import (
    ACTIVE,
    load_project,
    month_start,
)


def proposal_query() -> Select[Proposal]:
    return select(Proposal).options(
        selectinload(Proposal.project),
        selectinload(Proposal.professional).selectinload(User.profile),
    )


async def load_proposal(*, session: AsyncSession, proposal_id: uuid.UUID) -> Proposal | None:
    stmt = proposal_query().where(Proposal.id == proposal_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def _check_monthly_limit(session: AsyncSession, settings: Settings, pro: User) -> None:
    plan = current_plan(pro)
    limit = settings.plan(plan).proposals_per_month
    if limit is None:
        return
    stmt = (
        select(func.count())
        .select_from(Proposal)
        .where(Proposal.professional_id == pro.id, Proposal.created_at >= month_start(utcnow()))
    )
    used = (await session.execute(stmt)).scalar_one()
    if used >= limit:
        raise exc.ProposalsPerMonthLimit(
            f"Your '{plan}' plan allows {limit} proposals per month.",
            limit="proposals_per_month",
            allowed=limit,
            current=used,
        )


async def apply(
    *, session: AsyncSession, settings: Settings, pro: User, project: Project, data: ProposalCreate
) -> Proposal:
    if project.client_id == pro.id:
        raise exc.OwnProject()
    if project.status is not ProjectStatus.open:
        raise exc.ProjectNotOpen()
    cap = settings.marketplace.proposals_per_professional_per_project
    stmt = (
        select(func.count())
        .select_from(Proposal)
        .where(
            Proposal.project_id == project.id,
            Proposal.professional_id == pro.id,
            Proposal.status.in_(ACTIVE),
        )
    )
    if (await session.execute(stmt)).scalar_one() >= cap:
        raise exc.TooManyActiveProposals(
            f"You may have at most {cap} active proposals on one project."
        )
    await _check_monthly_limit(session, settings, pro)
    proposal = Proposal(project_id=project.id, professional_id=pro.id, **data.model_dump())
    session.add(proposal)
    await session.flush()
    await notify(
        session=session,
        user_id=project.client_id,
        type="proposal_received",
        title="Nueva propuesta",
        action_url=f"/projects/{project.id}",
        message=f"{pro.name} envió una propuesta para «{project.title}».",
    )
    events.emit(session, "proposal.sent", proposal_id=str(proposal.id))
    # The answer shows the project's title and the professional with their profile: the
    # project is the one just checked and `pro` the caller (loaded with the profile), so
    # they are attached instead of read back (four SELECTs).
    set_committed_value(proposal, "project", project)
    set_committed_value(proposal, "professional", pro)
    return proposal


def ensure_pending(proposal: Proposal) -> None:
    if proposal.status is not ProposalStatus.pending:
        raise exc.ProposalNotPending()


async def withdraw(*, session: AsyncSession, proposal: Proposal) -> Proposal:
    ensure_pending(proposal)
    proposal.status, proposal.decided_at = ProposalStatus.withdrawn, utcnow()
    return proposal


async def reject(*, session: AsyncSession, proposal: Proposal) -> Proposal:
    ensure_pending(proposal)
    proposal.status, proposal.decided_at = ProposalStatus.rejected, utcnow()
    await notify(
        session=session,
        user_id=proposal.professional_id,
        type="proposal_rejected",
        title="Propuesta rechazada",
        action_url=f"/proposals/{proposal.id}",
        message=f"Tu propuesta para «{proposal.project.title}» fue rechazada.",
    )
    return proposal


async def take(*, session: AsyncSession, proposal: Proposal) -> Project:
    """The proposal is accepted and its project leaves the open list (`matches.hiring`
    creates the match and job in the same transaction).

    The project row is locked first, so two concurrent accepts serialise; the second sees the
    project in progress. The unique match.project_id is the last line of defence.
    """
    project = await load_project(session=session, project_id=proposal.project_id, lock=True)
    if project is None or project.status is not ProjectStatus.open:
        raise exc.ProjectNotOpen()
    await session.refresh(proposal, attribute_names=["status"])
    ensure_pending(proposal)
    proposal.status, proposal.decided_at = ProposalStatus.accepted, utcnow()
    project.status = ProjectStatus.in_progress
    return project


async def for_project(
    *, session: AsyncSession, project: Project, cursor: str | None, limit: int
) -> tuple[list[Proposal], str | None]:
    """Proposals received, in the order they arrived: one page (a popular project can have
    hundreds; issue #27 item 11)."""
    stmt = proposal_query().where(Proposal.project_id == project.id)
    return await fetch_page(session, stmt, oldest_first(Proposal), cursor, limit)


async def mine(
    *, session: AsyncSession, pro: User, cursor: str | None, limit: int
) -> tuple[list[Proposal], str | None]:
    stmt = proposal_query().where(Proposal.professional_id == pro.id)
    return await fetch_page(session, stmt, newest_first(Proposal), cursor, limit)
