"""After a rollback, keep measuring the baseline until it is back at its pre-deploy level.

No other tool analyses its own rollback: a revert that leaves the baseline degraded (a
poisoned cache, a half-applied migration, exhausted pools) would otherwise look like success.
"""

from __future__ import annotations

import time

from fixiactl.deploy.analysis import Thresholds, quantile
from fixiactl.deploy.metrics import MetricsSource, MetricsUnavailable, Snapshot
from fixiactl.deploy.results import Recovery, RecoveryWindow


def _rate(s: Snapshot) -> float:
    return s.errors / s.requests if s.requests else 0.0


def window_ok(window: Snapshot, pre: Snapshot, t: Thresholds) -> tuple[bool, RecoveryWindow]:
    pre_rate, rate = _rate(pre), _rate(window)
    pre_p90, p90 = quantile(pre.buckets, 0.9), quantile(window.buckets, 0.9)
    error_ok = rate <= max(2 * pre_rate, 5 * t.error_budget)
    latency_ok = (
        p90 is None or pre_p90 is None or p90 <= max(1.5 * pre_p90, pre_p90 + t.latency_margin_s)
    )
    facts: RecoveryWindow = {
        "requests": window.requests,
        "error_rate": rate,
        "pre_error_rate": pre_rate,
        "p90_s": p90,
        "pre_p90_s": pre_p90,
    }
    return window.requests > 0 and error_ok and latency_ok, facts


def _read(metrics: MetricsSource, slot: str, last: Snapshot) -> Snapshot:
    """No fresh numbers (slot unreadable, source down) is an empty window: not recovered."""
    try:
        return metrics.snapshot(slot) or last
    except MetricsUnavailable:
        return last


def measure_recovery(
    metrics: MetricsSource,
    slot: str,
    pre: Snapshot,
    t: Thresholds,
    timeout_s: float,
    window_s: float = 2.0,
) -> Recovery:
    start = time.monotonic()
    last = _read(metrics, slot, Snapshot())
    # A window shorter than the source's interval would often hold no new sample.
    window_s = max(window_s, metrics.interval_s + 0.5)
    windows: list[RecoveryWindow] = []
    while time.monotonic() - start < timeout_s:
        time.sleep(window_s)
        current = _read(metrics, slot, last)
        ok, facts = window_ok(current.minus(last), pre, t)
        last = current
        windows.append(facts)
        if ok:
            return {
                "recovered": True,
                "after_s": round(time.monotonic() - start, 2),
                "windows": windows,
            }
    return {"recovered": False, "after_s": round(time.monotonic() - start, 2), "windows": windows}
