"""The calendar-month SLO report: for each SLO, the budget the month allowed, how much of it
was burned, and by what: deploys (their spans in the deploy journal), incidents (alert firings,
Prometheus' ALERTS series), or nothing known.

Counting: the bad and total events of a span [a, b] are the SLO's own SLI expressions
(deploy/slo) with `$window` = b - a, evaluated at b and multiplied by the span: Prometheus'
rate() extrapolation, so a span shorter than two scrapes counts nothing.

Attribution: the month is cut at every deploy's and incident's start and end; each piece has
one owner. A deploy owns its span even when an alert fires during it (the alert is the burn's
effect, the deploy its likely cause); an incident owns what is left of its firing; the rest is
unattributed. A deploy's span runs from `started` to its last journal event.
"""

from __future__ import annotations

import calendar
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from fixiactl.errors import FixiactlError
from fixiactl.slo.spec import SLO

DAY_S = 86400


@dataclass(frozen=True)
class Span:
    kind: str  # deploy | incident
    id: str  # deploy id, or alertname@start
    start: float
    end: float
    label: str = ""  # release and outcome, or the alert's severity
    slo: str | None = None  # an incident's `slo` label: it only counts against that SLO


@dataclass
class Attribution:
    kind: str  # deploy | incident | unattributed
    id: str
    label: str
    start: float | None
    end: float | None
    bad: float = 0.0
    budget_share: float = 0.0  # of the month's budget


@dataclass
class SLOMonth:
    slo: str
    objective: float
    total: float | None  # None: no data for the month
    bad: float
    budget_events: float  # bad events the month allowed
    burned: float  # share of that budget
    daily_burned: list[float] = field(default_factory=list)  # cumulative share, end of each day
    attributions: list[Attribution] = field(default_factory=list)


class MonthSource(Protocol):
    def events(self, slo: SLO, start: float, end: float) -> tuple[float, float] | None:
        """(bad, total) events of `slo` in [start, end]; None when there is no data."""

    def firings(self, start: float, end: float) -> list[Span]:
        """Every alert's firing spans that overlap [start, end]."""


def month_bounds(month: str) -> tuple[float, float]:
    match = re.fullmatch(r"(\d{4})-(\d{2})", month)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise FixiactlError(f"cannot read the month {month!r}", hint="e.g. --month 2026-12")
    year, mon = int(match.group(1)), int(match.group(2))
    start = datetime(year, mon, 1, tzinfo=UTC).timestamp()
    return start, start + calendar.monthrange(year, mon)[1] * DAY_S


def deploy_spans(events: Sequence[dict[str, Any]], start: float, end: float) -> list[Span]:
    by_id: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_id.setdefault(str(event["deploy_id"]), []).append(event)
    spans = []
    for deploy_id, evs in by_id.items():
        first, last = min(e["ts"] for e in evs), max(e["ts"] for e in evs)
        # A deploy's last journal event is its outcome (promoted, rolled_back, failed).
        ending = max(evs, key=lambda e: e["ts"])["event"]
        outcome = "unfinished" if ending == "started" else ending
        release = next((e.get("release") for e in evs if e.get("release")), "?")
        if last > start and first < end and last > first:
            label = f"{release} {outcome}"
            spans.append(Span("deploy", deploy_id, max(first, start), min(last, end), label))
    return sorted(spans, key=lambda s: s.start)


def _pieces(spans: Sequence[Span], start: float, end: float) -> list[tuple[float, float, Span]]:
    """The month cut at every span's ends; each piece owned by a deploy before an incident."""
    cuts = sorted({start, end, *(t for s in spans for t in (s.start, s.end) if start < t < end)})
    pieces = []
    for a, b in itertools.pairwise(cuts):
        owners = [s for s in spans if s.start <= a and s.end >= b]
        if owners:
            owner = min(owners, key=lambda s: (s.kind != "deploy", s.start))
            pieces.append((a, b, owner))
    return pieces


def _attribute(
    slo: SLO, source: MonthSource, spans: Sequence[Span], month: tuple[float, float], budget: float
) -> list[Attribution]:
    relevant = [s for s in spans if s.slo in (None, slo.name)]
    found: dict[str, Attribution] = {}
    for a, b, owner in _pieces(relevant, *month):
        counted = source.events(slo, a, b)
        entry = found.setdefault(
            owner.id, Attribution(owner.kind, owner.id, owner.label, owner.start, owner.end)
        )
        entry.bad += counted[0] if counted else 0.0
    for entry in found.values():
        entry.budget_share = entry.bad / budget if budget else 0.0
    return list(found.values())


def _daily(slo: SLO, source: MonthSource, start: float, end: float, budget: float) -> list[float]:
    days, burned, spent = math.ceil((end - start) / DAY_S), [], 0.0
    for day in range(days):
        counted = source.events(slo, start + day * DAY_S, min(start + (day + 1) * DAY_S, end))
        spent += counted[0] if counted else 0.0
        burned.append(spent / budget if budget else 0.0)
    return burned


def slo_month(
    slo: SLO, source: MonthSource, spans: Sequence[Span], month: tuple[float, float]
) -> SLOMonth:
    counted = source.events(slo, *month)
    bad, total = counted if counted else (0.0, None)
    budget_events = (total or 0.0) * slo.budget
    result = SLOMonth(
        slo=slo.name,
        objective=slo.objective,
        total=total,
        bad=bad,
        budget_events=budget_events,
        burned=bad / budget_events if budget_events else 0.0,
    )
    if total is None:
        return result
    result.daily_burned = _daily(slo, source, *month, budget_events)
    result.attributions = _attribute(slo, source, spans, month, budget_events)
    known = sum(a.bad for a in result.attributions)
    rest = max(bad - known, 0.0)
    result.attributions.append(
        Attribution(
            "unattributed", "-", "no deploy, no alert firing", None, None, rest,
            rest / budget_events if budget_events else 0.0,
        )
    )  # fmt: skip
    return result


def build(
    slos: Sequence[SLO],
    source: MonthSource,
    deploys: Sequence[dict[str, Any]],
    month: str,
    now: float,
) -> dict[str, Any]:
    """The report of `month`; a month still running is reported up to `now`."""
    start, end = month_bounds(month)
    if start >= now:
        raise FixiactlError(f"{month} has not begun", hint="report a past or the current month")
    bounds = (start, min(end, now))
    spans = [*deploy_spans(deploys, *bounds), *source.firings(*bounds)]
    return {
        "month": month,
        "start": bounds[0],
        "end": bounds[1],
        "slos": [slo_month(slo, source, spans, bounds) for slo in slos],
    }
