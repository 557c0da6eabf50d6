from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from fixia.accounts.dependencies import CurrentUser, ProfessionalUser
from fixia.deps import SessionDep, SettingsDep
from fixia.media import presenters as media_presenters
from fixia.media import service as media_service
from fixia.media.dependencies import StorageDep
from fixia.media.models import MediaKind
from fixia.media.router import ACCEPTED, AltField, ImageFile, images_limited
from fixia.media.schemas import MediaOut
from fixia.media.validation import read_image
from fixia.platform.pagination import CursorParam, LimitParam, Page
from fixia.platform.ratelimit import rate_limit
from fixia.projects import opportunities, service
from fixia.projects import proposals as proposals_service
from fixia.projects.dependencies import OwnedProject, OwnProposal, VisibleProject
from fixia.projects.exceptions import ProjectNotFound
from fixia.projects.presenters import opportunity_out, project_out, proposal_out
from fixia.projects.schemas import (
    OpportunityOut,
    OpportunitySort,
    ProjectCreate,
    ProjectOut,
    ProjectUpdate,
    ProposalCreate,
    ProposalOut,
)

router = APIRouter(tags=["projects"])


async def _out(session: SessionDep, project: VisibleProject) -> ProjectOut:
    counts = await service.proposal_counts(session=session, project_ids=[project.id])
    return project_out(project, counts.get(project.id, 0))


@router.post("/projects", status_code=status.HTTP_201_CREATED)
async def create_project(
    data: ProjectCreate, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> ProjectOut:
    project = await service.create_project(
        session=session, settings=settings, client=user, data=data
    )
    return project_out(project, 0)


@router.get("/projects/mine")
async def my_projects(
    user: CurrentUser, session: SessionDep, cursor: CursorParam = None, limit: LimitParam = 20
) -> Page[ProjectOut]:
    projects, next_cursor = await service.list_own(
        session=session, client=user, cursor=cursor, limit=limit
    )
    counts = await service.proposal_counts(session=session, project_ids=[p.id for p in projects])
    items = [project_out(p, counts.get(p.id, 0)) for p in projects]
    return Page(items=items, next_cursor=next_cursor, limit=limit)


@router.get("/projects/{project_id}")
async def get_project(project: VisibleProject, session: SessionDep) -> ProjectOut:
    return await _out(session, project)


@router.patch("/projects/{project_id}")
async def update_project(
    data: ProjectUpdate, project: OwnedProject, session: SessionDep
) -> ProjectOut:
    updated = await service.update_project(session=session, project=project, data=data)
    return await _out(session, updated)


@router.post("/projects/{project_id}/cancel")
async def cancel_project(project: OwnedProject, session: SessionDep) -> ProjectOut:
    await service.cancel_project(session=session, project=project)
    return await _out(session, project)


@router.delete("/projects/{project_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_project(project: OwnedProject, session: SessionDep) -> None:
    await service.delete_project(session=session, project=project)


@router.get("/projects/{project_id}/proposals")
async def project_proposals(
    project: OwnedProject, session: SessionDep, cursor: CursorParam = None, limit: LimitParam = 20
) -> Page[ProposalOut]:
    items, next_cursor = await proposals_service.for_project(
        session=session, project=project, cursor=cursor, limit=limit
    )
    return Page(items=[proposal_out(p) for p in items], next_cursor=next_cursor, limit=limit)


@router.get("/opportunities")
async def list_opportunities(
    user: ProfessionalUser,
    session: SessionDep,
    category_id: uuid.UUID | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    budget_min: Annotated[Decimal | None, Query(ge=0, le=100_000_000)] = None,
    budget_max: Annotated[Decimal | None, Query(ge=0, le=100_000_000)] = None,
    remote: bool | None = None,
    location: Annotated[str | None, Query(max_length=120)] = None,
    sort: OpportunitySort = OpportunitySort.newest,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 12,
) -> Page[OpportunityOut]:
    filters = opportunities.Filters(
        category_id=category_id,
        q=q,
        budget_min=budget_min,
        budget_max=budget_max,
        remote=remote,
        location=location,
        sort=sort,
    )
    items, next_cursor = await opportunities.list_for(
        session=session, pro=user, filters=filters, cursor=cursor, limit=limit
    )
    return Page(items=[opportunity_out(o) for o in items], next_cursor=next_cursor, limit=limit)


@router.post(
    "/opportunities/{project_id}/apply",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(rate_limit("proposals"))],
)
async def apply(
    project_id: uuid.UUID,
    data: ProposalCreate,
    user: ProfessionalUser,
    session: SessionDep,
    settings: SettingsDep,
) -> ProposalOut:
    project = await service.load_project(session=session, project_id=project_id, related=False)
    if project is None:
        raise ProjectNotFound()
    return proposal_out(
        await proposals_service.apply(
            session=session, settings=settings, pro=user, project=project, data=data
        )
    )


@router.get("/proposals/mine")
async def my_proposals(
    user: ProfessionalUser, session: SessionDep, cursor: CursorParam = None, limit: LimitParam = 20
) -> Page[ProposalOut]:
    items, next_cursor = await proposals_service.mine(
        session=session, pro=user, cursor=cursor, limit=limit
    )
    return Page(items=[proposal_out(p) for p in items], next_cursor=next_cursor, limit=limit)


@router.post("/proposals/{proposal_id}/withdraw")
async def withdraw(proposal: OwnProposal, session: SessionDep) -> ProposalOut:
    return proposal_out(await proposals_service.withdraw(session=session, proposal=proposal))


# The project owns its photos and hands them to media; media knows no project.
@router.post(
    "/projects/{project_id}/photos", status_code=ACCEPTED, dependencies=images_limited,
    tags=["media"],
)  # fmt: skip
async def upload_project_photo(
    project: OwnedProject, file: ImageFile, alt: AltField, user: CurrentUser,
    session: SessionDep, settings: SettingsDep, storage: StorageDep,
) -> MediaOut:  # fmt: skip
    data, checked = await read_image(file, settings.media)
    position = await media_service.next_project_position(
        session=session, settings=settings, project_id=project.id
    )
    asset = await media_service.accept(
        session=session, settings=settings, storage=storage, owner=user,
        kind=MediaKind.project_photo, data=data, checked=checked, alt=alt,
        target={"project_id": project.id}, position=position,
    )  # fmt: skip
    return media_presenters.media_out(settings, asset)
