"""Read each slot's own /metrics (the default analysis source) into comparable snapshots.

Counters only ever grow while a process lives, so a step's numbers are the difference of two
snapshots of the same slot. Probe routes are left out: HAProxy's health checks would
otherwise drown a canary's few real requests in successes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from prometheus_client.parser import text_string_to_metric_families

REQUESTS = "fixia_http_requests"  # the parser strips _total
DURATION = "fixia_http_request_duration_seconds"
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


@dataclass
class Snapshot:
    requests: float = 0.0
    errors: float = 0.0
    # upper bound -> cumulative count, as in the exposition format
    buckets: dict[float, float] = field(default_factory=dict)

    def minus(self, earlier: Snapshot) -> Snapshot:
        """The traffic between two snapshots. A restarted process (counters went down)
        counts from zero rather than producing negative numbers."""
        if self.requests < earlier.requests:
            return self
        return Snapshot(
            requests=self.requests - earlier.requests,
            errors=self.errors - earlier.errors,
            buckets={
                le: count - earlier.buckets.get(le, 0.0) for le, count in self.buckets.items()
            },
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "buckets": {("+Inf" if math.isinf(k) else str(k)): v for k, v in self.buckets.items()},
        }


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
                if sample.name.endswith("_bucket") and sample.labels.get("route") not in PROBES:
                    le = float(sample.labels["le"])
                    snap.buckets[le] = snap.buckets.get(le, 0.0) + sample.value
    return snap


class MetricsSource(Protocol):
    def snapshot(self, slot: str) -> Snapshot | None:
        """None when the slot cannot be read (stopped, or no /metrics)."""


class SlotMetrics:
    """Each slot's own /metrics on its own port: no Prometheus needed, no scrape delay."""

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
        return parse(response.text)
