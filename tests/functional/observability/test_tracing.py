"""A full journey yields one trace per request, with HTTP, SQL, Redis and outgoing-HTTP
spans, and each request's trace_id is in its JSON log lines.

The app runs under a real uvicorn server (so its lifespan starts tracing, after the "fork",
and the sandbox's webhook travels over real HTTP through instrumented httpx) with a real
Redis cache; the test's own calls go in through ASGI, so their traces start in the app.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from fixia.config import Settings
from fixia.main import create_app
from fixia.platform.email import OutboxEmailSender
from tests.functional.observability import journey as journeys
from tests.functional.observability.conftest import LogCapture
from tests.redis_server import ExternalRedis, RedisServer, free_port

# The app's own metrics registry, logs and spans: in process only (not with --stack).
pytestmark = pytest.mark.inprocess


@pytest.fixture
async def served(settings: Settings, redis: RedisServer | ExternalRedis) -> AsyncIterator[FastAPI]:
    redis.cli("flushdb")
    port = free_port()
    # Every request traced: cache hits are otherwise sampled (observability.hit_sample_ratio).
    every = settings.observability.model_copy(update={"hit_sample_ratio": 1.0})
    traced = settings.model_copy(
        update={
            "redis_url": redis.url,
            "public_url": f"http://127.0.0.1:{port}",
            "observability": every,
        }
    )
    app = create_app(traced, mailer=OutboxEmailSender(settings.email.outbox_dir, "t@fixia"))
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="on", log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield app
    server.should_exit = True
    await asyncio.wait_for(task, 15)


def _db_system(span: ReadableSpan) -> str | None:
    attrs = span.attributes or {}
    value = attrs.get("db.system") or attrs.get("db.system.name")
    return str(value) if value else None


def _by_trace(spans: list[ReadableSpan]) -> dict[str, list[ReadableSpan]]:
    grouped: dict[str, list[ReadableSpan]] = {}
    for span in spans:
        assert span.context is not None
        grouped.setdefault(format(span.context.trace_id, "032x"), []).append(span)
    return grouped


async def test_journey_has_one_trace_per_request_with_all_span_kinds(
    served: FastAPI,
    journey_outbox: Path,
    spans: InMemorySpanExporter,
    logs: LogCapture,
) -> None:
    sent: list[httpx.Response] = []

    async def remember(response: httpx.Response) -> None:
        sent.append(response)

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=served),
        base_url="http://testserver",
        event_hooks={"response": [remember]},
    ) as client:
        await journeys.run(client, journey_outbox)

    traces = _by_trace(list(spans.get_finished_spans()))
    lines = logs.lines()
    by_request: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        if line.get("request_id"):
            by_request.setdefault(line["request_id"], []).append(line)

    request_traces = []
    for response in sent:
        own = by_request[response.headers["x-request-id"]]
        trace_ids = {line.get("trace_id") for line in own}
        assert len(trace_ids) == 1 and None not in trace_ids, own
        (trace_id,) = trace_ids
        request_traces.append(trace_id)
        roots = [s for s in traces[trace_id] if s.parent is None]
        assert len(roots) == 1 and roots[0].kind is SpanKind.SERVER, roots
    assert len(set(request_traces)) == len(sent), "two requests shared a trace"

    every = [s for spans_of in traces.values() for s in spans_of]
    assert any(_db_system(s) in ("sqlite", "postgresql") for s in every), "no SQL span"
    assert any(_db_system(s) == "redis" for s in every), "no Redis span"
    # The sandbox checkout calls the webhook over HTTP: a client span, and the webhook's
    # server span continues the same trace through the traceparent header.
    clients = [s for s in every if s.kind is SpanKind.CLIENT and _db_system(s) is None and s.parent]
    assert clients, "no outgoing HTTP span"
    outgoing = clients[0]
    assert outgoing.context is not None
    children = [
        s
        for s in traces[format(outgoing.context.trace_id, "032x")]
        if s.parent is not None and s.parent.span_id == outgoing.context.span_id
    ]
    assert [c.kind for c in children] == [SpanKind.SERVER]


async def test_incoming_traceparent_is_honoured(
    served: FastAPI, spans: InMemorySpanExporter, logs: LogCapture
) -> None:
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=served), base_url="http://testserver"
    ) as client:
        r = await client.get(
            "/api/v1/categories", headers={"traceparent": f"00-{trace_id}-{parent_id}-01"}
        )
    assert r.status_code == 200
    (line,) = [x for x in logs.access() if x["request_id"] == r.headers["x-request-id"]]
    assert line["trace_id"] == trace_id and line["route"] == "/api/v1/categories"
    server = [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert server and server[0].parent is not None
    assert format(server[0].parent.span_id, "016x") == parent_id
    # Named by route template (one series per endpoint in a tracing backend), not by path.
    assert server[0].name == "GET /api/v1/categories"
    assert (server[0].attributes or {}).get("http.route") == "/api/v1/categories"


async def test_templated_route_names_the_span_and_probes_open_none(
    served: FastAPI, spans: InMemorySpanExporter
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=served), base_url="http://testserver"
    ) as client:
        missing = await client.get("/api/v1/services/00000000-0000-0000-0000-000000000000")
        probe = await client.get("/healthz")
    assert missing.status_code == 404 and probe.status_code == 200
    server = [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert [s.name for s in server] == ["GET /api/v1/services/{service_id}"]
    assert (server[0].attributes or {}).get("http.response.status_code") == 404


async def test_a_job_span_joins_the_trace_of_the_request_that_deferred_it(
    served: FastAPI, spans: InMemorySpanExporter
) -> None:
    """The request's traceparent travels in the job's arguments: the e-mail it sends after
    the commit shows up in the same trace, as a consumer span."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=served), base_url="http://testserver"
    ) as client:
        r = await client.post("/api/v1/auth/register", json=journeys.registration("client"))
    assert r.status_code == 201, r.text
    finished = spans.get_finished_spans()
    (server,) = [s for s in finished if s.kind is SpanKind.SERVER]
    (job,) = [s for s in finished if s.name == "job email.send"]
    assert job.kind is SpanKind.CONSUMER
    assert job.context.trace_id == server.context.trace_id
    assert job.parent is not None and job.parent.span_id != 0
