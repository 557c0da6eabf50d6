"""`fixiactl dr crash`: a real crash of the primary under writes, and recovery in place.

The disaster: the live data directory is lost (renamed away, then deleted) and every
PostgreSQL process is killed with SIGKILL while a writer commits one row per transaction and
records which commits PostgreSQL acknowledged. Recovery: pgBackRest restores the newest
backup in place, replaying archived WAL and then the WAL pg_receivewal streamed
(walstream.restore_script); PostgreSQL starts under supervisord and the receiver starts a new
stream. Measured, in the database: how many acknowledged commits the recovered cluster lacks,
RPO = time of the last acknowledged commit - time of the last one recovered (0 when none is
lost), RTO = crash -> the app's /readyz through HAProxy answers 200.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
import time
import xmlrpc.client
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from fixiactl.backup import probes, walstream
from fixiactl.backup import settings as backup_settings
from fixiactl.backup.driver import PgBackRest, RestoreTarget
from fixiactl.backup.inventory import backup_sets
from fixiactl.backup.restore import refuse_on_ha, wait_promoted
from fixiactl.backup.service import live_sql
from fixiactl.backup.settings import BackupSettings
from fixiactl.errors import FixiactlError
from fixiactl.stack.config import read_state, state_dir
from fixiactl.stack.health import http_ok
from fixiactl.stack.postgres import chown_postgres
from fixiactl.stack.supervisor import Supervisor

Progress = Callable[[str], None]
PROBE_SQL = """
create table if not exists crash_probe (
    seq bigint primary key,
    at timestamptz not null default clock_timestamp()
);
truncate crash_probe;
"""


class Writer(threading.Thread):
    """One row per autocommit transaction; remembers every acknowledged one. Bounded by
    `max_s` and stops at the first error (the crash)."""

    def __init__(self, s: BackupSettings, max_s: float) -> None:
        super().__init__(daemon=True)
        self.dsn = f"host={s.pg_socket} port={s.pg_port} user=postgres dbname={probes.OPS_DB}"
        self.max_s = max_s
        self.acked: list[tuple[int, float]] = []  # (seq, commit time as the server saw it)
        self.error = ""
        self.halt = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + self.max_s
        try:
            with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                seq = 0
                while not self.halt.is_set() and time.monotonic() < deadline:
                    seq += 1
                    row = conn.execute(
                        "insert into crash_probe (seq) values (%s) "
                        "returning extract(epoch from at)::float8",
                        (seq,),
                    ).fetchone()
                    if row is not None:
                        self.acked.append((seq, float(row[0])))
        except psycopg.Error as exc:
            self.error = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def crash(s: BackupSettings, supervisor: Supervisor) -> Path:
    """Lose the data directory and SIGKILL every PostgreSQL process; returns the lost copy's
    path (deleted by the caller). The rename first, so supervisord's restart finds nothing."""
    postmaster = int(supervisor.info("postgres")["pid"])
    if not postmaster:
        raise FixiactlError("PostgreSQL is not running", hint="fixiactl stack up")
    victims = [postmaster, *_children(postmaster)]
    lost = s.pg_data.with_name(f"data.crashed-{datetime.now(UTC):%Y%m%dT%H%M%S%f}")
    s.pg_data.rename(lost)
    for pid in victims:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return lost


def _stop_quietly(supervisor: Supervisor, name: str, timeout_s: float = 30) -> None:
    """supervisord may be restarting it (and failing: no data directory). Only STOPPED and
    FATAL are final: from EXITED or BACKOFF its autorestart would start PostgreSQL again,
    possibly on a half-restored data directory, so wait for those and stop them."""
    deadline = time.monotonic() + timeout_s
    exited_until = time.monotonic() + 3  # a program without autorestart stays EXITED
    while time.monotonic() < deadline:
        state = supervisor.info(name)["statename"]
        if state in ("STOPPED", "FATAL") or (state == "EXITED" and time.monotonic() > exited_until):
            return
        if state == "EXITED":
            time.sleep(0.2)  # autorestart moves it to STARTING next: stopped then
            continue
        try:
            supervisor.stop(name)
        except xmlrpc.client.Fault:  # it changed state meanwhile: look again
            time.sleep(0.2)
    raise FixiactlError(f"{name} did not stop", hint="fixiactl stack status")


