"""The replay bench's pieces (fixiactl.bench.canary_*): recorded counters into per-sample
request counts, the engine's stop rule, a step replayed tick by tick, injected regressions."""

from __future__ import annotations

import math
import random

from fixiactl.bench import canary_replay as cr
from fixiactl.bench import canary_streams as cs
from fixiactl.deploy.analysis import FAIL, INCONCLUSIVE, INSUFFICIENT_DATA, PASS, Thresholds
from fixiactl.deploy.metrics import Snapshot
from fixiactl.deploy.window import step_outcome

BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, math.inf]
ROUTES = ("/a", "/b", "/c")


def row(requests: int, errors: int, bucket: int) -> list[int]:
    bins = [0] * len(BOUNDS)
    bins[bucket] = requests
    return [requests, errors, *bins]


def step(weight: int, seconds: int, canary_n: int = 2, baseline_n: int = 6) -> cs.Step:
    """Half-second samples with `canary_n` and `baseline_n` requests per route each."""
    samples = []
    for i in range(1, 2 * seconds + 1):
        canary = {r: row(canary_n, 0, 2) for r in ROUTES}
        baseline = {r: row(baseline_n, 0, 2) for r in ROUTES}
        samples.append(cs.Sample(i / 2, canary, baseline))
    return cs.Step(weight, samples)


def test_delta_turns_cumulative_buckets_into_counts_and_a_restart_counts_from_zero() -> None:
    before = {"/a": [10.0, 1.0, 2.0, 8.0, 10.0]}
    now = {"/a": [15.0, 1.0, 3.0, 12.0, 15.0]}
    assert cs.delta(now, before) == {"/a": [5, 0, 1, 3, 1]}
    restarted = {"/a": [4.0, 0.0, 4.0, 4.0, 4.0]}
    assert cs.delta(restarted, now) == {"/a": [4, 0, 4, 0, 0]}


def test_the_stop_rule_is_the_engines() -> None:
    assert step_outcome(FAIL, 0.5, 1, 10, 120) == FAIL
    assert step_outcome(INSUFFICIENT_DATA, 50, 50, 10, 120) is None
    assert step_outcome(INSUFFICIENT_DATA, 121, 121, 10, 120) == FAIL
    assert step_outcome(INCONCLUSIVE, 9, 9, 10, 120) is None
    assert step_outcome(PASS, 10, 10, 10, 120) == PASS


def test_a_replayed_a_a_step_ends_after_its_hold() -> None:
    rng = random.Random(1)
    run = cr.replay_step(
        cr.in_order(step(25, 30), rng, cr.unchanged),
        BOUNDS,
        weight=25,
        fallback=Snapshot(),
        thresholds=Thresholds(),
    )
    # 60 clean requests: the SPRT has not accepted yet (about 150 needed), not a regression.
    assert (run.verdict, run.elapsed_s) == (INCONCLUSIVE, 10.0)


def test_a_thin_step_waits_for_data_then_goes_round_its_recording() -> None:
    """Two canary requests a second: 50 take longer than the 10 s hold."""
    rng = random.Random(2)
    thin = step(5, 12)
    for sample in thin.samples:
        sample.canary = {"/a": row(1, 0, 2)}
    run = cr.replay_step(
        cr.in_order(thin, rng, cr.unchanged),
        BOUNDS,
        weight=5,
        fallback=Snapshot(),
        thresholds=Thresholds(),
    )
    assert run.verdict != FAIL
    assert run.elapsed_s > 10.0


def test_injected_errors_are_caught() -> None:
    caught = 0
    for seed in range(20):
        run = cr.replay_step(
            cr.blocks([step(10, 30)], random.Random(seed), cr.error_rates(0.05, 0.005)),
            BOUNDS,
            weight=10,
            fallback=Snapshot(),
            thresholds=Thresholds(),
            max_s=180,
        )
        caught += run.verdict == FAIL
    assert caught == 20


def test_a_slower_route_moves_its_requests_into_later_buckets_only() -> None:
    sample = cs.Sample(0.5, {"/a": row(1000, 0, 2), "/b": row(10, 0, 2)}, {"/a": row(10, 0, 2)})
    slow = cr.slower_route("/a", 1.3, BOUNDS)(sample, random.Random(3))
    bins = slow.canary["/a"][2:]
    assert sum(bins) == 1000
    assert bins[2] < 1000 and bins[3] == 1000 - bins[2]  # (10, 25] x1.3 reaches (25, 32.5]
    assert slow.canary["/b"] == sample.canary["/b"]
    assert slow.baseline == sample.baseline


def test_poisson_resampling_keeps_counts_consistent() -> None:
    rng = random.Random(4)
    for _ in range(50):
        drawn = cs.resample({"/a": row(6, 2, 1)}, rng)
        for r in drawn.values():
            assert r[0] == sum(r[2:]) and r[1] <= r[0]
