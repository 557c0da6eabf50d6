"""Catalog pages: home, search, service detail and the professional's own services."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from fixia.accounts.web_session import Professional, WebUser
from fixia.catalog import cached, localities, service, suggest
from fixia.catalog.dependencies import owned_service, valid_service_id, visible_service
from fixia.catalog.presenters import service_out
from fixia.catalog.schemas import ServiceCreate, ServiceQuery, ServiceUpdate, SortBy
from fixia.deps import CacheDep, SessionDep, SettingsDep
from fixia.media import presenters as media_presenters
from fixia.media import service as media_service
from fixia.web.flash import N_
from fixia.web.pages import (
    FORM_ERRORS,
    WEB_PAGE_SIZE,
    cursor_param,
    form_data,
    form_errors,
    parse,
    redirect,
    render,
    validation_errors,
)

router = APIRouter()

SORTS = [
    (SortBy.relevance, N_("Relevancia")),
    (SortBy.price_asc, N_("Menor precio")),
    (SortBy.price_desc, N_("Mayor precio")),
    (SortBy.rating, N_("Mejor calificación")),
    (SortBy.newest, N_("Más nuevos")),
    (SortBy.distance, N_("Más cerca")),
]


@router.get("/")
async def home(
    request: Request, user: WebUser, session: SessionDep, cache: CacheDep, settings: SettingsDep
) -> Response:
    categories = await cached.categories(session=session, cache=cache, settings=settings)
    featured = await cached.search(
        session=session,
        cache=cache,
        settings=settings,
        query=ServiceQuery(sort=SortBy.rating, limit=6),
    )
    context = {"categories": categories, "featured": featured["items"]}
    return render(request, "catalog/home.html", context)


@router.get("/search")
async def search(
    request: Request, user: WebUser, session: SessionDep, cache: CacheDep, settings: SettingsDep
) -> Response:
    params = {k: v for k, v in request.query_params.items() if v != "" and k != "ok"}
    categories = await cached.categories(session=session, cache=cache, settings=settings)
    context: dict[str, Any] = {
        "form": params,
        "categories": categories,
        "sorts": SORTS,
        "suggestions": suggest.datalist(),
        "locality_names": [loc.name for loc in localities.all_localities().values()],
    }
    try:
        query = ServiceQuery.model_validate({**params, "limit": 12})
    except ValidationError as error:
        context.update(
            errors=validation_errors(error),
            page={"items": [], "next_cursor": None},
            first_params={},
        )
        return render(request, "catalog/search.html", context, 422)
    context["page"] = await cached.search(
        session=session, cache=cache, settings=settings, query=query
    )
    context["next_params"] = {**params, "cursor": context["page"]["next_cursor"]}
    context["first_params"] = {k: v for k, v in params.items() if k != "cursor"}
    return render(request, "catalog/search.html", context)


@router.get("/services/{service_id}")
async def service_detail(
    request: Request,
    service_id: uuid.UUID,
    user: WebUser,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
) -> Response:
    if user is None:
        item = await cached.public_service(
            session=session, cache=cache, settings=settings, service_id=service_id
        )
    else:
        found = await valid_service_id(service_id, session)
        item = service_out(await visible_service(found, user))
    photos = await media_service.gallery(session=session, service_id=service_id)
    gallery = [media_presenters.media_out(settings, p) for p in photos]
    return render(request, "catalog/service.html", {"service": item, "gallery": gallery})


async def _category_options(request: Request, session: SessionDep, cache: CacheDep) -> list[Any]:
    settings = request.app.state.settings
    categories = await cached.categories(session=session, cache=cache, settings=settings)
    return [(c["id"], c["name"]) for c in categories]


def _service_input(data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    values["tags"] = [t.strip() for t in str(data.get("tags", "")).split(",") if t.strip()]
    return values


@router.get("/my/services")
async def my_services(request: Request, user: Professional, session: SessionDep) -> Response:
    found, next_cursor = await service.list_own(
        session=session, owner=user, cursor=cursor_param(request), limit=WEB_PAGE_SIZE
    )
    context = {"services": [service_out(s) for s in found], "next_cursor": next_cursor}
    return render(request, "catalog/my_services.html", context)


@router.get("/my/services/new")
async def new_service_page(
    request: Request, user: Professional, session: SessionDep, cache: CacheDep
) -> Response:
    options = await _category_options(request, session, cache)
    context = {"categories": options, "form": {"delivery_time_days": 7}, "editing": None}
    return render(request, "catalog/service_form.html", context)


@router.post("/my/services/new")
async def create_service(
    request: Request,
    user: Professional,
    session: SessionDep,
    settings: SettingsDep,
    cache: CacheDep,
) -> Response:
    data = await form_data(request)
    try:
        await service.create_service(
            session=session,
            settings=settings,
            owner=user,
            data=parse(ServiceCreate, _service_input(data)),
        )
    except FORM_ERRORS as error:
        errors = await form_errors(session, error)
    else:
        return redirect(request, "/my/services", ok="service_created")
    options = await _category_options(request, session, cache)
    context = {"categories": options, "form": data, "errors": errors, "editing": None}
    return render(request, "catalog/service_form.html", context, 422)


@router.get("/my/services/{service_id}/edit")
async def edit_service_page(
    request: Request,
    service_id: uuid.UUID,
    user: Professional,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    found = await owned_service(await valid_service_id(service_id, session), user)
    form = service_out(found).model_dump()
    form.update(category_id=str(found.category_id), tags=", ".join(found.tags or []))
    options = await _category_options(request, session, cache)
    context = {"categories": options, "form": form, "editing": found.id}
    return render(request, "catalog/service_form.html", context)


@router.post("/my/services/{service_id}/edit")
async def update_service(
    request: Request,
    service_id: uuid.UUID,
    user: Professional,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    found = await owned_service(await valid_service_id(service_id, session), user)
    data = await form_data(request)
    try:
        changes = parse(ServiceUpdate, _service_input(data))
        await service.update_service(session=session, service=found, data=changes)
    except FORM_ERRORS as error:
        errors = await form_errors(session, error)
    else:
        return redirect(request, "/my/services", ok="saved")
    options = await _category_options(request, session, cache)
    context = {"categories": options, "form": data, "errors": errors, "editing": found.id}
    return render(request, "catalog/service_form.html", context, 422)


@router.post("/my/services/{service_id}/delete")
async def delete_service(
    request: Request,
    service_id: uuid.UUID,
    user: Professional,
    session: SessionDep,
) -> Response:
    found = await owned_service(await valid_service_id(service_id, session), user)
    await service.delete_service(session=session, service=found)
    await media_service.remove_gallery(session=session, service_id=found.id)
    return redirect(request, "/my/services", ok="service_deleted")
