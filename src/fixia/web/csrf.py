"""CSRF protection for every browser form: a signed double-submit token bound to the login
session, and an Origin check.

The cookie holds `nonce.signature`; each form repeats it in a hidden `csrf_token` field. A
cross-site page can make the browser send the cookie but cannot read it to fill the field.
The signature is an HMAC over the login session's id (the refresh-token family, carried in
the access token as `sid`; empty when signed out) and the nonce, so a cookie planted from
elsewhere, say a sibling subdomain, with an attacker's own valid token, does not pass in the
victim's session (issue #27). Unsafe requests must also come from the public origin when the
browser says where they come from (Origin, else Referer); a request naming neither is left
to the token, as non-browser clients and privacy settings send neither.

The JSON API (bearer tokens) and the payment webhooks (signed by the provider) are not routed
through here, so they are exempt by construction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from urllib.parse import urlsplit

from fastapi import Request, Response

from fixia.config import Settings
from fixia.errors import Forbidden
from fixia.platform.cookies import cookie_name
from fixia.web.forms import read_form

COOKIE = "csrf_token"
FIELD = "csrf_token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class CsrfFailed(Forbidden):
    """The form's CSRF token is missing, does not match the cookie, or belongs to another
    session; or the request came from a foreign origin."""

    code, title = "csrf_failed", "The form expired; reload the page and try again"


def _key(settings: Settings) -> bytes:
    secret = settings.auth.jwt_keys[settings.auth.jwt_active_kid].get_secret_value()
    return hmac.new(secret.encode(), b"fixia-csrf-v2", hashlib.sha256).digest()


def _sign(settings: Settings, binding: str, nonce: str) -> str:
    message = f"{binding}|{nonce}".encode()
    return hmac.new(_key(settings), message, hashlib.sha256).hexdigest()


def _valid(settings: Settings, binding: str, token: str) -> bool:
    nonce, _, signature = token.partition(".")
    return bool(nonce) and hmac.compare_digest(signature, _sign(settings, binding, nonce))


def _binding(request: Request) -> str | None:
    """The login session this request belongs to; None when the session was not resolved."""
    return getattr(request.state, "session_id", None)


def token_for(request: Request) -> str:
    """The token to embed in forms; a new one is minted (and set as a cookie) if needed."""
    settings: Settings = request.app.state.settings
    current = getattr(request.state, "csrf_token", None) or request.cookies.get(
        cookie_name(settings, COOKIE)
    )
    binding = _binding(request)
    if current and (binding is None or _valid(settings, binding, current)):
        # With the session unknown (a page that never looked at the user, such as an error
        # page) the cookie is kept as it is: the check on submit still binds it.
        return current
    nonce = secrets.token_urlsafe(24)
    token = f"{nonce}.{_sign(settings, binding or '', nonce)}"
    request.state.csrf_token = token
    request.state.csrf_new = True
    return token


def set_cookie_if_new(request: Request, response: Response) -> None:
    if getattr(request.state, "csrf_new", False):
        settings: Settings = request.app.state.settings
        response.set_cookie(
            cookie_name(settings, COOKIE),
            request.state.csrf_token,
            httponly=True,
            secure=bool(settings.web.cookie_secure),
            samesite="lax",
            path="/",
        )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    try:
        port = parts.port
    except ValueError:
        return ""
    netloc = (parts.hostname or "") + (f":{port}" if port and port != default else "")
    return f"{parts.scheme}://{netloc}" if parts.scheme and netloc else ""


@lru_cache(maxsize=8)
def _allowed_origins(public_url: str, trusted: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_origin(u) for u in (public_url, *trusted)) - {""}


def _from_our_origin(request: Request, settings: Settings) -> bool:
    allowed = _allowed_origins(settings.public_url, tuple(settings.web.trusted_origins))
    origin = request.headers.get("origin")
    if origin is not None:
        return _origin(origin) in allowed  # "null" (sandboxed, privacy redirects) fails too
    referer = request.headers.get("referer")
    return referer is None or _origin(referer) in allowed


async def verify(request: Request) -> None:
    """Router dependency: unsafe methods need our origin and a form field equal to the signed
    cookie of this session. The pages' router resolves the session before it
    (`setup.install_web`), so the session (even one that had to be refreshed) is known first;
    FastAPI resolves that once per request."""
    if request.method not in UNSAFE:
        return
    settings: Settings = request.app.state.settings
    cookie = request.cookies.get(cookie_name(settings, COOKIE), "")
    # All checked before the body is read: a request that cannot pass costs no parsing.
    if not _from_our_origin(request, settings):
        raise CsrfFailed()
    if not cookie or not _valid(settings, _binding(request) or "", cookie):
        raise CsrfFailed()
    form = await read_form(request)
    sent = form.get(FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, cookie):
        await form.close()  # an upload's spooled file: the view that would close it never runs
        raise CsrfFailed()
