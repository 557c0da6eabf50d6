"""PostgreSQL cluster set-up for a stack: initdb, role and database, PgBouncer's auth file."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from fixiactl.errors import FixiactlError
from fixiactl.files import write_private
from fixiactl.stack.config import PGBIN

# Before a statement that carries a secret: nor into the server log, not as a slow
# statement nor quoted with an error.
QUIET_SESSION = "SET log_min_duration_statement = -1; SET log_min_error_statement = panic;\n"


def as_postgres(
    cmd: list[str], *, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    # PostgreSQL refuses to run as root; as an ordinary user it runs directly.
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(
        cmd, capture_output=True, text=True, check=check, timeout=120, input=stdin
    )


def chown_postgres(*paths: Path) -> None:
    if os.geteuid() != 0:
        return
    for path in paths:
        for p in [path, *path.rglob("*")]:
            shutil.chown(p, "postgres", "postgres")


def init_cluster(pg_dir: Path) -> bool:
    """Create the cluster once; returns True when it was created now."""
    data = pg_dir / "data"
    if (data / "PG_VERSION").exists():
        return False
    for d in (data, pg_dir / "sock"):
        d.mkdir(parents=True, exist_ok=True)
    chown_postgres(pg_dir)
    data.chmod(0o700)
    result = as_postgres(
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
        ],
        check=False,
    )
    if result.returncode != 0:
        raise FixiactlError(f"initdb failed: {result.stderr.strip()}")
    return True


def psql(
    pg_dir: Path, port: int, sql: str, database: str = "postgres", *, secret: bool = False
) -> str:
    """Run one statement as postgres. `secret`: the statement holds a secret (a password), so
    it goes through stdin: a process's arguments are readable by every user (`ps`, /proc)."""
    command = [
        str(PGBIN / "psql"),
        "-h",
        str(pg_dir / "sock"),
        "-p",
        str(port),
        "-U",
        "postgres",
        "-d",
        database,
        "-v",
        "ON_ERROR_STOP=1",
        "-At",
    ]
    if secret:
        result = as_postgres([*command, "-f", "-"], check=False, stdin=QUIET_SESSION + sql)
    else:
        result = as_postgres([*command, "-c", sql], check=False)
    if result.returncode != 0:
        raise FixiactlError(f"psql failed: {result.stderr.strip()}")
    return result.stdout


def wait_ready(pg_dir: Path, port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        probe = as_postgres(
            [str(PGBIN / "pg_isready"), "-h", str(pg_dir / "sock"), "-p", str(port)], check=False
        )
        if probe.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise FixiactlError(
                "PostgreSQL did not become ready",
                hint="see the postgres log under var/stack/<env>/log/",
            )
        time.sleep(0.2)


def login_ok(port: int, password: str, database: str = "fixia") -> bool:
    """One login as the app does it: role fixia, over TCP (SCRAM), to PostgreSQL or to
    PgBouncer, whichever listens on `port`."""
    done = subprocess.run(
        [str(PGBIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "fixia", "-d", database,
         "-Atc", "select 1"],
        env={**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "3"},
        capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip
    return done.returncode == 0 and done.stdout.strip() == "1"


def ensure_app_database(pg_dir: Path, port: int, password: str, statement_timeout_ms: int) -> None:
    exists = psql(pg_dir, port, "select 1 from pg_roles where rolname='fixia'").strip()
    quoted = password.replace("'", "''")
    verb = "alter" if exists else "create"
    # Setting even an unchanged password draws a new SCRAM salt. A running PgBouncer keeps
    # the keys of its clients' logins, made with the old salt, for its own new logins to
    # PostgreSQL: those would fail ("password authentication failed") until every client
    # reconnected. So a password that already works is left alone.
    if not exists or not login_ok(port, password, "postgres"):
        psql(pg_dir, port, f"{verb} role fixia login password '{quoted}'", secret=True)
    # Through PgBouncer the app cannot send startup settings; the role carries them instead.
    psql(pg_dir, port, f"alter role fixia set statement_timeout = {int(statement_timeout_ms)}")
    if not psql(pg_dir, port, "select 1 from pg_database where datname='fixia'").strip():
        psql(pg_dir, port, "create database fixia owner fixia")


def write_userlist(pg_dir: Path, port: int, target: Path) -> None:
    rows = psql(
        pg_dir,
        port,
        'select format(\'"%s" "%s"\', rolname, rolpassword) '
        "from pg_authid where rolname in ('fixia')",
    )
    write_private(target, rows)
    chown_postgres(target)
