"""One analysis step's traffic, from samples taken after the step began.

A step's numbers are the latest snapshot minus the step's opening one. The opening snapshot
must be sampled after the weights changed: Prometheus answers with its last scrape, which may
predate the step (and count the previous step's traffic, or the smoke tests', as this
step's). The slots' own /metrics are read on demand, so their first read opens the window.
"""

from __future__ import annotations

from dataclasses import dataclass

from fixiactl.deploy.analysis import FAIL, INSUFFICIENT_DATA
from fixiactl.deploy.metrics import MetricsSource, MetricsUnavailable, Snapshot


@dataclass
class Reading:
    canary: Snapshot | None = None  # the step's canary traffic; None: no fresh data yet
    baseline: Snapshot | None = None  # the baseline's over the same step; None: not measured
    covered_s: float = 0.0  # seconds between the opening and the latest canary sample
    slot_down: bool = False  # the canary itself cannot be read: a failure of the release
    why: str = ""  # why there is no data


class StepWindow:
    def __init__(
        self, source: MetricsSource, canary: str, baseline: str | None, since: float
    ) -> None:
        self.source = source
        self.slots = (canary, baseline)
        self.since = since
        self.c0: Snapshot | None = None
        self.b0: Snapshot | None = None

    def _fresh(self, snap: Snapshot | None) -> bool:
        return snap is not None and (snap.at is None or snap.at >= self.since)

    def read(self) -> Reading:
        canary_slot, baseline_slot = self.slots
        try:
            now_c = self.source.snapshot(canary_slot)
            now_b = self.source.snapshot(baseline_slot) if baseline_slot else None
        except MetricsUnavailable as exc:
            return Reading(why=f"no data from {self.source.name}: {exc.message}")
        if now_c is None:
            return Reading(slot_down=True, why=f"{canary_slot}'s metrics are unreachable")
        if self.c0 is None and self._fresh(now_c):
            self.c0 = now_c
        if self.b0 is None and self._fresh(now_b):
            self.b0 = now_b
        if self.c0 is None:
            return Reading(
                why=f"waiting for a {self.source.name} sample taken after the step began"
            )
        covered = 0.0
        if now_c.at is not None and self.c0.at is not None:
            covered = now_c.at - self.c0.at
        baseline = now_b.minus(self.b0) if now_b is not None and self.b0 is not None else None
        return Reading(canary=now_c.minus(self.c0), baseline=baseline, covered_s=covered)


def step_outcome(
    verdict: str, covered_s: float, elapsed_s: float, hold_s: float, deadline_s: float
) -> str | None:
    """When a step's measuring stops, and on which verdict; None: measure on at the next tick.

    A FAIL stops at once; data still too thin past the deadline is a FAIL; anything else
    stops once the samples cover the hold. Shared by the engine and the replay bench
    (fixiactl.bench.canary), so a replayed run stops exactly where a deploy would."""
    if verdict == FAIL:
        return FAIL
    if verdict == INSUFFICIENT_DATA:
        return FAIL if elapsed_s > deadline_s else None
    return verdict if covered_s >= hold_s else None
