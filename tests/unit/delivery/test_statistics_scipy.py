"""The canary analysis' statistics cross-checked against scipy (a dev-only dependency: the
deploy engine itself computes them in pure Python, so a production install needs no scipy)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy import stats

from fixiactl.deploy import analysis
from fixiactl.deploy.analysis import FAIL, PASS, Thresholds

BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, math.inf)


def cumulative(counts: list[int]) -> dict[float, float]:
    running, out = 0.0, {}
    for le, count in zip(BOUNDS, counts, strict=True):
        running += count
        out[le] = running
    return out


def expanded(counts: list[int]) -> np.ndarray:
    """One value per request: its bucket's index (requests in a bucket tie, as binned)."""
    return np.repeat(np.arange(len(counts)), counts)


def random_counts(rng: random.Random, n: int, shift: int) -> list[int]:
    counts = [0] * len(BOUNDS)
    for _ in range(n):
        counts[min(len(BOUNDS) - 1, max(0, round(rng.gauss(2 + shift, 1.5))))] += 1
    return counts


@pytest.mark.parametrize("seed", range(25))
def test_mann_whitney_equals_scipys_asymptotic_tie_corrected_test(seed: int) -> None:
    rng = random.Random(seed)
    canary = random_counts(rng, rng.randint(5, 400), shift=rng.choice((0, 0, 1)))
    baseline = random_counts(rng, rng.randint(5, 2000), shift=0)
    ours = analysis.mann_whitney_slower(cumulative(canary), cumulative(baseline))
    theirs = stats.mannwhitneyu(
        expanded(canary),
        expanded(baseline),
        alternative="greater",
        method="asymptotic",
        use_continuity=False,
    ).pvalue
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)


def test_mann_whitney_with_every_request_in_one_bucket_is_not_significant() -> None:
    same = [0, 0, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert analysis.mann_whitney_slower(cumulative(same), cumulative(same)) == 1.0


@pytest.mark.parametrize(("n", "errors"), [(50, 0), (200, 1), (200, 6), (1000, 3), (37, 9)])
def test_sprt_log_likelihood_ratio_equals_scipys_binomial_log_pmfs(n: int, errors: int) -> None:
    p0, p1 = 0.002, 0.022
    llr, _ = analysis.sprt(n, errors, p0, p1, Thresholds())
    expected = stats.binom.logpmf(errors, n, p1) - stats.binom.logpmf(errors, n, p0)
    assert llr == pytest.approx(expected, rel=1e-9)


def first_decision(stream: np.ndarray, p0: float, p1: float, t: Thresholds) -> str:
    """Wald's test looked at after every request, as the engine looks at every tick."""
    errors = np.cumsum(stream)
    for n, k in enumerate(errors, start=1):
        _, verdict = analysis.sprt(n, float(k), p0, p1, t)
        if verdict != "INCONCLUSIVE":
            return verdict
    return "INCONCLUSIVE"


def test_sprt_under_repeated_looks_keeps_walds_error_bounds() -> None:
    """Under H0 the chance of ever rejecting is at most alpha / (1 - beta) however often the
    test looks; under H1 that of ever accepting at most beta / (1 - alpha). Streams drawn by
    scipy (seeded): counts, not rates, against the bound plus three binomial sigmas."""
    t = Thresholds()
    p0, p1 = 0.005, 0.025
    runs, length = 1000, 3000
    h0 = stats.bernoulli.rvs(p0, size=(runs, length), random_state=1)
    h1 = stats.bernoulli.rvs(p1, size=(runs, length), random_state=2)
    false_fails = sum(first_decision(s, p0, p1, t) == FAIL for s in h0)
    false_passes = sum(first_decision(s, p0, p1, t) == PASS for s in h1)
    bound_fail = t.alpha / (1 - t.beta)
    bound_pass = t.beta / (1 - t.alpha)
    assert false_fails <= runs * bound_fail + 3 * math.sqrt(runs * bound_fail)
    assert false_passes <= runs * bound_pass + 3 * math.sqrt(runs * bound_pass)