def recover(s: BackupSettings, supervisor: Supervisor, repo: int) -> dict[str, float]:
    t0 = time.monotonic()
    _stop_quietly(supervisor, "postgres")
    if walstream.enabled(s):
        _stop_quietly(supervisor, walstream.PROGRAM)  # its last .partial is complete now
    s.pg_data.mkdir()
    chown_postgres(s.pg_data)
    s.pg_data.chmod(0o700)
    t1 = time.monotonic()
    command = walstream.restore_command(s) if walstream.enabled(s) else None
    PgBackRest(s, timeout_s=3600).restore(
        RestoreTarget("latest"), repo, s.pg_data, in_place=True, restore_command=command
    )
    t2 = time.monotonic()
    supervisor.start("postgres")
    wait_promoted(lambda q: live_sql(s, q), 600, state_dir(s.env) / "log" / "postgres.log")
    t3 = time.monotonic()
    walstream.restart_after_restore(s, supervisor, keep_old=False)
    return {
        "stop_s": round(t1 - t0, 2),
        "restore_s": round(t2 - t1, 2),
        "recovery_s": round(t3 - t2, 2),
    }


def _wait_app(env: str, timeout_s: float) -> bool:
    url = f"http://127.0.0.1:{read_state(env).ports['http']}/readyz"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if http_ok(url):
            return True
        time.sleep(0.2)
    return False


def _count_lost(s: BackupSettings, acked: list[tuple[int, float]]) -> dict[str, Any]:
    last_acked = acked[-1][0] if acked else 0
    row = live_sql(
        s,
        f"select count(*), coalesce(max(seq), 0) from crash_probe where seq <= {last_acked}",  # noqa: S608 - an int
        probes.OPS_DB,
    ).strip()
    found, last_found = (int(v) for v in row.split("|"))
    lost = last_acked - found
    times = dict(acked)
    rpo = 0.0 if lost == 0 else times[last_acked] - times.get(last_found, acked[0][1])
    return {
        "acknowledged": last_acked,
        "recovered": found,
        "lost": lost,
        "last_acknowledged_seq": last_acked,
        "last_recovered_seq": last_found,
        "rpo_s": round(max(rpo, 0.0), 3),
    }


def crash_drill(
    env: str, repo: int, write_s: float, progress: Progress, *, app_timeout_s: float = 300
) -> dict[str, Any]:
    """One crash under writes and its recovery; the stack is serving again afterwards."""
    if not 1 <= write_s <= 600:
        raise FixiactlError("write time out of range", hint="1-600 s")
    s = backup_settings.load(env)
    refuse_on_ha(s, "the crash drill (an in-place recovery)")
    supervisor = Supervisor(state_dir(env))
    probes.ensure_heartbeat(lambda q, d: live_sql(s, q, d))
    live_sql(s, PROBE_SQL, probes.OPS_DB)
    if not any(b.repo == repo and not b.error for b in backup_sets(PgBackRest(s).info())):
        progress(f"no backup in repo{repo} yet: taking a full one first")
        PgBackRest(s, timeout_s=3600).backup("full", repo)
    writer = Writer(s, write_s + 60)
    writer.start()
    progress(f"writing for {write_s:.0f} s ({s.wal_stream} WAL stream), then the crash")
    time.sleep(write_s)
    crashed_at = time.monotonic()
    lost_dir = crash(s, supervisor)
    writer.halt.set()
    writer.join(timeout=30)
    progress(f"crashed after {len(writer.acked)} acknowledged commits; restoring from repo{repo}")
    try:
        timings = recover(s, supervisor, repo)
    finally:
        shutil.rmtree(lost_dir, ignore_errors=True)
    ready = _wait_app(env, app_timeout_s)
    rto = round(time.monotonic() - crashed_at, 3) if ready else None
    counts = _count_lost(s, writer.acked)
    progress(f"lost {counts['lost']} acknowledged commits; RTO {rto} s")
    return {
        "env": env,
        "repo": repo,
        "mode": s.wal_stream,
        "writer_error": writer.error,
        **counts,
        "rto_s": rto,
        "app_ready": ready,
        "timings": timings,
        "at": datetime.now(UTC).isoformat(),
    }
