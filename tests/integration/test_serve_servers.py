"""`fixia serve` on either server stops as a draining slot needs (docs/performance.md,
Server): at SIGTERM an open SSE stream (a response in flight) is ended at once with a
reconnect hint, not held until the grace period or cut, and the process exits cleanly.

A real `fixia serve` subprocess with two workers on SQLite (demo data for a login); counts and
contents, never timings: every wait is bounded, and the bound only fails the test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.redis_server import free_port

pytestmark = pytest.mark.inprocess
START_S = 120
DEMO_PASSWORD = "Chubut-Demo-2026!"  # pragma: allowlist secret
LOGIN = {"email": "cliente0@demo.fixia.com.ar", "password": DEMO_PASSWORD}


def _serve(server: str, port: int, var: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FIXIA_ENV": "development",
        "FIXIA_VAR_DIR": str(var),
        "FIXIA_DB__URL": f"sqlite+aiosqlite:///{var / 'fixia.db'}",
        "PROMETHEUS_MULTIPROC_DIR": str(var / "metrics"),
    }
    fixia = str(Path(sys.executable).parent / "fixia")
    command = [fixia, "serve", "--server", server, "--workers", "2", "--port", str(port)]
    with (var / "serve.log").open("wb") as log:
        return subprocess.Popen(
            [*command, "--migrate", "--seed-demo"], env=env, stdout=log, stderr=log
        )


def _wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, "fixia serve exited while starting"
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"fixia serve did not get ready within {START_S} s")


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_sigterm_ends_open_streams_at_once_and_exits_cleanly(server: str, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve(server, port, tmp_path)
    try:
        _wait_ready(base, proc)
        token = httpx.post(f"{base}/api/v1/auth/login", json=LOGIN, timeout=30).json()
        headers = {"authorization": f"Bearer {token['access_token']}"}
        stream_lines: list[str] = []
        opened = threading.Event()

        def read_stream() -> None:
            with httpx.stream("GET", f"{base}/api/v1/stream", headers=headers, timeout=60) as r:
                for line in r.iter_lines():
                    stream_lines.append(line)
                    opened.set()

        reader = threading.Thread(target=read_stream, daemon=True)
        reader.start()
        assert opened.wait(30), "the stream sent nothing"
        proc.send_signal(signal.SIGTERM)
        # The stream ends long before the 20 s grace period: chain_sigterm closed it.
        reader.join(15)
        assert not reader.is_alive(), "the stream was held open after SIGTERM"
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    # The closing event tells EventSource when to reconnect (to the other slot).
    retries = [line for line in stream_lines if line.startswith("retry:")]
    assert len(retries) >= 2, stream_lines
