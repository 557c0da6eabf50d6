"""The API's caller (a bearer token) and role checks, and professionals loaded by id."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from fixia.accounts.access import has_role, user_for_access_token
from fixia.accounts.exceptions import InvalidToken, RoleRequired, UserNotFound
from fixia.accounts.models import Role, User
from fixia.deps import SessionDep, SettingsDep
from fixia.observability.context import bind_user

_bearer = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/login")


async def _user_from_token(
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User | None:
    # Bearer only: the browser's session cookies belong to the web pages, which check CSRF;
    # accepting them here would let a cross-site form drive the JSON API.
    if credentials is None:
        return None
    user, _ = await user_for_access_token(
        session=session, settings=settings, token=credentials.credentials
    )
    bind_user(request, user.id)
    return user


async def _require_user(user: Annotated[User | None, Depends(_user_from_token)]) -> User:
    if user is None:
        raise InvalidToken("Authentication required.")
    return user


OptionalUser = Annotated[User | None, Depends(_user_from_token)]
CurrentUser = Annotated[User, Depends(_require_user)]


def require_role(role: Role) -> Callable[..., Coroutine[Any, Any, User]]:
    async def check(user: CurrentUser) -> User:
        if not has_role(user, role):
            raise RoleRequired(f"This action requires the {role.value} role.")
        return user

    return check


ProfessionalUser = Annotated[User, Depends(require_role(Role.professional))]
ClientUser = Annotated[User, Depends(require_role(Role.client))]
AdminUser = Annotated[User, Depends(require_role(Role.admin))]


async def valid_professional_id(professional_id: uuid.UUID, session: SessionDep) -> User:
    stmt = (
        select(User)
        .where(User.id == professional_id, User.deleted_at.is_(None), User.suspended_at.is_(None))
        .options(selectinload(User.profile))
    )
    user = (await session.execute(stmt)).scalar_one_or_none()
    if user is None or user.profile is None:
        raise UserNotFound("No such professional.")
    return user


ValidProfessional = Annotated[User, Depends(valid_professional_id)]
