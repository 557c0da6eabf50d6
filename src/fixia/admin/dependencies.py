from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request

from fixia.accounts.dependencies import AdminUser
from fixia.accounts.models import User
from fixia.admin import service
from fixia.deps import SessionDep


async def managed_user(admin: AdminUser, user_id: uuid.UUID, session: SessionDep) -> User:
    """The target account, loaded only after the caller proved to be an admin."""
    return await service.load_managed_user(session=session, user_id=user_id)


def peer_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def client_ip(request: Request) -> str | None:
    return peer_ip(request)


ManagedUser = Annotated[User, Depends(managed_user)]
ClientIp = Annotated[str | None, Depends(client_ip)]
