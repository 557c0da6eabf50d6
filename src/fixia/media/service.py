"""Media: accepting uploads, ordering galleries, removing files. Never commits.

Order of effects: nothing that leaves the building runs inside the request's transaction,
which holds a pooled database connection. An upload adds its row (pending) and defers the
processing job in the transaction; its bytes go to `incoming/<id>` only once that has
committed (an after-commit action, run before the response), so a rolled-back upload
writes nothing at all. The job waits briefly for bytes that are still on their way (a
worker may pick the job up the moment the commit lands). Deleting goes the other way: the
row goes in the transaction, its objects are deleted by a job deferred with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import User
from fixia.accounts.plans import current_plan
from fixia.catalog.models import Service
from fixia.config import Settings
from fixia.db import after_commit, uuid7
from fixia.media import urls
from fixia.media.exceptions import BadOrder, MediaLimitReached
from fixia.media.models import MediaAsset, MediaKind, MediaStatus
from fixia.media.validation import Checked
from fixia.platform.storage import ObjectStorage
from fixia.queue.defer import defer

PROCESS = "media.process"
DELETE_OBJECTS = "media.delete_objects"
PHOTO_KINDS = (MediaKind.service_photo, MediaKind.project_photo)


async def usage_bytes(*, session: AsyncSession, owner_id: uuid.UUID) -> int:
    """What counts against the quota: variants once made, the upload's size until then."""
    stmt = select(
        func.coalesce(func.sum(MediaAsset.stored_bytes + MediaAsset.size_bytes), 0)
    ).where(MediaAsset.owner_id == owner_id)
    return int((await session.execute(stmt)).scalar_one())


async def _check_quota(
    *, session: AsyncSession, settings: Settings, owner: User, size: int
) -> None:
    quota = settings.media.quota_for(current_plan(owner))
    if await usage_bytes(session=session, owner_id=owner.id) + size > quota:
        raise MediaLimitReached(
            f"Your plan stores up to {quota // (1024 * 1024)} MB of photos and documents."
        )


async def accept(
    *,
    session: AsyncSession,
    settings: Settings,
    storage: ObjectStorage,
    owner: User,
    kind: MediaKind,
    data: bytes,
    checked: Checked,
    alt: str = "",
    label: str = "",
    target: dict[str, uuid.UUID] | None = None,
    position: int = 0,
) -> MediaAsset:
    """Record the checked upload and queue its processing; the asset answers as pending.
    The bytes are stored after the commit, with no connection held."""
    await _check_quota(session=session, settings=settings, owner=owner, size=len(data))
    asset = MediaAsset(
        id=uuid7(),
        owner_id=owner.id,
        kind=kind,
        status=MediaStatus.pending,
        alt=alt,
        label=label,
        content_type=checked.content_type,
        size_bytes=len(data),
        stored_bytes=0,
        width=checked.width,
        height=checked.height,
        variants={},
        position=position,
        **(target or {}),
    )
    session.add(asset)
    await session.flush()
    key, content_type = urls.incoming_key(asset.id), checked.content_type

    async def store() -> None:
        await storage.put(key, data, content_type=content_type)

    # Registered before the job: in process (SQLite) the job is handed over after commit
    # too, in registration order, so it finds the bytes already stored.
    after_commit(session, store)
    await defer(session, PROCESS, lock=f"media:{asset.id}", asset_id=str(asset.id))
    return asset


async def gallery(*, session: AsyncSession, service_id: uuid.UUID) -> list[MediaAsset]:
    stmt = (
        select(MediaAsset)
        .where(MediaAsset.service_id == service_id)
        .order_by(MediaAsset.position, MediaAsset.created_at)
    )
    return list((await session.execute(stmt)).scalars())


async def project_photos(*, session: AsyncSession, project_id: uuid.UUID) -> list[MediaAsset]:
    stmt = (
        select(MediaAsset)
        .where(MediaAsset.project_id == project_id)
        .order_by(MediaAsset.position, MediaAsset.created_at)
    )
    return list((await session.execute(stmt)).scalars())


async def owned(*, session: AsyncSession, owner_id: uuid.UUID, kind: MediaKind) -> list[MediaAsset]:
    stmt = (
        select(MediaAsset)
        .where(MediaAsset.owner_id == owner_id, MediaAsset.kind == kind)
        .order_by(MediaAsset.position, MediaAsset.created_at)
    )
    return list((await session.execute(stmt)).scalars())


