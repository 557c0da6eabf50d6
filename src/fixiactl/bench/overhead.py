"""`fixiactl bench --compare-observability`: what metrics, tracing and the access log cost.

The read mix runs with instrumentation on and off in one session, in the order on, off,
off, on, repeated, after one run that is not counted, so a drift of the shared machine's load
over the session hits both sides equally. Switching restarts the live app slots with
FIXIA_OBSERVABILITY__ENABLED in their env file; each measured run follows WARMUP_S of the
same load, so it measures the steady state.

Three measures, because throughput alone is noisy on a 2-core box where wrk, HAProxy and the
databases share the cores with the app:
- throughput: the goal's own terms (mean RPS on vs off, and the median of adjacent pairs);
- app CPU per request: the slots' processes' own CPU time divided by the requests served;
- machine CPU per request: everything the request made the box do.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean, median
from typing import Any

from fixiactl.bench import cpu, dataset
from fixiactl.bench.report import Goal, Scenario, write_outputs
from fixiactl.bench.runner import (
    SAMPLE_SIZE,
    SEARCH_QUERIES,
    BenchOptions,
    Context,
    Progress,
    ReadPaths,
    _read_data,
    _start,
)
from fixiactl.bench.wrk import WrkRun, run_wrk
from fixiactl.stack.config import EnvConfig, StackState, state_dir
from fixiactl.stack.health import http_ok, wait_for
from fixiactl.stack.render import render_all
from fixiactl.stack.supervisor import Supervisor

SWITCH = "FIXIA_OBSERVABILITY__ENABLED"
# Both sides run on the same steady state: every read cached for the whole session. With the
# normal TTLs (30 s for searches) entries expired during a run after a slow warm-up, and a
# miss costs up to a second: that swung single runs by 30 %, far more than the effect.
STEADY_CACHE = {
    f"FIXIA_CACHE__{name}_TTL_S": "3600" for name in ("CATEGORIES", "SERVICE", "PROFILE", "SEARCH")
}
ORDER = (True, False, False, True) * 3
# The session's first pair was its costliest in 3 of the 4 warmed comparisons (8.4-25.5 %
# against 3.9 % for the other pairs on average), and the first run is always "on": one full
# run like the first measured one comes first, reported as `discarded_run`, counted on
# neither side.
GOAL_MAX_COST = 0.10
# Each switch restarts the slot: fresh worker processes (first-use imports, an interpreter
# that has not specialised its hot code yet, empty connection pools) behind a server that
# HAProxy ramps up over `slowstart 5s`. Measured runs start after this much of the same load,
# unmeasured, on both sides. Without it two comparisons measured a ~20 % cost; four warmed
# ones 0.6-12.3 %, 7.2 % pooled (docs/observability.md, Overhead).
WARMUP_S = 5


def switch(
    config: EnvConfig,
    stack: StackState,
    *,
    enabled: bool,
    progress: Progress,
    cache: dict[str, str] = STEADY_CACHE,
) -> None:
    """Re-render the slots' env files with these cache TTLs and restart the running slots."""
    for key in STEADY_CACHE:
        config.app_env.pop(key, None)
    config.app_env.update(cache)
    config.app_env[SWITCH] = "true" if enabled else "false"
    render_all(config, stack, as_root=os.geteuid() == 0)
    supervisor = Supervisor(state_dir(config.name))
    running = [
        i["name"]
        for i in supervisor.all_info()
        if i["name"].startswith("app-") and i["statename"] == "RUNNING"
    ]
    for name in running:
        progress(f"restarting {name} with observability {'on' if enabled else 'off'}")
        supervisor.stop(name)
        supervisor.start(name)
        slot = name.removeprefix("app-")
        wait_for(
            name,
            lambda slot=slot: http_ok(f"http://127.0.0.1:{stack.ports[slot]}/readyz"),  # type: ignore[misc]
            120,
            f"see {state_dir(config.name)}/log/{name}.log",
        )


def measure(ctx: Context, name: str, label: str, data: Path, paths: list[str]) -> Scenario:
    """One run of the read mix after WARMUP_S of the same load, unmeasured."""
    o = ctx.options
    ctx.progress(f"{label}: {WARMUP_S} s of unmeasured load after the restart")
    run_wrk(WrkRun("read", "mix", WARMUP_S, o.connections, o.threads), ctx.port, data)
    run = WrkRun("read", "mix", o.duration_s, o.connections, o.threads)
    return ctx.load(name, label, "read mix", run, data, paths)


def _cpu_cost(runs: list[tuple[bool, Scenario]], kind: str) -> dict[str, float] | None:
    on = [s.cpu_ms_per_request[kind] for e, s in runs if e and kind in s.cpu_ms_per_request]
    off = [s.cpu_ms_per_request[kind] for e, s in runs if not e and kind in s.cpu_ms_per_request]
    if not on or not off:
        return None
    return {
        "ms_on": round(mean(on), 3),
        "ms_off": round(mean(off), 3),
        "cost": round(mean(on) / mean(off) - 1, 4),
    }


def pair_costs(runs: list[tuple[bool, Scenario]]) -> list[float]:
    """Throughput cost of each adjacent on/off pair (runs 1-2, 3-4, …)."""
    costs = []
    for (first_on, first), (_, second) in zip(runs[::2], runs[1::2], strict=False):
        on, off = (first, second) if first_on else (second, first)
        if off.rps:
            costs.append(round(1 - on.rps / off.rps, 4))
    return costs


def _app_pids(supervisor: Supervisor) -> list[int]:
    return [
        int(i["pid"])
        for i in supervisor.all_info()
        if i["name"].startswith("app-") and i["statename"] == "RUNNING"
    ]


