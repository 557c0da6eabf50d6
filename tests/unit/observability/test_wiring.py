"""Business counters from domain events, breaker state, settings switches, Sentry, and the
route template FastAPI gives the middleware."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
import pytest
import sentry_sdk
from fastapi import APIRouter, FastAPI

from fixia import events
from fixia.config import Settings
from fixia.observability import business
from fixia.observability.errors import init_sentry
from fixia.observability.metrics import sample
from fixia.observability.middleware import route_template
from fixia.platform.resilience import CircuitBreaker


@pytest.fixture(autouse=True)
def _subscribed() -> None:
    business.subscribe_all()


@pytest.mark.parametrize(
    ("event", "data", "metric", "labels"),
    [
        ("user.registered", {}, "fixia_registrations_total", {"result": "ok"}),
        ("user.registration_failed", {}, "fixia_registrations_total", {"result": "failed"}),
        ("auth.login", {"outcome": "locked"}, "fixia_logins_total", {"result": "locked"}),
        ("project.created", {}, "fixia_projects_created_total", {}),
        ("proposal.sent", {}, "fixia_proposals_created_total", {}),
        ("match.created", {}, "fixia_matches_created_total", {}),
        ("job.completed", {}, "fixia_jobs_completed_total", {}),
        ("review.created", {}, "fixia_reviews_created_total", {}),
        ("payment.rejected", {"amount": "10.50"}, "fixia_payments_total", {"status": "rejected"}),
        ("checkout.failed", {"amount": "5"}, "fixia_payments_total", {"status": "error"}),
        ("checkout.failed", {}, "fixia_checkout_requests_total", {"result": "error"}),
        ("checkout.opened", {}, "fixia_checkout_requests_total", {"result": "ok"}),
        ("subscription.renewed", {}, "fixia_subscription_renewals_total", {"outcome": "renewed"}),
        (
            "subscription.renewal_failed",
            {},
            "fixia_subscription_renewals_total",
            {"outcome": "failed"},
        ),
        (
            "subscription.renewal_lapsed",
            {},
            "fixia_subscription_renewals_total",
            {"outcome": "lapsed"},
        ),
        (
            "subscription.activated",
            {"plan": "professional"},
            "fixia_subscription_activations_total",
            {"plan": "professional"},
        ),
        (
            "payment.webhook_signature_failed",
            {"provider": "mercadopago"},
            "fixia_webhook_signature_failures_total",
            {"provider": "mercadopago"},
        ),
        (
            "money.reconciliation_mismatch",
            {"kind": "amount", "subject": "p1"},
            "fixia_money_reconciliation_mismatches_total",
            {"kind": "amount"},
        ),
        (
            "flag.evaluated",
            {"flag": "new-search", "variant": "on", "reason": "TARGETING_MATCH"},
            "fixia_feature_flag_evaluations_total",
            {"flag": "new-search", "variant": "on", "reason": "TARGETING_MATCH"},
        ),
    ],
)
def test_each_domain_event_moves_its_counter(
    event: str, data: dict[str, str], metric: str, labels: dict[str, str]
) -> None:
    before = sample(metric, **labels)
    business.subscribe_all()  # idempotent: a second app must not double count
    events.observe(event, **data)
    assert sample(metric, **labels) == before + 1


def test_payment_amounts_are_summed_in_ars() -> None:
    before = sample("fixia_payment_amount_ars_total", status="rejected")
    events.observe("payment.rejected", amount="1234.50")
    events.observe("payment.rejected", amount="not a number")
    assert sample("fixia_payment_amount_ars_total", status="rejected") == before + 1234.5


def test_breaker_state_is_exported() -> None:
    now = [0.0]
    breaker = CircuitBreaker(
        name="unit-test", failure_threshold=1, reset_timeout_s=10, clock=lambda: now[0]
    )
    assert sample("fixia_circuit_breaker_state", name="unit-test") == 0

    async def boom() -> None:
        raise ConnectionError

    import asyncio

    with pytest.raises(ConnectionError):
        asyncio.run(breaker.call(boom))
    assert sample("fixia_circuit_breaker_state", name="unit-test") == 2
    now[0] = 11
    breaker.publish()
    assert sample("fixia_circuit_breaker_state", name="unit-test") == 1


def test_settings_switches_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().observability.metrics_on and Settings().observability.tracing_on
    assert Settings().observability.otlp_endpoint is None  # the exporter is off by default
    monkeypatch.setenv("FIXIA_OBSERVABILITY__ENABLED", "false")
    off = Settings().observability
    assert not off.metrics_on and not off.tracing_on
    monkeypatch.setenv("FIXIA_OBSERVABILITY__ENABLED", "true")
    monkeypatch.setenv("FIXIA_OBSERVABILITY__TRACING_ENABLED", "false")
    monkeypatch.setenv("FIXIA_OBSERVABILITY__SAMPLE_RATIO", "0.25")
    partial = Settings().observability
    assert partial.metrics_on and not partial.tracing_on and partial.sample_ratio == 0.25
    monkeypatch.setenv("FIXIA_OBSERVABILITY__SAMPLE_RATIO", "2")
    with pytest.raises(ValueError, match="sample_ratio"):
        Settings()


def test_no_dsn_no_sentry() -> None:
    assert init_sentry(Settings()) is False
    assert not sentry_sdk.is_initialized()


def test_a_dsn_initialises_sentry_in_a_fresh_process() -> None:
    # Its own process: Sentry patches libraries globally and must not leak into the suite.
    code = (
        "import sentry_sdk\n"
        "from fixia.config import Settings\n"
        "from fixia.observability.errors import init_sentry\n"
        "s = Settings(observability={'sentry_dsn': 'http://key@127.0.0.1:9/1'})\n"
        "assert init_sentry(s) and sentry_sdk.is_initialized()\n"
        "print('initialised')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0 and "initialised" in out.stdout, out.stderr


async def test_route_template_includes_router_prefixes() -> None:
    seen: list[str] = []
    inner = APIRouter(prefix="/things")

    @inner.get("/{thing_id}")
    async def get_thing(thing_id: int) -> int:
        return thing_id

    api = APIRouter(prefix="/api/v1")
    api.include_router(inner)
    app = FastAPI()
    app.include_router(api)

    class Spy:
        def __init__(self, app: object) -> None:
            self.app = app

        async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
            await self.app(scope, receive, send)  # type: ignore[operator]
            seen.append(route_template(scope))

    app.add_middleware(Spy)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        await client.get("/api/v1/things/7")
        await client.get("/api/v1/nothing")
    assert seen == ["/api/v1/things/{thing_id}", "unmatched"]


def test_without_an_exporter_spans_are_not_recorded_but_keep_their_ids() -> None:
    from fixia.observability.tracing import build_provider

    quiet = build_provider(Settings(), "blue")
    span = quiet.get_tracer("t").start_span("x")
    assert not span.is_recording() and span.get_span_context().is_valid
    exporting = Settings(observability={"otlp_endpoint": "http://127.0.0.1:9/v1/traces"})
    provider = build_provider(exporting, "blue")
    try:
        assert provider.get_tracer("t").start_span("y").is_recording()
    finally:
        provider.shutdown()


@pytest.mark.parametrize(
    "traceparent", [None, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]
)
def test_server_spans_of_a_quiet_provider_are_what_its_tracer_would_make(
    traceparent: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an exporter ServerSpans makes the spans itself (no SDK machinery): the same
    non-recording span with valid ids, the caller's trace id and trace state kept, library
    instrumentation off inside and back on after."""
    from opentelemetry import propagate
    from opentelemetry.instrumentation.utils import is_instrumentation_enabled

    from fixia.observability.tracing import ServerSpans, build_provider

    quiet = build_provider(Settings(), "blue")
    carrier = {"traceparent": traceparent, "tracestate": "k=v"} if traceparent else {}
    headers = [(k.encode(), v.encode()) for k, v in carrier.items()]
    scope = {"type": "http", "method": "GET", "path": "/x", "headers": headers}
    expected = (
        quiet.get_tracer("t")
        .start_span("GET", context=propagate.extract(carrier))
        .get_span_context()
    )
    consulted: list[object] = []
    sample = quiet.sampler.should_sample

    def spy(*args: Any, **kwargs: Any) -> Any:
        consulted.append(args)
        return sample(*args, **kwargs)

    # ALWAYS_OFF is a module-wide object: monkeypatch puts its method back.
    monkeypatch.setattr(quiet.sampler, "should_sample", spy)
    opened = ServerSpans(quiet).open(scope)
    assert opened is not None and consulted == [], "the SDK's sampler ran: no shortcut"
    ours = opened.span.get_span_context()
    assert not opened.span.is_recording() and ours.is_valid
    assert not is_instrumentation_enabled()
    ServerSpans.close(opened, scope, "/x", 200)
    assert is_instrumentation_enabled()
    same = ("trace_flags", "trace_state", "is_remote")
    assert [getattr(ours, a) for a in same] == [getattr(expected, a) for a in same]
    assert (ours.trace_id == expected.trace_id) is bool(traceparent)
    assert ours.span_id != expected.span_id
