"""The account's media page: avatar, portfolio and verification documents (no JS needed)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.datastructures import UploadFile

from fixia.accounts.web_session import Professional, SignedIn
from fixia.deps import SessionDep, SettingsDep
from fixia.errors import DomainError, InvalidInput
from fixia.media import portfolio, presenters, service
from fixia.media.dependencies import StorageDep
from fixia.media.models import MediaKind
from fixia.media.schemas import PortfolioItemIn, PortfolioItemUpdate
from fixia.media.validation import read_document, read_image
from fixia.media.views import DOCUMENT_LABELS, alt_of, file_of
from fixia.platform.ratelimit import rate_limit
from fixia.web.forms import read_form
from fixia.web.pages import FORM_ERRORS, form_errors, parse, redirect, render

router = APIRouter()


async def _page(
    request: Request, user: Any, session: SessionDep, settings: Any,
    errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
) -> Response:  # fmt: skip
    avatars = await service.owned(session=session, owner_id=user.id, kind=MediaKind.avatar)
    docs = await service.owned(session=session, owner_id=user.id, kind=MediaKind.document)
    items = await portfolio.items_of(session=session, owner_id=user.id)
    context = {
        "avatar": presenters.media_out(settings, avatars[-1]) if avatars else None,
        "documents": [presenters.document_out(settings, d) for d in docs],
        "portfolio": [presenters.portfolio_out(settings, i, img) for i, img in items],
        "labels": DOCUMENT_LABELS,
        "errors": errors or {},
        "form": form or {},
    }
    return render(request, "media/account.html", context, 422 if errors else 200)


@router.get("/account/media")
async def media_page(
    request: Request, user: SignedIn, session: SessionDep, settings: SettingsDep
) -> Response:
    return await _page(request, user, session, settings)


@router.post("/account/avatar", dependencies=[Depends(rate_limit("avatar_uploads"))])
async def upload_avatar(
    request: Request, user: SignedIn, session: SessionDep, settings: SettingsDep,
    storage: StorageDep,
) -> Response:  # fmt: skip
    form = await read_form(request)
    try:
        try:
            alt = alt_of(form)
            data, checked = await read_image(file_of(form), settings.media)
            await service.accept(
                session=session, settings=settings, storage=storage, owner=user,
                kind=MediaKind.avatar, data=data, checked=checked, alt=alt,
            )  # fmt: skip
        except DomainError as error:
            errors = await form_errors(session, error)
            return await _page(request, user, session, settings, errors)
        return redirect(request, "/account/media", ok="photo_uploaded")
    finally:
        await form.close()  # the spooled upload's temporary file


@router.post("/account/documents", dependencies=[Depends(rate_limit("document_uploads"))])
async def upload_document(
    request: Request, user: SignedIn, session: SessionDep, settings: SettingsDep,
    storage: StorageDep,
) -> Response:  # fmt: skip
    form = await read_form(request)
    try:
        try:
            label = str(form.get("label") or "")
            if label not in DOCUMENT_LABELS:
                raise InvalidInput("label", "Elegí qué documento es.")
            data, checked = await read_document(file_of(form), settings.media)
            await service.accept(
                session=session, settings=settings, storage=storage, owner=user,
                kind=MediaKind.document, data=data, checked=checked, label=label,
            )  # fmt: skip
        except DomainError as error:
            errors = await form_errors(session, error)
            return await _page(request, user, session, settings, errors)
        return redirect(request, "/account/media", ok="document_uploaded")
    finally:
        await form.close()  # the spooled upload's temporary file


@router.post("/account/portfolio", dependencies=[Depends(rate_limit("image_uploads"))])
async def create_portfolio_item(
    request: Request, user: Professional, session: SessionDep, settings: SettingsDep,
    storage: StorageDep,
) -> Response:  # fmt: skip
    form = await read_form(request)
    try:
        fields = {k: v for k, v in form.items() if isinstance(v, str) and k not in ("csrf_token",)}
        try:
            data = parse(PortfolioItemIn, _portfolio_values(fields))
            upload = form.get("file")
            image = None
            if isinstance(upload, UploadFile) and upload.filename:
                raw, checked = await read_image(file_of(form), settings.media)
                image = (raw, checked, alt_of(form))
            await portfolio.create(
                session=session,
                settings=settings,
                storage=storage,
                owner=user,
                data=data,
                image=image,
            )
        except FORM_ERRORS as error:
            errors = await form_errors(session, error)
            return await _page(request, user, session, settings, errors, fields)
        return redirect(request, "/account/media", ok="portfolio_saved")
    finally:
        await form.close()  # the spooled upload's temporary file


def _portfolio_values(fields: dict[str, str]) -> dict[str, Any]:
    """The form's strings as the item's schema takes them (tags by commas, a checkbox)."""
    values: dict[str, Any] = {k: v for k, v in fields.items() if k != "alt"}
    values["tags"] = [t.strip() for t in fields.get("tags", "").split(",") if t.strip()]
    values["featured"] = fields.get("featured") == "on"
    if not values.get("project_url"):
        values["project_url"] = None
    return values


async def _edit_page(
    request: Request, item: Any, errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
) -> Response:  # fmt: skip
    shown = form or {
        "title": item.title,
        "description": item.description,
        "project_url": item.project_url or "",
        "tags": ", ".join(item.tags),
        "featured": "on" if item.featured else "",
    }
    context = {"item": item, "form": shown, "errors": errors or {}}
    return render(request, "media/portfolio_edit.html", context, 422 if errors else 200)


@router.get("/account/portfolio/{item_id}/edit")
async def edit_portfolio_page(
    request: Request, item_id: uuid.UUID, user: Professional, session: SessionDep
) -> Response:
    item = await portfolio.owned_item(session=session, owner=user, item_id=item_id)
    return await _edit_page(request, item)


@router.post("/account/portfolio/{item_id}/edit")
async def edit_portfolio_item(
    request: Request, item_id: uuid.UUID, user: Professional, session: SessionDep
) -> Response:
    item = await portfolio.owned_item(session=session, owner=user, item_id=item_id)
    form = await read_form(request)
    try:
        fields = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        try:
            data = parse(PortfolioItemUpdate, _portfolio_values(fields))
            await portfolio.update(session=session, item=item, data=data)
        except FORM_ERRORS as error:
            return await _edit_page(request, item, await form_errors(session, error), fields)
        return redirect(request, "/account/media", ok="portfolio_saved")
    finally:
        await form.close()


@router.post("/account/portfolio/{item_id}/delete")
async def delete_portfolio_item(
    request: Request, item_id: uuid.UUID, user: Professional, session: SessionDep,
    settings: SettingsDep,
) -> Response:  # fmt: skip
    item = await portfolio.owned_item(session=session, owner=user, item_id=item_id)
    await portfolio.delete(session=session, settings=settings, item=item)
    return redirect(request, "/account/media", ok="saved")


@router.post("/account/portfolio/{item_id}/move")
async def move_portfolio_item(
    request: Request, item_id: uuid.UUID, user: Professional, session: SessionDep
) -> Response:
    """Reordering without JavaScript: one step up or down per click (featured stay first)."""
    await portfolio.owned_item(session=session, owner=user, item_id=item_id)
    form = await read_form(request)
    try:
        ids = [item.id for item, _ in await portfolio.items_of(session=session, owner_id=user.id)]
        at = ids.index(item_id)
        to = at - 1 if form.get("direction") == "up" else at + 1
        if 0 <= to < len(ids):
            ids[at], ids[to] = ids[to], ids[at]
            await portfolio.reorder(session=session, owner=user, ids=ids)
        return redirect(request, "/account/media", ok="saved")
    finally:
        await form.close()
