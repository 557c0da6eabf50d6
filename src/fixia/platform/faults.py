"""Fault injection for deploy drills: a release can be built to fail on purpose.

The deploy controller's acceptance tests need bad releases that are real releases (a wheel,
a venv, a supervisor program), not mocks. A release built with `fixiactl release build --fault
error_rate=0.2` carries these settings in its env file. Settings refuse them in production.
"""

from __future__ import annotations

import asyncio
import json
import random

from starlette.types import ASGIApp, Receive, Scope, Send

from fixia.config.runtime import FaultSettings

# Probes and scrapes stay truthful: a faulty release must still be observable and drainable.
EXEMPT = frozenset({"/healthz", "/readyz", "/metrics"})


class FaultInjector:
    """Pure ASGI middleware (no per-request allocation beyond the decision)."""

    def __init__(self, app: ASGIApp, faults: FaultSettings) -> None:
        self.app = app
        self.faults = faults
        self.seen = 0
        self.rng = random.Random()  # noqa: S311 - fault sampling, not security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path == "/readyz" and self.faults.fail_readiness:
            await _respond(send, 503, {"status": "not_ready", "checks": {"fault": "injected"}})
            return
        if path in EXEMPT:
            await self.app(scope, receive, send)
            return
        self.seen += 1
        if self.seen > self.faults.skip_first:
            if self.faults.extra_latency_ms:
                await asyncio.sleep(self.faults.extra_latency_ms / 1000)
            if self.faults.error_rate and self.rng.random() < self.faults.error_rate:
                await _respond(send, 500, {"title": "Injected fault", "status": 500})
                return
        await self.app(scope, receive, send)


async def _respond(send: Send, status: int, body: dict[str, object]) -> None:
    payload = json.dumps(body).encode()
    content_type = b"application/problem+json" if status >= 500 else b"application/json"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", b"%d" % len(payload))],
        }
    )
    await send({"type": "http.response.body", "body": payload})
