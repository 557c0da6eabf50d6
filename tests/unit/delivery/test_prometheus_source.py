"""The Prometheus analysis source against answers recorded from a real Prometheus 2.42, and the
step window's freshness rules. The live proof is tests/acceptance/delivery/
test_prometheus_source.py (a real stack with --monitoring)."""

from __future__ import annotations

import json
import math
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from fixiactl.deploy.metrics import MetricsUnavailable, Snapshot, first_snapshot
from fixiactl.deploy.prometheus import PrometheusSource, duration_s, open_source, selector
from fixiactl.deploy.window import StepWindow
from fixiactl.errors import FixiactlError
from fixiactl.stack.config import load_env

RECORDED = json.loads((Path(__file__).parent / "data" / "prometheus_restart.json").read_text())
URL = "http://127.0.0.1:9090"


def _replay(conversation: list[dict[str, Any]]) -> httpx.Client:
    """Answers each request with the next recorded answer, after checking it asks exactly
    the recorded query at the recorded evaluation time."""
    queue = list(conversation)

    def handler(request: httpx.Request) -> httpx.Response:
        expected = queue.pop(0)
        assert request.url.params["query"] == expected["query"]
        assert request.url.params.get("time") == expected.get("time")
        return httpx.Response(expected.get("status", 200), json=expected["response"])

    return httpx.Client(transport=httpx.MockTransport(handler))


def _source(conversation: list[dict[str, Any]]) -> PrometheusSource:
    return PrometheusSource(URL, interval_s=2, client=_replay(conversation))


def test_a_restart_is_seen_even_when_the_new_totals_pass_the_old_ones() -> None:
    source = _source(RECORDED["conversation"])
    s0, s1, s2 = (source.snapshot("green") for _ in range(3))
    assert s0 is not None and s1 is not None and s2 is not None
    assert (s0.requests, s1.requests, s2.requests) == (0, 5, 20)
    assert s1.at == 1795634367.218 and s2.at == 1795634405.218  # the scrape times
    assert s1.buckets[math.inf] == 5 and s1.buckets[0.005] == 4
    assert s0.generation == s1.generation == 0 < s2.generation
    # 20 requests since the restart, not 20 - 5.
    assert s2.minus(s1).requests == 20
    assert s1.minus(s0).requests == 5


def test_the_queries_leave_probes_out_and_select_the_slot() -> None:
    assert selector("fixia-app", "green") == (
        'job="fixia-app",slot="green",route!~"/healthz|/metrics|/readyz"'
    )
    errors = next(c["query"] for c in RECORDED["conversation"] if "5.." in c["query"])
    assert errors.startswith("sum(fixia_http_requests_total{") and 'status=~"5.."' in errors


def test_a_slot_prometheus_cannot_scrape_is_down_not_unknown() -> None:
    down = RECORDED["slot_down"]
    source = PrometheusSource(URL, interval_s=2, client=_replay([down]))
    assert source.snapshot("green") is None


def test_no_recent_scrape_is_no_data() -> None:
    source = PrometheusSource(URL, interval_s=2, client=_replay([RECORDED["stale"]]))
    with pytest.raises(MetricsUnavailable) as caught:
        source.snapshot("green")
    assert "no scrape of green in the last 6 s" in caught.value.message
    assert caught.value.hint and "--metrics-source slots" in caught.value.hint


def test_a_refused_query_is_no_data() -> None:
    source = _source([RECORDED["bad_query"]])
    with pytest.raises(MetricsUnavailable, match="unclosed left parenthesis"):
        source.query("sum(")


def test_an_unreachable_prometheus_is_no_data_with_a_hint() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connection refused
        source = PrometheusSource(f"http://127.0.0.1:{port}", interval_s=1)
        with pytest.raises(MetricsUnavailable) as caught:
            source.snapshot("blue")
    assert "unreachable" in caught.value.message
    assert caught.value.hint and "--monitoring" in caught.value.hint


def test_durations() -> None:
    assert duration_s("2s") == 2.0
    assert duration_s("1m30s") == 90.0
    assert duration_s("500ms") == 0.5
    with pytest.raises(FixiactlError):
        duration_s("2 seconds")


