"""`fixiactl bench --ha-reads`: would search gain from HAProxy's read-only route to the replicas?

On an HA stack, seeds a modest dataset, then runs the API's search statements (the floor's
`PLAN_SHAPES`, built by `fixia.catalog.search`) against the primary frontend (`postgres`)
and the replica frontend (`postgres_replica`, Patroni's GET /replica), on 1 and on a few
connections, idle and while a light write load (synchronous commits on the primary) runs.
Each cell is bounded by a count and a time; the routes alternate inside every pair so that
drift from other work on the host falls on both. Replication lag is Patroni's own view
(GET /cluster, bytes of WAL a replica has not replayed yet), sampled during each cell.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from fixiactl.bench import dataset
from fixiactl.bench.files import write_pair
from fixiactl.bench.floor import PLAN_SHAPES, Statement, execute, search_statements, summarize
from fixiactl.errors import FixiactlError
from fixiactl.stack.config import ROOT, StackState, load_env, read_state, state_dir

SCALE = 5000
CELL_S, CELL_MAX = 6.0, 5000  # per cell: seconds and statements, whichever comes first
CONNECTIONS = (1, 4)
ROUNDS = 2  # each cell twice, primary first then replica first
WRITES_PER_S = 50
HELPS_BY = 1.10  # the replicas must serve 10 % more, with no worse p95, to be worth a route
ROUTES = {"primary": "postgres", "replica": "postgres_replica"}
WRITES_TABLE = "fixiactl_bench_ha_writes"
OUT = ROOT / "var" / "bench"


@dataclass
class Cell:
    route: str
    load: str  # "idle" or "writes"
    connections: int
    samples_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    writes: int = 0
    lag_bytes: list[int] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        lat = summarize(self.samples_ms)
        return {
            "route": self.route,
            "load": self.load,
            "connections": self.connections,
            "statements": len(self.samples_ms),
            "seconds": round(self.seconds, 2),
            "rps": round(len(self.samples_ms) / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": lat["p50"],
            "p95_ms": lat["p95"],
            "writes": self.writes,
            "max_lag_bytes": max(self.lag_bytes, default=0),
        }


def _url(stack: StackState, route: str) -> str:
    port = stack.ports[ROUTES[route]]
    return f"postgresql+asyncpg://fixia:{stack.db_password}@127.0.0.1:{port}/fixia"


def _engine(url: str, size: int) -> Any:
    from sqlalchemy.ext.asyncio import create_async_engine

    # No prepared-statement cache, as in the app behind PgBouncer (the floor does the same).
    return create_async_engine(
        url,
        pool_size=size,
        max_overflow=0,
        connect_args={"statement_cache_size": 0, "prepared_statement_cache_size": 0},
    )


async def _reads(url: str, statements: list[Statement], cell: Cell) -> None:
    """`cell.connections` connections, each running the statements round-robin."""
    engine = _engine(url, cell.connections)
    try:
        conns = [await engine.connect() for _ in range(cell.connections)]
        for conn in conns:  # warm-up: buffers and catalog caches, not measured
            for stmt in statements:
                await execute(conn, stmt)
        started = time.monotonic()
        per_conn = CELL_MAX // cell.connections

        async def worker(n: int, conn: Any) -> None:
            for i in range(per_conn):
                if time.monotonic() - started > CELL_S:
                    return
                t0 = time.perf_counter()
                await execute(conn, statements[(i + n) % len(statements)])
                cell.samples_ms.append((time.perf_counter() - t0) * 1000)

        await asyncio.gather(*(worker(n, c) for n, c in enumerate(conns)))
        cell.seconds = time.monotonic() - started
        for conn in conns:
            await conn.close()
    finally:
        await engine.dispose()


async def _writes(url: str, cell: Cell, stop: asyncio.Event) -> None:
    """Paced single-row inserts, each its own transaction (acknowledged by the sync standby)."""
    from sqlalchemy import text

    engine = _engine(url, 1)
    insert = text(f"insert into {WRITES_TABLE} (payload) values (:p)")  # noqa: S608 - constant
    try:
        async with engine.connect() as conn:
            started = time.monotonic()
            while not stop.is_set():
                async with conn.begin():
                    await conn.execute(insert, {"p": "x" * 200})
                cell.writes += 1
                # On a schedule, so the commit's own time does not lower the rate.
                due = started + cell.writes / WRITES_PER_S
                await asyncio.sleep(max(0.0, due - time.monotonic()))
    finally:
        await engine.dispose()


async def _lag(stack: StackState, cell: Cell, stop: asyncio.Event) -> None:
    """Bytes each replica is behind, as Patroni reports them (GET /cluster), twice a second."""
    async with httpx.AsyncClient(timeout=2) as client:
        while not stop.is_set():
            for i in range(3):
                try:
                    body = (
                        await client.get(f"http://127.0.0.1:{stack.ports[f'patroni{i}']}/cluster")
                    ).json()
                except (httpx.HTTPError, ValueError):
                    continue
                # replay_lag: how far behind what a read on that replica sees is.
                members = body.get("members", [])
                cell.lag_bytes += [
                    m["replay_lag"] for m in members if isinstance(m.get("replay_lag"), int)
                ]
                break
            await asyncio.sleep(0.5)


async def _cell(stack: StackState, statements: list[Statement], cell: Cell) -> None:
    stop = asyncio.Event()
    background = [asyncio.create_task(_lag(stack, cell, stop))]
    if cell.load == "writes":
        background.append(asyncio.create_task(_writes(_url(stack, "primary"), cell, stop)))
        await asyncio.sleep(1)  # the writes are flowing before the reads are timed
    try:
        await _reads(_url(stack, cell.route), statements, cell)
    finally:
        stop.set()
        await asyncio.gather(*background)


async def _sql(url: str, *statements: str) -> list[Any]:
    from sqlalchemy import text

    engine = _engine(url, 1)
    try:
        async with engine.connect() as conn:
            results = []
            for s in statements:
                result = await conn.execute(text(s))
                results.append(result.all() if result.returns_rows else [])
            await conn.commit()
            return results
    finally:
        await engine.dispose()


def _prepare(env: str, stack: StackState, scale: int, step: Callable[[str], None]) -> int:
    """Seed `scale` services once (through the primary); the scratch table for the writes."""
    primary = _url(stack, "primary")
    services = int(asyncio.run(_sql(primary, "select count(*) from services"))[0][0][0])
    if services < scale:
        step(f"seeding {scale:,} services (fixia seed --scale {scale})")
        dataset.run_fixia(load_env(env), stack, ["seed", "--scale", str(scale)], 1800)
        asyncio.run(_sql(primary, "analyze"))  # the replicas get the statistics with the WAL
    asyncio.run(
        _sql(
            primary,
            f"create table if not exists {WRITES_TABLE}"
            " (id bigserial primary key, payload text, at timestamptz default now())",
        )
    )
    return int(asyncio.run(_sql(primary, "select count(*) from services"))[0][0][0])


def measure(stack: StackState, step: Callable[[str], None]) -> list[Cell]:
    statements = search_statements(list(PLAN_SHAPES.values()))
    cells: dict[tuple[str, str, int], Cell] = {}
    for r in range(ROUNDS):
        for load in ("idle", "writes"):
            for conns in CONNECTIONS:
                order = ("primary", "replica") if r % 2 == 0 else ("replica", "primary")
                for route in order:
                    step(f"round {r + 1}/{ROUNDS}: {route}, {load}, {conns} connection(s)")
                    one = Cell(route, load, conns)
                    asyncio.run(_cell(stack, statements, one))
                    total = cells.setdefault((route, load, conns), Cell(route, load, conns))
                    total.samples_ms += one.samples_ms
                    total.seconds += one.seconds
                    total.writes += one.writes
                    total.lag_bytes += one.lag_bytes
    return list(cells.values())


def decide(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The replica route helps only if, on several connections, it serves HELPS_BY more
    statements per second than the primary with no worse p95, idle and under writes."""
    pairs: list[dict[str, Any]] = []
    for load in ("idle", "writes"):
        for conns in CONNECTIONS:
            by = {r["route"]: r for r in rows if r["load"] == load and r["connections"] == conns}
            p, q = by["primary"], by["replica"]
            gain = q["rps"] / p["rps"] - 1 if p["rps"] else 0.0
            ratio = q["p95_ms"] / p["p95_ms"] if p["p95_ms"] else 0.0
            pairs.append(
                {
                    "load": load,
                    "connections": conns,
                    "rps_gain": round(gain, 3),
                    "p95_ratio": round(ratio, 3),
                    "helps": gain >= HELPS_BY - 1 and ratio <= 1,
                }
            )
    concurrent = [x["helps"] for x in pairs if x["connections"] > 1]
    return {
        "helps": bool(concurrent) and all(concurrent),
        "pairs": pairs,
        "rule": f"replica RPS >= {HELPS_BY:g}x the primary's and p95 no worse, on every "
        "concurrent cell (idle and under writes)",
    }


