"""OpenTelemetry tracing: FastAPI/ASGI, SQLAlchemy, Redis, httpx (and asyncpg if asked).

Two phases, because uvicorn forks its workers after importing the app:
- `fastapi_telemetry` (in create_app) configures FastAPI's native server spans; FastAPI
  opens none while the global provider is still the API's proxy.
- `start` (in the lifespan startup, i.e. in each worker after the fork) creates the provider,
  its exporter thread and the library instrumentation.
The incoming W3C `traceparent` (forwarded by HAProxy) becomes the parent of the server span.
"""

from __future__ import annotations

import logging
import os
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import Scope

from fixia import __version__
from fixia.config import Settings

log = logging.getLogger("fixia.tracing")
# Probes and scrapes would drown the real traffic's traces.
EXCLUDED_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})
_instrumented: set[str] = set()


def _excluded(scope: Scope) -> bool:
    return scope.get("path") in EXCLUDED_PATHS


def fastapi_telemetry(settings: Settings) -> TelemetryConfig:
    """FastAPI's own OpenTelemetry instrumentation, for `FastAPI(telemetry=...)`.

    It opens the server span (parent: the incoming `traceparent`) in FastAPI's own entry
    point and names it "METHOD /route/{template}" as the router matches, so it adds no
    middleware layer. contrib's ASGI middleware, which FastAPI calls legacy, added a layer
    and built semantic-convention attributes, redacted the URL and recorded OTel metrics on
    every request, sampled or not: the whole stack cost 50-80 µs more a request in process
    (docs/observability.md, Overhead). Our RED metrics come from prometheus-client, so
    FastAPI's OTel metrics stay off; per-operation spans (dependency resolution,
    serialisation) are left out for the same cost reason.
    """
    return {
        "tracing": settings.observability.tracing_on,
        "metrics": False,
        "logs": False,
        "operation_spans": False,
        "auto_configure": False,
        "exclude": _excluded,
    }


def children_of_current_span() -> AbstractContextManager[object]:
    """Where the library instrumentation (SQL, Redis, outgoing HTTP) may open spans.

    Under an unsampled server span (every request when nothing exports; most requests at a
    sampling ratio below 1) a child span can never be recorded: ParentBased drops it. Building
    it anyway, with its ids, sampler call and context switch, cost tens of microseconds per
    SQL statement or Redis command. OpenTelemetry's own suppression switch skips them. The
    logs keep the server span's trace and span ids; an outgoing call of an unsampled request
    carries no `traceparent`, so its callee starts a trace of its own, as it would if we sent
    an unsampled one.
    """
    if trace.get_current_span().is_recording():
        return nullcontext()
    return suppress_instrumentation()


def _provider(settings: Settings, slot: str) -> TracerProvider:
    """The process's provider: ours, or one a test (or an embedding program) installed."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = build_provider(settings, slot)
    trace.set_tracer_provider(provider)
    return provider


def build_provider(settings: Settings, slot: str) -> TracerProvider:
    obs = settings.observability
    resource = Resource.create(
        {
            "service.name": obs.service_name,
            "service.version": __version__,
            "service.instance.id": f"{slot}-{os.getpid()}",
            "deployment.environment": settings.env,
        }
    )
    # Without an exporter nothing would read a recorded span: sample none, so spans are
    # created non-recording (cheap) and still carry the trace and span ids that the logs and
    # downstream calls (traceparent) need. A sampled incoming traceparent is still followed.
    ratio = obs.sample_ratio if obs.otlp_endpoint else 0.0
    provider = TracerProvider(resource=resource, sampler=ParentBased(TraceIdRatioBased(ratio)))
    if obs.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        exporter = OTLPSpanExporter(endpoint=obs.otlp_endpoint, headers=obs.otlp_headers)
        provider.add_span_processor(BatchSpanProcessor(exporter))
        log.info("exporting traces to %s", obs.otlp_endpoint)
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
