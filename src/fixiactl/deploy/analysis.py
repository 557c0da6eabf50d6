"""Canary analysis: the canary against the baseline serving at the same time.

- Error rate: Wald's sequential probability ratio test on the canary's requests. H0 is "the
  canary fails no more often than p0", p0 being the baseline's own rate (shrunk towards the
  budget) or the SLO's error budget, whichever is larger; H1 is p1 = p0 + max(0.02, 2 p0). The log
  likelihood ratio is re-computed from all of a step's requests at every tick, so a canary
  failing 10 % of its requests is rejected after ~20 requests rather than after a window.
- Latency: the two histograms (same buckets) are compared with a Mann-Whitney U test on the
  binned data (ties within a bucket, tie-corrected variance), and the difference must also be
  large in absolute terms (p50 worse by > margin and ratio, or p90 by twice that), so a
  significant but harmless shift does not roll back.
- SLO guard: the canary's share of requests over the SLO latency threshold, at the lower
  bound of its Wilson interval, must not clearly exceed the budget and the baseline's.
- Too few canary requests gives INSUFFICIENT_DATA, never PASS.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fixiactl.deploy.metrics import Snapshot
from fixiactl.stack.config import DEPLOY

PASS = "PASS"  # noqa: S105 - a verdict, not a password
FAIL = "FAIL"
INCONCLUSIVE = "INCONCLUSIVE"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


@dataclass
class Thresholds:
    min_requests: int = 50
    alpha: float = 0.01
    beta: float = 0.05
    error_budget: float = 0.001  # 99.9 % availability
    latency_slo_s: float = 0.2
    latency_objective: float = 0.99
    # Per look: the test is repeated at every tick, and A/A replays of real deploys showed
    # 0.001 firing on a fresh worker's first slow requests (docs/operations/deploy.md).
    latency_p_value: float = 0.0001
    latency_margin_s: float = 0.05
    latency_ratio: float = 1.25
    latency_min_requests: int = 30
    # One route slower while the others hide it in the sum: each route with this many requests
    # in both slots is tested on its own, Bonferroni-corrected over the routes tested, and
    # must also be slower by this much of Cliff's delta (P(slower) - P(faster)).
    route_min_requests: int = 50
    route_p_value: float = 0.00001
    route_effect: float = 0.2
    # The SLO guard judges the lower bound of the canary's share of slow requests at this
    # one-sided z (3.09: 0.1 %), not the share itself: 3 slow of 60 is not a breach.
    slo_guard_z: float = 3.09


def load_thresholds(slo_dir: Path = DEPLOY / "slo") -> Thresholds:
    """Absolute guards from deploy/slo/*.yaml when present; documented defaults otherwise.

    Reads any `objective` under an availability SLO and `threshold_seconds` (plus its
    `objective`) under a latency SLO; unknown keys are ignored."""
    t = Thresholds()
    for path in sorted(slo_dir.glob("*.y*ml")) if slo_dir.exists() else []:
        data = yaml.safe_load(path.read_text()) or {}
        for slo in _slo_entries(data):
            objective = _fraction(slo.get("objective"))
            threshold = slo.get("threshold_seconds") or slo.get("latency_threshold_seconds")
            if threshold is not None:
                t.latency_slo_s = float(threshold)
                t.latency_objective = objective or t.latency_objective
            elif objective and "avail" in str(slo.get("name", path.stem)).lower():
                t.error_budget = 1 - objective
    return t


def _slo_entries(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict):
        entries = data.get("slos") or data.get("objectives") or [data]
        return [e for e in entries if isinstance(e, dict)]
    if isinstance(data, list):
        return [e for e in data if isinstance(e, dict)]
    return []


def _fraction(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number / 100 if number > 1 else number


@dataclass
class Judgement:
    verdict: str
    reasons: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sprt(n: float, errors: float, p0: float, p1: float, t: Thresholds) -> tuple[float, str]:
    """(log likelihood ratio, PASS|FAIL|INCONCLUSIVE) for `errors` failures in `n` trials."""
    llr = errors * math.log(p1 / p0) + (n - errors) * math.log((1 - p1) / (1 - p0))
    upper = math.log((1 - t.beta) / t.alpha)
    lower = math.log(t.beta / (1 - t.alpha))
    if llr >= upper:
        return llr, FAIL
    if llr <= lower:
        return llr, PASS
    return llr, INCONCLUSIVE


# The baseline's rate is shrunk towards the error budget with this many pseudo-requests, so a
# step's first seconds (few baseline requests) do not inflate p0 and slow the test down.
PRIOR_REQUESTS = 100


def error_hypotheses(baseline: Snapshot, t: Thresholds) -> tuple[float, float]:
    baseline_rate = (baseline.errors + t.error_budget * PRIOR_REQUESTS) / (
        baseline.requests + PRIOR_REQUESTS
    )
    p0 = min(0.5, max(t.error_budget, baseline_rate))
    return p0, min(0.95, p0 + max(0.02, 2 * p0))


def _bins(buckets: dict[float, float]) -> list[tuple[float, float]]:
    """(upper bound, count in this bucket), ascending."""
    result, previous = [], 0.0
    for le in sorted(buckets):
        result.append((le, max(0.0, buckets[le] - previous)))
        previous = buckets[le]
    return result


def quantile(buckets: dict[float, float], q: float) -> float | None:
    """Linear interpolation inside the bucket, as Prometheus' histogram_quantile does."""
    bins = _bins(buckets)
    total = sum(c for _, c in bins)
    if total <= 0:
        return None
    rank, seen, lower = q * total, 0.0, 0.0
    for le, count in bins:
        if seen + count >= rank and count > 0:
            if math.isinf(le):
                return lower
            return lower + (le - lower) * (rank - seen) / count
        seen += count
        lower = le if not math.isinf(le) else lower
    return lower


def mann_whitney_slower(canary: dict[float, float], baseline: dict[float, float]) -> float:
    """One-sided p-value that the canary's latencies are stochastically larger."""
    return mann_whitney(canary, baseline)[0]


def mann_whitney(canary: dict[float, float], baseline: dict[float, float]) -> tuple[float, float]:
    """(one-sided p-value, Cliff's delta): how much more often the canary is the slower."""
    bounds = sorted(set(canary) | set(baseline))
    c_bins = dict(_bins({b: canary.get(b, 0.0) for b in bounds}))
    b_bins = dict(_bins({b: baseline.get(b, 0.0) for b in bounds}))
    n1, n2 = sum(c_bins.values()), sum(b_bins.values())
    if n1 == 0 or n2 == 0:
        return 1.0, 0.0
    u, below, ties = 0.0, 0.0, 0.0
    for b in bounds:
        c, k = c_bins[b], b_bins[b]
        u += c * (below + 0.5 * k)
        below += k
        t = c + k
        ties += t**3 - t
    n = n1 + n2
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    delta = 2 * u / (n1 * n2) - 1
    if variance <= 0:
        return 1.0, delta
    z = (u - n1 * n2 / 2) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2)), delta


def _slow_route(canary: Snapshot, baseline: Snapshot, t: Thresholds, j: Judgement) -> None:
    """FAIL when one route is clearly slower on the canary than on the baseline."""
    tested = [
        r
        for r, buckets in canary.routes.items()
        if buckets.get(math.inf, 0.0) >= t.route_min_requests
        and baseline.routes.get(r, {}).get(math.inf, 0.0) >= t.route_min_requests
    ]
    worst: tuple[float, float, str] | None = None
    for route in tested:
        p_value, delta = mann_whitney(canary.routes[route], baseline.routes[route])
        if worst is None or p_value < worst[0]:
            worst = (p_value, delta, route)
        if p_value < t.route_p_value / len(tested) and delta >= t.route_effect:
            c50 = quantile(canary.routes[route], 0.5) or 0.0
            b50 = quantile(baseline.routes[route], 0.5) or 0.0
            j.verdict = FAIL
            j.reasons.append(
                f"latency of {route}: p50 {c50 * 1000:.1f} ms vs baseline {b50 * 1000:.1f} ms, "
                f"slower in {delta:+.2f} of pairs (Mann-Whitney p={p_value:.2g}, "
                f"{len(tested)} routes tested)"
            )
            break
    if worst is not None:
        j.stats |= {"route_p_value": worst[0], "route_effect": worst[1], "route": worst[2]}


def share_under(buckets: dict[float, float], threshold: float) -> float | None:
    total = buckets.get(math.inf, max(buckets.values(), default=0.0))
    if total <= 0:
        return None
    under = max((c for le, c in buckets.items() if le <= threshold + 1e-9), default=0.0)
    return under / total


def wilson_lower(share: float, n: float, z: float) -> float:
    """Lower bound of the Wilson score interval for a share observed in n trials."""
    if n <= 0:
        return 0.0
    centre = share + z * z / (2 * n)
    spread = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return max(0.0, (centre - spread) / (1 + z * z / n))


def _latency(canary: Snapshot, baseline: Snapshot, t: Thresholds, j: Judgement) -> None:
    n = canary.buckets.get(math.inf, 0.0)
    if n < t.latency_min_requests or baseline.buckets.get(math.inf, 0.0) < t.latency_min_requests:
        return
    p_value = mann_whitney_slower(canary.buckets, baseline.buckets)
    quantiles = {
        f"{who}_p{int(q * 100)}": quantile(s.buckets, q)
        for who, s in (("canary", canary), ("baseline", baseline))
        for q in (0.5, 0.9)
    }
    j.stats |= {"latency_p_value": p_value, **quantiles}
    # The tail gets twice the margin: a freshly started slot's first requests (cold pools)
    # widen its p90 a little, which is not a regression.
    for q, scale in (("p50", 1.0), ("p90", 2.0)):
        c, b = quantiles[f"canary_{q}"], quantiles[f"baseline_{q}"]
        if c is None or b is None:
            continue
        ratio = 1 + (t.latency_ratio - 1) * scale
        worse = c - b > t.latency_margin_s * scale and c > b * ratio
        if worse and p_value < t.latency_p_value:
            j.verdict = FAIL
            j.reasons.append(
                f"latency {q} {c * 1000:.0f} ms vs baseline {b * 1000:.0f} ms "
                f"(Mann-Whitney p={p_value:.2g})"
            )
            return
    _slow_route(canary, baseline, t, j)
    if j.verdict == FAIL:
        return
    c_share = share_under(canary.buckets, t.latency_slo_s)
    b_share = share_under(baseline.buckets, t.latency_slo_s)
    j.stats |= {"canary_share_under_slo": c_share, "baseline_share_under_slo": b_share}
    if c_share is None or b_share is None or n < t.min_requests:
        return
    # The guard needs a clear breach, not noise: three times the budget of slow requests and
    # clearly worse than the baseline (a fresh slot's first requests are a little slower).
    budget = 1 - t.latency_objective
    slow_low = wilson_lower(1 - c_share, n, t.slo_guard_z)
    j.stats["canary_slow_share_lower_bound"] = slow_low
    if slow_low > max(3 * budget, 3 * (1 - b_share) + 0.01):
        j.verdict = FAIL
        j.reasons.append(
            f"SLO guard: only {c_share:.1%} of canary requests under "
            f"{t.latency_slo_s * 1000:.0f} ms (objective {t.latency_objective:.1%}, "
            f"baseline {b_share:.1%})"
        )


def judge(canary: Snapshot, baseline: Snapshot, t: Thresholds) -> Judgement:
    p0, p1 = error_hypotheses(baseline, t)
    llr, error_verdict = sprt(canary.requests, canary.errors, p0, p1, t)
    j = Judgement(
        verdict=INCONCLUSIVE,
        stats={
            "canary_requests": canary.requests,
            "canary_errors": canary.errors,
            "baseline_requests": baseline.requests,
            "baseline_errors": baseline.errors,
            "sprt_p0": p0,
            "sprt_p1": p1,
            "sprt_llr": llr,
        },
    )
    if error_verdict == FAIL:
        j.verdict = FAIL
        j.reasons.append(
            f"error rate {canary.errors:.0f}/{canary.requests:.0f} rejects p0={p0:.3%} "
            f"(SPRT log-LR {llr:.2f} >= {math.log((1 - t.beta) / t.alpha):.2f})"
        )
        return j
    _latency(canary, baseline, t, j)
    if j.verdict == FAIL:
        return j
    if canary.requests < t.min_requests:
        j.verdict = INSUFFICIENT_DATA
        j.reasons.append(f"{canary.requests:.0f} canary requests < {t.min_requests} needed")
        return j
    if error_verdict == PASS:
        j.verdict = PASS
        j.reasons.append(f"error rate accepted at p0={p0:.3%} (SPRT log-LR {llr:.2f})")
    else:
        j.reasons.append("no regression detected yet (SPRT undecided)")
    return j
