"""JSON logs: one access line per request with its context, and no secret in any line."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from fixia.config import Settings
from tests.factories.payments import payments_app
from tests.functional.observability import journey as journeys
from tests.functional.observability.conftest import LogCapture

ACCESS_FIELDS = {"time", "level", "event", "request_id", "route", "status", "duration_ms"}

# The app's own metrics registry, logs and spans: in process only (not with --stack).
pytestmark = pytest.mark.inprocess


async def test_full_journey_logs_no_secret_and_one_line_per_request(
    settings: Settings, journey_outbox: Path, logs: LogCapture, capfd: pytest.CaptureFixture[str]
) -> None:
    # Every line: cache hits are otherwise sampled (observability.hit_sample_ratio).
    every = settings.observability.model_copy(update={"hit_sample_ratio": 1.0})
    app = payments_app(settings.model_copy(update={"observability": every}))
    sent: list[httpx.Response] = []

    async def remember(response: httpx.Response) -> None:
        sent.append(response)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", event_hooks={"response": [remember]}
    ) as client:
        journey = await journeys.run(client, journey_outbox)
    await app.state.engine.dispose()

    captured = capfd.readouterr()
    everything = logs.text + captured.out + captured.err
    assert logs.access(), "no access log captured"
    for secret in journey.secrets:
        assert secret not in everything, f"a secret reached the logs: {secret[:6]}…"
    # Phone digits in any formatting, and DNI with thousands dots.
    assert not re.search(r"280\D?455\D?1234", everything)
    for dni in (s for s in journey.secrets if s.isdigit() and len(s) == 8):
        assert f"{dni[:2]}.{dni[2:5]}.{dni[5:]}" not in everything

    access = logs.access()
    ids = [line["request_id"] for line in access]
    assert len(ids) == len(set(ids)), "a request logged more than one access line"
    # Every client request has exactly one line; the sandbox's webhook delivery has its own.
    for response in sent:
        assert ids.count(response.headers["x-request-id"]) == 1, response.request.url
    assert len(access) == len(sent) + 1
    for line in access:
        assert line.keys() >= ACCESS_FIELDS, line
        assert line["event"] == "request" and line["level"] in ("info", "error")
    me = next(line for line in access if line["route"] == "/account")
    assert me["user_id"] and me["status"] == 200
    detail = [line for line in access if line["route"] == "/api/v1/services/{service_id}"]
    assert detail and all(isinstance(line["duration_ms"], float) for line in detail)


async def test_request_id_is_accepted_generated_and_sanitised(
    client: httpx.AsyncClient, logs: LogCapture
) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "lb-1234.abc"})
    assert r.headers["x-request-id"] == "lb-1234.abc"
    generated = (await client.get("/healthz")).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    hostile = (await client.get("/healthz", headers={"X-Request-ID": 'x" injected'})).headers
    assert hostile["x-request-id"] != 'x" injected'
    assert {line["request_id"] for line in logs.access()} >= {"lb-1234.abc", generated}


async def test_unmatched_path_is_logged_with_a_fixed_route(
    client: httpx.AsyncClient, logs: LogCapture
) -> None:
    r = await client.get("/no/such/page")
    assert r.status_code == 404
    (line,) = [x for x in logs.access() if x["path"] == "/no/such/page"]
    assert line["route"] == "unmatched" and line["status"] == 404
