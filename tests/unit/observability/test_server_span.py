"""The server span the observability middleware opens: its parent, name, attributes and error
status, the requests it leaves alone, and the library spans it allows."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from fixia.observability.middleware import ObservabilityMiddleware
from fixia.observability.tracing import FASTAPI_NATIVE_OFF

TRACE_ID, PARENT_ID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


class Boom(RuntimeError):
    pass


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
async def client(exporter: InMemorySpanExporter) -> AsyncIterator[httpx.AsyncClient]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = FastAPI(telemetry=FASTAPI_NATIVE_OFF)

    @app.get("/things/{thing_id}")
    async def thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    @app.get("/boom")
    async def boom() -> None:
        raise Boom("kaput")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/probe")
    async def probe() -> dict[str, bool]:
        return {"instrumented": is_instrumentation_enabled()}

    app.add_middleware(
        ObservabilityMiddleware,
        metrics=False,
        access_log=False,
        tracing=True,
        tracer_provider=provider,
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c
    provider.shutdown()


def _sampled(flags: str = "01") -> dict[str, str]:
    return {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-{flags}"}


def _server(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER]


async def test_a_sampled_request_continues_the_callers_trace(
    client: httpx.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    assert (await client.get("/things/7", headers=_sampled())).status_code == 200
    (span,) = _server(exporter)
    assert span.context is not None and span.parent is not None
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert span.name == "GET /things/{thing_id}"
    attributes = dict(span.attributes or {})
    assert attributes["http.route"] == "/things/{thing_id}"
    assert attributes["http.response.status_code"] == 200
    assert attributes["url.path"] == "/things/7"
    assert span.status.status_code is StatusCode.UNSET
    assert not trace.get_current_span().get_span_context().is_valid, "the span leaked out"


async def test_an_exception_marks_the_span_as_an_error(
    client: httpx.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    assert (await client.get("/boom", headers=_sampled())).status_code == 500
    (span,) = _server(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {}).get("error.type") == "500"
    assert [e.name for e in span.events] == ["exception"]
    assert str((span.events[0].attributes or {}).get("exception.type")).endswith("Boom")


async def test_an_unmatched_path_is_named_by_its_method_only(
    client: httpx.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    # One span name per route in a tracing backend: a 404's raw path must not become one.
    assert (await client.get("/no/such/page", headers=_sampled())).status_code == 404
    (span,) = _server(exporter)
    assert span.name == "GET"
    assert (span.attributes or {}).get("http.response.status_code") == 404


async def test_unsampled_requests_and_probes_record_nothing(
    client: httpx.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    assert (await client.get("/things/7", headers=_sampled("00"))).status_code == 200
    assert (await client.get("/healthz", headers=_sampled())).status_code == 200
    assert _server(exporter) == []
    # The control: a sampled request through the same app is recorded.
    assert (await client.get("/things/8", headers=_sampled())).status_code == 200
    assert [s.name for s in _server(exporter)] == ["GET /things/{thing_id}"]


async def test_an_unknown_method_cannot_mint_span_names(
    client: httpx.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    response = await client.request("BREW", "/things/7", headers=_sampled())
    assert response.status_code == 405
    (span,) = _server(exporter)
    assert span.name == "HTTP /things/{thing_id}"
    attributes = dict(span.attributes or {})
    assert attributes["http.request.method"] == "_OTHER"
    assert attributes["http.request.method_original"] == "BREW"


@pytest.mark.parametrize(("flags", "children"), [("01", True), ("00", False)])
async def test_library_spans_are_built_only_under_a_sampled_request(
    client: httpx.AsyncClient, flags: str, children: bool
) -> None:
    """Under an unsampled server span, SQL/Redis/HTTP instrumentation is switched off for the
    request (its spans could never be recorded); under a sampled one it runs."""
    response = await client.get("/probe", headers=_sampled(flags))
    assert response.json() == {"instrumented": children}
    assert is_instrumentation_enabled(), "the switch leaked out of the request"
