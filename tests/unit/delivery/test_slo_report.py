"""The calendar-month SLO report on fake data: the budget burned, its attribution to deploys,
incidents and the rest, and the Markdown, CSV and SVG it is written as."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from fixiactl.errors import FixiactlError
from fixiactl.slo import report as rep
from fixiactl.slo import report_render as render
from fixiactl.slo.report import Span
from fixiactl.slo.report_source import STEP_S, PrometheusMonth, _spans
from fixiactl.slo.spec import load_slos

SLOS = {s.name: s for s in load_slos()}
AVAIL = SLOS["api-availability"]  # 99.9 %: a budget of 1 bad event in 1000
DEC = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
H = 3600.0
AFTER = DEC + 40 * 86400  # December is over


@dataclass
class Fake:
    """10 events/s all month; bad events at constant rates over the given spans."""

    bad: list[tuple[float, float, float]] = field(default_factory=list)  # start, end, per s
    fired: list[Span] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)

    def events(self, slo: Any, start: float, end: float) -> tuple[float, float] | None:
        if slo.name in self.missing:
            return None
        bad = sum(r * max(0.0, min(b, end) - max(a, start)) for a, b, r in self.bad)
        return bad, 10.0 * (end - start)

    def firings(self, start: float, end: float) -> list[Span]:
        return self.fired


def deploy(deploy_id: str, start: float, end: float, outcome: str) -> list[dict[str, Any]]:
    return [
        {"deploy_id": deploy_id, "event": "started", "ts": start, "release": "r-" + deploy_id},
        {"deploy_id": deploy_id, "event": outcome, "ts": end, "release": "r-" + deploy_id},
    ]


def _by_kind(month: rep.SLOMonth) -> dict[str, float]:
    return {a.id: a.bad for a in month.attributions}


def test_month_bounds() -> None:
    start, end = rep.month_bounds("2026-12")
    assert start == DEC and end - start == 31 * 86400
    assert rep.month_bounds("2027-02")[1] - rep.month_bounds("2027-02")[0] == 28 * 86400
    for bad in ("2026-13", "12-2026", "2026-1"):
        with pytest.raises(FixiactlError, match="cannot read the month"):
            rep.month_bounds(bad)


def test_budget_burned_is_split_between_a_deploy_an_incident_and_the_rest() -> None:
    d0 = DEC + 2 * 86400
    source = Fake(
        bad=[(d0, d0 + H, 1.0), (d0 + 10 * H, d0 + 12 * H, 0.5), (d0 + 20 * H, d0 + 21 * H, 0.2)],
        # The burn alert fires from the deploy's last half-hour into its own errors after.
        fired=[Span("incident", "SLOErrorBudgetBurnFast@x", d0 + 0.5 * H, d0 + 12 * H, "critical")],
    )
    journal = deploy("d1", d0, d0 + H, "rolled_back") + deploy(
        "d2", d0 + 5 * H, d0 + 6 * H, "promoted"
    )
    data = rep.build([AVAIL], source, journal, "2026-12", AFTER)
    [month] = data["slos"]
    assert month.total == pytest.approx(10.0 * 31 * 86400)
    assert month.bad == pytest.approx(3600 + 3600 + 720)
    assert month.budget_events == pytest.approx(month.total * 0.001)
    assert month.burned == pytest.approx(month.bad / month.budget_events)
    # The deploy owns its whole hour (the alert firing within it is its effect).
    assert _by_kind(month) == pytest.approx(
        {"d1": 3600.0, "d2": 0.0, "SLOErrorBudgetBurnFast@x": 3600.0, "-": 720.0}
    )
    assert sum(a.budget_share for a in month.attributions) == pytest.approx(month.burned)
    d1 = next(a for a in month.attributions if a.id == "d1")
    assert d1.kind == "deploy" and d1.label == "r-d1 rolled_back"
    # Day by day, cumulative: nothing before the 3rd, everything from the 3rd on.
    assert len(month.daily_burned) == 31
    assert month.daily_burned[1] == 0.0 and month.daily_burned[2] == pytest.approx(month.burned)
    assert month.daily_burned[-1] == pytest.approx(month.burned)


def test_an_incident_of_another_slo_takes_no_blame_here() -> None:
    d0 = DEC + 86400
    source = Fake(
        bad=[(d0, d0 + H, 1.0)],
        fired=[Span("incident", "PaymentBurn@x", d0, d0 + H, "critical", slo="checkout-success")],
    )
    [month] = rep.build([AVAIL], source, [], "2026-12", AFTER)["slos"]
    assert _by_kind(month) == pytest.approx({"-": 3600.0})


def test_an_slo_without_data_is_reported_as_no_data_not_as_a_full_budget() -> None:
    data = rep.build([AVAIL, SLOS["checkout-success"]], Fake(missing={"checkout-success"}), [],
                     "2026-12", AFTER)  # fmt: skip
    checkout = data["slos"][1]
    assert checkout.total is None and checkout.attributions == [] and checkout.daily_burned == []
    assert "| checkout-success | 99.50% | no data |" in render.markdown(data, "c.svg")


def test_a_running_month_is_reported_up_to_now_and_a_future_one_refused() -> None:
    now = DEC + 10.5 * 86400
    [month] = rep.build([AVAIL], Fake(), [], "2026-12", now)["slos"]
    assert month.total == pytest.approx(10.0 * 10.5 * 86400) and len(month.daily_burned) == 11
    with pytest.raises(FixiactlError, match="has not begun"):
        rep.build([AVAIL], Fake(), [], "2027-01", now)


def test_markdown_csv_and_svg() -> None:
    d0 = DEC + 3 * 86400
    data = rep.build(
        [AVAIL, SLOS["api-latency"]],
        Fake(bad=[(d0, d0 + H, 1.0)]),
        deploy("d1", d0, d0 + H, "rolled_back"),
        "2026-12",
        AFTER,
    )
    md = render.markdown(data, "slo-report-2026-12.svg")
    assert md.startswith("# SLO report 2026-12")
    assert "![Cumulative error budget burned](slo-report-2026-12.svg)" in md
    assert "| deploy | d1 r-d1 rolled_back | 2026-12-04 00:00 | 2026-12-04 01:00 | 3600.0 |" in md
    rows = list(csv.DictReader(io.StringIO(render.rows_csv(data))))
    deploys = [r for r in rows if r["kind"] == "deploy"]
    assert len(deploys) == 2 and float(deploys[0]["bad_events"]) == pytest.approx(3600)
    totals = [r for r in rows if r["kind"] == "total"]
    assert [r["slo"] for r in totals] == ["api-availability", "api-latency"]
    svg = ET.fromstring(render.svg(data))  # noqa: S314 - our own output, not untrusted
    ns = "{http://www.w3.org/2000/svg}"
    lines = svg.findall(f"{ns}polyline")
    assert len(lines) == 2 and len(lines[0].attrib["points"].split()) == 32  # day 0 + 31 days
    assert any("100%" in (t.text or "") for t in svg.findall(f"{ns}text"))
    assert render.as_json(data)["slos"][0]["attributions"][0]["id"] == "d1"


def test_consecutive_alert_samples_are_one_firing() -> None:
    times = [0.0, 60.0, 120.0, 600.0, 660.0]
    spans = _spans({"alertname": "ApiDown", "severity": "critical"}, times)
    assert [(s.start, s.end) for s in spans] == [(0.0, 120.0 + STEP_S), (600.0, 660.0 + STEP_S)]
    assert spans[0].id == "ApiDown@0" and spans[0].slo is None


def test_prometheus_counts_a_span_with_the_slis_own_expression() -> None:
    asked: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(dict(request.url.params))
        query = request.url.params["query"]
        value = "0.5" if 'status=~"5.."' in query else "10"
        result = [] if "[0s]" in query else [{"metric": {}, "value": [1, value]}]
        return httpx.Response(200, json={"status": "success", "data": {"result": result}})

    source = PrometheusMonth(
        "http://p", client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    assert source.events(AVAIL, 1000.0, 4600.0) == (1800.0, 36000.0)
    assert "[3600s]" in asked[0]["query"] and asked[0]["time"] == "4600.000"
    assert source.events(AVAIL, 1000.0, 1000.0) is None


def test_prometheus_firings_a_day_at_a_time_merged_into_spans() -> None:
    asked: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        asked.append(params)
        start = float(params["start"])
        labels = {"alertname": "SLOErrorBudgetBurnFast", "severity": "critical",
                  "slo": "api-availability", "alertstate": "firing"}  # fmt: skip
        # Firing across midnight: the last two minutes of day 1 and the first of day 2.
        times = [start + 86400 - 120, start + 86400 - 60] if start == DEC else [start]
        series = [{"metric": labels, "values": [[t, "1"] for t in times]}]
        return httpx.Response(200, json={"status": "success", "data": {"result": series}})

    source = PrometheusMonth(
        "http://p", client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    [span] = source.firings(DEC, DEC + 2 * 86400)
    assert len(asked) == 2 and asked[0]["step"] == f"{STEP_S}s"
    assert 'severity="critical"' in asked[0]["query"] and 'slo!=""' in asked[0]["query"]
    assert (span.start, span.end) == (DEC + 86400 - 120, DEC + 86400 + STEP_S)
    assert span.kind == "incident" and span.slo == "api-availability"
