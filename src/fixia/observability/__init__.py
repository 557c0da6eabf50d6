"""Metrics, traces, logs and error tracking, wired into the app by one call: `install`.

Everything that starts threads or opens connections (the tracer provider and its exporter,
Sentry) waits for the lifespan startup, which runs in each uvicorn worker after the fork.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.types import Scope

from fixia import buildinfo
from fixia.config import Settings
from fixia.errors import NotFound
from fixia.observability import business, pool, tracing
from fixia.observability import metrics as m
from fixia.observability.errors import init_sentry
from fixia.observability.logging import LOG_FLUSH_INTERVAL_S, configure_logging, flush_lines
from fixia.observability.middleware import HitSampling, ObservabilityMiddleware

# Headers a proxy adds. Prometheus scrapes each slot's own port directly; anything that came
# through HAProxy is the public, whatever spelling of the path got it past HAProxy's rule.
PROXY_HEADERS = ("x-forwarded-for", "forwarded")


class MetricsNotPublic(NotFound):
    """/metrics was asked for through the proxy: as far as the public knows, it does not exist."""


def _metrics_endpoint(app: FastAPI) -> None:
    async def metrics(request: Request) -> Response:
        if any(name in request.headers for name in PROXY_HEADERS):
            raise MetricsNotPublic()
        pool.publish(app.state.engine)
        m.in_flight.publish()
        body, content_type = m.render()
        return Response(body, media_type=content_type)

    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)


async def _publish_periodically() -> None:
    """Batched access-log lines reach stderr, and this worker's in-flight count its gauge,
    within a fraction of a second even when no further request comes."""
    while True:
        await asyncio.sleep(LOG_FLUSH_INTERVAL_S)
        flush_lines()
        m.in_flight.publish()


def _wrap_lifespan(app: FastAPI, settings: Settings) -> None:
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        if settings.observability.tracing_on:
            tracing.start(settings, app.state.engine, buildinfo.slot(settings))
        app.state.sentry = init_sentry(settings)
        flusher = asyncio.create_task(_publish_periodically())
        try:
            async with inner(app) as state:
                yield state
        finally:
            flusher.cancel()
            flush_lines()
            if settings.observability.tracing_on:
                tracing.flush()
            m.process_exited()

    app.router.lifespan_context = lifespan


def install(
    app: FastAPI,
    settings: Settings,
    hits: tuple[Callable[[Scope], bool], Callable[[Scope], bool]] | None = None,
) -> None:
    """`hits`: (may this request be a cache hit, was it), for `HitSampling`."""
    obs = settings.observability
    sampling = None
    if hits is not None:
        sampling = HitSampling(obs.hit_sample_ratio, obs.slow_request_ms / 1000, *hits)
    configure_logging(obs.log_level)
    business.subscribe_all()
    m.initialise_labels()
    m.BUILD_INFO.labels(**buildinfo.build_labels(settings)).set(1)
    pool.watch(app.state.engine)
    if obs.metrics_on or (obs.enabled and obs.access_log) or obs.tracing_on:
        app.add_middleware(
            ObservabilityMiddleware,
            metrics=obs.metrics_on,
            access_log=obs.enabled and obs.access_log,
            tracing=obs.tracing_on,
            sampling=sampling,
        )
    _metrics_endpoint(app)
    _wrap_lifespan(app, settings)
