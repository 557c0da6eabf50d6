"""/metrics through the app: RED per route template, gauges, and business counters."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from fixia import __version__
from fixia.config import RateLimitSettings, Settings
from fixia.main import create_app
from fixia.observability.metrics import sample
from fixia.platform.email import OutboxEmailSender
from tests.factories.accounts import PASSWORD, register, registration
from tests.factories.payments import api_client, payments_app, sandbox_checkout, subscribe

API = "/api/v1"
SERVICE_ROUTE = "/api/v1/services/{service_id}"

# The app's own metrics registry, logs and spans: in process only (not with --stack).
pytestmark = pytest.mark.inprocess


async def _scrape(client: httpx.AsyncClient) -> dict[str, list[tuple[dict[str, str], float]]]:
    r = await client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            found.setdefault(s.name, []).append((s.labels, s.value))
    return found


async def test_red_metrics_use_the_route_template(client: httpx.AsyncClient) -> None:
    labels = {"method": "GET", "route": SERVICE_ROUTE, "status": "404"}
    before = sample("fixia_http_requests_total", **labels)
    count_before = sample(
        "fixia_http_request_duration_seconds_count", method="GET", route=SERVICE_ROUTE
    )
    for _ in range(3):
        assert (await client.get(f"{API}/services/{uuid.uuid4()}")).status_code == 404
    assert sample("fixia_http_requests_total", **labels) == before + 3
    count = sample("fixia_http_request_duration_seconds_count", method="GET", route=SERVICE_ROUTE)
    assert count == count_before + 3
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    before_unmatched = sample("fixia_http_requests_total", **unmatched)
    await client.get(f"/nothing/here/{uuid.uuid4()}")
    assert sample("fixia_http_requests_total", **unmatched) == before_unmatched + 1
    # The SLO threshold is a bucket boundary.
    scraped = await _scrape(client)
    buckets = {lb["le"] for lb, _ in scraped["fixia_http_request_duration_seconds_bucket"]}
    assert {"0.2", "0.005", "5.0", "+Inf"} <= buckets


async def test_an_invented_method_is_counted_as_other(client: httpx.AsyncClient) -> None:
    route = f"{API}/categories"
    other = {"method": "_OTHER", "route": route, "status": "405"}
    before = sample("fixia_http_requests_total", **other)
    for method in ("BREW", "WHEN"):
        assert (await client.request(method, route)).status_code == 405
    assert sample("fixia_http_requests_total", **other) == before + 2
    assert sample("fixia_http_requests_total", method="BREW", route=route, status="405") == 0
    # The semantic conventions' methods keep their names, as in spans (QUERY is one of them).
    query = {"method": "QUERY", "route": route, "status": "405"}
    before_query = sample("fixia_http_requests_total", **query)
    assert (await client.request("QUERY", route)).status_code == 405
    assert sample("fixia_http_requests_total", **query) == before_query + 1


async def test_gauges_and_build_info_are_exposed(client: httpx.AsyncClient) -> None:
    await client.get(f"{API}/categories")
    scraped = await _scrape(client)
    (build,) = [lb for lb, v in scraped["fixia_build_info"] if v == 1 and lb["slot"] == "none"]
    assert build["version"] == __version__ and build["git_sha"]
    states = {lb["state"] for lb, _ in scraped["fixia_db_pool_connections"]}
    assert states == {"in_use", "idle"}
    assert "fixia_db_pool_size" in scraped
    # The scrape itself is in flight, and the worker answering it publishes its count first.
    assert scraped["fixia_http_requests_in_flight"] == [({}, 1.0)]
    for name in ("fixia_registrations_total", "fixia_logins_total", "fixia_payments_total"):
        assert name in scraped, name


async def test_cache_hits_and_misses_are_counted(client: httpx.AsyncClient) -> None:
    # The API's stored responses count apart from the values the web pages share.
    stored = "categories_response"
    miss = sample("fixia_cache_requests_total", cache=stored, result="miss")
    hit = sample("fixia_cache_requests_total", cache=stored, result="hit")
    values = sample("fixia_cache_requests_total", cache="categories", result="miss")
    await client.get(f"{API}/categories")
    await client.get(f"{API}/categories")
    assert sample("fixia_cache_requests_total", cache=stored, result="miss") == miss + 1
    assert sample("fixia_cache_requests_total", cache=stored, result="hit") >= hit + 1
    # The one miss loaded the value once.
    assert sample("fixia_cache_requests_total", cache="categories", result="miss") <= values + 1


async def test_registration_and_login_outcomes_are_counted(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    ok = sample("fixia_registrations_total", result="ok")
    failed = sample("fixia_registrations_total", result="failed")
    account = await register(client, outbox, role="client")
    duplicate = registration("client", email=account.email)
    # Answered like a new account (nothing tells a stranger the e-mail is taken), but counted.
    assert (await client.post(f"{API}/auth/register", json=duplicate)).status_code == 201
    assert sample("fixia_registrations_total", result="ok") == ok + 1
    assert sample("fixia_registrations_total", result="failed") == failed + 1

    logins_ok = sample("fixia_logins_total", result="ok")
    logins_failed = sample("fixia_logins_total", result="failed")
    bad = {"email": account.email, "password": PASSWORD + "x"}
    assert (await client.post(f"{API}/auth/login", json=bad)).status_code == 401
    good = {"email": account.email, "password": PASSWORD}
    assert (await client.post(f"{API}/auth/login", json=good)).status_code == 200
    assert sample("fixia_logins_total", result="failed") == logins_failed + 1
    assert sample("fixia_logins_total", result="ok") == logins_ok + 1


async def test_rate_limit_rejections_are_counted(settings: Settings) -> None:
    limited = settings.model_copy(
        update={"ratelimit": RateLimitSettings(rules={"login": "2/minute"})}
    )
    app = create_app(limited, mailer=OutboxEmailSender(settings.email.outbox_dir, "t@fixia"))
    before = sample("fixia_ratelimit_rejections_total", rule="login")
    body = {"email": "nobody@example.com.ar", "password": "Whatever-123456!"}
    async with api_client(app) as client:
        statuses = [(await client.post(f"{API}/auth/login", json=body)).status_code for _ in "abc"]
    assert statuses == [401, 401, 429]
    assert sample("fixia_ratelimit_rejections_total", rule="login") == before + 1


async def test_payments_checkouts_subscriptions_and_bad_signatures(
    settings: Settings, outbox: Path
) -> None:
    app = payments_app(settings)
    approved = sample("fixia_payments_total", status="approved")
    amount = sample("fixia_payment_amount_ars_total", status="approved")
    checkouts = sample("fixia_checkout_requests_total", result="ok")
    plans = sample("fixia_subscription_activations_total", plan="premium")
    signatures = sample("fixia_webhook_signature_failures_total", provider="sandbox")
    async with api_client(app) as client:
        pro = await register(client, outbox, role="professional")
        r = await subscribe(client, pro, "premium")
        assert r.status_code == 201, r.text
        await sandbox_checkout(
            client, pro, r.json()["payment"]["provider_preference_id"], "approved"
        )
        forged = await client.post(
            f"{API}/payments/webhooks/sandbox",
            headers={"x-signature": "ts=1,v1=00"},
            json={"data": {"id": "1"}, "type": "payment"},
        )
        assert forged.status_code == 401
    assert sample("fixia_checkout_requests_total", result="ok") == checkouts + 1
    assert sample("fixia_payments_total", status="approved") == approved + 1
    assert sample("fixia_payment_amount_ars_total", status="approved") == amount + 3900
    assert sample("fixia_subscription_activations_total", plan="premium") == plans + 1
    assert sample("fixia_webhook_signature_failures_total", provider="sandbox") == signatures + 1


async def test_switched_off_the_middleware_counts_nothing(settings: Settings) -> None:
    off = settings.model_copy(deep=True)
    off.observability.enabled = False
    app = create_app(off, mailer=OutboxEmailSender(settings.email.outbox_dir, "t@fixia"))
    labels = {"method": "GET", "route": "/healthz", "status": "200"}
    before = sample("fixia_http_requests_total", **labels)
    async with api_client(app) as client:
        r = await client.get("/healthz")
        assert r.status_code == 200 and "x-request-id" not in r.headers
        assert (await client.get("/metrics")).status_code == 200
    assert sample("fixia_http_requests_total", **labels) == before


async def test_metrics_is_not_in_the_public_api_schema(client: httpx.AsyncClient) -> None:
    schema = (await client.get(f"{API}/openapi.json")).json()
    assert "/metrics" not in schema["paths"]
