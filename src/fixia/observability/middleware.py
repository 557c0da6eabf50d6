"""One pure ASGI middleware for RED metrics, the request id, the access log and the server
span (which, unsampled, also keeps library spans from being built: `ServerSpans.open`).

Pure ASGI (not BaseHTTPMiddleware): no extra task per request, streaming untouched, and the
router's `scope["route"]` is visible once the app returns, which gives the route template.
"""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from opentelemetry.trace import TracerProvider
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fixia.observability import metrics as m
from fixia.observability.logging import access_logger
from fixia.observability.tracing import ServerSpans

REQUEST_ID_HEADER = b"x-request-id"
# Accept the caller's id (HAProxy sets one) only if it is short and harmless in a log line.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def route_template(scope: Scope) -> str:
    """The matched route's full path template, e.g. /api/v1/services/{service_id}.

    FastAPI (0.16x) resolves included routers lazily: `scope["route"]` then holds the route
    as declared in its router (without the /api/v1 prefix), and the full template lives in
    the effective route context. tests/unit/observability pin this behaviour.
    """
    fastapi_scope = scope.get("fastapi")
    if isinstance(fastapi_scope, dict):
        effective = fastapi_scope.get("effective_route_context")
        path = getattr(effective, "path_format", None)
        if isinstance(path, str):
            return path
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER:
            candidate: str = value.decode("latin-1")
            if _SAFE_ID.match(candidate):
                return candidate
            break
    # 32 random hex digits, as uuid4().hex gave, at a third of its cost (no UUID object).
    return os.urandom(16).hex()


@dataclass(frozen=True)
class HitSampling:
    """Which requests may go unlogged and untraced: cache hits, at `ratio`.

    `candidate` says before the request whether it may be answered from the cache (a path
    test); `hit` says afterwards whether it was. A candidate drawn out of the sample runs
    without a server span (library spans suppressed, as under an unsampled one); if it then
    turns out to be no routine hit (a miss, an error, slower than `slow_s`), it gets its server
    span after the fact, from its start time, and its log line, as every request does.
    """

    ratio: float
    slow_s: float
    candidate: Callable[[Scope], bool]
    hit: Callable[[Scope], bool]

    def draw_out(self, scope: Scope) -> bool:
        return self.ratio < 1 and self.candidate(scope) and random.random() >= self.ratio  # noqa: S311 (a log sample, not a secret)

    def routine(self, scope: Scope, status: int, elapsed: float) -> bool:
        return status < 400 and elapsed < self.slow_s and self.hit(scope)


def user_id_of(scope: Scope) -> str | None:
    state = scope.get("state")
    value = state.get("user_id") if isinstance(state, dict) else None
    return value if isinstance(value, str) else None


class ObservabilityMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: bool = True,
        access_log: bool = True,
        tracing: bool = False,
        tracer_provider: TracerProvider | None = None,
        sampling: HitSampling | None = None,
    ) -> None:
        self.app = app
        self.sampling = sampling
        self.metrics = metrics
        self.access_log = access_log
        self.spans = ServerSpans(tracer_provider) if tracing else None
        self.log = access_logger()
        self.series = m.RequestSeries()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        # Tokens restore the outer values afterwards: in tests a request may run inside
        # another one (the sandbox delivers its webhook into the same process).
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id, user_id=None)
        status = 500
        header = (REQUEST_ID_HEADER, request_id.encode())

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        start = time.perf_counter()
        quiet = self.sampling is not None and self.sampling.draw_out(scope)
        opened = None
        if self.spans:
            opened = self.spans.suppressed() if quiet else self.spans.open(scope)
        if self.metrics:
            m.in_flight.count += 1
        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            status = 500
            if opened and not quiet:
                opened.span.record_exception(exc)
            raise
        finally:
            elapsed = time.perf_counter() - start
            if self.metrics:
                m.in_flight.count -= 1
            route = route_template(scope)
            if quiet and self.sampling and self.sampling.routine(scope, status, elapsed):
                if self.metrics:
                    self.series.observe(scope["method"], route, status, elapsed)
            else:
                if quiet and self.spans and opened:
                    ServerSpans.release(opened)
                    opened = self.spans.open(scope, started=start)
                self._record(scope, route, status, elapsed)
            if opened:
                ServerSpans.close(opened, scope, route, status)
            structlog.contextvars.reset_contextvars(**tokens)

    def _record(self, scope: Scope, route: str, status: int, elapsed: float) -> None:
        method = scope["method"]
        if self.metrics:
            self.series.observe(method, route, status, elapsed)
        if self.access_log:
            fields: dict[str, Any] = {
                "method": method,
                "path": scope.get("path", ""),
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "user_id": user_id_of(scope),
            }
            if status >= 500:
                self.log.error("request", **fields)
            else:
                self.log.info("request", **fields)
