"""`fixiactl bench --canary` (make bench-canary): the canary analysis replayed from request
streams recorded on a real stack (`fixiactl bench --aa N`), no stack needed.

- A/A: every recorded deploy replayed step by step on the engine's schedule (hold, deadline,
  a verdict at every tick), resampled under many seeds: the false-rollback rate.
- A/A at a fixed 10 % weight for 3 minutes, judged at every tick: the false alarms of the
  longest exposure the detection goals allow.
- Detection at 10 % weight: a 5 % vs 0.5 % error regression, and the busiest route 30 %
  slower, injected into the recorded canary stream: seconds to the FAIL.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fixiactl.bench import canary_replay as cr
from fixiactl.bench import canary_streams as cs
from fixiactl.bench.files import write_pair
from fixiactl.deploy import analysis
from fixiactl.deploy.analysis import FAIL, Thresholds
from fixiactl.deploy.metrics import Snapshot
from fixiactl.stack.config import ROOT

RECORDING = ROOT / "benchmarks" / "data" / "aa-streams.json.gz"
GOALS = {"false_rollback_rate": 0.01, "error_median_s": 30.0, "latency_s": 180.0}


def aa_deploy(
    deploy: dict[str, Any],
    bounds: list[float],
    t: Thresholds,
    rng: random.Random,
    inject: cr.Inject = cr.unchanged,
    *,
    hold_s: float = 10.0,
) -> dict[str, Any]:
    """One recorded deploy replayed step by step: rolled back at which step, or promoted."""
    fallback, elapsed = Snapshot(), 0.0
    for step in deploy["steps"]:
        if not step.samples:
            continue
        run = cr.replay_step(
            cr.in_order(step, rng, inject),
            bounds,
            weight=step.weight,
            fallback=fallback,
            thresholds=t,
            hold_s=hold_s,
        )
        elapsed += run.elapsed_s
        fallback = run.baseline
        if run.verdict == FAIL:
            return {"result": "rolled_back", "step": step.weight, "at_s": elapsed,
                    "reasons": run.reasons}  # fmt: skip
    return {"result": "promoted", "at_s": elapsed}


def fixed_weight(
    pool: list[cs.Step],
    bounds: list[float],
    t: Thresholds,
    rng: random.Random,
    inject: cr.Inject,
    *,
    weight: int = 10,
    max_s: float = 180.0,
) -> cr.StepRun:
    return cr.replay_step(
        cr.blocks(pool, rng, inject), bounds, weight=weight, fallback=Snapshot(),
        thresholds=t, max_s=max_s,
    )  # fmt: skip


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "p90": None, "p95": None, "max": None}
    ordered = sorted(values)
    return {
        "median": statistics.median(ordered),
        "p90": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
        "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
        "max": ordered[-1],
    }


def _detection(
    runs: int, pool: list[cs.Step], bounds: list[float], t: Thresholds, inject: cr.Inject,
    max_s: float, seed: int,
) -> dict[str, Any]:  # fmt: skip
    times, missed = [], 0
    for i in range(runs):
        rng = random.Random(seed + i)  # noqa: S311 - resampling, not security
        run = fixed_weight(pool, bounds, t, rng, inject, max_s=max_s)
        if run.verdict == FAIL:
            times.append(run.elapsed_s)
        else:
            missed += 1
    return {"runs": runs, "caught": len(times), "missed_within_s": max_s, "missed": missed,
            "caught_within_180s": sum(x <= 180 for x in times),
            "seconds": percentiles(times)}  # fmt: skip


def busiest_route(recording: cs.Recording, weight: int) -> str:
    counts: dict[str, int] = {}
    for step in recording.steps(weight):
        for s in step.samples:
            for route, row in s.canary.items():
                counts[route] = counts.get(route, 0) + row[0]
    return max(counts, key=lambda r: counts[r])


def run(
    runs: int,
    progress: Callable[[str], None],
    *,
    out_dir: Path,
    recording_path: Path = RECORDING,
    thresholds: Thresholds | None = None,
) -> dict[str, Any]:
    t = thresholds or analysis.load_thresholds()
    rec = cs.load(recording_path)
    bounds, deploys = rec.bounds, [d for d in rec.deploys if d["steps"]]
    pool = [s for s in rec.steps(10) if s.samples]
    progress(f"A/A: {runs} deploys replayed from {len(deploys)} recorded")
    aa = [
        aa_deploy(deploys[i % len(deploys)], bounds, t, random.Random(i))  # noqa: S311
        for i in range(runs)
    ]
    false = [r for r in aa if r["result"] != "promoted"]
    progress(f"A/A at 10 % for 180 s: {runs} runs")
    long_aa = _detection(runs, pool, bounds, t, cr.unchanged, 180.0, seed=10_000)
    progress("detection: 5 % vs 0.5 % errors at 10 %")
    errors = _detection(runs, pool, bounds, t, cr.error_rates(0.05, 0.005), 180.0, seed=20_000)
    route = busiest_route(rec, 10)
    progress(f"detection: {route} 30 % slower at 10 %")
    slow = cr.slower_route(route, 1.3, bounds)
    latency = _detection(runs, pool, bounds, t, slow, 300.0, seed=30_000)
    report = {
        "recording": str(
            recording_path.relative_to(ROOT)
            if recording_path.is_relative_to(ROOT)
            else recording_path
        ),
        "recorded_deploys": len(deploys),
        "recording_meta": rec.meta,
        "thresholds": vars(t),
        "aa": {
            "runs": runs,
            "false_rollbacks": len(false),
            "false_rollback_rate": len(false) / runs,
            "by_step": _by_step(false),
            "reasons": sorted({"; ".join(r["reasons"])[:120] for r in false})[:10],
        },
        "aa_fixed_10pct_180s": long_aa,
        "detect_errors": errors,
        "detect_latency": {**latency, "route": route, "factor": 1.3},
        "goals": GOALS,
    }
    report["files"] = write(report, out_dir)
    return report


def _by_step(false: list[dict[str, Any]]) -> dict[str, int]:
    steps: dict[str, int] = {}
    for r in false:
        steps[str(r["step"])] = steps.get(str(r["step"]), 0) + 1
    return steps


def markdown(report: dict[str, Any]) -> str:
    aa, fixed = report["aa"], report["aa_fixed_10pct_180s"]
    err, lat = report["detect_errors"], report["detect_latency"]

    def secs(d: dict[str, Any]) -> str:
        s = d["seconds"]
        if s["median"] is None:
            return "never"
        return (
            f"median {s['median']:.0f} s, p90 {s['p90']:.0f} s, p95 {s['p95']:.0f} s, "
            f"max {s['max']:.0f} s"
        )

    met = {
        "aa": aa["false_rollback_rate"] <= GOALS["false_rollback_rate"],
        "err": err["missed"] == 0 and (err["seconds"]["median"] or 1e9) <= GOALS["error_median_s"],
        "lat": lat["missed"] == 0 and (lat["seconds"]["max"] or 1e9) <= GOALS["latency_s"],
    }
    yes = {True: "yes", False: "**no**"}
    rows = [
        "# Canary analysis, replayed from recorded request streams",
        "",
        f"Recording: `{report['recording']}` ({report['recorded_deploys']} A/A deploys on a real "
        f"stack, {report['recording_meta'].get('rps', '?')} RPS, steps "
        f"{report['recording_meta'].get('steps', '?')}). Every run judges at every 1 s tick.",
        "",
        "| measure | goal | measured | met |",
        "| --- | --- | --- | --- |",
        f"| A/A false rollbacks (whole deploys, hold 10 s) | <= 1 % | "
        f"{aa['false_rollbacks']}/{aa['runs']} = {aa['false_rollback_rate']:.2%} | "
        f"{yes[met['aa']]} |",
        f"| A/A false alarms, 10 % weight judged for 180 s | (context) | "
        f"{fixed['caught']}/{fixed['runs']} = {fixed['caught'] / fixed['runs']:.2%} | |",
        f"| 5 % vs 0.5 % errors at 10 %: time to rollback | median <= 30 s | {secs(err)}; "
        f"missed {err['missed']}/{err['runs']} | {yes[met['err']]} |",
        f"| `{lat['route']}` +30 % latency at 10 %: time to rollback | <= 180 s | {secs(lat)}; "
        f"caught within 180 s {lat['caught_within_180s']}/{lat['runs']} | "
        f"{yes[met['lat']]} |",
        "",
    ]
    return "\n".join(rows)


def write(report: dict[str, Any], out_dir: Path) -> dict[str, str]:
    return write_pair(out_dir, "canary", report, markdown(report))
