"""Projects, opportunities and proposals. Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from fixia import events
from fixia.accounts.models import User
from fixia.accounts.plans import current_plan
from fixia.catalog.models import Category
from fixia.config import Settings
from fixia.db import utcnow
from fixia.errors import InvalidInput
from fixia.notifications.service import notify
from fixia.platform.pagination import fetch_page, newest_first
from fixia.projects import exceptions as exc
from fixia.projects.models import Project, ProjectStatus, Proposal, ProposalStatus
from fixia.projects.schemas import ProjectCreate, ProjectUpdate

LOCAL_TZ = ZoneInfo("America/Argentina/Catamarca")
ACTIVE = (ProposalStatus.pending, ProposalStatus.accepted)


def month_start(now: datetime) -> datetime:
    """The first instant of the current calendar month in Chubut, where users live."""
    local = now.astimezone(LOCAL_TZ)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def project_query(*, related: bool = True) -> Select[Project]:
    stmt = select(Project).where(Project.deleted_at.is_(None))
    if related:
        stmt = stmt.options(selectinload(Project.client), selectinload(Project.category))
    return stmt


async def load_project(
    *, session: AsyncSession, project_id: uuid.UUID, lock: bool = False, related: bool = True
) -> Project | None:
    """`related=False`: the project row alone (one round trip instead of three), for a caller
    that never reads its client or category (applying to it)."""
    stmt = project_query(related=related).where(Project.id == project_id)
    if lock:
        # Serialises accepts on PostgreSQL; SQLite serialises writers anyway.
        stmt = stmt.with_for_update(of=Project)
    return (await session.execute(stmt)).scalar_one_or_none()


async def proposal_counts(
    *, session: AsyncSession, project_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not project_ids:
        return {}
    stmt = (
        select(Proposal.project_id, func.count())
        .where(Proposal.project_id.in_(project_ids), Proposal.status != ProposalStatus.withdrawn)
        .group_by(Proposal.project_id)
    )
    return {pid: n for pid, n in await session.execute(stmt)}


async def _check_category(session: AsyncSession, category_id: uuid.UUID) -> Category:
    category = await session.get(Category, category_id)
    if category is None:
        raise InvalidInput("category_id", "no such category")
    return category


async def create_project(
    *, session: AsyncSession, settings: Settings, client: User, data: ProjectCreate
) -> Project:
    now = utcnow()
    if data.deadline <= now:
        raise InvalidInput("deadline", "the deadline must be in the future")
    category = await _check_category(session, data.category_id)
    plan = current_plan(client)
    limit = settings.plan(plan).projects_per_month
    if limit is not None:
        stmt = (
            select(func.count())
            .select_from(Project)
            .where(Project.client_id == client.id, Project.created_at >= month_start(now))
        )
        used = (await session.execute(stmt)).scalar_one()
        if used >= limit:
            raise exc.ProjectsPerMonthLimit(
                f"Your '{plan}' plan allows {limit} new projects per month.",
                limit="projects_per_month",
                allowed=limit,
                current=used,
            )
    project = Project(client_id=client.id, **data.model_dump())
    session.add(project)
    await session.flush()
    events.emit(session, "project.created", project_id=str(project.id))
    # The answer shows the client and the category: both are at hand (the caller, the row
    # just checked), so they are attached instead of read back (three SELECTs).
    set_committed_value(project, "client", client)
    set_committed_value(project, "category", category)
    return project


def _ensure_open(project: Project) -> None:
    if project.status is not ProjectStatus.open:
        raise exc.ProjectNotOpen()


async def update_project(
    *, session: AsyncSession, project: Project, data: ProjectUpdate
) -> Project:
    _ensure_open(project)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is None:
            raise InvalidInput(field, "may not be null")
    if "category_id" in changes:
        await _check_category(session, changes["category_id"])
    if "deadline" in changes and changes["deadline"] <= utcnow():
        raise InvalidInput("deadline", "the deadline must be in the future")
    low = changes.get("budget_min", project.budget_min)
    high = changes.get("budget_max", project.budget_max)
    if low > high:
        raise InvalidInput("budget_min", "budget_min must not exceed budget_max")
    for field, value in changes.items():
        setattr(project, field, value)
    project.updated_at = utcnow()
    await session.flush()
    loaded = await load_project(session=session, project_id=project.id)
    assert loaded is not None
    return loaded


async def reject_pending(
    session: AsyncSession, project: Project, keep: uuid.UUID | None = None
) -> list[Proposal]:
    stmt = select(Proposal).where(
        Proposal.project_id == project.id, Proposal.status == ProposalStatus.pending
    )
    rejected = [p for p in (await session.execute(stmt)).scalars() if p.id != keep]
    now = utcnow()
    for proposal in rejected:
        proposal.status, proposal.decided_at = ProposalStatus.rejected, now
        await notify(
            session=session,
            user_id=proposal.professional_id,
            type="proposal_rejected",
            title="Propuesta no seleccionada",
            message=f"El proyecto «{project.title}» eligió otra propuesta o se cerró.",
            action_url=f"/projects/{project.id}",
        )
    return rejected


async def cancel_project(*, session: AsyncSession, project: Project) -> Project:
    _ensure_open(project)
    project.status = ProjectStatus.cancelled
    await reject_pending(session, project)
    return project


async def delete_project(*, session: AsyncSession, project: Project) -> None:
    _ensure_open(project)
    await cancel_project(session=session, project=project)
    project.deleted_at = utcnow()


async def list_own(
    *, session: AsyncSession, client: User, cursor: str | None, limit: int
) -> tuple[list[Project], str | None]:
    stmt = project_query().where(Project.client_id == client.id)
    return await fetch_page(session, stmt, newest_first(Project), cursor, limit)


async def close_for_job(*, session: AsyncSession, project_id: uuid.UUID, completed: bool) -> None:
    """The job hired on this project ended: the project ends with it (matches, after the job's
    own transition)."""
    project = await session.get(Project, project_id)
    assert project is not None
    project.status = ProjectStatus.completed if completed else ProjectStatus.cancelled
