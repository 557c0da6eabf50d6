"""The one access-token check, shared by the JSON API (a bearer token) and the web pages (the
session cookie): a valid signature and key, a live account, the current token version, no
lock. Each edge decides what a failure means (401 for the API, anonymous for a page)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts import service
from fixia.accounts.exceptions import InvalidToken, UserNotFound
from fixia.accounts.models import Role, User
from fixia.config import Settings
from fixia.db import utcnow
from fixia.platform.security import AccessClaims, TokenError, decode_access_token


async def user_for_access_token(
    *, session: AsyncSession, settings: Settings, token: str
) -> tuple[User, AccessClaims]:
    try:
        claims = decode_access_token(settings.auth, token)
        user = await service.get_active(session=session, user_id=claims.user_id)
    except (TokenError, UserNotFound) as error:
        raise InvalidToken() from error
    locked = user.locked_until is not None and user.locked_until > utcnow()
    if claims.token_version != user.token_version or not user.is_active or locked:
        raise InvalidToken()
    return user, claims


def has_role(user: User, role: Role) -> bool:
    """Admin passes every check; dual acts as client always, as professional when active."""
    if user.role is Role.admin or user.role is role:
        return True
    if user.role is Role.dual:
        return role is Role.client or (role is Role.professional and user.is_professional_active)
    return False
