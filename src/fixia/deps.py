"""Annotated dependency aliases: the session, the settings, the caller and role checks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts import service as accounts_service
from fixia.accounts.exceptions import InvalidToken, RoleRequired, UserNotFound
from fixia.accounts.models import Role, User
from fixia.config import Settings
from fixia.db import discard_after_commit, run_after_commit, utcnow
from fixia.errors import DomainError
from fixia.observability.context import bind_user
from fixia.platform.cache import Cache
from fixia.platform.security import TokenError, decode_access_token


# The dependencies that only read app state are `async def`: FastAPI runs a plain `def`
# dependency in its thread pool, a thread hop (and GIL hand-over) per request for nothing.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_cache(request: Request) -> Cache:
    cache: Cache = request.app.state.cache
    return cache


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request owns the transaction: commit when the handler returns, else roll back."""
    async with request.app.state.sessions() as session:
        try:
            yield session
        except DomainError as error:
            if error.persist:
                await session.commit()
                await run_after_commit(session)
            else:
                await session.rollback()
                discard_after_commit(session)
            raise
        except BaseException:
            await session.rollback()
            discard_after_commit(session)
            raise
        else:
            await session.commit()
            await run_after_commit(session)


SettingsDep = Annotated[Settings, Depends(get_settings)]
CacheDep = Annotated[Cache, Depends(get_cache)]
# scope="function" commits before the response is sent, so a failed commit is reported.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

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
    token = credentials.credentials
    try:
        claims = decode_access_token(settings.auth, token)
        user = await accounts_service.get_active(session=session, user_id=claims.user_id)
    except (TokenError, UserNotFound) as error:
        raise InvalidToken() from error
    now = utcnow()
    stale = claims.token_version != user.token_version
    if stale or not user.is_active or (user.locked_until and user.locked_until > now):
        raise InvalidToken()
    bind_user(request, user.id)
    return user


async def _require_user(user: Annotated[User | None, Depends(_user_from_token)]) -> User:
    if user is None:
        raise InvalidToken("Authentication required.")
    return user


OptionalUser = Annotated[User | None, Depends(_user_from_token)]
CurrentUser = Annotated[User, Depends(_require_user)]


def has_role(user: User, role: Role) -> bool:
    """Admin passes every check; dual acts as client always, as professional when active."""
    if user.role is Role.admin or user.role is role:
        return True
    if user.role is Role.dual:
        return role is Role.client or (role is Role.professional and user.is_professional_active)
    return False


def require_role(role: Role) -> Callable[..., Coroutine[Any, Any, User]]:
    async def check(user: CurrentUser) -> User:
        if not has_role(user, role):
            raise RoleRequired(f"This action requires the {role.value} role.")
        return user

    return check


ProfessionalUser = Annotated[User, Depends(require_role(Role.professional))]
ClientUser = Annotated[User, Depends(require_role(Role.client))]
AdminUser = Annotated[User, Depends(require_role(Role.admin))]
