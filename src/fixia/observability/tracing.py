"""OpenTelemetry tracing: FastAPI/ASGI, SQLAlchemy, Redis, httpx (and asyncpg if asked).

- `ServerSpans` opens each request's server span, from the observability middleware; the
  incoming W3C `traceparent` (forwarded by HAProxy) becomes its parent.
- `start` (in the lifespan startup, i.e. in each worker after the fork, because uvicorn forks
  its workers after importing the app) creates the provider, its exporter thread and the
  library instrumentation. Until then spans come from the API's no-op proxy.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any, NamedTuple

from fastapi.telemetry import TelemetryConfig
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, TraceIdRatioBased
from opentelemetry.trace import Span, SpanKind, StatusCode, TraceFlags
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import Scope

from fixia import __version__
from fixia.config import Settings
from fixia.observability.metrics import HTTP_METHODS

log = logging.getLogger("fixia.tracing")
# Probes and scrapes would drown the real traffic's traces.
EXCLUDED_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})
_instrumented: set[str] = set()


# FastAPI's native telemetry stays off: the server span comes from ServerSpans (below).
FASTAPI_NATIVE_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
# The headers the global propagators read: W3C trace context and baggage.
_PROPAGATED = frozenset({b"traceparent", b"tracestate", b"baggage"})


class OpenSpan(NamedTuple):
    span: Span
    token: object


class ServerSpans:
    """The server span of each request, opened by the observability middleware.

    Neither FastAPI's native telemetry nor contrib's ASGI middleware: both build the span's
    semantic-convention attributes, parse and redact the query string and wrap `receive`
    and `send` on every request, though without an exporter no span is ever recorded. Here
    an unsampled span costs its ids and one context switch; attributes and the route name
    are set only on a recording span, once the router has matched (docs/observability.md,
    Traces and Overhead).
    """

    def __init__(self, provider: trace.TracerProvider | None = None) -> None:
        self._fixed = provider
        self._provider: trace.TracerProvider | None = None
        self._tracer: trace.Tracer = trace.NoOpTracer()
        self._ids: IdGenerator | None = None

    def _refresh(self) -> None:
        # The global provider changes once, at startup (after the fork), or in tests.
        provider = self._fixed or trace.get_tracer_provider()
        if provider is not self._provider:
            self._provider = provider
            self._tracer = provider.get_tracer("fixia.http", __version__)
            # A provider that samples nothing (ours without an exporter) gets its spans made
            # here, as its tracer would make them, without the sampler call and the SDK's
            # span machinery: two thirds of the span's instructions.
            unsampled = isinstance(provider, TracerProvider) and provider.sampler is ALWAYS_OFF
            self._ids = getattr(provider, "id_generator", None) if unsampled else None

    def _start(
        self, method: str, parent: otel_context.Context | None, start_ns: int | None = None
    ) -> Span:
        self._refresh()
        if self._ids is None:
            return self._tracer.start_span(
                method, context=parent, kind=SpanKind.SERVER, start_time=start_ns
            )
        ids = self._ids
        remote = trace.get_current_span(parent).get_span_context() if parent else None
        if remote is not None and remote.is_valid:
            trace_id, random_id = remote.trace_id, remote.trace_flags.random_trace_id
        else:
            remote = None
            trace_id, random_id = ids.generate_trace_id(), ids.is_trace_id_random()
        flags = TraceFlags.RANDOM_TRACE_ID if random_id else TraceFlags.DEFAULT
        return trace.NonRecordingSpan(
            trace.SpanContext(
                trace_id,
                ids.generate_span_id(),
                is_remote=False,
                trace_flags=TraceFlags(flags),
                trace_state=remote.trace_state if remote else None,
            )
        )

    def open(self, scope: Scope, started: float | None = None) -> OpenSpan | None:
        """Start the span (parent: the incoming `traceparent`) and make it current.

        Under an unsampled span (every request when nothing exports; most at a sampling
        ratio below 1) the same context switches the library instrumentation (SQL, Redis,
        outgoing HTTP) off: the sampler would drop their spans anyway, and building them, with
        ids, a sampler call and a context switch each, cost tens of microseconds per statement
        or command. One attach for both: OpenTelemetry's `suppress_instrumentation()`, entered
        on its own, was a third of the span's whole cost in instructions. The logs keep the
        server span's ids; an outgoing call of an unsampled request carries no `traceparent`,
        so its callee starts a trace of its own, as it would if we sent an unsampled one.
        """
        if scope.get("path") in EXCLUDED_PATHS:
            return None
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope.get("headers", ())
            if name in _PROPAGATED
        }
        parent = propagate.extract(carrier) if carrier else None
        # `started` (perf_counter): a span opened after the fact keeps the request's start.
        start_ns = None
        if started is not None:
            start_ns = time.time_ns() - int((time.perf_counter() - started) * 1e9)
        span = self._start(scope["method"], parent, start_ns)
        current = trace.set_span_in_context(span, parent)
        if not span.is_recording():
            # The key `is_instrumentation_enabled` reads first, which every contrib
            # instrumentation we use checks (test_server_span pins it for this app).
            current = otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True, current)
        return OpenSpan(span, otel_context.attach(current))

    @staticmethod
    def suppressed() -> OpenSpan:
        """No server span, and the library instrumentation off, as under an unsampled span
        (a cache hit drawn out of the sample: `HitSampling`)."""
        current = otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True)
        return OpenSpan(trace.INVALID_SPAN, otel_context.attach(current))

    @staticmethod
    def release(opened: OpenSpan) -> None:
        otel_context.detach(opened.token)  # type: ignore[arg-type]

    @staticmethod
    def close(opened: OpenSpan, scope: Scope, route: str, status: int) -> None:
        span = opened.span
        if span.is_recording():
            original = scope["method"]
            method = original if original in HTTP_METHODS else "_OTHER"
            name = "HTTP" if method == "_OTHER" else method
            span.update_name(name if route == "unmatched" else f"{name} {route}")
            if method != original:
                span.set_attribute("http.request.method_original", original)
            span.set_attributes(
                {
                    "http.request.method": method,
                    "url.scheme": scope.get("scheme", "http"),
                    "url.path": scope.get("path", ""),
                    "network.protocol.version": scope.get("http_version", "1.1"),
                    "http.route": route,
                    "http.response.status_code": status,
                }
            )
            if status >= 500:
                span.set_attribute("error.type", str(status))
                span.set_status(StatusCode.ERROR)
        span.end()
        otel_context.detach(opened.token)  # type: ignore[arg-type]


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
    # Without an exporter nothing would read a recorded span: sample none, not even under a
    # sampled incoming traceparent, so spans are non-recording (cheap) and still carry the
    # trace and span ids the logs need (the caller's trace id, when it sent one).
    sampler = ParentBased(TraceIdRatioBased(obs.sample_ratio)) if obs.otlp_endpoint else ALWAYS_OFF
    provider = TracerProvider(resource=resource, sampler=sampler)
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
