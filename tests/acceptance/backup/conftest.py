"""One throw-away stack with backups on, shared by the module: `fixiactl stack up` renders
pgBackRest's config, turns WAL archiving on and creates the stanza, as it does for dev.

archive_timeout is 30 s here (60 s in dev/production) so the drill's RPO assertion (<= 60 s)
holds with a margin on a loaded 2-core machine; the drill measures it either way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fixiactl.stack.config import state_dir
from fixiactl.stack.postgres import psql
from tests.stack import ROOT, stop_and_remove

FIXIACTL = str(Path(sys.executable).parent / "fixiactl")
IN_CI = os.environ.get("CI", "").lower() == "true"
NEEDED = ("pgbackrest", "redis-server", "haproxy", "pgbouncer", "promtool")


@dataclass
class BackupStack:
    env: str
    state: Path
    ports: dict[str, int]

    def ctl(
        self, *args: str, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [FIXIACTL, *args, "--env", self.env],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"fixiactl {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def ctl_json(self, *args: str, timeout: float = 300) -> Any:
        return json.loads(self.ctl(*args, "--json", timeout=timeout).stdout)

    def sql(self, query: str, database: str = "postgres") -> str:
        return psql(self.state / "pg", self.ports["postgres"], query, database).strip()

    @property
    def repo1(self) -> Path:
        return self.state / "pgbackrest" / "repo1"

    @property
    def repo2(self) -> Path:
        return self.state / "region-b" / "repo2"


def _require_tools() -> None:
    missing = [t for t in NEEDED if shutil.which(t) is None]
    if missing:
        message = f"missing {', '.join(missing)}: sudo scripts/install-system-deps --stack"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def start_stack(prefix: str, **extra_env: str) -> BackupStack:
    """`fixiactl stack up` with backups on (plus `extra_env`) and a full backup per repo."""
    _require_tools()
    env = f"{prefix}-{uuid.uuid4().hex[:6]}"
    state = state_dir(env)
    proc_env = {
        **os.environ,
        "FIXIACTL_BACKUP_ENABLED": "1",
        "FIXIACTL_BACKUP_ARCHIVE_TIMEOUT": "30",
        **extra_env,
    }
    result = subprocess.run(
        [FIXIACTL, "stack", "up", "--env", env, "--base-port", "0", "--json"],
        cwd=ROOT,
        env=proc_env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        stop_and_remove(env, state)
        raise RuntimeError(f"fixiactl stack up failed:\n{result.stdout}\n{result.stderr}")
    ports = json.loads((state / "stack.json").read_text())["ports"]
    stack = BackupStack(env=env, state=state, ports=ports)
    try:
        stack.ctl("backup", "run", "--type", "full", "--repo", "1")
        stack.ctl("backup", "run", "--type", "full", "--repo", "2")
    except BaseException:
        stop_and_remove(env, state)
        raise
    return stack


@pytest.fixture(scope="session")
def bstack() -> Iterator[BackupStack]:
    stack = start_stack("test-bk")
    try:
        yield stack
    finally:
        stop_and_remove(stack.env, stack.state)
