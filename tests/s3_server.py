"""A real S3 API for tests: moto's standalone server (PyPI `moto[server]`, a dev dependency),
started on a loopback port; FIXIA_TEST_S3_URL names an external one (MinIO in CI) instead.

Under CI=true a missing server fails the run (tests.servers.session_server); elsewhere the
S3 tests skip with the install hint.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

from tests.redis_server import free_port

EXTERNAL_URL_ENV = "FIXIA_TEST_S3_URL"
INSTALL_HINT = "install the dev dependencies: make venv (moto[server] from PyPI)"
# moto accepts any credentials; these only satisfy the client.
ACCESS_KEY = "fixia-test"
SECRET_KEY = "fixia-test-secret"  # pragma: allowlist secret (moto takes any)


@dataclass
class S3Server:
    url: str
    process: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


def available() -> bool:
    return (
        importlib.util.find_spec("moto") is not None
        and importlib.util.find_spec("flask") is not None
    )


def external() -> S3Server | None:
    url = os.environ.get(EXTERNAL_URL_ENV, "").strip()
    return S3Server(url) if url else None


def start() -> S3Server:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):  # noqa: S310 - loopback
                return S3Server(url, process)
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"moto's S3 server did not start on port {port}")
