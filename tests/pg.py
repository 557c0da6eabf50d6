"""A real PostgreSQL 15 for the suite, started in a scratch directory as the environment guide
shows. Under CI=true a missing server is a failure, never a skip.

Opt-in: with FIXIA_TEST_POSTGRES_URL set to an admin URL of a server the suite did not start
(CI's PostgreSQL service container), the suite uses that server instead: each test session
creates its own database through the admin URL and drops it at the end.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from fixiactl.stack.postgres import as_postgres

EXTERNAL_URL_ENV = "FIXIA_TEST_POSTGRES_URL"
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

    def create_database(self, name: str) -> str:
        self.psql(f"create database {name} owner fixia")
        return self.url(name)

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


@dataclass
class ExternalPg:
    """A server the suite did not start, reached through an admin URL (a role that may create
    databases, on the `postgres` database; any driver prefix). It is never stopped, only
    cleaned: the databases this session created are dropped."""

    admin_url: str
    created: list[str] = field(default_factory=list)

    def url(self, database: str) -> str:
        url = make_url(self.admin_url).set(drivername="postgresql+asyncpg", database=database)
        return url.render_as_string(hide_password=False)

    def create_database(self, name: str) -> str:
        # Unique per session: parallel workers and CI jobs may share one server.
        unique = f"{name}_{uuid.uuid4().hex[:8]}"
        # The locale our own server gets from initdb: sorting and case rules match.
        self.psql(f"create database {unique} template template0 encoding 'UTF8' locale 'C.UTF-8'")
        self.created.append(unique)
        return self.url(unique)

    def psql(self, sql: str, database: str | None = None) -> str:
        """Run SQL (several statements allowed) as the admin user; returns nothing."""
        dsn = make_url(self.admin_url).set(drivername="postgresql")
        if database is not None:
            dsn = dsn.set(database=database)

        async def run() -> None:
            conn = await asyncpg.connect(dsn.render_as_string(hide_password=False), timeout=30)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        # In a thread of its own: the caller may be inside pytest-asyncio's event loop.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, run()).result(timeout=120)
        return ""

    def stop(self) -> None:
        for name in self.created:
            self.psql(f"drop database if exists {name} with (force)")
        self.created.clear()


def external() -> ExternalPg | None:
    """The server named by FIXIA_TEST_POSTGRES_URL, when set."""
    url = os.environ.get(EXTERNAL_URL_ENV, "").strip()
    return ExternalPg(url) if url else None


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
