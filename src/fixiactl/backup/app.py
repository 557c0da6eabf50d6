"""The app (and a scratch Redis) started against a restored cluster: the R in RTO is the
service answering /readyz, not PostgreSQL accepting connections."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from fixiactl.backup.restore import RestoredCluster, free_port
from fixiactl.files import write_private
from fixiactl.stack.config import ROOT, read_state, state_dir


def _fixia() -> str:
    return shutil.which("fixia", path=str(Path(sys.executable).parent)) or "fixia"


def grant_app_password(cluster: RestoredCluster, password: str) -> None:
    """The restored point may predate a `secrets rotate-db-password`: the scratch cluster's
    role gets today's password, which the app's settings carry (token_urlsafe: no quote).
    On stdin: a process's arguments are readable by every user."""
    cluster.sql(f"ALTER ROLE fixia PASSWORD '{password}'", secret=True)


class RestoredApp:
    def __init__(self, env: str, cluster: RestoredCluster, work: Path) -> None:
        stack = read_state(env)
        grant_app_password(cluster, stack.db_password)
        base = state_dir(env) / "app-blue.env"
        settings = dict(line.split("=", 1) for line in base.read_text().splitlines() if "=" in line)
        self.redis_port, self.port = free_port(), free_port()
        settings.pop("FIXIA_DB__VIA_PGBOUNCER", None)  # straight to the restored cluster
        settings.update(
            {
                "FIXIA_DATABASE_URL": "postgresql+asyncpg://fixia:"
                f"{stack.db_password}@127.0.0.1:{cluster.port}/fixia",
                "FIXIA_REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "FIXIA_SLOT": "dr",
                "FIXIA_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
            }
        )
        self.env_file = write_private(
            work / "app.env", "".join(f"{k}={v}\n" for k, v in sorted(settings.items()))
        )
        self.settings = settings
        self.log = work / "app.log"
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        redis = [
            "redis-server",
            "--port",
            str(self.redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        log = self.log.open("ab")
        self.procs.append(subprocess.Popen(redis, stdout=subprocess.DEVNULL, stderr=log))
        serve = [
            _fixia(),
            "serve",
            "--env-file",
            str(self.env_file),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
        ]
        self.procs.append(subprocess.Popen(serve, cwd=ROOT, stdout=log, stderr=log))

    def wait_ready(self, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                r = httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2)
                last = {"status": r.status_code, "body": r.json()}
                if r.status_code == 200:
                    return last
            except (httpx.HTTPError, json.JSONDecodeError) as exc:
                last = {"status": None, "error": type(exc).__name__}
            time.sleep(0.2)
        return last

    def migrations(self) -> dict[str, Any]:
        env = {**os.environ, **self.settings}
        proc = subprocess.run(
            [_fixia(), "db", "current", "--json"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        try:
            data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
        except (json.JSONDecodeError, IndexError):
            data = {"at_head": False, "error": proc.stderr.strip()[-500:]}
        return data

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
            try:
                proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
