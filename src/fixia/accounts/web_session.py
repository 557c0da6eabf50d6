"""Browser sessions: the API's own access/refresh tokens, kept in httpOnly cookies.

The access token is short-lived; when it has expired, the refresh cookie rotates the pair on
the next page load (same rotation and reuse detection as `POST /api/v1/auth/refresh`). The
access token passes the same check as the API's bearer token (`accounts/access.py`).

The web layer imports no domain: cookies decided while resolving the session (a rotated pair,
a dead session) are left on `request.state.session_cookies`, which the page renderer applies
(`fixia.web.pages.finish`); the login session's id is left on `request.state.session_id`,
which the CSRF check binds its token to (`fixia.web.csrf`), and the router runs `web_user`
before that check (`fixia.web.setup.install_web`, handed it by `fixia.main`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial
from typing import Annotated

from fastapi import Depends, Request, Response

from fixia.accounts import tokens
from fixia.accounts.access import has_role, user_for_access_token
from fixia.accounts.exceptions import InvalidToken, RoleRequired
from fixia.accounts.models import Role, User
from fixia.accounts.schemas import TokenPair
from fixia.config import Settings
from fixia.db import released, transactional
from fixia.deps import SessionDep, SettingsDep
from fixia.errors import DomainError, Unauthorized
from fixia.observability.context import bind_user
from fixia.platform.cookies import cookie_name

ACCESS = "access_token"
REFRESH = "refresh_token"
# Staff see a release first: HAProxy sends a request carrying this cookie to the canary slot
# during a deploy (deploy/haproxy/haproxy.cfg.j2, docs/operations/deploy.md). It grants
# nothing in the app; it only chooses which release answers.
STAFF_CANARY_COOKIE = "fixia_canary"
STAFF_CANARY_VALUE = "always"


class LoginRequired(Unauthorized):
    """A page that needs a signed-in user was opened without one."""

    code, title = "login_required", "Login required"


async def _user_for_access(
    request: Request, session: SessionDep, settings: Settings, token: str
) -> User | None:
    try:
        user, claims = await user_for_access_token(session=session, settings=settings, token=token)
    except InvalidToken:
        return None
    # The login session, which the CSRF token is bound to (fixia.web.csrf).
    request.state.session_id = claims.session_id
    return user


async def _refresh(request: Request, session: SessionDep, settings: Settings) -> User | None:
    refresh = request.cookies.get(cookie_name(settings, REFRESH))
    if not refresh:
        return None
    # The rotation is its own unit of work, committed now: the page's own may call a payment
    # provider with nothing written yet (db.released), and a page that fails must not roll
    # back the pair its response already set in the cookies. A reuse's revocation commits too.
    pair: TokenPair | None = None
    async with released(session), transactional(request.app.state.sessions) as own:
        try:
            pair = await tokens.rotate(
                session=own,
                settings=settings,
                token=refresh,
                user_agent=request.headers.get("user-agent"),
            )
        except DomainError:
            request.state.session_cookies = partial(clear_session_cookies, settings=settings)
    if pair is None:
        return None
    request.state.session_cookies = partial(set_session_cookies, settings=settings, pair=pair)
    return await _user_for_access(request, session, settings, pair.access_token)


@dataclass(frozen=True)
class Viewer:
    """What pages show of the signed-in user: a plain copy, safe after the session closed
    (an error page renders after the rollback has expired every ORM object)."""

    id: uuid.UUID
    name: str
    role: Role


async def web_user(request: Request, session: SessionDep, settings: SettingsDep) -> User | None:
    # Anonymous until an access (or refresh) token proves otherwise.
    request.state.session_id = ""
    token = request.cookies.get(cookie_name(settings, ACCESS))
    user = await _user_for_access(request, session, settings, token) if token else None
    if user is None:
        user = await _refresh(request, session, settings)
    request.state.user = Viewer(user.id, user.name, user.role) if user else None
    _staff_canary(request, settings, user)
    if user is not None:
        bind_user(request, user.id)
        # The nav's unread-messages badge, right without JavaScript (JS keeps it live). The
        # counter comes from the composition root (fixia.main): accounts imports no
        # conversations.
        counter = request.app.state.unread_total
        request.state.unread_messages = await counter(session=session, user_id=user.id)
    return user


def _staff_canary(request: Request, settings: Settings, user: User | None) -> None:
    """Keep the staff canary cookie in line with who is signed in: an admin gets it, anyone
    else loses it. Applied with the session's own cookies (`request.state.session_cookies`)."""
    staff = user is not None and has_role(user, Role.admin)
    if staff == (request.cookies.get(STAFF_CANARY_COOKIE) == STAFF_CANARY_VALUE):
        return
    before = getattr(request.state, "session_cookies", None)

    def apply(response: Response) -> None:
        if before is not None:
            before(response)
        if staff:
            _set_cookie(response, settings, STAFF_CANARY_COOKIE, STAFF_CANARY_VALUE)
        else:
            response.delete_cookie(STAFF_CANARY_COOKIE, path="/")

    request.state.session_cookies = apply


async def require_user(user: Annotated[User | None, Depends(web_user)]) -> User:
    if user is None:
        raise LoginRequired()
    return user


def require_role(user: User, role: Role) -> User:
    if not has_role(user, role):
        raise RoleRequired()
    return user


async def require_professional(user: Annotated[User, Depends(require_user)]) -> User:
    return require_role(user, Role.professional)


async def require_admin(user: Annotated[User, Depends(require_user)]) -> User:
    return require_role(user, Role.admin)


WebUser = Annotated[User | None, Depends(web_user)]
SignedIn = Annotated[User, Depends(require_user)]
Professional = Annotated[User, Depends(require_professional)]
Admin = Annotated[User, Depends(require_admin)]


def _set_cookie(
    response: Response, settings: Settings, name: str, value: str, max_age: int | None = None
) -> None:
    """httpOnly, SameSite=Lax, the whole site; lives as long as the login (the refresh
    token) unless `max_age` says otherwise."""
    response.set_cookie(
        name,
        value,
        max_age=settings.auth.refresh_ttl_s if max_age is None else max_age,
        httponly=True,
        secure=bool(settings.web.cookie_secure),
        samesite="lax",
        path="/",
    )


def set_session_cookies(response: Response, settings: Settings, pair: TokenPair) -> None:
    access, refresh = cookie_name(settings, ACCESS), cookie_name(settings, REFRESH)
    _set_cookie(response, settings, access, pair.access_token, settings.auth.access_ttl_s)
    _set_cookie(response, settings, refresh, pair.refresh_token)


def clear_session_cookies(response: Response, settings: Settings) -> None:
    secure = bool(settings.web.cookie_secure)
    for base in (ACCESS, REFRESH):
        name = cookie_name(settings, base)
        response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="lax")
    response.delete_cookie(STAFF_CANARY_COOKIE, path="/")
