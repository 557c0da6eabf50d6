"""The in-flight gauge: counted per request, written out when published."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from fixia.observability import metrics as m
from fixia.observability.metrics import sample
from fixia.observability.middleware import ObservabilityMiddleware
from fixia.observability.tracing import FASTAPI_NATIVE_OFF

GAUGE = "fixia_http_requests_in_flight"


def _app(inside: list[int], all_in: asyncio.Event, release: asyncio.Event) -> FastAPI:
    app = FastAPI(telemetry=FASTAPI_NATIVE_OFF)

    @app.get("/slow")
    async def slow() -> dict[str, bool]:
        inside.append(1)
        if len(inside) == 2:
            all_in.set()
        await release.wait()
        return {"ok": True}

    app.add_middleware(ObservabilityMiddleware, access_log=False)
    return app


async def test_requests_being_served_are_counted_and_published() -> None:
    inside: list[int] = []
    all_in, release = asyncio.Event(), asyncio.Event()
    transport = httpx.ASGITransport(_app(inside, all_in, release))
    base = m.in_flight.count
    m.in_flight.publish()
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        requests = [asyncio.create_task(client.get("/slow")) for _ in range(2)]
        await asyncio.wait_for(all_in.wait(), 5)
        assert m.in_flight.count == base + 2
        # Unpublished, the gauge still says what it said before.
        assert sample(GAUGE) == base
        m.in_flight.publish()
        assert sample(GAUGE) == base + 2
        release.set()
        responses = await asyncio.gather(*requests)
    assert [r.status_code for r in responses] == [200, 200]
    assert m.in_flight.count == base
    m.in_flight.publish()
    assert sample(GAUGE) == base
