"""Canary analysis from Prometheus: the same snapshots as the slots' own /metrics, read from
the stack's Prometheus (`fixiactl stack up --monitoring`), whose fixia-app job labels every
series with the slot it scraped.

Each snapshot is one scrape: the time of the slot's latest `up` sample is found first, and
every query is evaluated at exactly that time, so the numbers belong together and carry the
scrape's timestamp. A scrape older than a few intervals is stale: the source then raises
MetricsUnavailable (no data), never returns old numbers as if they were current.

Restarts: a restarted slot's counters start again from zero. When its new totals are already
above the old ones the difference alone would hide it, so `resets()` over everything seen
since the source first read the slot becomes the snapshot's generation; snapshots of
different generations are never subtracted (fixiactl.deploy.metrics.Snapshot.minus). A
series that vanishes at the restart and comes back larger is no reset to `resets()`, which
is why the probe routes' counters (never absent for long) are included in that count.
"""

from __future__ import annotations

import math
import re
from typing import Any

import httpx

from fixiactl.deploy.metrics import PROBES, MetricsSource, MetricsUnavailable, SlotMetrics, Snapshot
from fixiactl.errors import FixiactlError
from fixiactl.promapi import api_get
from fixiactl.stack import monitoring
from fixiactl.stack.config import EnvConfig

SOURCES = ("slots", "prometheus")
REQUESTS = "fixia_http_requests_total"
BUCKETS = "fixia_http_request_duration_seconds_bucket"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration_s(text: str) -> float:
    """A Prometheus duration ("2s", "1m30s", "500ms") in seconds."""
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        raise FixiactlError(f"cannot read the duration {text!r}", hint='e.g. "2s" or "1m"')
    return sum(float(n) * _UNITS[u] for n, u in parts)


def selector(job: str, slot: str, *, probes: bool = False) -> str:
    """The slot's series; without the probe routes unless asked (see metrics.PROBES)."""
    where = f'job="{job}",slot="{slot}"'
    return where if probes else where + f',route!~"{"|".join(sorted(PROBES))}"'


class PrometheusSource:
    name = "prometheus"

    def __init__(
        self,
        url: str,
        *,
        interval_s: float,
        max_age_s: float | None = None,
        job: str = "fixia-app",
        timeout_s: float = 2.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.interval_s = interval_s
        # Two missed scrapes are tolerated; a third means the numbers are no longer current.
        self.max_age_s = max_age_s if max_age_s is not None else max(3 * interval_s, 5.0)
        self.job = job
        self.client = client or httpx.Client(timeout=timeout_s)
        self.origin: dict[str, float] = {}  # slot -> first scrape time seen (resets count from)

    def snapshot(self, slot: str) -> Snapshot | None:
        at, up = self.last_scrape(slot)
        if not up:
            return None  # Prometheus reached the slot's target and failed: the slot is down
        sel = selector(self.job, slot)
        snap = Snapshot(
            requests=_total(self.query(f"sum({REQUESTS}{{{sel}}})", at)),
            errors=_total(self.query(f'sum({REQUESTS}{{{sel},status=~"5.."}})', at)),
            buckets={
                float(r["metric"]["le"]): float(r["value"][1])
                for r in self.query(f"sum by (le) ({BUCKETS}{{{sel}}})", at)
            },
            at=at,
        )
        origin = self.origin.setdefault(slot, at)
        if at > origin:
            # Range selectors include both ends (Prometheus 2.x): the origin scrape is the
            # first sample of every window, so each reset is counted from the same start.
            # The probe routes count here: /metrics itself grows at every scrape, so a
            # restart shows as its reset even before the new process has served anyone.
            span_ms = math.ceil((at - origin) * 1000)
            every = selector(self.job, slot, probes=True)
            resets = self.query(f"sum(resets({REQUESTS}{{{every}}}[{span_ms}ms]))", at)
            snap.generation = int(_total(resets))
        return snap

    def last_scrape(self, slot: str) -> tuple[float, bool]:
        """(time of the slot's latest scrape, whether it succeeded); stale is unavailable."""
        window = math.ceil(self.max_age_s * 1000)
        expr = f'up{{job="{self.job}",slot="{slot}"}}[{window}ms]'
        samples = [s for series in self.query(expr) for s in series["values"]]
        if not samples:
            raise MetricsUnavailable(
                f"Prometheus has no scrape of {slot} in the last {self.max_age_s:g} s",
                hint="check its targets (job fixia-app, label slot) at "
                f"{self.url}/targets, or deploy with --metrics-source slots",
            )
        ts, value = max(samples, key=lambda s: float(s[0]))
        return float(ts), float(value) == 1.0

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        params = {"query": expr} | ({"time": f"{at:.3f}"} if at is not None else {})
        hint = "start the stack with --monitoring, or deploy with --metrics-source slots"
        url = f"{self.url}/api/v1/query"
        return api_get(self.client, url, params, hint=hint, error=MetricsUnavailable)


def _total(result: list[dict[str, Any]]) -> float:
    """A sum() over no series at all is an empty vector: nothing counted yet."""
    return float(result[0]["value"][1]) if result else 0.0


def open_source(config: EnvConfig, ports: dict[str, int], kind: str | None) -> MetricsSource:
    """The analysis source for `config`'s environment: `kind`, else its `metrics_source`."""
    env = config.name
    kind = kind or config.metrics_source
    if kind == "slots":
        return SlotMetrics(ports)
    if kind != "prometheus":
        raise FixiactlError(f"unknown metrics source {kind!r}", hint=" or ".join(SOURCES))
    if "prometheus" not in ports or not monitoring.enabled(env):
        raise FixiactlError(
            f"{env} runs no Prometheus",
            hint=f"fixiactl stack up --monitoring --env {env}, or --metrics-source slots",
        )
    interval = duration_s(config.app_scrape_interval or config.scrape_interval)
    return PrometheusSource(f"http://127.0.0.1:{ports['prometheus']}", interval_s=interval)
