"""Cookie names: `__Host-` prefixed whenever cookies are Secure.

A `__Host-` cookie must be Secure, have Path=/ and no Domain, and the browser refuses to let
a sibling subdomain or a plain-http page set one: a planted session or CSRF cookie cannot
exist. Browsers only accept the prefix on Secure cookies, so over plain http (development,
the loopback test stacks; `web.cookie_secure` off) the bare names are used instead; the
setting, not the request, decides, so one deployment always uses one set of names.
"""

from __future__ import annotations

from fixia.config import Settings

HOST_PREFIX = "__Host-"


def cookie_name(settings: Settings, base: str) -> str:
    return f"{HOST_PREFIX}{base}" if settings.web.cookie_secure else base
