"""One stack for the job-queue scenarios: both slots and both workers, mail over real SMTP
(aiosmtpd) that a test can stop and start, time compressed by deploy/environments/
test-queue.toml."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests import stack as stack_module
from tests.smtp_server import SmtpServer

IN_CI = os.environ.get("CI", "").lower() == "true"


def wait_for(predicate: Callable[[], bool], what: str, deadline_s: float) -> None:
    """Bounded polling: every scenario's wait ends by itself."""
    deadline = time.monotonic() + deadline_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {deadline_s:.0f} s")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path_factory.mktemp("mailbox")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def running(smtp: SmtpServer) -> Iterator[stack_module.RunningStack]:
    for binary in ("haproxy", "pgbouncer", "redis-server"):
        if shutil.which(binary) is None:
            message = f"{binary} is not installed (scripts/install-system-deps --stack)"
            if IN_CI:
                pytest.fail(message)
            pytest.skip(message)
    stack = stack_module.start(
        "--slots=blue,green",
        "--app-env=FIXIA_EMAIL__BACKEND=smtp",
        f"--app-env=FIXIA_EMAIL__SMTP_PORT={smtp.port}",
        "--app-env=FIXIA_EMAIL__SMTP_TIMEOUT_S=3",
        suite="queue",
    )
    try:
        yield stack
    finally:
        stack_module.stop_and_remove(stack.env, stack.state)


@pytest.fixture
async def client(running: stack_module.RunningStack) -> Iterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running.http, timeout=30) as c:
        yield c


@pytest.fixture
def sql(running: stack_module.RunningStack) -> Callable[..., list[tuple[object, ...]]]:
    dsn = f"postgresql://fixia:{running.db_password}@127.0.0.1:{running.ports['postgres']}/fixia"

    def run(query: str, **params: object) -> list[tuple[object, ...]]:
        with psycopg.connect(dsn, autocommit=True) as conn:
            cursor = conn.execute(query, params)  # type: ignore[arg-type]
            return [tuple(r) for r in cursor.fetchall()] if cursor.description else []

    return run


def worker_pid(running: stack_module.RunningStack, slot: str) -> int:
    """The slot's `fixia worker` process, found by its env file (unique to this stack: other
    stacks run on the same host)."""
    env_file = str(running.state / f"app-{slot}.env")
    table = subprocess.run(
        ["ps", "-ww", "-eo", "pid=,args="], capture_output=True, text=True, check=True
    ).stdout
    pids = [
        int(line.split(None, 1)[0])
        for line in table.splitlines()
        if " worker " in line and env_file in line
    ]
    assert len(pids) == 1, f"worker-{slot}: {pids}"
    return pids[0]


def python() -> str:
    return sys.executable


def run_script(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python(), "-c", code], env={**os.environ, **env}, cwd=cwd,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
