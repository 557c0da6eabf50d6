"""Bounded, paced load through HAProxy for deploy tests: wrk (C, cheap on a 2-core box).

Each of `connections` connections waits `delay_ms` between requests, so the rate is roughly
connections x 1000 / (delay + latency). Bounded by wrk's -d duration and by a per-thread
response count; stopped early with SIGINT, on which wrk still prints its summary. A failure
is a 5xx answer or a socket error (connect, read, write, timeout).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("deploy_load.lua")
MARKER = "FIXIA_BENCH_RESULT "


@dataclass
class LoadResult:
    requests: int
    duration_s: float
    statuses: dict[str, int]
    socket_errors: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        fivexx = sum(n for code, n in self.statuses.items() if code.startswith("5"))
        return fivexx + sum(self.socket_errors.values())

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0


class Load:
    def __init__(
        self,
        base: str,
        *,
        connections: int = 8,
        delay_ms: int = 40,
        max_s: int = 300,
        max_requests: int = 80_000,
    ) -> None:
        assert base.startswith("http://127.0.0.1:"), "load only ever goes to loopback"
        self.cmd = [
            "wrk", "-t1", f"-c{connections}", f"-d{max_s}s", "--timeout", "10s",
            "-s", str(SCRIPT), base,
        ]  # fmt: skip
        self.env = {
            **os.environ,
            "FIXIA_REPORT_LUA": str(ROOT / "deploy" / "bench" / "report.lua"),
            "FIXIA_LOAD_DELAY_MS": str(delay_ms),
            "FIXIA_LOAD_MAX": str(max_requests),
        }
        self.max_s = max_s
        self.proc: subprocess.Popen[str] | None = None
        self.started = 0.0

    def __enter__(self) -> Load:
        self.proc = subprocess.Popen(
            self.cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        # After a failed test nobody called stop(): unclosed pipes would surface as an
        # unraisable ResourceWarning in whichever later test the garbage collector runs in.
        if self.proc:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream:
                    stream.close()

    def stop(self) -> LoadResult:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=self.max_s + 30)
        lines = [line for line in out.splitlines() if line.startswith(MARKER)]
        if not lines:
            raise RuntimeError(f"wrk printed no result:\n{out}\n{err}")
        data = json.loads(lines[-1][len(MARKER) :])
        errors = {k: int(v) for k, v in data["errors"].items() if k != "status"}
        return LoadResult(
            requests=int(data["requests"]),
            duration_s=data["duration_us"] / 1e6,
            statuses={str(k): int(v) for k, v in data["statuses"].items()},
            socket_errors=errors,
        )
