"""The canary analysis replayed from recorded request streams, on the engine's own schedule.

A replayed step reads the stream at every tick (1 s), sums the step's samples so far into the
two Snapshots the engine would have read, runs `analysis.judge` on them and stops where the
engine stops (`window.step_outcome`): the test is repeated at every tick exactly as in a
deploy. Runs differ by resampling (a Poisson bootstrap of the recorded requests, or blocks of
the recording drawn at random) under their own seed.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fixiactl.bench.canary_streams import Sample, SlotSample, Step, resample
from fixiactl.deploy import analysis
from fixiactl.deploy.analysis import FAIL, Thresholds
from fixiactl.deploy.metrics import Snapshot
from fixiactl.deploy.window import step_outcome

# A change to one sample (an injected regression); the identity for A/A runs.
Inject = Callable[[Sample, random.Random], Sample]


def unchanged(sample: Sample, _rng: random.Random) -> Sample:
    return sample


class Sum:
    """A slot's step so far, as the Snapshot the engine would read."""

    def __init__(self, bounds: list[float]) -> None:
        self.bounds = bounds
        self.requests = self.errors = 0.0
        self.routes: dict[str, list[float]] = {}

    def add(self, sample: SlotSample) -> None:
        for route, row in sample.items():
            self.requests += row[0]
            self.errors += row[1]
            bins = self.routes.setdefault(route, [0.0] * len(self.bounds))
            for i, count in enumerate(row[2 : 2 + len(bins)]):
                bins[i] += count

    def _cumulative(self, bins: list[float]) -> dict[float, float]:
        running, buckets = 0.0, {}
        for le, count in zip(self.bounds, bins, strict=True):
            running += count
            buckets[le] = running
        return buckets

    def snapshot(self) -> Snapshot:
        total = [sum(col) for col in zip(*self.routes.values(), strict=True)] or [0.0] * len(
            self.bounds
        )
        return Snapshot(
            requests=self.requests,
            errors=self.errors,
            buckets=self._cumulative(total),
            routes={r: self._cumulative(b) for r, b in self.routes.items()},
        )


@dataclass
class StepRun:
    verdict: str
    elapsed_s: float
    baseline: Snapshot
    reasons: list[str]


def replay_step(
    samples: Iterator[Sample],
    bounds: list[float],
    *,
    weight: int,
    fallback: Snapshot,
    thresholds: Thresholds,
    hold_s: float = 10.0,
    deadline_s: float = 120.0,
    tick_s: float = 1.0,
    max_s: float | None = None,
) -> StepRun:
    """One step on the engine's schedule. With `max_s` the hold is ignored and the step is
    judged at every tick until a FAIL or max_s (a detection time at a fixed weight)."""
    canary, baseline = Sum(bounds), Sum(bounds)
    pending = next(samples, None)
    tick = 0
    while True:
        tick += 1
        elapsed = tick * tick_s
        while pending is not None and pending.t <= elapsed:
            canary.add(pending.canary)
            baseline.add(pending.baseline)
            pending = next(samples, None)
        base = baseline.snapshot() if weight < 100 else fallback
        j = analysis.judge(canary.snapshot(), base, thresholds)
        if max_s is not None:
            if j.verdict == FAIL or elapsed >= max_s:
                return StepRun(j.verdict, elapsed, base, j.reasons)
            continue
        outcome = step_outcome(j.verdict, elapsed, elapsed, hold_s, deadline_s)
        if outcome is not None:
            return StepRun(outcome, elapsed, base, j.reasons)


def in_order(step: Step, rng: random.Random, inject: Inject) -> Iterator[Sample]:
    """The step's recording in time order, resampled; past its end it goes round again
    (without its first 5 s, a fresh slot's warm-up), for a replay that measures longer."""
    if not step.samples:
        return
    for s in step.samples:
        yield inject(Sample(s.t, resample(s.canary, rng), resample(s.baseline, rng)), rng)
    rest = [s for s in step.samples if s.t > 5.0] or step.samples
    gap = rest[1].t - rest[0].t if len(rest) > 1 else 0.5
    start, offset = rest[0].t - gap, step.length_s
    while rest:
        for s in rest:
            drawn = Sample(offset + s.t - start, resample(s.canary, rng), resample(s.baseline, rng))
            yield inject(drawn, rng)
        offset += rest[-1].t - start


def blocks(
    pool: list[Step], rng: random.Random, inject: Inject, block_s: float = 1.0
) -> Iterator[Sample]:
    """Blocks of `block_s` drawn at random from many recorded steps at one weight (canary and
    baseline kept together), for runs longer than any one recorded step."""
    chunks: list[list[Sample]] = []
    for step in pool:
        usable = [s for s in step.samples if s.t > 2.0]
        by_block: dict[int, list[Sample]] = {}
        for s in usable:
            by_block.setdefault(int(s.t // block_s), []).append(s)
        chunks.extend(by_block.values())
    t = 0.0
    while chunks:
        chunk = rng.choice(chunks)
        base = chunk[0].t
        for s in chunk:
            drawn = Sample(
                t + (s.t - base) + 1e-3, resample(s.canary, rng), resample(s.baseline, rng)
            )
            yield inject(drawn, rng)
        t += block_s


def binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(rng.random() < p for _ in range(n))


def error_rates(canary_p: float, baseline_p: float) -> Inject:
    """Every request fails with the slot's probability (instead of its recorded outcome)."""

    def apply(sample: Sample, rng: random.Random) -> Sample:
        def slot(s: SlotSample, p: float) -> SlotSample:
            return {r: [row[0], binomial(rng, row[0], p), *row[2:]] for r, row in s.items()}

        return Sample(sample.t, slot(sample.canary, canary_p), slot(sample.baseline, baseline_p))

    return apply


def slower_route(route: str, factor: float, bounds: list[float]) -> Inject:
    """The canary's `route` `factor` times slower: each request drawn uniformly inside its
    recorded bucket, scaled, and put in the bucket it then falls in."""
    finite = [b for b in bounds if not math.isinf(b)]

    def apply(sample: Sample, rng: random.Random) -> Sample:
        row = sample.canary.get(route)
        if row is None:
            return sample
        bins = [0] * len(bounds)
        for i, count in enumerate(row[2:]):
            lo, hi = (bounds[i - 1] if i else 0.0), bounds[i]
            for _ in range(count):
                if math.isinf(hi):
                    bins[i] += 1
                    continue
                value = rng.uniform(lo, hi) * factor
                bins[min(bisect.bisect_left(finite, value), len(bounds) - 1)] += 1
        return Sample(sample.t, {**sample.canary, route: [row[0], row[1], *bins]}, sample.baseline)

    return apply
