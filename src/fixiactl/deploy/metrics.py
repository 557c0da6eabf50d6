"""Read each slot's own /metrics (the default analysis source) into comparable snapshots.

Counters only ever grow while a process lives, so a step's numbers are the difference of two
snapshots of the same slot. Probe routes are left out: HAProxy's health checks would
otherwise drown a canary's few real requests in successes. The other source, Prometheus,
lives in fixiactl.deploy.prometheus and produces the same snapshots.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from prometheus_client.parser import text_string_to_metric_families

from fixiactl.errors import FixiactlError

REQUESTS = "fixia_http_requests"  # the parser strips _total
DURATION = "fixia_http_request_duration_seconds"
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


@dataclass
class Snapshot:
    requests: float = 0.0
    errors: float = 0.0
    # upper bound -> cumulative count, as in the exposition format
    buckets: dict[float, float] = field(default_factory=dict)
    # When the numbers were sampled (Unix seconds): read time for a slot, scrape time for
    # Prometheus, which may lag by up to its scrape interval.
    at: float | None = None
    # Counter resets the source saw (Prometheus' resets()): a restart it can prove even when
    # the new process has already counted past the old totals.
    generation: int = 0
    # route -> its own cumulative buckets: a regression of one route is diluted in the sum
    # above. Filled by the slots source; empty (no per-route check) from Prometheus.
    routes: dict[str, dict[float, float]] = field(default_factory=dict)

    def minus(self, earlier: Snapshot) -> Snapshot:
        """The traffic between two snapshots. A restarted process (counters went down, or a
        reset seen by the source) counts from zero rather than producing wrong numbers."""
        if self.requests < earlier.requests or self.generation != earlier.generation:
            return self
        return Snapshot(
            requests=self.requests - earlier.requests,
            errors=self.errors - earlier.errors,
            buckets={
                le: count - earlier.buckets.get(le, 0.0) for le, count in self.buckets.items()
            },
            at=self.at,
            generation=self.generation,
            routes={
                route: _minus(buckets, earlier.routes.get(route, {}))
                for route, buckets in self.routes.items()
            },
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "buckets": _labels(self.buckets),
            "at": self.at,
            "routes": {route: _labels(b) for route, b in self.routes.items()},
        }


def _minus(now: dict[float, float], before: dict[float, float]) -> dict[float, float]:
    return {le: count - before.get(le, 0.0) for le, count in now.items()}


def _labels(buckets: dict[float, float]) -> dict[str, float]:
    return {("+Inf" if math.isinf(k) else str(k)): v for k, v in buckets.items()}


def parse(text: str) -> Snapshot:
    snap = Snapshot()
    for family in text_string_to_metric_families(text):
        if family.name == REQUESTS:
            for sample in family.samples:
                if not sample.name.endswith("_total") or sample.labels.get("route") in PROBES:
                    continue
                snap.requests += sample.value
                if sample.labels.get("status", "").startswith("5"):
                    snap.errors += sample.value
        elif family.name == DURATION:
            for sample in family.samples:
                route = sample.labels.get("route", "")
                if sample.name.endswith("_bucket") and route not in PROBES:
                    le = float(sample.labels["le"])
                    snap.buckets[le] = snap.buckets.get(le, 0.0) + sample.value
                    per_route = snap.routes.setdefault(route, {})
                    per_route[le] = per_route.get(le, 0.0) + sample.value
    return snap


class MetricsUnavailable(FixiactlError):
    """The source itself cannot give fresh numbers (Prometheus down, scrapes stale). Unlike
    an unreadable slot this says nothing about the release: the step has no data, which is
    INSUFFICIENT_DATA (extend, then fail at the deadline), never a PASS."""


class MetricsSource(Protocol):
    name: str  # recorded in the verdict log: "slots" or "prometheus"
    interval_s: float  # how often new numbers can appear (0: on every read)

    def snapshot(self, slot: str) -> Snapshot | None:
        """None when the slot cannot be read (stopped, or no /metrics). Raises
        MetricsUnavailable when the source cannot answer for any slot."""


class SlotMetrics:
    """Each slot's own /metrics on its own port: no Prometheus needed, no scrape delay."""

    name = "slots"
    interval_s = 0.0

    def __init__(self, ports: dict[str, int], timeout_s: float = 2.0) -> None:
        self.ports = ports
        self.client = httpx.Client(timeout=timeout_s)

    def snapshot(self, slot: str) -> Snapshot | None:
        try:
            response = self.client.get(f"http://127.0.0.1:{self.ports[slot]}/metrics")
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        snap = parse(response.text)
        snap.at = time.time()
        return snap


# How long a deploy waits for the source's first fresh numbers before refusing: a deploy
# right after `stack up --monitoring` meets a Prometheus that has not scraped the slot yet.
FIRST_SCRAPE_WAIT_S = 30.0


def first_snapshot(
    source: MetricsSource,
    slot: str,
    *,
    wait_s: float = FIRST_SCRAPE_WAIT_S,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Snapshot | None:
    """The slot's first snapshot, waiting (bounded by `wait_s`) while the source has no
    fresh scrape yet; MetricsUnavailable only once the bound has passed. A retry loop of
    five lines is clearer here than a retry library's decorator around a closure."""
    deadline = clock() + wait_s
    while True:
        try:
            return source.snapshot(slot)
        except MetricsUnavailable:
            if clock() >= deadline:
                raise
            sleep(max(source.interval_s, 0.5))
