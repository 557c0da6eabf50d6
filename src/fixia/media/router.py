"""Media JSON API: uploads answer 202 with a pending asset; the worker makes the variants."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile, status

from fixia.accounts.dependencies import CurrentUser, ProfessionalUser, ValidProfessional
from fixia.accounts.models import Role
from fixia.catalog.dependencies import OwnedService, VisibleService
from fixia.deps import SessionDep, SettingsDep
from fixia.errors import NotFound
from fixia.media import portfolio, presenters, service
from fixia.media.dependencies import OwnedMedia, StorageDep, WritableMedia
from fixia.media.models import MediaKind
from fixia.media.schemas import (
    AltIn,
    DocumentOut,
    MediaOut,
    OrderIn,
    PortfolioItemIn,
    PortfolioItemOut,
    PortfolioItemUpdate,
)
from fixia.media.validation import read_document, read_image
from fixia.platform.ratelimit import rate_limit

router = APIRouter(tags=["media"])
ImageFile = Annotated[UploadFile, File(description="JPEG, PNG, WebP or GIF, up to 5 MB")]
AltField = Annotated[str, Form(min_length=3, max_length=200, description="What the photo shows")]
ACCEPTED = status.HTTP_202_ACCEPTED
images_limited = [Depends(rate_limit("image_uploads"))]
avatar_limited = [Depends(rate_limit("avatar_uploads"))]
documents_limited = [Depends(rate_limit("document_uploads"))]


@router.post("/me/avatar", status_code=ACCEPTED, dependencies=avatar_limited)
async def upload_avatar(
    file: ImageFile, alt: AltField, user: CurrentUser, session: SessionDep,
    settings: SettingsDep, storage: StorageDep,
) -> MediaOut:  # fmt: skip
    data, checked = await read_image(file, settings.media)
    asset = await service.accept(
        session=session, settings=settings, storage=storage, owner=user,
        kind=MediaKind.avatar, data=data, checked=checked, alt=alt,
    )  # fmt: skip
    return presenters.media_out(settings, asset)


@router.post("/services/{service_id}/photos", status_code=ACCEPTED, dependencies=images_limited)
async def upload_service_photo(
    listing: OwnedService, file: ImageFile, alt: AltField, user: ProfessionalUser,
    session: SessionDep, settings: SettingsDep, storage: StorageDep,
) -> MediaOut:  # fmt: skip
    data, checked = await read_image(file, settings.media)
    position = await service.next_service_position(
        session=session, settings=settings, service=listing
    )
    asset = await service.accept(
        session=session, settings=settings, storage=storage, owner=user,
        kind=MediaKind.service_photo, data=data, checked=checked, alt=alt,
        target={"service_id": listing.id}, position=position,
    )  # fmt: skip
    return presenters.media_out(settings, asset)


@router.get("/services/{service_id}/photos")
async def list_service_photos(
    listing: VisibleService, session: SessionDep, settings: SettingsDep
) -> list[MediaOut]:
    photos = await service.gallery(session=session, service_id=listing.id)
    return [presenters.media_out(settings, a) for a in photos]


@router.put("/services/{service_id}/photos/order")
async def reorder_service_photos(
    listing: OwnedService, body: OrderIn, session: SessionDep, settings: SettingsDep
) -> list[MediaOut]:
    photos = await service.gallery(session=session, service_id=listing.id)
    ordered = await service.reorder(session=session, settings=settings, items=photos, ids=body.ids)
    return [presenters.media_out(settings, a) for a in ordered]


@router.get("/media/{asset_id}")
async def get_media(asset: OwnedMedia, settings: SettingsDep) -> MediaOut:
    """The owner polls this until `status` is ready."""
    return presenters.media_out(settings, asset)


@router.patch("/media/{asset_id}")
async def describe_media(
    asset: WritableMedia, body: AltIn, session: SessionDep, settings: SettingsDep
) -> MediaOut:
    asset.alt = body.alt
    await session.flush()
    return presenters.media_out(settings, asset)


@router.delete("/media/{asset_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_media(asset: OwnedMedia, session: SessionDep, settings: SettingsDep) -> Response:
    await service.remove(session=session, settings=settings, asset=asset)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/media/{asset_id}/file", status_code=ACCEPTED, dependencies=images_limited)
async def replace_media(
    asset: WritableMedia, file: ImageFile, user: CurrentUser, session: SessionDep,
    settings: SettingsDep, storage: StorageDep,
) -> MediaOut:  # fmt: skip
    """A new file in the same place (gallery position, portfolio item); the old one goes."""
    if asset.kind is MediaKind.document:
        raise NotFound("Documents are not replaced: upload a new one.")
    data, checked = await read_image(file, settings.media)
    target = {
        k: v
        for k in ("service_id", "project_id", "portfolio_item_id")
        if (v := getattr(asset, k)) is not None
    }
    kind, alt, position = asset.kind, asset.alt, asset.position
    await service.remove(session=session, settings=settings, asset=asset)
    fresh = await service.accept(
        session=session, settings=settings, storage=storage, owner=user, kind=kind,
        data=data, checked=checked, alt=alt, target=target, position=position,
    )  # fmt: skip
    return presenters.media_out(settings, fresh)


@router.post("/me/documents", status_code=ACCEPTED, dependencies=documents_limited)
async def upload_document(
    file: Annotated[UploadFile, File(description="A photo or PDF, up to 10 MB")],
    label: Annotated[str, Form(pattern=r"^(dni_front|dni_back|license|insurance|other)$")],
    user: CurrentUser, session: SessionDep, settings: SettingsDep, storage: StorageDep,
) -> DocumentOut:  # fmt: skip
    data, checked = await read_document(file, settings.media)
    asset = await service.accept(
        session=session, settings=settings, storage=storage, owner=user,
        kind=MediaKind.document, data=data, checked=checked, label=label,
    )  # fmt: skip
    return presenters.document_out(settings, asset)


@router.get("/users/{user_id}/documents")
async def list_documents(
    user_id: uuid.UUID, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> list[DocumentOut]:
    """Private: the owner and admins only; each URL is signed and short-lived."""
    if user.id != user_id and user.role is not Role.admin:
        raise NotFound()
    docs = await service.owned(session=session, owner_id=user_id, kind=MediaKind.document)
    return [presenters.document_out(settings, d) for d in docs]


@router.get("/professionals/{professional_id}/portfolio")
async def list_portfolio(
    professional: ValidProfessional, session: SessionDep, settings: SettingsDep
) -> list[PortfolioItemOut]:
    items = await portfolio.items_of(session=session, owner_id=professional.id)
    return [presenters.portfolio_out(settings, i, img) for i, img in items]


@router.post("/me/portfolio", status_code=status.HTTP_201_CREATED, dependencies=images_limited)
async def create_portfolio_item(
    data: Annotated[PortfolioItemIn, Form()], user: ProfessionalUser, session: SessionDep,
    settings: SettingsDep, storage: StorageDep,
    file: Annotated[UploadFile | None, File()] = None,
    alt: Annotated[str | None, Form(min_length=3, max_length=200)] = None,
) -> PortfolioItemOut:  # fmt: skip
    image = None
    if file is not None:
        raw, checked = await read_image(file, settings.media)
        image = (raw, checked, alt or data.title)
    item, asset = await portfolio.create(
        session=session, settings=settings, storage=storage, owner=user, data=data, image=image
    )
    return presenters.portfolio_out(settings, item, asset)


@router.patch("/me/portfolio/{item_id}")
async def update_portfolio_item(
    item_id: uuid.UUID, body: PortfolioItemUpdate, user: ProfessionalUser,
    session: SessionDep, settings: SettingsDep,
) -> PortfolioItemOut:  # fmt: skip
    item = await portfolio.owned_item(session=session, owner=user, item_id=item_id)
    await portfolio.update(session=session, item=item, data=body)
    image = await portfolio.image_of(session=session, item_id=item.id)
    return presenters.portfolio_out(settings, item, image)


@router.delete("/me/portfolio/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_portfolio_item(
    item_id: uuid.UUID, user: ProfessionalUser, session: SessionDep, settings: SettingsDep
) -> Response:
    item = await portfolio.owned_item(session=session, owner=user, item_id=item_id)
    await portfolio.delete(session=session, settings=settings, item=item)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/me/portfolio/order", status_code=status.HTTP_204_NO_CONTENT)
async def reorder_portfolio(body: OrderIn, user: ProfessionalUser, session: SessionDep) -> Response:
    await portfolio.reorder(session=session, owner=user, ids=body.ids)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
