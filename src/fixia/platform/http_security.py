"""HTTP hardening: security headers and the CORS allowlist.

The request-body limit is `platform.body_limit`, installed here so that it sits in the same
place in the middleware order. Pure ASGI middleware: responses are never buffered here.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fixia.config import SecuritySettings
from fixia.platform.body_limit import BodyLimitMiddleware, RouteLimit


def security_headers(settings: SecuritySettings) -> list[tuple[bytes, bytes]]:
    headers = {
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": settings.referrer_policy,
        "cross-origin-opener-policy": "same-origin",
    }
    if settings.csp:
        headers["content-security-policy"] = settings.csp
    if settings.hsts_max_age_s > 0:
        headers["strict-transport-security"] = (
            f"max-age={settings.hsts_max_age_s}; includeSubDomains"
        )
    return [(k.encode(), v.encode()) for k, v in headers.items()]


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response, without replacing any header a
    handler already set: an HTML page that sets its own CSP (with nonces) keeps it."""

    def __init__(self, app: ASGIApp, settings: SecuritySettings) -> None:
        self.app = app
        self.headers = security_headers(settings)
        self.csp_exempt = tuple(settings.csp_exempt_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exempt = scope["path"] in self.csp_exempt

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower(): v for k, v in message.get("headers", [])}
                # Pages carry the web layer's own CSP and referrer policy (fixia.web.csp);
                # ours are the API's.
                html = present.get(b"content-type", b"").startswith(b"text/html")
                skip = {b"content-security-policy"} if exempt or html else set()
                if html:
                    skip.add(b"referrer-policy")
                extra = [(k, v) for k, v in self.headers if k not in present and k not in skip]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_http_security(
    app: FastAPI, settings: SecuritySettings, upload_limits: Sequence[RouteLimit] = ()
) -> None:
    """Order (outermost first): headers, then CORS, so CORS preflight answers carry the
    security headers too. `upload_limits`: the routes allowed a larger body than the rest."""
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes, routes=upload_limits)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            allow_credentials=True,
            max_age=600,
        )
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
