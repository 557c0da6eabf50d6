"""`fixiactl bench` end to end: stack, dataset, load, baselines, report.

Every step is bounded: wrk runs for a fixed duration (and is killed after a grace period),
the floor stops at a count or a time budget, and the set-up loops have fixed sizes.
"""

from __future__ import annotations

import math
import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from fixiactl.bench import accounts, dataset, notes, relevance
from fixiactl.bench import queue as queue_bench
from fixiactl.bench import trust as trust_bench
from fixiactl.bench.ceiling import Where, run_ceiling, run_servers
from fixiactl.bench.floor import check_plans, measure_floor
from fixiactl.bench.luadata import write_lua_data
from fixiactl.bench.notes import run_notes
from fixiactl.bench.readiness import settle, warm
from fixiactl.bench.report import Goal, Scenario, as_dicts, evaluate, write_outputs
from fixiactl.bench.wrk import WrkRun, run_wrk, wrk_binary
from fixiactl.stack import controller
from fixiactl.stack.config import ROOT, EnvConfig, StackState, load_env, read_state, state_dir

Progress = Callable[[str], None]
WRITE_RUNS = ("mix", "register", "project", "apply")
# One more registration slot: the write mix again, with its e-mail inside the request.
INLINE_SLOT = len(WRITE_RUNS)
# Ids per endpoint: enough to spread the load, few enough to warm before each run.
SAMPLE_SIZE = 500
# Popular searches: few enough to warm them all (a miss can take a second) well within
# the search cache's 30 s TTL, so the warm-cache run really sees hits.
SEARCH_QUERIES = 50


@dataclass
class BenchOptions:
    env: str = "bench"
    duration_s: int = 10
    connections: int = 32
    threads: int = 1
    rate: int = 2000
    scale: int = 100_000
    quick: bool = False
    # Writes are CPU-bound (argon2id on register): 32 connections only queue in uvicorn.
    write_connections: int = 8
    out_dir: Path = ROOT / "var" / "bench"

    @property
    def floor_iterations(self) -> int:
        return 100 if self.quick else 500


@dataclass
class Context:
    options: BenchOptions
    port: int
    db: dataset.Db
    work: Path
    progress: Progress
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    warmed: dict[str, str] = field(default_factory=dict)
    # Optional CPU readings ({"app": s, "machine": s}) taken around each wrk run.
    cpu: Callable[[], dict[str, float]] | None = None

    def load(
        self,
        name: str,
        label: str,
        load: str,
        run: WrkRun,
        data: Path,
        warm_paths: Sequence[str] = (),
        port: int | None = None,
    ) -> Scenario:
        self.progress(f"{label}: waiting for an idle stack")
        settled = settle(self.port, self.db)
        if warm_paths:
            self.progress(f"{label}: warming the cache with {len(warm_paths)} requests")
            self.warmed[name] = f"{warm(self.port, list(warm_paths))} / {len(warm_paths)}"
        self.progress(f"{label}: {run.connections} connections for {run.duration_s} s")
        before = self.cpu() if self.cpu else {}
        result = run_wrk(run, port or self.port, data)
        scenario = Scenario.from_wrk(name, label, load, run.connections, result)
        if self.cpu and result.requests:
            after = self.cpu()
            scenario.cpu_ms_per_request = {
                k: round((after[k] - v) * 1000 / result.requests, 3) for k, v in before.items()
            }
        # Other work on a shared machine shows here first.
        scenario.settle_s, scenario.load_1m = settled, round(os.getloadavg()[0], 2)
        self.scenarios[name] = scenario
        return scenario


def pacing_delay(connections: int, rate: int, pilot_rps: float, pilot_delay_ms: int) -> int:
    """Per-connection pause that makes `connections` closed loops offer about `rate` RPS.

    Each connection sends one request per (pause + round trip). The pilot, run with a known
    pause, tells the real round trip (wrk's own overhead included) from the rate it reached;
    the pause is what the period at `rate` leaves after it. 0: the rate is out of reach.
    """
    if pilot_rps <= 0:
        return 0
    round_trip_ms = connections * 1000 / pilot_rps - pilot_delay_ms
    return max(0, round(connections * 1000 / rate - round_trip_ms))


