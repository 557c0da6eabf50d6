"""The notes under the bench's tables: how each number was made and what moves it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fixiactl.bench.report import Scenario

if TYPE_CHECKING:
    from fixiactl.bench.runner import BenchOptions


def run_notes(o: BenchOptions, run: dict[str, Any], counts: dict[str, int]) -> list[str]:
    c = o.connections
    return [
        f"Dataset: {counts['services']:,} services, {counts['professionals']:,} professionals, "
        f"{counts['users']:,} users. `fixia seed --scale {o.scale}` makes one professional per "
        "4 services and one client per 10; "
        f"{counts.get('services_with_cover', 0):,} services carry a cover URL and "
        f"{counts.get('users_with_avatar', 0):,} users an avatar URL (the seed's `--images`, "
        "on by default: the read mix's responses carry image URLs, as a live marketplace's do; "
        "a dataset seeded before that has none until it is re-seeded).",
        f"Reviews are not modelled at scale: the seed writes none ({counts['reviews']} rows); "
        "ratings and review counts on profiles are seeded numbers.",
        "Search, service detail, profile and categories are cache-aside in Redis (search 30 s, "
        "detail and profile 60 s, categories 300 s). Before each cached run the bench fetches "
        "every path that run uses once (`cache_warmed` in results.json: how many answered 200), "
        "so those runs measure a warm cache, with the misses TTL expiry brings during the run; "
        "`search, cache misses` runs the search SQL on every request.",
        "Before each run the bench waits until HAProxy answers /readyz quickly and PostgreSQL "
        "runs no app query (`settle_s` in results.json), so a run does not inherit the previous "
        "run's backlog.",
        f"wrk has no rate control. Unpaced rows give the RPS reached at {c} connections. The "
        f"paced row makes each of the {c} connections pause (wrk `delay()`) to offer about "
        f"{o.rate} RPS; it is still closed-loop, so a stall delays requests instead of queueing "
        "them and p99 is optimistic (coordinated omission).",
        "Database floor: the main search statement from `build_search` (not the two selectin "
        "loads the API adds), one connection, serial, no prepared-statement cache (as behind "
        "PgBouncer); its RPS column is 1000 / mean latency.",
        f"Password hashing: {run['argon2']}; register hashes on every request.",
        f"Writes run with {o.write_connections} connections (`--write-connections`): they are "
        "CPU-bound, and more connections only queue inside the server.",
        f"Create project and apply use {run['write_accounts']['clients']} clients and "
        f"{run['write_accounts']['professionals']} professionals registered and logged in "
        "through the API before the run, marked e-mail-verified and put on the unlimited plan "
        "by SQL, so plan quotas do not turn writes into 4xx. Rate limits are off (one client IP).",
        "The ceiling: a bare FastAPI app and a bare Starlette app (`fixiactl.bench.bareapp`) "
        f"run by the same {run.get('app_server', 'uvicorn')} with {run['app_workers']} workers "
        "and `fixia serve`'s settings, "
        "answer the cached reads' paths with the exact bytes a slot sent for one sample of "
        "each (`ceiling.bytes` in results.json). Straight rows go to the bare app's or the "
        "slot's own port; through HAProxy, the runtime API points the active slots' servers at "
        "the bare app for its runs and back afterwards. Goals compare each Fixia read straight "
        "to the slot with bare FastAPI straight; `Fixia /healthz` goes through all of Fixia's "
        "middleware and is shown for reference only.",
        "Cache hits are answered by `catalog/fastpath.py` before routing: stored bytes with "
        "their ETag from the worker's near cache (re-checked against Redis's invalidation "
        "version every 0.5 s) or Redis, with no database session and no pydantic.",
        f"wrk, HAProxy, {run['app_workers']} {run.get('app_server', 'uvicorn')} workers, "
        "PgBouncer, PostgreSQL and Redis "
        f"share the same {run['cpus']} CPUs; other work on the machine moves the numbers.",
    ]


def failure_notes(scenarios: dict[str, Scenario]) -> list[str]:
    hit = [s for s in scenarios.values() if s.statuses.get("503")]
    if not hit:
        return []
    names = ", ".join(f"{s.label} ({s.statuses['503']})" for s in hit)
    return [
        f"503s in: {names}. HAProxy answers 503 when it has marked the only app server DOWN: "
        "its /readyz check (inter 1 s, fall 2) times out once the workers are saturated, "
        "and the server stays out until two checks pass again. The OK RPS column excludes "
        "them; latency percentiles include them (fast 503s pull p50 down)."
    ]
