"""A deploy's routing modes beyond weights (docs/operations/deploy.md, "Routing modes"):

- header/cookie canary: a request with `X-Fixia-Canary: always` or the `fixia_canary=always`
  cookie (the web app sets it for staff) reaches the new slot at any weight, so staff see a
  release first;
- sticky assignment: whoever the new slot served carries a cookie naming this deploy and
  stays on the new slot until the deploy ends (promoted, rolled back or aborted);
- mirrored GETs: before its first weight step, the new slot gets copies of the stable slot's
  GETs (answers discarded, never shown to a client) and fails the deploy before any real
  traffic if it answers them worse than the stable slot (the same `analysis.judge`).

The router switches them with `set map` on HAProxy's runtime API, never a reload; they are all
off outside a deploy. Sticky pins must be off before a slot is drained: HAProxy still sends a
pinned request to a draining server, so the engine turns routing off before it retires either
slot (and on rollback, pinned users go straight back to the stable slot).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from fixiactl.deploy import analysis
from fixiactl.deploy.analysis import FAIL, INSUFFICIENT_DATA, Judgement, Thresholds
from fixiactl.deploy.journal import Journal
from fixiactl.deploy.metrics import MetricsSource, MetricsUnavailable, Snapshot
from fixiactl.deploy.protocols import MirrorStats, TrafficRouter
from fixiactl.errors import FixiactlError


@dataclass
class MirrorResult:
    judgement: Judgement
    mirrored: MirrorStats
    canary: Snapshot  # the mirrored answers, as the analysis reads a canary
    baseline: Snapshot  # the stable slot's own traffic over the same time
    elapsed_s: float


class Routing:
    """The routing modes of one deploy; `off()` leaves none of them on."""

    def __init__(
        self,
        router: TrafficRouter,
        journal: Journal,
        say: Callable[[str], None],
        *,
        deploy_id: str,
        canary: str,
        sticky: bool,
    ) -> None:
        self.router, self.journal, self.say = router, journal, say
        self.deploy_id, self.canary, self.sticky = deploy_id, canary, sticky
        self.on_now = False

    def on(self) -> None:
        """Header/cookie canary (and sticky, when asked) to the new slot. A stack rendered
        before the routing modes cannot route by header: recorded and the deploy goes on by
        weights alone, unless sticky was asked for, which it cannot honour."""
        try:
            self.router.set_routing(self.canary, self.deploy_id if self.sticky else None)
        except FixiactlError as exc:
            if self.sticky:
                raise
            self.journal.record("routing_unavailable", reason=exc.message, hint=exc.hint)
            self.say(f"no header/cookie canary routing: {exc.message}")
            return
        self.on_now = True
        self.journal.record("routing", canary=self.canary, sticky=self.sticky)

    def off(self) -> None:
        if self.on_now:
            self.router.set_routing(None, None)
            self.on_now = False
            self.journal.record("routing", canary=None, sticky=False)

    def mirror(
        self,
        metrics: MetricsSource,
        stable: str,
        thresholds: Thresholds,
        *,
        hold_s: float,
        deadline_s: float,
        tick_s: float,
    ) -> MirrorResult:
        """Mirror GETs to the new slot until `hold_s` is covered with enough answers (or a
        FAIL, or `deadline_s` short of data: a FAIL too, never a pass on no data)."""
        m0 = self.router.mirror_stats()
        s0 = _read(metrics, stable) or Snapshot()
        c0 = _read(metrics, self.canary) or Snapshot()
        self.router.set_mirror(self.canary)
        self.journal.record("mirror", slot=self.canary, on=True)
        self.say(f"mirroring GETs to {self.canary} for {hold_s:.0f} s")
        start = time.monotonic()
        try:
            while True:
                time.sleep(tick_s)
                result = self._measure(metrics, stable, thresholds, (m0, s0, c0), start)
                j = result.judgement
                if j.verdict == INSUFFICIENT_DATA and result.elapsed_s > deadline_s:
                    j.verdict = FAIL
                    j.reasons.append(f"too few mirrored GETs after {deadline_s:.0f} s")
                done = j.verdict != INSUFFICIENT_DATA and result.elapsed_s >= hold_s
                if j.verdict == FAIL or done:
                    return result
        finally:
            self.router.set_mirror(None)
            self.journal.record("mirror", slot=self.canary, on=False)

    def _measure(
        self,
        metrics: MetricsSource,
        stable: str,
        thresholds: Thresholds,
        opening: tuple[MirrorStats, Snapshot, Snapshot],
        start: float,
    ) -> MirrorResult:
        """The new slot's own numbers while only mirrored GETs reach it (no weight, no header
        routing yet; probes are not counted), judged against the stable slot's from the same
        source: both latencies are measured server-side, the same way. The mirror's counters
        prove the copies and add those that got no answer at all as failures."""
        m0, s0, c0 = opening
        elapsed = time.monotonic() - start
        baseline = (_read(metrics, stable) or s0).minus(s0)
        own = (_read(metrics, self.canary) or c0).minus(c0)
        mirrored = self.router.mirror_stats().minus(m0)  # read last: never behind the slot
        canary = Snapshot(
            requests=own.requests + mirrored.failed,
            errors=own.errors + mirrored.failed,
            buckets=own.buckets,
            at=own.at,
        )
        j = analysis.judge(canary, baseline, thresholds)
        self.journal.record(
            "mirror_measurement",
            elapsed_s=round(elapsed, 2),
            mirrored=mirrored.as_dict(),
            canary=canary.as_dict(),
            baseline=baseline.as_dict(),
            **j.as_dict(),
        )
        self.say(f"mirror: {j.verdict} ({mirrored.answered} answered, {mirrored.errors} 5xx)")
        return MirrorResult(j, mirrored, canary, baseline, elapsed)


def _read(metrics: MetricsSource, slot: str) -> Snapshot | None:
    """The stable slot's numbers; none (source down) leaves the baseline where it was."""
    try:
        return metrics.snapshot(slot)
    except MetricsUnavailable:
        return None