def test_open_source_refuses_unknown_sources_and_stacks_without_prometheus() -> None:
    config = load_env("test-nostack")
    with pytest.raises(FixiactlError, match="unknown metrics source"):
        open_source(config, {}, "graphite")
    with pytest.raises(FixiactlError, match="runs no Prometheus") as caught:
        open_source(config, {"prometheus": 1}, "prometheus")
    assert caught.value.hint and "--monitoring" in caught.value.hint
    assert open_source(config, {"blue": 1}, None).name == "slots"


class Scripted:
    """A source answering from a script: a Snapshot, None (slot down) or an exception."""

    name = "scripted"
    interval_s = 1.0

    def __init__(self, answers: dict[str, list[Any]]) -> None:
        self.answers = answers

    def snapshot(self, slot: str) -> Snapshot | None:
        answer = self.answers[slot].pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]


def _snap(requests: float, at: float, generation: int = 0) -> Snapshot:
    return Snapshot(requests=requests, at=at, generation=generation)


def test_a_step_is_never_judged_on_samples_from_before_it() -> None:
    since = 100.0
    source = Scripted(
        {
            "green": [_snap(40, 99.0), _snap(50, 101.0), _snap(80, 103.0)],
            "blue": [_snap(900, 99.5), _snap(1000, 101.5), _snap(1300, 103.5)],
        }
    )
    window = StepWindow(source, "green", "blue", since)
    first = window.read()
    assert first.canary is None and "after the step began" in first.why
    assert window.read().canary == Snapshot(at=101.0)  # the window opens: nothing yet
    third = window.read()
    assert third.canary is not None and third.baseline is not None
    assert (third.canary.requests, third.baseline.requests) == (30, 300)
    assert third.covered_s == 2.0


def test_no_data_and_a_dead_canary_are_told_apart() -> None:
    unavailable = MetricsUnavailable("Prometheus at x is unreachable")
    source = Scripted({"green": [unavailable, None], "blue": []})
    window = StepWindow(source, "green", None, 0.0)
    no_data = window.read()
    assert not no_data.slot_down and no_data.canary is None
    assert no_data.why == "no data from scripted: Prometheus at x is unreachable"
    assert window.read().slot_down


def test_snapshots_of_different_generations_are_not_subtracted() -> None:
    assert _snap(20, 2, generation=1).minus(_snap(5, 1)).requests == 20
    assert _snap(20, 2).minus(_snap(5, 1)).requests == 15
    assert _snap(3, 2).minus(_snap(5, 1)).requests == 3  # counters went down: a restart


class _Warming:
    """A source whose first `cold` reads have no fresh scrape yet (Prometheus just started)."""

    name = "prometheus"
    interval_s = 2.0

    def __init__(self, cold: int) -> None:
        self.cold = cold
        self.reads = 0

    def snapshot(self, slot: str) -> Snapshot | None:
        self.reads += 1
        if self.reads <= self.cold:
            raise MetricsUnavailable(f"Prometheus has no scrape of {slot} in the last 6 s")
        return Snapshot(requests=7)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_deploy_waits_for_the_first_fresh_scrape() -> None:
    """Issue #29, item 6: right after `stack up` the source has no scrape of the slot yet;
    the first snapshot waits for it, one scrape interval at a time, instead of refusing."""
    source, clock = _Warming(cold=3), _Clock()
    snap = first_snapshot(source, "blue", wait_s=30, clock=clock, sleep=clock.sleep)
    assert snap is not None and snap.requests == 7
    assert (source.reads, clock.sleeps) == (4, [2.0, 2.0, 2.0])


def test_the_wait_for_a_first_scrape_is_bounded() -> None:
    source, clock = _Warming(cold=1_000), _Clock()
    with pytest.raises(MetricsUnavailable, match="no scrape of blue"):
        first_snapshot(source, "blue", wait_s=30, clock=clock, sleep=clock.sleep)
    assert clock.now == 30.0 and source.reads == 16  # 15 waits of one interval, then refused