def summarise(
    runs: list[tuple[bool, Scenario]], goal: float = GOAL_MAX_COST, side: str = "observability"
) -> dict[str, Any]:
    """`side`: what the boolean of each run means in the report ("observability", "images").
    The cost is how much slower the "on" side is."""
    on = [s.rps for enabled, s in runs if enabled]
    off = [s.rps for enabled, s in runs if not enabled]
    on_rps, off_rps = mean(on), mean(off)
    cost = 1 - on_rps / off_rps if off_rps else 0.0
    return {
        "rps_on": round(on_rps, 1),
        "rps_off": round(off_rps, 1),
        "cost": round(cost, 4),
        "pair_costs": pair_costs(runs),
        "median_pair_cost": round(median(pair_costs(runs)), 4) if len(runs) >= 2 else None,
        "app_cpu": _cpu_cost(runs, "app"),
        "machine_cpu": _cpu_cost(runs, "machine"),
        "goal_max_cost": goal,
        "met": cost <= goal,
        "runs": [{side: e, **asdict(s)} for e, s in runs],
    }


def sequence(
    side: Callable[[str, bool, str], Scenario], prefix: str = "obs"
) -> tuple[Scenario, list[tuple[bool, Scenario]]]:
    """The run that is not counted, then ORDER's runs; `side(name, enabled, note)` runs one."""
    discarded = side(f"{prefix}-discarded", ORDER[0], "not counted")
    runs = [(e, side(f"{prefix}-{n}", e, f"{n + 1}/{len(ORDER)}")) for n, e in enumerate(ORDER)]
    return discarded, runs


@dataclass
class Session:
    """A read-mix comparison's stack, dataset and load, ready to run sides on."""

    config: EnvConfig
    stack: StackState
    db: dataset.Db
    ctx: Context
    data: Path
    paths: ReadPaths
    configured_cache: dict[str, str]


def prepare(options: BenchOptions, progress: Progress) -> Session:
    """Start the bench stack, seed it once, and write the read mix's load script."""
    config, stack = _start(options, progress)
    db = dataset.Db(state_dir(options.env) / "pg", stack.ports["postgres"])
    progress(f"checking the dataset ({options.scale:,} services)")
    dataset.ensure_seeded(config, stack, db, options.scale)
    sample = dataset.sample(db, SAMPLE_SIZE)
    queries = dataset.search_queries(sample, SEARCH_QUERIES)
    paths = ReadPaths(
        search=[dataset.search_url(q) for q in queries],
        service=[f"/api/v1/services/{i}" for i in sample.services],
        professional=[f"/api/v1/professionals/{i}" for i in sample.professionals],
    )
    supervisor = Supervisor(state_dir(config.name))
    ctx = Context(options, stack.ports["http"], db, options.out_dir / "work", progress)
    ctx.cpu = cpu.probe(lambda: _app_pids(supervisor))
    data = _read_data(ctx, sample, paths)
    configured = {k: v for k, v in config.app_env.items() if k in STEADY_CACHE}
    return Session(config, stack, db, ctx, data, paths, configured)


def compare(options: BenchOptions, progress: Progress) -> dict[str, Any]:
    session = prepare(options, progress)
    config, stack = session.config, session.stack

    def side(name: str, enabled: bool, note: str) -> Scenario:
        switch(config, stack, enabled=enabled, progress=progress)
        label = f"read mix, observability {'on' if enabled else 'off'} ({note})"
        return measure(session.ctx, name, label, session.data, session.paths.everything)

    try:
        discarded, runs = sequence(side)
    finally:
        # Back to the environment as configured: later benchmarks measure the real TTLs.
        switch(config, stack, enabled=True, progress=progress, cache=session.configured_cache)
    report = {
        "environment": options.env,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": options.duration_s,
        "warmup_s": WARMUP_S,
        "connections": options.connections,
        "app_workers": config.app_workers,
        **summarise(runs),
        "discarded_run": {"observability": ORDER[0], **asdict(discarded)},
    }
    options.out_dir.mkdir(parents=True, exist_ok=True)
    path = options.out_dir / "observability-overhead.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    report["files"] = {"json": str(path)}
    return report


def goal(summary: dict[str, Any]) -> Goal:
    """The issue's (#25) observability goal, as the main run's goals table prints it."""
    cpu_cost = summary.get("app_cpu")
    cpu = f"; app CPU {cpu_cost['cost']:.1%}" if cpu_cost else ""
    return Goal(
        goal="observability overhead, read mix (on vs off, alternating runs)",
        target=f"throughput cost ≤ {summary['goal_max_cost']:.0%}",
        measured=(
            f"{summary['cost']:.1%} ({summary['rps_on']:,.0f} vs {summary['rps_off']:,.0f} RPS;"
            f" median pair {summary['median_pair_cost']:.1%}{cpu})"
        ),
        met=bool(summary["met"]),
    )


def add_to(report: dict[str, Any], options: BenchOptions, progress: Progress) -> dict[str, Any]:
    """`make bench`'s one run: the comparison on the same stack after the other scenarios,
    its goal in the same results.md/json (the full comparison in observability-overhead.json)."""
    progress("observability overhead: the read mix with instrumentation on and off")
    summary = compare(options, progress)
    report["goals"].append(asdict(goal(summary)))
    report["run"]["observability"] = {k: v for k, v in summary.items() if k != "runs"}
    report["files"] = {
        **{k: str(p) for k, p in write_outputs(report, options.out_dir).items()},
        **summary["files"],
    }
    return report
