"""A real PostgreSQL 15 for the suite, started in a scratch directory as the environment guide
shows. Under CI=true a missing server is a failure, never a skip."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from fixiactl.stack.postgres import as_postgres

PGBIN = Path(os.environ.get("FIXIA_PGBIN", "/usr/lib/postgresql/15/bin"))
INSTALL_HINT = (
    "install it with: sudo apt-get install -y postgresql-15 (or run scripts/install-system-deps)"
)


@dataclass
class PgServer:
    root: Path
    port: int
    socket_dir: Path

    def url(self, database: str, user: str = "fixia", password: str = "fixia") -> str:
        return f"postgresql+asyncpg://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = subprocess.run(
            [
                str(PGBIN / "psql"),
                "-h",
                str(self.socket_dir),
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-Atc",
                sql,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return out.stdout

    def stop(self) -> None:
        as_postgres(
            [str(PGBIN / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop"],
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def available() -> bool:
    return (PGBIN / "initdb").exists() and (PGBIN / "pg_ctl").exists()


def start(root: Path) -> PgServer:
    if not available():
        raise RuntimeError(f"PostgreSQL 15 binaries not found in {PGBIN}; {INSTALL_HINT}")
    root.mkdir(parents=True, exist_ok=True)
    data, sock, log = root / "data", root / "sock", root / "log"
    for d in (data, sock, log):
        d.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        for d in (data, sock, log):
            shutil.chown(d, "postgres", "postgres")
    data.chmod(0o700)
    port = _free_port()
    as_postgres(
        [
            str(PGBIN / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]
    )
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(
            f"\nlisten_addresses = '127.0.0.1'\nport = {port}\n"
            f"unix_socket_directories = '{sock}'\nfsync = off\n"
            "synchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n"
        )
    as_postgres([str(PGBIN / "pg_ctl"), "-D", str(data), "-l", str(log / "pg.log"), "-w", "start"])
    server = PgServer(root=root, port=port, socket_dir=sock)
    deadline = time.monotonic() + 30
    while True:
        try:
            server.psql("select 1")
            break
        except subprocess.CalledProcessError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    server.psql("create role fixia login password 'fixia' createdb")
    return server
