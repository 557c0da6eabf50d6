"""The analysis replayed on request streams recorded from real A/A deploys
(benchmarks/data/aa-streams.json.gz, `fixiactl bench --aa`): counts over seeded runs, the
same replay `make bench-canary` runs 400 times. A change that makes the analysis trigger-happy
on real traffic, or blind to a plain error regression, fails here."""

from __future__ import annotations

import random

import pytest

from fixiactl.bench import canary, canary_replay, canary_streams
from fixiactl.deploy.analysis import FAIL, load_thresholds


@pytest.fixture(scope="module")
def recording() -> canary_streams.Recording:
    return canary_streams.load(canary.RECORDING)


def test_the_recording_has_both_slots_at_every_weight(recording: canary_streams.Recording) -> None:
    assert len(recording.deploys) >= 10
    for step in recording.steps():
        canary_requests = sum(r[0] for s in step.samples for r in s.canary.values())
        baseline_requests = sum(r[0] for s in step.samples for r in s.baseline.values())
        assert canary_requests > 0
        assert baseline_requests > 0 or step.weight == 100


def test_recorded_a_a_deploys_replay_without_false_rollbacks(
    recording: canary_streams.Recording,
) -> None:
    t = load_thresholds()
    deploys = recording.deploys
    results = [
        canary.aa_deploy(deploys[i % len(deploys)], recording.bounds, t, random.Random(i))
        for i in range(40)
    ]
    assert [r for r in results if r["result"] != "promoted"] == []


def test_errors_injected_into_the_recorded_canary_at_ten_percent_are_caught(
    recording: canary_streams.Recording,
) -> None:
    t, pool = load_thresholds(), recording.steps(10)
    inject = canary_replay.error_rates(0.05, 0.005)
    verdicts = [
        canary.fixed_weight(pool, recording.bounds, t, random.Random(i), inject).verdict
        for i in range(20)
    ]
    assert verdicts.count(FAIL) == 20
