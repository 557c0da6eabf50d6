"""OpenTelemetry tracing: FastAPI/ASGI, SQLAlchemy, Redis, httpx (and asyncpg if asked).

Two phases, because uvicorn forks its workers after importing the app:
- `instrument_app` (in create_app) wraps the ASGI app; its tracer is the global proxy, which
  creates nothing until a provider exists.
- `start` (in the lifespan startup, i.e. in each worker after the fork) creates the provider,
  its exporter thread and the library instrumentation.
The incoming W3C `traceparent` (forwarded by HAProxy) becomes the parent of the server span.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from sqlalchemy.ext.asyncio import AsyncEngine

from fixia import __version__
from fixia.config import Settings

log = logging.getLogger("fixia.tracing")
# Probes and scrapes would drown the real traffic's traces.
EXCLUDED_URLS = "/metrics$,/healthz$,/readyz$"
_instrumented: set[str] = set()


def instrument_app(app: FastAPI) -> None:
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls=EXCLUDED_URLS, exclude_spans=["receive", "send"]
    )


def _provider(settings: Settings, slot: str) -> TracerProvider:
    """The process's provider: ours, or one a test (or an embedding program) installed."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    obs = settings.observability
    resource = Resource.create(
        {
            "service.name": obs.service_name,
            "service.version": __version__,
            "service.instance.id": f"{slot}-{os.getpid()}",
            "deployment.environment": settings.env,
        }
    )
    provider = TracerProvider(
        resource=resource, sampler=ParentBased(TraceIdRatioBased(obs.sample_ratio))
    )
    if obs.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        exporter = OTLPSpanExporter(endpoint=obs.otlp_endpoint, headers=obs.otlp_headers)
        provider.add_span_processor(BatchSpanProcessor(exporter))
        log.info("exporting traces to %s", obs.otlp_endpoint)
    trace.set_tracer_provider(provider)
    return provider


def _instrument_libraries(settings: Settings) -> None:
    """Process-wide patches, applied once per process."""
    if "redis" not in _instrumented:
        from opentelemetry.instrumentation.redis import RedisInstrumentor

        RedisInstrumentor().instrument()
        _instrumented.add("redis")
    if "httpx" not in _instrumented:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor().instrument()
        _instrumented.add("httpx")
    if settings.observability.instrument_asyncpg and "asyncpg" not in _instrumented:
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

        AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]
        _instrumented.add("asyncpg")


def instrument_engine(engine: AsyncEngine) -> Any:
    """SQL spans for this engine only (the global instrumentor is a process singleton and
    would also patch every engine the CLI and tests create)."""
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.instrumentation.sqlalchemy.version import __version__ as sa_version
    from opentelemetry.metrics import get_meter

    usage = get_meter("fixia.sqlalchemy").create_up_down_counter(
        "db.client.connections.usage", unit="connections"
    )
    tracer = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy", sa_version)
    return EngineTracer(  # type: ignore[no-untyped-call]
        tracer, engine.sync_engine, usage, enable_commenter=False
    )


def start(settings: Settings, engine: AsyncEngine, slot: str) -> TracerProvider:
    provider = _provider(settings, slot)
    _instrument_libraries(settings)
    instrument_engine(engine)
    return provider


def flush() -> None:
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush(timeout_millis=2000)
