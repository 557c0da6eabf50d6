"""Who may touch which media: the owner, and admins for moderation. One place per resource."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request

from fixia.accounts.dependencies import CurrentUser
from fixia.accounts.models import Role
from fixia.deps import SessionDep
from fixia.media.exceptions import MediaNotFound, NotMediaOwner
from fixia.media.models import MediaAsset
from fixia.platform.storage import ObjectStorage, storage_for


async def get_storage(request: Request) -> ObjectStorage:
    return storage_for(request.app.state.settings)


async def owned_media(asset_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> MediaAsset:
    """A stranger learns nothing: another's asset is 'not found', not 'forbidden'."""
    asset = await session.get(MediaAsset, asset_id)
    if asset is None:
        raise MediaNotFound()
    if asset.owner_id != user.id and user.role is not Role.admin:
        raise MediaNotFound()
    return asset


async def writable_media(
    asset: Annotated[MediaAsset, Depends(owned_media)], user: CurrentUser
) -> MediaAsset:
    """Admins may remove (moderation) but not replace someone's photo with their own."""
    if asset.owner_id != user.id:
        raise NotMediaOwner()
    return asset


StorageDep = Annotated[ObjectStorage, Depends(get_storage)]
OwnedMedia = Annotated[MediaAsset, Depends(owned_media)]
WritableMedia = Annotated[MediaAsset, Depends(writable_media)]