def projects_needed(duration_s: int, pros: int) -> int:
    # Apply allows 2 active proposals per professional and project; size the pool for an
    # apply rate of ~600/s, far above what this box serves, so it is never the limit.
    return max(20, min(1000, math.ceil(duration_s * 600 / (2 * pros))))


@dataclass(frozen=True)
class ReadPaths:
    """Every path the read load sends, per endpoint: also what the cache is warmed with."""

    search: list[str]
    service: list[str]
    professional: list[str]
    categories: tuple[str, ...] = ("/api/v1/categories",)

    @property
    def everything(self) -> list[str]:
        # Search last: its entries live shortest (30 s) and cost most to miss.
        return [*self.categories, *self.service, *self.professional, *self.search]


def _read_data(ctx: Context, sample: dataset.Sample, paths: ReadPaths) -> Path:
    return write_lua_data(
        ctx.work / "read-data.lua",
        {
            "searches": paths.search,
            "services": sample.services,
            "professionals": sample.professionals,
            "mix": dataset.expand_mix(dataset.READ_MIX),
        },
    )


def _paced(ctx: Context, data: Path, paths: ReadPaths) -> None:
    o = ctx.options
    settle(ctx.port, ctx.db)
    ctx.progress(f"read mix paced: warming the cache with {len(paths.everything)} requests")
    total = len(paths.everything)
    ctx.warmed["read-paced"] = f"{warm(ctx.port, paths.everything)} / {total}"
    ctx.progress(f"calibrating the pacing for {o.rate} RPS")
    delay = o.connections * 1000 // o.rate
    # Two short pilots: the round trip under the paced load differs from the first guess's.
    for _ in range(2):
        pilot_run = WrkRun("read", "mix", min(3, o.duration_s), o.connections, o.threads, delay)
        pilot = run_wrk(pilot_run, ctx.port, data)
        delay = pacing_delay(o.connections, o.rate, pilot.rps_all, delay)
        if delay == 0:
            break
    run = WrkRun("read", "mix", o.duration_s, o.connections, o.threads, delay_ms=delay)
    label = f"read mix paced to {o.rate} RPS"
    load = f"read mix, each connection pauses {delay} ms between requests"
    if delay == 0:
        load = f"read mix unpaced: {o.rate} RPS is beyond these {o.connections} connections"
    ctx.load("read-paced", label, load, run, data)


def _web_paths(paths: ReadPaths) -> list[str]:
    searches = ["/search" + p.removeprefix("/api/v1/services") for p in paths.search]
    return ["/", *searches, *(p.removeprefix("/api/v1") for p in paths.service)]


def read_scenarios(
    ctx: Context, sample: dataset.Sample, queries: list[dict[str, str]], where: Where
) -> dict[str, Any]:
    o = ctx.options
    paths = ReadPaths(
        search=[dataset.search_url(q) for q in queries],
        service=[f"/api/v1/services/{i}" for i in sample.services],
        professional=[f"/api/v1/professionals/{i}" for i in sample.professionals],
    )
    data = _read_data(ctx, sample, paths)
    mix = " : ".join(f"{k} {v}" for k, v in dataset.READ_MIX.items())

    def run(mode: str) -> WrkRun:
        return WrkRun("read", mode, o.duration_s, o.connections, o.threads)

    ctx.load("ceiling", "Fixia /healthz", "GET /healthz", run("healthz"), data)
    ctx.load("read-mix", "read mix", f"{mix} (weights)", run("mix"), data, paths.everything)
    _paced(ctx, data, paths)
    n, ids, pros = len(paths.search), len(paths.service), len(paths.professional)
    search = f"GET /api/v1/services, {n} filter sets"
    ctx.load("search", "search, warm cache", search, run("search"), data, paths.search)
    service = f"GET /api/v1/services/{{id}}, {ids} ids"
    ctx.load("service", "service detail", service, run("service"), data, paths.service)
    profile = f"GET /api/v1/professionals/{{id}}, {pros} ids"
    ctx.load(
        "professional",
        "professional profile",
        profile,
        run("professional"),
        data,
        paths.professional,
    )
    categories = "GET /api/v1/categories"
    ctx.load("categories", "categories", categories, run("categories"), data, paths.categories)
    web = "GET /, /search?… and /services/{id} in turn, anonymous"
    ctx.load("web", "anonymous web pages", web, run("web"), data, _web_paths(paths))
    samples = {
        "search": paths.search[0],
        "service": paths.service[0],
        "professional": paths.professional[0],
        "categories": paths.categories[0],
    }
    warm = {
        "search": paths.search,
        "service": paths.service,
        "professional": paths.professional,
        "categories": list(paths.categories),
    }
    ceiling = run_ceiling(ctx, samples, data, where, warm)
    env_file = where.state / f"app-{where.slot}.env"
    ceiling["servers"] = run_servers(ctx, data, where, env_file, warm)
    # Last of the reads: every request runs the search SQL, the heaviest load of the run.
    miss = "search + a unique min_price below every price"
    ctx.load("search-miss", "search, cache misses", miss, run("search-miss"), data)
    few = WrkRun("read", "search-miss", o.duration_s, o.write_connections, o.threads)
    label = f"search, cache misses, {few.connections} connections"
    ctx.load("search-miss-8", label, miss, few, data)
    return ceiling