def next_position(items: Sequence[MediaAsset], limit: int, what: str) -> int:
    if len(items) >= limit:
        raise MediaLimitReached(f"{what} holds at most {limit} photos.")
    return max((a.position for a in items), default=-1) + 1


async def next_service_position(
    *, session: AsyncSession, settings: Settings, service: Service
) -> int:
    items = await gallery(session=session, service_id=service.id)
    # The cover plus the gallery's photos.
    return next_position(items, settings.media.gallery_photos + 1, "A service's gallery")


async def next_project_position(
    *, session: AsyncSession, settings: Settings, project_id: uuid.UUID
) -> int:
    items = await project_photos(session=session, project_id=project_id)
    return next_position(items, settings.media.project_photos, "A project")


def keys_of(asset: MediaAsset) -> list[str]:
    """Every object an asset may have in storage: its upload and each variant."""
    keys = [urls.incoming_key(asset.id)]
    for entry in (asset.variants or {}).values():
        if isinstance(entry, dict):
            keys += [v for k, v in entry.items() if k in ("webp", "jpeg") and isinstance(v, str)]
        elif isinstance(entry, str):
            keys.append(entry)
    return keys


async def remove(*, session: AsyncSession, settings: Settings, asset: MediaAsset) -> None:
    """Delete the row now; its objects go in a job deferred with the delete."""
    keys = keys_of(asset)
    service_id = asset.service_id
    await session.delete(asset)
    await session.flush()
    await defer(session, DELETE_OBJECTS, keys=keys)
    if service_id is not None:
        await refresh_cover(session=session, settings=settings, service_id=service_id)


async def reorder(
    *, session: AsyncSession, settings: Settings, items: Sequence[MediaAsset], ids: list[uuid.UUID]
) -> list[MediaAsset]:
    by_id = {a.id: a for a in items}
    if len(ids) != len(set(ids)) or set(ids) != set(by_id):
        raise BadOrder()
    for position, asset_id in enumerate(ids):
        by_id[asset_id].position = position
    await session.flush()
    service_ids = {a.service_id for a in items if a.service_id is not None}
    for service_id in service_ids:
        await refresh_cover(session=session, settings=settings, service_id=service_id)
    return [by_id[i] for i in ids]


def card_url(settings: Settings, asset: MediaAsset) -> str | None:
    card = (asset.variants or {}).get("card")
    if asset.status is not MediaStatus.ready or not isinstance(card, dict):
        return None
    return urls.public_url(settings, str(card["jpeg"]))


async def refresh_cover(
    *, session: AsyncSession, settings: Settings, service_id: uuid.UUID
) -> None:
    """The listing's main image is its gallery's first ready photo. A URL typed by hand
    (before galleries existed) stays until the gallery has a photo."""
    listing = await session.get(Service, service_id)
    if listing is None:
        return
    photos = await gallery(session=session, service_id=service_id)
    cover = next((u for a in photos if (u := card_url(settings, a))), None)
    ours = listing.main_image_url is not None and listing.main_image_url.startswith(
        urls.public_url(settings, urls.PUBLIC_PREFIX)
    )
    if cover is not None or ours:
        listing.main_image_url = cover
    await session.flush()


async def remove_gallery(*, session: AsyncSession, service_id: uuid.UUID) -> int:
    """A deleted listing's photos go with it (its row stays, soft-deleted)."""
    photos = await gallery(session=session, service_id=service_id)
    keys = [k for a in photos for k in keys_of(a)]
    for asset in photos:
        await session.delete(asset)
    await session.flush()
    if keys:
        await defer(session, DELETE_OBJECTS, keys=keys)
    return len(photos)


async def remove_user_media(
    *, session: AsyncSession, settings: Settings, user_id: uuid.UUID
) -> int:
    """Account deletion: a person's photos and documents are personal data. Rows go now,
    objects in the deferred job; the avatar URL goes with the account's anonymisation."""
    from fixia.media.models import PortfolioItem

    assets = list(
        (await session.execute(select(MediaAsset).where(MediaAsset.owner_id == user_id))).scalars()
    )
    keys = [k for a in assets for k in keys_of(a)]
    service_ids = {a.service_id for a in assets if a.service_id is not None}
    for asset in assets:
        await session.delete(asset)
    items = await session.execute(select(PortfolioItem).where(PortfolioItem.owner_id == user_id))
    for item in items.scalars():
        await session.delete(item)
    await session.flush()
    if keys:
        await defer(session, DELETE_OBJECTS, keys=keys)
    for service_id in service_ids:
        await refresh_cover(session=session, settings=settings, service_id=service_id)
    return len(assets)
