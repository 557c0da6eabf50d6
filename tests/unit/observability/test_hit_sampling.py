"""Sampling the access log and server spans of cache hits (HitSampling): a routine hit drawn
out of the sample leaves only its metrics; errors, slow requests and misses are always
logged and traced, whatever the ratio."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.types import Receive, Scope, Send

from fixia.observability import metrics as m
from fixia.observability.logging import configure_logging, flush_lines, tee
from fixia.observability.middleware import HitSampling, ObservabilityMiddleware

ROUTE = "/api/v1/categories"


class _Route:
    path_format = ROUTE


def _app(status: int, *, hit: bool, delay_s: float = 0.0) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if delay_s:
            await asyncio.sleep(delay_s)
        scope["route"] = _Route()
        if hit:
            scope["hit"] = True
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    return app


def _sampling(ratio: float) -> HitSampling:
    return HitSampling(ratio, 0.05, lambda scope: True, lambda scope: scope.get("hit") is True)


def _count(status: int) -> float:
    value = m.HTTP_REQUESTS.labels("GET", ROUTE, str(status))._value.get()
    return float(value)


async def _call(middleware: ObservabilityMiddleware) -> None:
    scope = {"type": "http", "method": "GET", "path": ROUTE, "headers": [], "query_string": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        return None

    await middleware(scope, receive, send)


def _observe(app: Any, ratio: float, runs: int) -> tuple[list[dict[str, Any]], list[Any]]:
    configure_logging("INFO")  # the access logger takes the root logger's level when built
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    middleware = ObservabilityMiddleware(
        app, tracing=True, tracer_provider=provider, sampling=_sampling(ratio)
    )
    buffer = io.StringIO()
    with tee(buffer):
        for _ in range(runs):
            asyncio.run(_call(middleware))
        flush_lines()
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    access = [line for line in lines if line.get("logger") == "fixia.access"]
    return access, list(exporter.get_finished_spans())


def test_routine_hits_out_of_the_sample_keep_only_their_metrics() -> None:
    before = _count(200)
    access, spans = _observe(_app(200, hit=True), ratio=0.0, runs=20)
    assert access == [] and spans == []
    assert _count(200) - before == 20


def test_at_ratio_one_every_hit_is_logged_and_traced() -> None:
    access, spans = _observe(_app(200, hit=True), ratio=1.0, runs=5)
    assert len(access) == 5 and len(spans) == 5


@pytest.mark.parametrize(
    ("app", "status"),
    [
        (_app(500, hit=True), 500),  # an error, even one answered from the cache
        (_app(404, hit=False), 404),
        (_app(200, hit=False), 200),  # a miss: the routes answered
        (_app(200, hit=True, delay_s=0.08), 200),  # a hit slower than slow_request_ms
    ],
)
def test_errors_misses_and_slow_requests_are_always_logged_and_traced(
    app: Any, status: int
) -> None:
    access, spans = _observe(app, ratio=0.0, runs=3)
    assert [line["status"] for line in access] == [status] * 3
    assert len(spans) == 3
    assert {span.attributes["http.response.status_code"] for span in spans} == {status}
    # The late span is the request's own: its trace id is in the request's log line.
    assert {format(s.context.trace_id, "032x") for s in spans} == {
        line["trace_id"] for line in access
    }