def write_scenarios(
    ctx: Context, db: dataset.Db, sample: dataset.Sample, config: EnvConfig, stack: StackState
) -> dict[str, int]:
    o = ctx.options
    clients, pros = (4, 8) if o.quick else (10, 20)
    projects = projects_needed(o.duration_s, pros)
    ctx.progress(
        f"creating {clients} clients, {pros} professionals, {projects} projects via the API"
    )
    settle(ctx.port, ctx.db)
    with httpx.Client(base_url=f"http://127.0.0.1:{ctx.port}", timeout=30) as http:
        fixture = accounts.prepare(
            http,
            db,
            clients=clients,
            pros=pros,
            projects=projects,
            category_ids=sample.category_ids,
            slots=(len(WRITE_RUNS) + 1) * o.threads,
        )
    mix = dataset.expand_mix(dataset.WRITE_MIX)
    data = write_lua_data(
        ctx.work / "write-data.lua", fixture.lua_data(sample.category_ids, mix, o.threads)
    )
    weights = " : ".join(f"{k} {v}" for k, v in dataset.WRITE_MIX.items())

    def run(mode: str) -> WrkRun:
        # Each write run registers in its own e-mail and DNI slot: wrk restarts its counters.
        slot = list(WRITE_RUNS).index(mode)
        return WrkRun("write", mode, o.duration_s, o.write_connections, o.threads, slot=slot)

    ctx.load("write-mix", "write mix", f"{weights} (weights)", run("mix"), data)
    inline = WrkRun("write", "mix", o.duration_s, o.write_connections, o.threads, slot=INLINE_SLOT)
    queue_bench.inline_write_mix(
        config,
        stack,
        config.active_slots[0],
        lambda: ctx.load(
            "write-mix-inline",
            "write mix, e-mail inside the request",
            f"{weights} (weights), each request's jobs run before it answers (as before the "
            "job queue: FIXIA_QUEUE__EAGER)",
            inline,
            data,
        ),
    )
    ctx.load("register", "register", "POST /api/v1/auth/register", run("register"), data)
    ctx.load("project", "create project", "POST /api/v1/projects", run("project"), data)
    ctx.load("apply", "apply", "POST /api/v1/opportunities/{id}/apply", run("apply"), data)
    return {"clients": clients, "professionals": pros, "projects": projects}


def _pg_url(stack: StackState) -> str:
    return (
        f"postgresql+asyncpg://fixia:{stack.db_password}@127.0.0.1:{stack.ports['postgres']}/fixia"
    )


def floor_scenario(ctx: Context, stack: StackState, queries: list[dict[str, str]]) -> None:
    o = ctx.options
    ctx.progress(f"database floor: {o.floor_iterations} search statements on PostgreSQL")
    result = measure_floor(_pg_url(stack), queries, o.floor_iterations, budget_s=60)
    ctx.scenarios["db-floor"] = Scenario.from_floor(
        "db-floor",
        "database floor",
        f"build_search SQL of the {len(queries)} filter sets, 1 connection, serial",
        result,
    )


