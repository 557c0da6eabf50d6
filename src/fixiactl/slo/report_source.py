"""The month's numbers from the stack's Prometheus (fixiactl.slo.report.MonthSource)."""

from __future__ import annotations

import math
from typing import Any

import httpx

from fixiactl.promapi import api_get
from fixiactl.slo.report import DAY_S, Span
from fixiactl.slo.spec import SLO

STEP_S = 60  # ALERTS is sampled at this step: shorter firings may be missed or rounded up


def _first(result: list[dict[str, Any]]) -> float | None:
    if not result:
        return None
    value = float(result[0]["value"][1])
    return None if math.isnan(value) else value


class PrometheusMonth:
    def __init__(self, url: str, *, client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self.client = client or httpx.Client(timeout=30.0)

    def _get(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        hint = "the report reads the stack's Prometheus: fixiactl stack up --monitoring"
        return api_get(self.client, f"{self.url}/api/v1/{path}", params, hint=hint)

    def events(self, slo: SLO, start: float, end: float) -> tuple[float, float] | None:
        window = math.ceil(end - start)
        if window <= 0:
            return None
        at = {"time": f"{end:.3f}"}
        total = _first(self._get("query", {"query": slo.total_at(f"{window}s"), **at}))
        if total is None:
            return None
        bad = _first(self._get("query", {"query": slo.errors_at(f"{window}s"), **at})) or 0.0
        return bad * window, total * window

    def firings(self, start: float, end: float) -> list[Span]:
        # Critical alerts and the SLO burn alerts: a backup or disk warning is no incident
        # of the service, and would take the blame for errors it did not cause.
        expr = (
            'ALERTS{alertstate="firing",severity="critical"} or ALERTS{alertstate="firing",slo!=""}'
        )
        samples: dict[tuple[tuple[str, str], ...], list[float]] = {}
        day = start
        while day < end:  # a day at a time: under Prometheus' 11,000 points per series
            params = {"query": expr, "start": f"{day:.0f}", "end": f"{min(day + DAY_S, end):.0f}"}
            for series in self._get("query_range", params | {"step": f"{STEP_S}s"}):
                key = tuple(sorted(series["metric"].items()))
                samples.setdefault(key, []).extend(float(t) for t, _v in series["values"])
            day += DAY_S
        return sorted(
            (span for key, times in samples.items() for span in _spans(dict(key), times)),
            key=lambda s: s.start,
        )


def _spans(labels: dict[str, str], times: list[float]) -> list[Span]:
    """Consecutive samples (no gap over a step) are one firing."""
    spans: list[Span] = []
    times = sorted(set(times))
    begin = prev = times[0]
    for t in [*times[1:], math.inf]:
        if t - prev > STEP_S * 1.5:
            name = labels.get("alertname", "?")
            spans.append(
                Span(
                    "incident",
                    f"{name}@{begin:.0f}",
                    begin,
                    prev + STEP_S,
                    labels.get("severity", ""),
                    labels.get("slo"),
                )
            )
            begin = t
        prev = t
    return spans
