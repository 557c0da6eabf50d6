"""Canary analysis on recorded /metrics exposition text (prometheus-client's format)."""

from __future__ import annotations

import math

from fixiactl.deploy import analysis
from fixiactl.deploy.analysis import FAIL, INSUFFICIENT_DATA, PASS, Thresholds, judge
from fixiactl.deploy.metrics import Snapshot, parse

BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0)


def exposition(ok: int, errors: int, latency_s: float, probes: int = 500) -> str:
    """What a slot's /metrics shows after `ok` 200s and `errors` 500s, all at one latency."""
    lines = [
        "# HELP fixia_http_requests_total Requests",
        "# TYPE fixia_http_requests_total counter",
        f'fixia_http_requests_total{{method="GET",route="/api/v1/services",status="200"}} {ok}',
        f'fixia_http_requests_total{{method="GET",route="/api/v1/services",status="500"}} {errors}',
        f'fixia_http_requests_total{{method="GET",route="/readyz",status="200"}} {probes}',
        "# HELP fixia_http_request_duration_seconds Latency",
        "# TYPE fixia_http_request_duration_seconds histogram",
    ]
    n = ok + errors
    for le in (*BOUNDS, math.inf):
        count = n if latency_s <= le else 0
        label = "+Inf" if math.isinf(le) else str(le)
        lines.append(
            f'fixia_http_request_duration_seconds_bucket{{le="{label}",method="GET",'
            f'route="/api/v1/services"}} {count}'
        )
        lines.append(
            f'fixia_http_request_duration_seconds_bucket{{le="{label}",method="GET",'
            f'route="/readyz"}} {probes}'
        )
    lines.append(
        f'fixia_http_request_duration_seconds_count{{method="GET",route="/api/v1/services"}} {n}'
    )
    return "\n".join(lines) + "\n"


def window(ok: int, errors: int, latency_s: float) -> Snapshot:
    return parse(exposition(ok, errors, latency_s)).minus(parse(exposition(0, 0, latency_s)))


def test_parse_leaves_probes_out_and_counts_5xx() -> None:
    snap = parse(exposition(90, 10, 0.02))
    assert (snap.requests, snap.errors) == (100, 10)
    assert snap.buckets[math.inf] == 100
    assert snap.buckets[0.01] == 0 and snap.buckets[0.025] == 100


def test_a_restarted_slot_counts_from_zero() -> None:
    later, earlier = parse(exposition(5, 0, 0.02)), parse(exposition(900, 0, 0.02))
    assert later.minus(earlier).requests == 5


def test_ten_percent_errors_fail_within_a_few_dozen_requests() -> None:
    baseline = window(2000, 0, 0.02)
    verdict = judge(window(27, 3, 0.02), baseline, Thresholds())
    assert verdict.verdict == FAIL
    assert "SPRT" in verdict.reasons[0]


def test_errors_as_frequent_as_the_baseline_do_not_fail() -> None:
    baseline = window(1900, 100, 0.02)  # 5 % on both: a shared dependency, not the release
    verdict = judge(window(380, 20, 0.02), baseline, Thresholds())
    assert verdict.verdict != FAIL


def test_too_few_requests_are_insufficient_data_never_pass() -> None:
    verdict = judge(window(10, 0, 0.02), window(2000, 0, 0.02), Thresholds())
    assert verdict.verdict == INSUFFICIENT_DATA


def test_a_clean_canary_is_accepted_once_the_sprt_decides() -> None:
    verdict = judge(window(400, 0, 0.02), window(5000, 0, 0.02), Thresholds())
    assert verdict.verdict == PASS


def test_added_latency_fails_on_the_histograms() -> None:
    verdict = judge(window(40, 0, 0.17), window(2000, 0, 0.02), Thresholds())
    assert verdict.verdict == FAIL
    assert "latency p50" in verdict.reasons[0]


def test_a_latency_shift_inside_one_bucket_is_not_a_regression() -> None:
    verdict = judge(window(400, 0, 0.024), window(5000, 0, 0.011), Thresholds())
    assert verdict.verdict == PASS


def test_one_route_twice_as_slow_fails_below_the_pooled_margin() -> None:
    """20 ms to 40 ms is under the pooled check's 50 ms margin, but it is the whole route
    (issue #29: a +30 % p50 on a single route must be caught)."""
    verdict = judge(window(400, 0, 0.04), window(5000, 0, 0.02), Thresholds())
    assert verdict.verdict == FAIL
    assert "latency of /api/v1/services" in verdict.reasons[0]
    assert verdict.stats["route"] == "/api/v1/services"


def test_a_route_with_few_requests_is_not_tested_on_its_own() -> None:
    t = Thresholds(route_min_requests=500)
    verdict = judge(window(400, 0, 0.04), window(5000, 0, 0.02), t)
    assert verdict.verdict == PASS
    assert "route" not in verdict.stats


def test_per_route_buckets_survive_the_step_difference() -> None:
    later, earlier = parse(exposition(300, 0, 0.02)), parse(exposition(100, 0, 0.02))
    assert later.minus(earlier).routes["/api/v1/services"][math.inf] == 200
    assert "/readyz" not in later.routes


def test_quantile_interpolates_inside_a_bucket() -> None:
    buckets = {0.1: 0.0, 0.2: 100.0, math.inf: 100.0}
    assert math.isclose(analysis.quantile(buckets, 0.5) or 0, 0.15)


def test_mann_whitney_sees_a_slower_sample_and_not_an_equal_one() -> None:
    fast = window(200, 0, 0.02).buckets
    slow = window(200, 0, 0.3).buckets
    assert analysis.mann_whitney_slower(slow, fast) < 1e-6
    # All ties: no evidence either way.
    assert analysis.mann_whitney_slower(fast, fast) == 1.0
    mixed = {k: window(100, 0, 0.02).buckets[k] + window(100, 0, 0.3).buckets[k] for k in fast}
    assert 0.4 < analysis.mann_whitney_slower(mixed, mixed) <= 0.5


def test_slo_thresholds_come_from_deploy_slo(tmp_path: object) -> None:
    from pathlib import Path

    slo_dir = Path(str(tmp_path))
    (slo_dir / "api.yaml").write_text(
        "slos:\n  - name: availability\n    objective: 99.5\n"
        "  - name: latency\n    objective: 0.95\n    threshold_seconds: 0.3\n"
    )
    t = analysis.load_thresholds(slo_dir)
    assert math.isclose(t.error_budget, 0.005)
    assert (t.latency_slo_s, t.latency_objective) == (0.3, 0.95)
    defaults = analysis.load_thresholds(slo_dir / "missing")
    assert (defaults.error_budget, defaults.latency_slo_s) == (0.001, 0.2)


def _mix(*parts: tuple[int, float]) -> Snapshot:
    total = Snapshot()
    for n, latency in parts:
        w = window(n, 0, latency)
        total.requests += w.requests
        total.buckets = {k: total.buckets.get(k, 0.0) + v for k, v in w.buckets.items()}
    return total


def test_a_cold_slots_wider_tail_is_not_a_regression() -> None:
    """Seen on the stack: a healthy fresh slot at p90 ~155 ms against a warm ~96 ms."""
    canary = _mix((320, 0.03), (80, 0.15))
    baseline = _mix((3500, 0.03), (1500, 0.09))
    assert judge(canary, baseline, Thresholds()).verdict != FAIL


def test_a_small_baseline_does_not_slow_error_detection() -> None:
    """At a step's start the baseline has few requests: p0 stays near the budget."""
    verdict = judge(window(30, 3, 0.02), window(40, 0, 0.02), Thresholds())
    assert verdict.verdict == FAIL
