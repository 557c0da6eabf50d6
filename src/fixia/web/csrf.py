"""CSRF protection for every browser form: a signed double-submit token.

The cookie holds `random.signature`; each form repeats it in a hidden `csrf_token` field. A
cross-site page can make the browser send the cookie but cannot read it to fill the field, and
the HMAC signature stops a planted cookie (e.g. from a sibling subdomain) from being accepted.
The JSON API (bearer tokens) and the payment webhooks (signed by the provider) are not routed
through here, so they are exempt by construction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

from fixia.config import Settings
from fixia.errors import Forbidden
from fixia.web.forms import read_form

COOKIE = "csrf_token"
FIELD = "csrf_token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class CsrfFailed(Forbidden):
    """The form's CSRF token is missing or does not match the cookie."""

    code, title = "csrf_failed", "The form expired; reload the page and try again"


def _key(settings: Settings) -> bytes:
    secret = settings.auth.jwt_keys[settings.auth.jwt_active_kid].get_secret_value()
    return hmac.new(secret.encode(), b"fixia-csrf-v1", hashlib.sha256).digest()


def _sign(settings: Settings, nonce: str) -> str:
    return hmac.new(_key(settings), nonce.encode(), hashlib.sha256).hexdigest()


def _valid(settings: Settings, token: str) -> bool:
    nonce, _, signature = token.partition(".")
    return bool(nonce) and hmac.compare_digest(signature, _sign(settings, nonce))


def token_for(request: Request) -> str:
    """The token to embed in forms; a new one is minted (and set as a cookie) if needed."""
    settings: Settings = request.app.state.settings
    current = getattr(request.state, "csrf_token", None) or request.cookies.get(COOKIE)
    if current and _valid(settings, current):
        return current
    nonce = secrets.token_urlsafe(24)
    token = f"{nonce}.{_sign(settings, nonce)}"
    request.state.csrf_token = token
    request.state.csrf_new = True
    return token


def set_cookie_if_new(request: Request, response: Response) -> None:
    if getattr(request.state, "csrf_new", False):
        settings: Settings = request.app.state.settings
        response.set_cookie(
            COOKIE,
            request.state.csrf_token,
            httponly=True,
            secure=bool(settings.web.cookie_secure),
            samesite="lax",
            path="/",
        )


async def verify(request: Request) -> None:
    """Router dependency: unsafe methods need a form field equal to the signed cookie."""
    if request.method not in UNSAFE:
        return
    settings: Settings = request.app.state.settings
    cookie = request.cookies.get(COOKIE, "")
    # Checked before the body is read: a request that cannot pass costs no parsing.
    if not cookie or not _valid(settings, cookie):
        raise CsrfFailed()
    sent = (await read_form(request)).get(FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, cookie):
        raise CsrfFailed()