def _wrk_version() -> str:
    out = subprocess.run(
        [wrk_binary(), "-v"], capture_output=True, text=True, timeout=10, check=False
    )
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0].split(" [")[0] if first else "unknown"


def _argon2(config: EnvConfig) -> str:
    overrides = {k: v for k, v in config.app_env.items() if "ARGON2" in k}
    if not overrides:
        return "service default (production cost: argon2id, t=2, 19 MiB)"
    return "OVERRIDDEN: " + ", ".join(f"{k}={v}" for k, v in sorted(overrides.items()))


def _start(options: BenchOptions, progress: Progress) -> tuple[EnvConfig, StackState]:
    wrk_binary()  # fail before the slow steps when the load generator is missing
    config = load_env(options.env)
    controller.up(config, progress)
    return config, read_state(options.env)


def _loadavg() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _run_info(
    o: BenchOptions, config: EnvConfig, ctx: Context, extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        "environment": o.env,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_after": _loadavg(),
        "wrk": _wrk_version(),
        "threads": o.threads,
        "connections": o.connections,
        "write_connections": o.write_connections,
        "duration_s": o.duration_s,
        "rate": o.rate,
        "quick": o.quick,
        "app_workers": config.app_workers,
        "app_server": config.app_server,
        "argon2": _argon2(config),
        "cache_warmed": ctx.warmed,
        **extra,
    }


def plans_goal(plans: dict[str, bool], counts: dict[str, Any]) -> Goal:
    indexed = [shape for shape, ok in plans.items() if ok]
    scans = [shape for shape, ok in plans.items() if not ok]
    return Goal(
        goal=f"search plans at {counts.get('services', 0):,} services (card joins included)",
        target="no sequential scan on services",
        measured=f"{len(indexed)} of {len(plans)} shapes indexed"
        + (f"; scans: {', '.join(scans)}" if scans else ""),
        met=not scans,
    )


def run(options: BenchOptions, progress: Progress) -> dict[str, Any]:
    config, stack = _start(options, progress)
    db = dataset.Db(state_dir(options.env) / "pg", stack.ports["postgres"])
    progress(f"checking the dataset ({options.scale:,} services)")
    seed_s = dataset.ensure_seeded(config, stack, db, options.scale)
    sample = dataset.sample(db, SAMPLE_SIZE)
    queries = dataset.search_queries(sample, SEARCH_QUERIES)
    extra: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_before": _loadavg(),
        "seeded_now_s": seed_s,
    }
    ctx = Context(options, stack.ports["http"], db, options.out_dir / "work", progress)
    where = Where(
        state_dir(options.env),
        {slot: stack.ports[slot] for slot in config.active_slots},
        config.app_workers,
        config.app_server,
    )
    extra["ceiling"] = read_scenarios(ctx, sample, queries, where)
    extra["write_accounts"] = write_scenarios(ctx, db, sample, config, stack)
    floor_scenario(ctx, stack, queries)
    progress("search plans: EXPLAIN of each search shape on this dataset")
    plans = check_plans(_pg_url(stack))
    progress("search relevance: the judged set on PostgreSQL and SQLite")
    extra["relevance"] = relevance.measure(_pg_url(stack), ctx.work)
    progress("job queue: enqueue overhead and worker throughput")
    extra["queue"] = queue_bench.measure(stack, state_dir(options.env), config.active_slots)
    progress("trust: recompute every professional, then read profiles from the cache")
    extra["trust"] = trust_bench.measure(config, stack, sample.professionals)
    counts = dataset.counts(db)
    run_info = _run_info(options, config, ctx, extra)
    report = {
        "run": run_info,
        "dataset": counts,
        **as_dicts(
            list(ctx.scenarios.values()),
            [*evaluate(ctx.scenarios, options.rate), plans_goal(plans, counts)],
        ),
        "notes": run_notes(options, run_info, counts)
        + queue_bench.notes(extra["queue"], ctx.scenarios)
        + trust_bench.notes(extra["trust"])
        + notes.failure_notes(ctx.scenarios),
    }
    report["files"] = {k: str(p) for k, p in write_outputs(report, options.out_dir).items()}
    return report
