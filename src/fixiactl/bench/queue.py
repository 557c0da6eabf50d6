"""The job queue's costs, measured in the bench run against bare baselines of the same run:
what deferring a job adds to a write's transaction, how many jobs a worker runs per second,
and the write mix with its e-mail sent inside the request (as before the queue) against
the same mix handing it to the worker.

It talks to the stack's PostgreSQL with psycopg and procrastinate's SQL function, as the
app does; it imports nothing from `fixia` (the service's contract is its database and HTTP).
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from fixiactl.deploy import slots
from fixiactl.stack.config import EnvConfig, StackState
from fixiactl.stack.render import write_slot_env
from fixiactl.stack.supervisor import Supervisor

DEFER = (
    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('default', %(task)s, 0, NULL, NULL,"
    " %(args)s::jsonb, NULL)::procrastinate_job_to_defer_v1])"
)
WRITE = "INSERT INTO bench_queue_writes (id, body) VALUES (%(id)s, %(body)s)"
PAIRS = 1000
JOBS = 2000
DRAIN_BUDGET_S = 180.0


def dsn(stack: StackState) -> str:
    return f"postgresql://fixia:{stack.db_password}@127.0.0.1:{stack.ports['postgres']}/fixia"


def _transaction(conn: psycopg.Connection[Any], with_job: bool) -> float:
    started = time.perf_counter()
    with conn.transaction():
        conn.execute(WRITE, {"id": str(uuid.uuid4()), "body": "x" * 200})
        if with_job:
            args = {"key": f"bench:{uuid.uuid4()}", "to": "bench@example.com"}
            conn.execute(DEFER, {"task": "bench.noop", "args": json.dumps(args)})
    return time.perf_counter() - started


def enqueue_overhead(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """Paired transactions, alternating which goes first: the same INSERT with and without
    the defer. The difference of the medians is what a request pays for its job."""
    conn.execute("CREATE TEMP TABLE bench_queue_writes (id uuid PRIMARY KEY, body text)")
    bare: list[float] = []
    deferred: list[float] = []
    for i in range(PAIRS):
        order = (False, True) if i % 2 else (True, False)
        for with_job in order:
            (deferred if with_job else bare).append(_transaction(conn, with_job))
    conn.execute("DELETE FROM procrastinate_jobs WHERE task_name = 'bench.noop'")
    bare_us, deferred_us = statistics.median(bare) * 1e6, statistics.median(deferred) * 1e6
    return {
        "pairs": PAIRS,
        "bare_transaction_us": round(bare_us, 1),
        "with_defer_us": round(deferred_us, 1),
        "enqueue_overhead_us": round(deferred_us - bare_us, 1),
    }


def worker_throughput(
    conn: psycopg.Connection[Any], supervisor: Supervisor, slot: str
) -> dict[str, Any]:
    """JOBS e-mail jobs (the real task, into the stack's file outbox) queued while the worker
    is stopped, then one worker drains them: jobs per second, start-up included."""
    first = conn.execute("SELECT coalesce(max(id), 0) FROM procrastinate_jobs").fetchone()
    start_id = int(first[0]) if first else 0
    with conn.transaction():
        for n in range(JOBS):
            args: dict[str, Any] = {"key": f"bench:{uuid.uuid4()}", "to": f"b{n}@example.com"}
            args |= {"subject": "bench", "body": "bench", "trace": {}}
            conn.execute(DEFER, {"task": "email.send", "args": json.dumps(args)})
    started = time.monotonic()
    supervisor.start(f"worker-{slot}")
    done = 0
    while time.monotonic() - started < DRAIN_BUDGET_S:
        row = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE id > %(s)s AND status = 'succeeded'"
            " AND task_name = 'email.send' AND args->>'key' LIKE 'bench:%%'",
            {"s": start_id},
        ).fetchone()
        done = int(row[0]) if row else 0
        if done >= JOBS:
            break
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    return {
        "jobs": JOBS,
        "succeeded": done,
        "seconds": round(elapsed, 2),
        "jobs_per_s": round(done / elapsed, 1) if elapsed else 0.0,
    }


def measure(stack: StackState, state_path: Path, active: list[str]) -> dict[str, Any]:
    """Workers stopped while measuring: nothing else reads the queue's tables. The serving
    slots' workers run again afterwards."""
    supervisor = Supervisor(state_path)
    for s in ("blue", "green"):
        supervisor.stop(f"worker-{s}")
    try:
        with psycopg.connect(dsn(stack), autocommit=True) as conn:
            result = {"defer": enqueue_overhead(conn)}
            result["worker"] = worker_throughput(conn, supervisor, active[0])
    finally:
        for s in active:
            supervisor.start(f"worker-{s}")
    return result


def inline_write_mix(
    config: EnvConfig, stack: StackState, slot: str, run_mix: Callable[[], Any]
) -> Any:
    """The write mix with each request's jobs run inside it, right after its commit
    (`FIXIA_QUEUE__EAGER`): what every write paid for its e-mail before the queue."""
    config.app_env["FIXIA_QUEUE__EAGER"] = "true"
    try:
        _restart(config, stack, slot)
        return run_mix()
    finally:
        config.app_env.pop("FIXIA_QUEUE__EAGER")
        _restart(config, stack, slot)


def _restart(config: EnvConfig, stack: StackState, slot: str) -> None:
    write_slot_env(config, stack, slot)
    slots.stop(config.name, slot)
    slots.start(config.name, slot)
    if not slots.wait_ready(stack.ports[slot], 180):
        raise RuntimeError(f"the {slot} slot did not come back after its restart")


def notes(result: dict[str, Any], scenarios: dict[str, Any]) -> list[str]:
    d, w = result["defer"], result["worker"]
    lines = [
        f"Job queue, enqueue: deferring a job adds {d['enqueue_overhead_us']} µs to a write's "
        f"transaction (median of {d['pairs']} pairs, the same INSERT with and without "
        f"procrastinate's defer, alternating: {d['bare_transaction_us']} against "
        f"{d['with_defer_us']} µs, straight to PostgreSQL).",
        f"Job queue, worker: one worker ran {w['succeeded']} of {w['jobs']} e-mail jobs (to "
        f"the file outbox) in {w['seconds']} s: {w['jobs_per_s']} jobs/s, start-up included.",
    ]
    queued, inline = scenarios.get("write-mix"), scenarios.get("write-mix-inline")
    if queued is not None and inline is not None:
        lines.append(
            f"Write mix before and after the queue, same run: {inline.rps} RPS (p99 "
            f"{inline.latency_ms.get('p99')} ms) with each request's e-mail sent before it "
            f"answers, {queued.rps} RPS (p99 {queued.latency_ms.get('p99')} ms) with it handed "
            "to the worker."
        )
    return lines