def run(env: str, scale: int, step: Callable[[str], None]) -> dict[str, Any]:
    if not (state_dir(env) / "ha.enabled").exists():
        raise FixiactlError(f"{env} is not an HA stack", hint=f"fixiactl stack up --ha --env {env}")
    stack = read_state(env)
    if "postgres_replica" not in stack.ports:
        raise FixiactlError(f"{env} has no replica route", hint="fixiactl stack up --ha again")
    services = _prepare(env, stack, scale, step)
    load_before = _loadavg()
    cells = measure(stack, step)
    rows = [c.row() for c in cells]
    asyncio.run(_sql(_url(stack, "primary"), f"drop table if exists {WRITES_TABLE}"))
    report = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": _loadavg(),
        "services": services,
        "shapes": list(PLAN_SHAPES),
        "cell_s": CELL_S,
        "rounds": ROUNDS,
        "writes_per_s": WRITES_PER_S,
        "cells": rows,
        "max_lag_bytes": max((r["max_lag_bytes"] for r in rows), default=0),
        "decision": decide(rows),
    }
    return _write(report)


def _loadavg() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _write(report: dict[str, Any]) -> dict[str, Any]:
    report["files"] = write_pair(OUT, "ha-reads", report, markdown(report))
    return report


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Search reads: primary route vs replica route ({report['services']:,} services)",
        "",
        f"The API's search statements ({len(report['shapes'])} shapes), {report['rounds']} rounds "
        f"of {report['cell_s']:g} s per cell; writes: single-row commits on the primary, "
        f"paced at {report['writes_per_s']}/s (counted per cell below).",
        "",
        f"{report.get('finished_at', '')}, {report.get('cpus', '?')} CPUs, load average "
        f"{report.get('load_before', '?')} before, {report.get('load_after', '?')} after.",
        "",
        "| load | connections | route | statements | RPS | p50 ms | p95 ms | writes | "
        "max replay lag bytes |",
        "|---|--:|---|--:|--:|--:|--:|--:|--:|",
    ]
    for r in report["cells"]:
        lines.append(
            f"| {r['load']} | {r['connections']} | {r['route']} | {r['statements']} | "
            f"{r['rps']} | {r['p50_ms']} | {r['p95_ms']} | {r['writes']} | "
            f"{r['max_lag_bytes']} |"
        )
    d = report["decision"]
    lines += ["", f"Rule: {d['rule']}.", ""]
    for x in d["pairs"]:
        lines.append(
            f"- {x['load']}, {x['connections']} connection(s): replica RPS "
            f"{x['rps_gain']:+.1%} vs primary, p95 ratio {x['p95_ratio']}"
        )
    verdict = "helps" if d["helps"] else "does not help"
    lines += ["", f"**Decision: the replica route {verdict} search here.**", ""]
    return "\n".join(lines)
