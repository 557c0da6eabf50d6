"""Two uvicorn workers per slot, as staging and production run them, survive load.

uvicorn's supervisor pings every worker over a pipe and kills one that does not answer in
time, counting from its spawn. A worker spawned while the host is loaded (a deploy starts the
idle slot next to one serving >= 150 RPS; a crashed worker is replaced) needs many seconds
to import before it can answer, and with uvicorn's 5 s default every replacement was killed
before it answered: a restart loop (docs/operations/stack.md, "Workers and health checks").
Here a slot is started, and one of its workers killed, under bounded load through HAProxy;
its log must show exactly the one death we caused and the slot must end with two live
workers, with no failed request.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import stack as stack_module
from tests.acceptance.delivery.load import Load

IN_CI = os.environ.get("CI", "").lower() == "true"
STARTED = "Application startup complete."
DIED = re.compile(r"Child process \[(\d+)\] died")
UNHEALTHY = ("died", "was not ready in time", "failed to start")
# Bounded: the load ends after LOAD_S seconds or 15k responses; each wait has a deadline.
LOAD_S = 150
START_DEADLINE_S = 150.0


@pytest.fixture(scope="module")
def running() -> Iterator[stack_module.RunningStack]:
    for binary in ("wrk", "haproxy", "pgbouncer", "redis-server"):
        if shutil.which(binary) is None:
            message = f"{binary} is not installed (scripts/install-system-deps --stack)"
            if IN_CI:
                pytest.fail(message)
            pytest.skip(message)
    stack = stack_module.start(suite="workers")
    try:
        yield stack
    finally:
        stack_module.stop_and_remove(stack.env, stack.state)


def _supervisor_lines(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if '"uvicorn.error"' in line]


def _workers(state: Path, slot: str) -> list[int]:
    """The pids of the slot's uvicorn workers: the spawned children of its `fixia serve`
    (found by its env file, unique to this stack: other stacks run on the same host)."""
    env_file = str(state / f"app-{slot}.env")
    table = subprocess.run(
        ["ps", "-ww", "-eo", "pid=,ppid=,args="], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split(None, 2) for line in table.splitlines() if line.strip()]
    parents = {pid for pid, _, args in rows if "serve" in args and env_file in args}
    return [int(pid) for pid, ppid, args in rows if ppid in parents and "spawn_main" in args]


def _wait(
    predicate: Callable[[], bool], what: str, log: Path, deadline_s: float = START_DEADLINE_S
) -> None:
    deadline = time.monotonic() + deadline_s
    while not predicate():
        if time.monotonic() > deadline:
            tail = log.read_text()[-3000:] if log.exists() else "(no log)"
            raise AssertionError(f"{what} within {deadline_s:.0f} s; {log}:\n{tail}")
        time.sleep(0.5)


def test_two_worker_slot_starts_and_replaces_a_worker_under_load(
    running: stack_module.RunningStack,
) -> None:
    log = running.state / "log" / "app-green.log"
    with Load(running.http, connections=16, delay_ms=50, max_s=LOAD_S, max_requests=15_000) as load:
        time.sleep(3)
        # A deploy's first step: the idle slot starts next to the one serving the load.
        running.ctl("start", "app-green")
        _wait(
            lambda: log.exists() and len(_workers(running.state, "green")) == 2,
            "green spawns two workers",
            log,
        )
        _wait(
            lambda: sum(STARTED in line for line in _supervisor_lines(log)) == 2,
            "both green workers finish startup under load",
            log,
        )
        victim = _workers(running.state, "green")[0]
        os.kill(victim, signal.SIGKILL)
        _wait(
            lambda: sum(STARTED in line for line in _supervisor_lines(log)) == 3,
            "the killed worker's replacement finishes startup under load",
            log,
        )
        time.sleep(5)  # a replacement killed by the health check would die within this
        result = load.stop()

    green = _supervisor_lines(log)
    deaths = [int(m.group(1)) for line in green if (m := DIED.search(line))]
    assert deaths == [victim], "\n".join(green)
    assert not [line for line in green if any(word in line for word in UNHEALTHY[1:])], green
    blue = _supervisor_lines(running.state / "log" / "app-blue.log")
    assert not [line for line in blue if any(word in line for word in UNHEALTHY)], blue
    assert len(_workers(running.state, "green")) == 2 and victim not in _workers(
        running.state, "green"
    )
    assert result.failed == 0, result
    assert result.requests >= 1000, f"too little load to mean anything: {result}"
    print(f"load: {result.requests} requests, {result.rps:.0f} RPS over {result.duration_s:.0f} s")
