"""Opportunities: open projects of other users, scored for the professional looking."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import ProfessionalProfile, User
from fixia.db import utcnow
from fixia.platform.pagination import SortKey, paginate, split_page
from fixia.projects.models import Project, ProjectStatus, Proposal
from fixia.projects.schemas import OpportunitySort
from fixia.projects.scoring import Candidate, ProjectFacts, match_score
from fixia.projects.service import ACTIVE, project_query, proposal_counts


@dataclass(frozen=True)
class Filters:
    category_id: uuid.UUID | None = None
    q: str | None = None
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    remote: bool | None = None
    location: str | None = None
    sort: OpportunitySort = OpportunitySort.newest


@dataclass(frozen=True)
class Opportunity:
    project: Project
    proposal_count: int
    match_score: int
    my_proposals: list[uuid.UUID]


def _like(value: str) -> str:
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _query(pro: User, f: Filters) -> Select[Project]:
    stmt = project_query().where(Project.status == ProjectStatus.open, Project.client_id != pro.id)
    if f.category_id:
        stmt = stmt.where(Project.category_id == f.category_id)
    if f.q:
        pattern = _like(f.q)
        stmt = stmt.where(
            or_(
                func.lower(Project.title).like(pattern, escape="\\"),
                func.lower(Project.description).like(pattern, escape="\\"),
            )
        )
    # Budget filters select overlapping ranges, as a professional thinks of them.
    if f.budget_min is not None:
        stmt = stmt.where(Project.budget_max >= f.budget_min)
    if f.budget_max is not None:
        stmt = stmt.where(Project.budget_min <= f.budget_max)
    if f.remote is not None:
        stmt = stmt.where(Project.is_remote.is_(f.remote))
    if f.location:
        stmt = stmt.where(func.lower(Project.location).like(_like(f.location), escape="\\"))
    return stmt


async def list_for(
    *, session: AsyncSession, pro: User, filters: Filters, cursor: str | None, limit: int
) -> tuple[list[Opportunity], str | None]:
    keys = (
        [SortKey(Project.budget_max, descending=True)]
        if filters.sort is OpportunitySort.budget_desc
        else []
    )
    keys += [SortKey(Project.created_at, descending=True), SortKey(Project.id)]
    rows = list((await session.execute(paginate(_query(pro, filters), keys, cursor, limit))).all())
    page, next_cursor = split_page(rows, limit)
    projects: list[Project] = [r[0] for r in page]
    ids = [p.id for p in projects]
    counts = await proposal_counts(session=session, project_ids=ids)
    mine: dict[uuid.UUID, list[uuid.UUID]] = {}
    if ids:
        stmt = select(Proposal.project_id, Proposal.id).where(
            Proposal.project_id.in_(ids),
            Proposal.professional_id == pro.id,
            Proposal.status.in_(ACTIVE),
        )
        for project_id, proposal_id in await session.execute(stmt):
            mine.setdefault(project_id, []).append(proposal_id)
    profile = (
        await session.execute(
            select(ProfessionalProfile).where(ProfessionalProfile.user_id == pro.id)
        )
    ).scalar_one_or_none()
    candidate = Candidate(location=pro.location, specialties=profile.specialties if profile else [])
    now = utcnow()
    result = [
        Opportunity(
            project=p,
            proposal_count=counts.get(p.id, 0),
            my_proposals=mine.get(p.id, []),
            match_score=match_score(
                candidate,
                ProjectFacts(
                    location=p.location,
                    skills=p.skills,
                    category_slug=p.category.slug,
                    category_name=p.category.name,
                    budget_min=p.budget_min,
                    budget_max=p.budget_max,
                    proposal_count=counts.get(p.id, 0),
                    created_at=p.created_at,
                ),
                now,
            ),
        )
        for p in projects
    ]
    # The spec ranks by score within the page; the cursor keeps pages stable.
    result.sort(key=lambda o: o.match_score, reverse=True)
    return result, next_cursor
