"""A real Redis for tests that need one, started as the environment guide shows.

Opt-in: with FIXIA_TEST_REDIS_URL set (CI's Redis service container), tests use that server
instead of starting one; each pytest-xdist worker gets its own database number, so parallel
workers never flush each other's keys.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis

EXTERNAL_URL_ENV = "FIXIA_TEST_REDIS_URL"

INSTALL_HINT = "install it with: apt-get install -y redis-server (scripts/install-system-deps)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class RedisServer:
    port: int
    directory: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def cli(self, *args: str) -> str:
        out = subprocess.run(
            ["redis-cli", "-p", str(self.port), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        return out.stdout

    def stop(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"],
            capture_output=True,
            check=False,
            timeout=10,
        )


@dataclass
class ExternalRedis:
    """A Redis the suite did not start: never shut down, only its database is emptied."""

    url: str

    def cli(self, *args: str) -> str:
        client = redis.Redis.from_url(self.url)
        try:
            return str(client.execute_command(*args))
        finally:
            client.close()

    def stop(self) -> None:
        self.cli("flushdb")


def external() -> ExternalRedis | None:
    """The server named by FIXIA_TEST_REDIS_URL, when set, on this xdist worker's database."""
    url = os.environ.get(EXTERNAL_URL_ENV, "").strip()
    if not url:
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    parts = urlsplit(url)
    return ExternalRedis(urlunsplit(parts._replace(path=f"/{int(worker.removeprefix('gw'))}")))


def available() -> bool:
    return shutil.which("redis-server") is not None and shutil.which("redis-cli") is not None


def start(directory: Path) -> RedisServer:
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    subprocess.run(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
            "--daemonize",
            "yes",
            "--pidfile",
            str(directory / "redis.pid"),
            "--logfile",
            str(directory / "redis.log"),
        ],
        check=True,
        timeout=10,
    )
    server = RedisServer(port, directory)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if "PONG" in server.cli("ping"):
                return server
        except subprocess.CalledProcessError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not answer on port {port}")
