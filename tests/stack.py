"""Start the real single-host stack (HAProxy → app → PgBouncer → PostgreSQL, Redis) for the
suite's `--stack` mode, through the operator's own command, `fixiactl stack`."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from fixiactl.stack.config import state_dir

ROOT = Path(__file__).resolve().parents[1]
FIXIACTL = str(Path(sys.executable).parent / "fixiactl")


@dataclass
class RunningStack:
    env: str
    state: Path
    ports: dict[str, int]
    db_password: str
    redis_password: str = ""

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.ports['http']}"

    @property
    def database_url(self) -> str:
        # Direct to PostgreSQL: the tests' own bookkeeping (cleanup, fixtures) skips PgBouncer.
        return (
            f"postgresql+asyncpg://fixia:{self.db_password}@127.0.0.1:"
            f"{self.ports['postgres']}/fixia"
        )

    @property
    def redis_url(self) -> str:
        """The cache's Redis."""
        return self._redis("redis")

    @property
    def limiter_redis_url(self) -> str:
        """The rate limiter's own Redis (noeviction)."""
        return self._redis("redis_limiter")

    def _redis(self, instance: str) -> str:
        auth = f":{self.redis_password}@" if self.redis_password else ""
        return f"redis://{auth}127.0.0.1:{self.ports[instance]}/0"

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [FIXIACTL, "stack", *args, "--env", self.env],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=check,
        )


def start(*extra: str, suite: str = "") -> RunningStack:
    """`extra`: more `fixiactl stack up` options, e.g. "--monitoring", "--slots=blue,green".
    `suite`: run on deploy/environments/test-<suite>.toml instead of test.toml."""
    env = f"test-{suite}-{uuid.uuid4().hex[:6]}" if suite else f"test-{uuid.uuid4().hex[:6]}"
    result = subprocess.run(
        [FIXIACTL, "stack", "up", "--env", env, "--base-port", "0", "--json", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    state = state_dir(env)
    if result.returncode != 0:
        stop_and_remove(env, state)
        raise RuntimeError(f"fixiactl stack up failed:\n{result.stdout}\n{result.stderr}")
    data = json.loads((state / "stack.json").read_text())
    return RunningStack(
        env=env,
        state=state,
        ports=data["ports"],
        db_password=data["db_password"],
        redis_password=data.get("redis_password", ""),
    )


def stop_and_remove(env: str, state: Path) -> None:
    subprocess.run(
        [FIXIACTL, "stack", "down", "--env", env, "--yes"],
        cwd=ROOT,
        capture_output=True,
        timeout=300,
        check=False,
    )
    shutil.rmtree(state, ignore_errors=True)


# The stack's queue is not eager: a worker's result is polled for, this long at most.
POLL_S = 60


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """The worker's result within POLL_S seconds (polled every half second)."""
    for _ in range(POLL_S * 2):
        if await check():
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"the worker did not {what} within {POLL_S} s")
