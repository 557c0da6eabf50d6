"""Recorded request streams for the canary analysis: what each slot's own /metrics counted,
per route, every half second, during a real deploy; and what the replay does with them.

A stream keeps, per sample and per slot, each route's requests, errors and latency-bucket
counts over the sample (not cumulative), so a replay re-adds them into exactly the snapshots
the engine judges (`fixiactl.deploy.metrics.Snapshot`, probes left out as `parse` does).
At ~50 RPS a half-second sample holds a few requests: the stream is the request stream, binned
to the resolution of the latency buckets the analysis itself sees.
"""

from __future__ import annotations

import gzip
import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from fixiactl.deploy.metrics import DURATION, PROBES, REQUESTS

# route -> [requests, errors, count in bucket 0, count in bucket 1, ...] (bounds ascending)
SlotSample = dict[str, list[int]]


@dataclass
class Sample:
    t: float  # seconds since the step's weights changed
    canary: SlotSample
    baseline: SlotSample


@dataclass
class Step:
    weight: int
    samples: list[Sample] = field(default_factory=list)

    @property
    def length_s(self) -> float:
        return self.samples[-1].t if self.samples else 0.0


@dataclass
class Recording:
    bounds: list[float]  # latency bucket upper bounds, ascending, +Inf last
    deploys: list[dict[str, Any]]  # {"deploy_id", "result", "steps": [Step]}
    meta: dict[str, Any] = field(default_factory=dict)

    def steps(self, weight: int | None = None) -> list[Step]:
        return [s for d in self.deploys for s in d["steps"] if weight in (None, s.weight)]


def cumulative(text: str) -> tuple[dict[str, list[float]], list[float]]:
    """A slot's /metrics as route -> [requests, errors, cumulative bucket counts...]."""
    routes: dict[str, list[float]] = {}
    buckets: dict[str, dict[float, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            route = sample.labels.get("route", "")
            if route in PROBES:
                continue
            if family.name == REQUESTS and sample.name.endswith("_total"):
                row = routes.setdefault(route, [0.0, 0.0])
                row[0] += sample.value
                if sample.labels.get("status", "").startswith("5"):
                    row[1] += sample.value
            elif family.name == DURATION and sample.name.endswith("_bucket"):
                le = float(sample.labels["le"])
                per = buckets.setdefault(route, {})
                per[le] = per.get(le, 0.0) + sample.value
    bounds = sorted({le for per in buckets.values() for le in per})
    for route, per in buckets.items():
        row = routes.setdefault(route, [0.0, 0.0])
        row.extend(per.get(le, 0.0) for le in bounds)
    return routes, bounds


def delta(now: dict[str, list[float]], before: dict[str, list[float]]) -> SlotSample:
    """Per-bucket counts between two cumulative readings; a restart counts from zero."""
    out: SlotSample = {}
    for route, row in now.items():
        old = before.get(route)
        if old is None or len(old) != len(row) or row[0] < old[0]:
            old = [0.0] * len(row)
        diff = [max(0, round(a - b)) for a, b in zip(row, old, strict=True)]
        cum = diff[2:]
        bins = [c - p for c, p in zip(cum, [0, *cum[:-1]], strict=True)]
        if diff[0] or any(bins):
            out[route] = [diff[0], diff[1], *[max(0, b) for b in bins]]
    return out


def save(recording: Recording, path: Path) -> None:
    data = {
        "bounds": ["+Inf" if math.isinf(b) else b for b in recording.bounds],
        "meta": recording.meta,
        "deploys": [
            {
                **{k: v for k, v in d.items() if k != "steps"},
                "steps": [
                    {
                        "weight": s.weight,
                        "samples": [[round(x.t, 2), x.canary, x.baseline] for x in s.samples],
                    }
                    for s in d["steps"]
                ],
            }
            for d in recording.deploys
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as out:
        json.dump(data, out, separators=(",", ":"))


def load(path: Path) -> Recording:
    with gzip.open(path, "rt") as src:
        data = json.load(src)
    deploys = [
        {
            **{k: v for k, v in d.items() if k != "steps"},
            "steps": [
                Step(s["weight"], [Sample(t, c, b) for t, c, b in s["samples"]]) for s in d["steps"]
            ],
        }
        for d in data["deploys"]
    ]
    return Recording([float(b) for b in data["bounds"]], deploys, data.get("meta", {}))


def poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method: the counts here are small (a few requests per sample)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def resample(sample: SlotSample, rng: random.Random) -> SlotSample:
    """Poisson bootstrap: every recorded request weighted Poisson(1), so a run keeps the
    stream's time course (a fresh slot's first requests) with the noise of another run."""
    out: SlotSample = {}
    for route, row in sample.items():
        bins = [poisson(rng, c) for c in row[2:]]
        requests = sum(bins)
        if requests:
            out[route] = [requests, min(requests, poisson(rng, row[1])), *bins]
    return out
