"""Media on the web: serving the files, and the forms that upload, order and delete them.

Every form works without JavaScript (multipart POST, then a redirect); app.js only adds a
progress bar. Alt text is required on every photo upload.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.datastructures import UploadFile

from fixia.accounts.web_session import Professional, SignedIn
from fixia.catalog.dependencies import owned_service, valid_service_id
from fixia.deps import SessionDep, SettingsDep
from fixia.errors import DomainError, InvalidInput
from fixia.media import presenters, service, urls
from fixia.media.dependencies import StorageDep, owned_media
from fixia.media.exceptions import MediaNotFound, SignedUrlInvalid
from fixia.media.models import MediaAsset, MediaKind
from fixia.media.validation import read_image
from fixia.media.variants import CONTENT_TYPES
from fixia.platform.ratelimit import rate_limit
from fixia.platform.storage import ObjectMissing
from fixia.web.forms import read_form
from fixia.web.pages import form_errors, redirect, render, safe_next

router = APIRouter()
DOCUMENT_LABELS = ("dni_front", "dni_back", "license", "insurance", "other")


def alt_of(form: Any) -> str:
    alt = str(form.get("alt") or "").strip()
    if not 3 <= len(alt) <= 200:
        raise InvalidInput("alt", "Describí la foto (entre 3 y 200 caracteres).")
    return alt


def file_of(form: Any) -> UploadFile:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("file", "Elegí un archivo.")
    return upload


@router.get("/media/p/{asset_id}/{name}")
async def public_file(asset_id: uuid.UUID, name: str, storage: StorageDep) -> Response:
    """Variants are immutable (their name holds their hash): cached for a year anywhere."""
    ext = name.rpartition(".")[2]
    if ext not in ("webp", "jpeg") or "/" in name:
        raise MediaNotFound()
    try:
        body = await storage.get(f"{urls.PUBLIC_PREFIX}{asset_id}/{name}")
    except ObjectMissing as error:
        raise MediaNotFound() from error
    headers = {"Cache-Control": urls.IMMUTABLE, "X-Content-Type-Options": "nosniff"}
    return Response(body, media_type=CONTENT_TYPES[ext], headers=headers)


@router.get("/media/d/{asset_id}")
async def private_file(
    asset_id: uuid.UUID, request: Request, session: SessionDep, settings: SettingsDep,
    storage: StorageDep,
) -> Response:  # fmt: skip
    """A document, only through a link signed for it that has not expired."""
    params = request.query_params
    expires, signature = params.get("exp", ""), params.get("sig", "")
    if not expires.isdigit() or not urls.signature_valid(
        settings, asset_id, int(expires), signature
    ):
        raise SignedUrlInvalid()
    asset = await session.get(MediaAsset, asset_id)
    key = (asset.variants or {}).get("file") if asset is not None else None
    if asset is None or asset.kind is not MediaKind.document or not isinstance(key, str):
        raise SignedUrlInvalid()
    try:
        body = await storage.get(key)
    except ObjectMissing as error:
        raise SignedUrlInvalid() from error
    ext = key.rpartition(".")[2]
    headers = {
        "Cache-Control": "private, no-store",
        "Content-Disposition": f'attachment; filename="documento-{asset.label}.{ext}"',
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body, media_type=CONTENT_TYPES[ext], headers=headers)


@router.get("/my/services/{service_id}/photos")
async def gallery_page(
    request: Request, service_id: uuid.UUID, user: Professional, session: SessionDep,
    settings: SettingsDep,
) -> Response:  # fmt: skip
    return await _gallery(request, service_id, user, session, settings)


async def _gallery(
    request: Request, service_id: uuid.UUID, user: Any, session: SessionDep, settings: Any,
    errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
) -> Response:  # fmt: skip
    listing = await owned_service(await valid_service_id(service_id, session), user)
    photos = await service.gallery(session=session, service_id=listing.id)
    context = {
        "listing": listing,
        "photos": [presenters.media_out(settings, p) for p in photos],
        "max_photos": settings.media.gallery_photos + 1,
        "errors": errors or {},
        "form": form or {},
    }
    return render(request, "media/gallery.html", context, 422 if errors else 200)


@router.post(
    "/my/services/{service_id}/photos", dependencies=[Depends(rate_limit("image_uploads"))]
)
async def upload_gallery_photo(
    request: Request, service_id: uuid.UUID, user: Professional, session: SessionDep,
    settings: SettingsDep, storage: StorageDep,
) -> Response:  # fmt: skip
    listing = await owned_service(await valid_service_id(service_id, session), user)
    form = await read_form(request)
    try:
        try:
            alt = alt_of(form)
            data, checked = await read_image(file_of(form), settings.media)
            position = await service.next_service_position(
                session=session, settings=settings, service=listing
            )
            await service.accept(
                session=session, settings=settings, storage=storage, owner=user,
                kind=MediaKind.service_photo, data=data, checked=checked, alt=alt,
                target={"service_id": listing.id}, position=position,
            )  # fmt: skip
        except DomainError as error:
            errors = await form_errors(session, error)
            kept = {"alt": form.get("alt", "")}
            return await _gallery(request, service_id, user, session, settings, errors, kept)
        return redirect(request, f"/my/services/{listing.id}/photos", ok="photo_uploaded")
    finally:
        await form.close()  # the spooled upload's temporary file


@router.post("/my/media/{asset_id}/delete")
async def delete_photo(
    request: Request, asset_id: uuid.UUID, user: SignedIn, session: SessionDep,
    settings: SettingsDep,
) -> Response:  # fmt: skip
    asset = await owned_media(asset_id, session, user)
    form = await read_form(request)
    try:
        await service.remove(session=session, settings=settings, asset=asset)
        return redirect(request, safe_next(form.get("next"), "/account/media"), ok="photo_deleted")
    finally:
        await form.close()  # the spooled upload's temporary file


@router.post("/my/media/{asset_id}/move")
async def move_photo(
    request: Request, asset_id: uuid.UUID, user: SignedIn, session: SessionDep,
    settings: SettingsDep,
) -> Response:  # fmt: skip
    """Reordering without JavaScript: one step up or down per click."""
    asset = await owned_media(asset_id, session, user)
    form = await read_form(request)
    try:
        if asset.service_id is not None:
            items = await service.gallery(session=session, service_id=asset.service_id)
        elif asset.project_id is not None:
            items = await service.project_photos(session=session, project_id=asset.project_id)
        else:
            items = [asset]
        ids = [a.id for a in items]
        at = ids.index(asset.id)
        to = at - 1 if form.get("direction") == "up" else at + 1
        if 0 <= to < len(ids):
            ids[at], ids[to] = ids[to], ids[at]
            await service.reorder(session=session, settings=settings, items=items, ids=ids)
        return redirect(request, safe_next(form.get("next"), "/account/media"), ok="saved")
    finally:
        await form.close()  # the spooled upload's temporary file
