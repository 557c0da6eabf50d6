"""Run wrk with one of deploy/bench/*.lua and read the JSON line its done() prints."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fixiactl.errors import FixiactlError
from fixiactl.stack.config import DEPLOY

LUA_DIR = DEPLOY / "bench"
MARKER = "FIXIA_BENCH_RESULT "
REQUEST_TIMEOUT_S = 5
# wrk stops itself after the duration; this only catches a wedged process.
GRACE_S = 60


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    latency_ms: dict[str, float]
    errors: dict[str, int]
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        """Successful (2xx/3xx) responses per second: a fast 503 is not throughput."""
        ok = self.requests - self.errors.get("status", 0)
        return ok / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def rps_all(self) -> float:
        """Every response per second, as wrk prints it."""
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def failed(self) -> int:
        """Socket errors, timeouts and 4xx/5xx answers: every request that did not succeed."""
        return sum(self.errors.values())


@dataclass(frozen=True)
class WrkRun:
    script: str  # read or write
    mode: str
    duration_s: int
    connections: int
    threads: int = 1
    delay_ms: int = 0
    slot: int = 0  # write.lua: which range of e-mails and DNIs this run registers in


def parse_output(stdout: str) -> WrkResult:
    lines = [line for line in stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise FixiactlError(
            "wrk printed no result line", hint=f"its output ended with: {stdout.strip()[-500:]}"
        )
    raw: dict[str, Any] = json.loads(lines[-1][len(MARKER) :])
    latency = {k: round(float(v) / 1000, 3) for k, v in raw["latency_us"].items()}
    return WrkResult(
        requests=int(raw["requests"]),
        duration_s=float(raw["duration_us"]) / 1_000_000,
        latency_ms=latency,
        errors={k: int(v) for k, v in raw["errors"].items()},
        statuses={str(k): int(v) for k, v in raw.get("statuses", {}).items()},
    )


def wrk_binary() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise FixiactlError(
            "wrk is not installed", hint="apt-get install -y --no-install-recommends wrk"
        )
    return path


def command(run: WrkRun, port: int) -> list[str]:
    threads = max(1, min(run.threads, run.connections))
    return [
        wrk_binary(),
        f"-t{threads}",
        f"-c{run.connections}",
        f"-d{run.duration_s}s",
        f"--timeout={REQUEST_TIMEOUT_S}s",
        "-s",
        str(LUA_DIR / f"{run.script}.lua"),
        # Load goes to this machine's HAProxy only: the host is fixed, never configurable.
        f"http://127.0.0.1:{port}",
    ]


def run_wrk(run: WrkRun, port: int, data_file: Path) -> WrkResult:
    env = {
        **os.environ,
        "FIXIA_BENCH_LUA": str(LUA_DIR),
        "FIXIA_BENCH_DATA": str(data_file),
        "FIXIA_BENCH_MODE": run.mode,
        "FIXIA_BENCH_DELAY_MS": str(run.delay_ms),
        "FIXIA_BENCH_SLOT": str(run.slot),
    }
    try:
        result = subprocess.run(
            command(run, port),
            env=env,
            capture_output=True,
            text=True,
            timeout=run.duration_s + GRACE_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise FixiactlError(f"wrk ({run.script}/{run.mode}) did not finish") from exc
    if result.returncode != 0:
        raise FixiactlError(
            f"wrk ({run.script}/{run.mode}) failed: {result.stderr.strip()[-1000:]}"
        )
    return parse_output(result.stdout)
