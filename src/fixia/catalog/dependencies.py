from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Annotated

from fastapi import Depends, Request

from fixia.accounts.access import has_role
from fixia.accounts.dependencies import OptionalUser, ProfessionalUser
from fixia.accounts.models import Role
from fixia.catalog import service
from fixia.catalog.exceptions import NotServiceOwner, ServiceNotFound
from fixia.catalog.models import Service
from fixia.deps import SessionDep, SettingsDep
from fixia.platform.ratelimit import client_ip


async def valid_service_id(service_id: uuid.UUID, session: SessionDep) -> Service:
    found = await service.load_service(session=session, service_id=service_id)
    if found is None:
        raise ServiceNotFound()
    return found


async def visible_service(
    found: Annotated[Service, Depends(valid_service_id)], user: OptionalUser
) -> Service:
    """Public detail: inactive listings and hidden professionals exist only for their owner."""
    owner = found.professional
    is_owner = user is not None and user.id == found.professional_id
    hidden = not found.active or not owner.is_active
    if hidden and not is_owner and not (user is not None and has_role(user, Role.admin)):
        raise ServiceNotFound()
    return found


async def owned_service(
    found: Annotated[Service, Depends(valid_service_id)], user: ProfessionalUser
) -> Service:
    if found.professional_id != user.id and user.role is not Role.admin:
        raise NotServiceOwner()
    return found


def viewer_key(request: Request, user: OptionalUser, settings: SettingsDep) -> str:
    """Who is looking, for counting each viewer once a day: the user, or for an anonymous
    visitor a hash of IP and user agent, keyed so that stored keys reveal no address."""
    if user is not None:
        return f"u:{user.id}"
    secret = settings.encryption_key.get_secret_value().encode()
    key = hmac.new(secret, b"fixia-viewer-v1", hashlib.sha256).digest()
    seen = f"{client_ip(request)}\n{request.headers.get('user-agent', '')}".encode()
    return "a:" + hmac.new(key, seen, hashlib.sha256).hexdigest()[:40]


ValidService = Annotated[Service, Depends(valid_service_id)]
VisibleService = Annotated[Service, Depends(visible_service)]
OwnedService = Annotated[Service, Depends(owned_service)]
ViewerKey = Annotated[str, Depends(viewer_key)]
