"""Project pages: post a project, my projects with their proposals, opportunities, proposals."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from fixia.accounts.models import User
from fixia.accounts.web_session import Professional, SignedIn
from fixia.catalog import cached
from fixia.db import discard_after_commit
from fixia.deps import CacheDep, SessionDep, SettingsDep
from fixia.errors import DomainError
from fixia.media import presenters as media_presenters
from fixia.media import service as media_service
from fixia.media.dependencies import StorageDep
from fixia.media.models import MediaKind
from fixia.media.validation import read_image
from fixia.media.views import alt_of, file_of
from fixia.platform.ratelimit import rate_limit
from fixia.projects import opportunities, service
from fixia.projects import proposals as proposals_service
from fixia.projects.dependencies import ensure_visible, owned_project
from fixia.projects.exceptions import ProjectNotFound, ProposalNotFound
from fixia.projects.models import Project, Proposal
from fixia.projects.presenters import opportunity_out, project_out, proposal_out
from fixia.projects.schemas import ProjectCreate, ProposalCreate
from fixia.web.forms import read_form
from fixia.web.pages import (
    FORM_ERRORS,
    WEB_PAGE_SIZE,
    cursor_param,
    form_data,
    form_errors,
    parse,
    redirect,
    render,
)

router = APIRouter()
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _project_input(data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    deadline = str(data.get("deadline", ""))
    if DATE.match(deadline):
        # A date picked in Chubut means the end of that day there (UTC-3, no DST).
        values["deadline"] = f"{deadline}T23:59:00-03:00"
    values["is_remote"] = data.get("is_remote") == "on"
    values["skills"] = [s.strip() for s in str(data.get("skills", "")).split(",") if s.strip()]
    return values


async def _categories(request: Request, session: SessionDep, cache: CacheDep) -> list[Any]:
    settings = request.app.state.settings
    rows = await cached.categories(session=session, cache=cache, settings=settings)
    return [(c["id"], c["name"]) for c in rows]


@router.get("/projects/new")
async def new_project_page(
    request: Request, user: SignedIn, session: SessionDep, cache: CacheDep
) -> Response:
    context = {"categories": await _categories(request, session, cache), "form": {}}
    return render(request, "projects/new.html", context)


@router.post("/projects/new")
async def create_project(
    request: Request, user: SignedIn, session: SessionDep, settings: SettingsDep, cache: CacheDep
) -> Response:
    data = await form_data(request)
    try:
        project = await service.create_project(
            session=session,
            settings=settings,
            client=user,
            data=parse(ProjectCreate, _project_input(data)),
        )
    except FORM_ERRORS as error:
        errors = await form_errors(session, error)
    else:
        return redirect(request, f"/my/projects/{project.id}", ok="project_created")
    context = {
        "categories": await _categories(request, session, cache),
        "form": data,
        "errors": errors,
    }
    return render(request, "projects/new.html", context, 422)


@router.get("/my/projects")
async def my_projects(request: Request, user: SignedIn, session: SessionDep) -> Response:
    projects, next_cursor = await service.list_own(
        session=session, client=user, cursor=cursor_param(request), limit=WEB_PAGE_SIZE
    )
    counts = await service.proposal_counts(session=session, project_ids=[p.id for p in projects])
    items = [project_out(p, counts.get(p.id, 0)) for p in projects]
    return render(request, "projects/mine.html", {"projects": items, "next_cursor": next_cursor})


@router.get("/my/projects/{project_id}")
async def my_project(
    request: Request, project_id: uuid.UUID, user: SignedIn, session: SessionDep
) -> Response:
    project = await owned_project(project_id, session, user)
    received, next_cursor = await proposals_service.for_project(
        session=session, project=project, cursor=cursor_param(request), limit=WEB_PAGE_SIZE
    )
    counts = await service.proposal_counts(session=session, project_ids=[project.id])
    photos = await media_service.project_photos(session=session, project_id=project.id)
    context = {
        "project": project_out(project, counts.get(project.id, 0)),
        "proposals": [proposal_out(p) for p in received],
        "next_cursor": next_cursor,
        "photos": [media_presenters.media_out(request.app.state.settings, p) for p in photos],
        "max_photos": request.app.state.settings.media.project_photos,
    }
    return render(request, "projects/detail.html", context)


async def _proposal(session: SessionDep, proposal_id: uuid.UUID) -> Proposal:
    proposal = await proposals_service.load_proposal(session=session, proposal_id=proposal_id)
    if proposal is None:
        raise ProposalNotFound()
    return proposal


@router.get("/opportunities")
async def opportunities_page(request: Request, user: Professional, session: SessionDep) -> Response:
    q = (request.query_params.get("q") or "")[:100] or None
    items, next_cursor = await opportunities.list_for(
        session=session,
        pro=user,
        filters=opportunities.Filters(q=q),
        cursor=request.query_params.get("cursor"),
        limit=12,
    )
    context = {
        "items": [opportunity_out(o) for o in items],
        "next_cursor": next_cursor,
        "form": {"q": q or ""},
    }
    return render(request, "projects/opportunities.html", context)


async def _open_project(session: SessionDep, project_id: uuid.UUID, user: User) -> Project:
    project = await service.load_project(session=session, project_id=project_id)
    if project is None:
        raise ProjectNotFound()
    # The API's visibility rule: a cancelled or closed project is not an opportunity.
    return await ensure_visible(session=session, project=project, user=user)


@router.get("/opportunities/{project_id}")
async def apply_page(
    request: Request, project_id: uuid.UUID, user: Professional, session: SessionDep
) -> Response:
    project = await _open_project(session, project_id, user)
    photos = await media_service.project_photos(session=session, project_id=project.id)
    settings = request.app.state.settings
    context = {
        "project": project_out(project, 0),
        "form": {},
        "photos": [media_presenters.media_out(settings, p) for p in photos],
    }
    return render(request, "projects/apply.html", context)


@router.post("/opportunities/{project_id}", dependencies=[Depends(rate_limit("proposals"))])
async def apply(
    request: Request,
    project_id: uuid.UUID,
    user: Professional,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    project = await _open_project(session, project_id, user)
    data = await form_data(request)
    try:
        await proposals_service.apply(
            session=session,
            settings=settings,
            pro=user,
            project=project,
            data=parse(ProposalCreate, data),
        )
    except FORM_ERRORS as error:
        errors = await form_errors(session, error)
    else:
        return redirect(request, "/my/proposals", ok="applied")
    context = {"project": project_out(project, 0), "form": data, "errors": errors}
    return render(request, "projects/apply.html", context, 422)


@router.get("/my/proposals")
async def my_proposals(request: Request, user: Professional, session: SessionDep) -> Response:
    found, next_cursor = await proposals_service.mine(
        session=session, pro=user, cursor=cursor_param(request), limit=WEB_PAGE_SIZE
    )
    context = {"proposals": [proposal_out(p) for p in found], "next_cursor": next_cursor}
    return render(request, "projects/my_proposals.html", context)


@router.post(
    "/my/projects/{project_id}/photos", dependencies=[Depends(rate_limit("image_uploads"))]
)
async def upload_project_photo(
    request: Request, project_id: uuid.UUID, user: SignedIn, session: SessionDep,
    settings: SettingsDep, storage: StorageDep,
) -> Response:  # fmt: skip
    """No JavaScript needed; a refused file comes back as a notice on the project page."""
    project = await owned_project(project_id, session, user)
    form = await read_form(request)
    try:
        alt = alt_of(form)
        data, checked = await read_image(file_of(form), settings.media)
        position = await media_service.next_project_position(
            session=session, settings=settings, project_id=project.id
        )
        await media_service.accept(
            session=session, settings=settings, storage=storage, owner=user,
            kind=MediaKind.project_photo, data=data, checked=checked, alt=alt,
            target={"project_id": project.id}, position=position,
        )  # fmt: skip
    except DomainError:
        await session.rollback()  # expires `project`: the path's id is used below
        discard_after_commit(session)  # what the rolled-back part meant to do afterwards
        return redirect(request, f"/my/projects/{project_id}", ok="photo_refused")
    finally:
        await form.close()  # the spooled upload's temporary file
    return redirect(request, f"/my/projects/{project_id}", ok="photo_uploaded")
