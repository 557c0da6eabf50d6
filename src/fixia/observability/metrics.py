"""The app's Prometheus metrics (names and labels are the contract in docs/observability.md).

uvicorn runs several worker processes per slot. With PROMETHEUS_MULTIPROC_DIR set (the stack
sets one directory per slot; `fixia serve` empties it at start) every process writes its
values to files there and `/metrics` aggregates them, so a scrape that lands on any worker
sees the whole slot. Without the variable (tests, `make run`) the default registry is used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric

# 0.2 s is the latency SLO threshold: it must be a bucket boundary.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0)

HTTP_REQUESTS = Counter(
    "fixia_http_requests_total", "HTTP requests by route template", ["method", "route", "status"]
)
HTTP_DURATION = Histogram(
    "fixia_http_request_duration_seconds",
    "HTTP request duration by route template",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
# Gauges say how to combine worker processes: live* drops the files of exited workers.
IN_FLIGHT = Gauge(
    "fixia_http_requests_in_flight", "Requests being served", multiprocess_mode="livesum"
)
DB_POOL_CONNECTIONS = Gauge(
    "fixia_db_pool_connections",
    "Database pool connections by state",
    ["state"],
    multiprocess_mode="livesum",
)
DB_POOL_SIZE = Gauge(
    "fixia_db_pool_size", "Configured database pool size", multiprocess_mode="livesum"
)
CACHE_REQUESTS = Counter(
    "fixia_cache_requests", "Cache lookups by cache and result", ["cache", "result"]
)
RATELIMIT_REJECTIONS = Counter(
    "fixia_ratelimit_rejections", "Requests refused by a rate-limit rule", ["rule"]
)
# 0 closed, 1 half-open, 2 open; the worst worker wins.
CIRCUIT_BREAKER_STATE = Gauge(
    "fixia_circuit_breaker_state",
    "Circuit breaker state (0 closed, 1 half-open, 2 open)",
    ["name"],
    multiprocess_mode="livemax",
)
BUILD_INFO = Gauge(
    "fixia_build_info",
    "Always 1; the labels say what runs",
    ["version", "git_sha", "slot"],
    multiprocess_mode="livemax",
)

REGISTRATIONS = Counter("fixia_registrations", "Sign-ups by result", ["result"])
LOGINS = Counter("fixia_logins", "Log-in attempts by result", ["result"])
PROJECTS = Counter("fixia_projects_created", "Projects posted")
PROPOSALS = Counter("fixia_proposals_created", "Proposals sent")
MATCHES = Counter("fixia_matches_created", "Matches (and their jobs) created")
JOBS_COMPLETED = Counter("fixia_jobs_completed", "Jobs completed")
REVIEWS = Counter("fixia_reviews_created", "Reviews written")
PAYMENTS = Counter("fixia_payments", "Payments by outcome", ["status"])
PAYMENT_AMOUNT = Counter(
    "fixia_payment_amount_ars", "Payment amounts in ARS by outcome", ["status"]
)
CHECKOUTS = Counter("fixia_checkout_requests", "Checkouts opened with the provider", ["result"])
SUBSCRIPTIONS = Counter(
    "fixia_subscription_activations", "Subscriptions activated by plan", ["plan"]
)
RENEWALS = Counter(
    "fixia_subscription_renewals",
    "Renewal outcomes: renewed, failed (a declined charge), lapsed (grace over, downgraded)",
    ["outcome"],
)
WEBHOOK_SIGNATURE_FAILURES = Counter(
    "fixia_webhook_signature_failures", "Webhooks refused for a bad signature", ["provider"]
)
RECONCILIATION_MISMATCHES = Counter(
    "fixia_money_reconciliation_mismatches",
    "Differences found by the nightly money reconciliation, by kind",
    ["kind"],
)
FLAG_EVALUATIONS = Counter(
    "fixia_feature_flag_evaluations",
    "Feature-flag evaluations",
    ["flag", "variant", "reason"],
)
QUEUE_JOBS = Counter(
    "fixia_queue_jobs", "Jobs run by this process, by task and outcome", ["task", "outcome"]
)

# A client picks the method: outside OpenTelemetry's semantic conventions' known methods it
# is "_OTHER", in metrics and spans alike, or each invented method would mint a new series
# (and a new span name).
HTTP_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"}
)


class RequestSeries:
    """The RED children of each (method, route, status), resolved once per process.

    `labels()` validates, builds tuples and takes a lock on every call; on the request path
    that was most of the metrics' cost. The keys are bounded: known methods, route
    templates (or "unmatched") and status codes.
    """

    def __init__(self) -> None:
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        if method not in HTTP_METHODS:
            method = "_OTHER"
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                HTTP_REQUESTS.labels(method, route, str(status)),
                HTTP_DURATION.labels(method, route),
            )
        children[0].inc()
        children[1].observe(seconds)


class InFlight:
    """This process's requests in progress: a plain count on the request path, written to
    the IN_FLIGHT gauge by `publish` (in each worker by the task that flushes the log lines,
    every 0.2 s, and by the worker answering a scrape). A multiprocess gauge write takes a
    lock and an mmap write; twice per request that was about a ninth of the middleware's own
    cost in process, for a value Prometheus reads once per scrape. A scrape may see another
    worker's count up to 0.2 s old."""

    def __init__(self) -> None:
        self.count = 0
        self._published = 0

    def publish(self) -> None:
        if self.count != self._published:
            IN_FLIGHT.set(self.count)
            self._published = self.count


in_flight = InFlight()


# Known label values start at 0, so a rate() over them exists before the first event and
# alert expressions never reference a series that nothing produces.
_KNOWN_LABELS: tuple[tuple[Counter, tuple[str, ...]], ...] = (
    (REGISTRATIONS, ("ok", "failed")),
    (LOGINS, ("ok", "failed", "locked")),
    (PAYMENTS, ("approved", "rejected", "error")),
    (PAYMENT_AMOUNT, ("approved", "rejected", "error")),
    (CHECKOUTS, ("ok", "error")),
)


def initialise_labels() -> None:
    for counter, values in _KNOWN_LABELS:
        for value in values:
            counter.labels(value)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class _DeclaredFamilies:
    """The app's families no process has observed yet, as HELP/TYPE with no samples. The
    multiprocess collector only sees values written to files, so an unobserved labelled
    metric would vanish from a slot's /metrics; the single-process exposition lists it, and
    the monitoring integrity check relies on every declared family being visible."""

    def __init__(self, seen: set[str]) -> None:
        self.seen = seen

    def collect(self) -> Iterator[Metric]:
        for family in REGISTRY.collect():
            if family.name.startswith("fixia_") and family.name not in self.seen:
                yield Metric(family.name, family.documentation, family.type)


def render() -> tuple[bytes, str]:
    """The exposition of every process of this slot (or of this process alone)."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        collector = multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        seen = {family.name for family in collector.collect()}  # type: ignore[no-untyped-call]
        registry.register(_DeclaredFamilies(seen))
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def process_exited() -> None:
    """Drop this worker's live gauges (in-flight, pool) when it shuts down cleanly."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def sample(metric: str, /, **labels: Any) -> float:
    """The current value of one sample in this process (0 when absent); for tests and checks."""
    value = REGISTRY.get_sample_value(metric, {k: str(v) for k, v in labels.items()})
    return value or 0.0
