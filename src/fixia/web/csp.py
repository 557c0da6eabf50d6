"""Content-Security-Policy for the HTML pages, from settings (`FIXIA_WEB__CSP`).

Pages have no inline script or style at all, so the policy needs neither 'unsafe-inline' nor
nonces. Everything else gets the API's stricter policy from `platform/http_security.py`,
which leaves HTML to this one. Neither overwrites a CSP set closer to the handler, and the
paths exempt from CSP there (Swagger UI) are exempt here too.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Pages send a Referer, and so an Origin, only to our own origin. Under the API's
# "no-referrer" a browser sends `Origin: null` even on a same-origin form post, and the CSRF
# check (web/csrf.py) refuses null; "same-origin" still tells no other site anything.
PAGE_REFERRER_POLICY = b"same-origin"


class ContentSecurityPolicyMiddleware:
    def __init__(self, app: ASGIApp, policy: str, exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        self.policy = policy.encode()
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return

        async def send_with_csp(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower(): v for k, v in headers}
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", self.policy))
                html = present.get(b"content-type", b"").startswith(b"text/html")
                if html and b"referrer-policy" not in present:
                    headers.append((b"referrer-policy", PAGE_REFERRER_POLICY))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_csp)
