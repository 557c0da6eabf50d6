"""Point-in-time restores: into a NEW data directory started on its own port, or (only when
asked twice) in place of the live cluster, whose old data directory is kept aside."""

from __future__ import annotations

import re
import shutil
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from fixiactl.backup import settings as backup_settings
from fixiactl.backup import walstream
from fixiactl.backup.driver import PgBackRest, RestoreTarget, run_as_postgres
from fixiactl.backup.inventory import backup_sets
from fixiactl.backup.progress import Meter, dir_fraction, while_running
from fixiactl.backup.service import live_sql
from fixiactl.backup.settings import BackupSettings
from fixiactl.errors import FixiactlError
from fixiactl.stack.config import PGBIN, state_dir
from fixiactl.stack.postgres import QUIET_SESSION, chown_postgres
from fixiactl.stack.supervisor import Supervisor

Progress = Callable[[str], None]
_LSN = re.compile(r"^(?:lsn:)?([0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8})$")


def parse_target(text: str) -> RestoreTarget:
    """`latest`; an ISO time (`2026-11-25T16:00:00Z`, `time:...`); an LSN (`0/3000028`,
    `lsn:...`); otherwise a restore point name (`name:...` to be explicit)."""
    value = text.strip()
    if value in {"", "latest"}:
        return RestoreTarget("latest")
    if match := _LSN.match(value):
        return RestoreTarget("lsn", match.group(1))
    if value.startswith("name:"):
        return RestoreTarget("name", value[5:])
    raw = value.removeprefix("time:")
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        if value.startswith("time:"):
            raise FixiactlError(
                f"cannot read the time {raw!r}", hint="use ISO 8601, e.g. 2026-11-25T16:00:00Z"
            ) from None
        return RestoreTarget("name", value)
    if when.tzinfo is None:
        raise FixiactlError(
            f"the time {raw!r} has no time zone", hint="add Z or an offset, e.g. +00:00"
        )
    return RestoreTarget("time", when.astimezone(UTC).isoformat(sep=" "))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RestoredCluster:
    data_dir: Path
    socket_dir: Path
    port: int
    log: Path

    def sql(self, query: str, database: str = "postgres", *, secret: bool = False) -> str:
        """`secret`: the query holds a secret, so it goes on stdin, never in argv."""
        return _psql(self, query, database, secret=secret)

    def stop(self) -> None:
        run_as_postgres(
            [str(PGBIN / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"], 120
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "data_dir": str(self.data_dir),
            "socket_dir": str(self.socket_dir),
            "port": self.port,
            "log": str(self.log),
        }


def _psql(c: RestoredCluster, query: str, database: str, *, secret: bool = False) -> str:
    command = [
        str(PGBIN / "psql"),
        "-h",
        str(c.socket_dir),
        "-p",
        str(c.port),
        "-U",
        "postgres",
        "-d",
        database,
        "-v",
        "ON_ERROR_STOP=1",
        "-At",
    ]
    if secret:
        result = run_as_postgres([*command, "-f", "-"], 120, stdin=QUIET_SESSION + query)
    else:
        result = run_as_postgres([*command, "-c", query], 120)
    if result.returncode != 0:
        raise FixiactlError(f"psql on the restored cluster failed: {result.stderr.strip()}")
    return result.stdout


def flush_live_wal(s: BackupSettings, timeout_s: float = 60) -> None:
    """Close the current WAL segment and wait until it is archived, so a target close to now
    is in the repository (otherwise recovery stops short of it)."""
    segment = live_sql(s, "select pg_walfile_name(pg_switch_wal())").strip()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        last = live_sql(s, "select coalesce(last_archived_wal,'') from pg_stat_archiver").strip()
        if last >= segment:
            return
        time.sleep(0.3)
    raise FixiactlError(
        f"WAL segment {segment} was not archived within {timeout_s:.0f} s",
        hint="check archiving: fixiactl backup list (archive column) and the postgres log",
    )


def _prepare_dir(target: Path, live: list[Path]) -> None:
    if any(target.resolve() == d.resolve() for d in live):
        raise FixiactlError(
            "the target directory is the live cluster's data directory",
            hint="restore elsewhere, or use --in-place --force",
        )
    if target.exists() and any(target.iterdir()):
        raise FixiactlError(f"{target} is not empty", hint="choose a new --target-dir")
    target.mkdir(parents=True, exist_ok=True)
    chown_postgres(target)
    target.chmod(0o700)


def start_cluster(
    data: Path,
    port: int,
    timeout_s: float = 600,
    env: Mapping[str, str] | None = None,
    archive_command: str | None = None,
) -> RestoredCluster:
    """`env`: pgBackRest's passphrases, for the restore_command (archive-get) it replays.
    `archive_command`: archive the new timeline (an in-place restore); a copy archives
    nothing."""
    sock = data.parent / f"{data.name}-sock"
    sock.mkdir(exist_ok=True)
    log = data.parent / f"{data.name}-postgres.log"
    log.touch()
    chown_postgres(sock, log)
    archiving = (
        f"-c archive_mode=on -c 'archive_command={archive_command}'"
        if archive_command
        else "-c archive_mode=off"
    )
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={sock} "
        f"{archiving} -c logging_collector=off "
        # A copy of an HA member carries Patroni's synchronous_standby_names (no standby
        # follows the copy: its first commit would wait forever) and its hba_file/ident_file
        # (the member's paths, which may be gone): the copy's own files instead.
        f"-c synchronous_standby_names='' -c hba_file={data}/pg_hba.conf "
        f"-c ident_file={data}/pg_ident.conf"
    )
    cmd = [str(PGBIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options]
    result = run_as_postgres([*cmd, "-t", str(int(timeout_s)), "-w", "start"], timeout_s + 10, env)
    if result.returncode != 0:
        raise FixiactlError(
            f"the restored cluster did not start: {result.output.strip()}", hint=f"see {log}"
        )
    cluster = RestoredCluster(data, sock, port, log)
    wait_promoted(cluster.sql, timeout_s, log)
    return cluster


def wait_promoted(sql: Callable[[str], str], timeout_s: float, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if sql("select pg_is_in_recovery()").strip() == "f":
                return
        except FixiactlError:
            pass  # "the database system is starting up": still replaying
        if time.monotonic() > deadline:
            raise FixiactlError("recovery did not finish in time", hint=f"see {log}")
        time.sleep(0.2)


def restore_copy(
    env: str,
    target: RestoreTarget,
    repo: int,
    target_dir: Path | None,
    port: int | None,
    progress: Progress,
    *,
    flush: bool = True,
    meter: Meter | None = None,
) -> dict[str, Any]:
    """`meter`: fed the bytes written into `target_dir` against the newest backup's size in
    `repo` (an estimate: a point in time may restore an older, smaller set)."""
    s = backup_settings.load(env)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    data = target_dir or state_dir(env) / "restores" / stamp / "data"
    _prepare_dir(data, s.data_dirs)
    if flush:
        try:
            progress("archiving the live cluster's current WAL segment")
            flush_live_wal(s)
        except FixiactlError as exc:
            progress(f"live cluster not flushed ({exc.message}); restoring what is archived")
    started = time.monotonic()
    progress(f"restoring {target.describe()} from repo{repo} into {data}")
    driver = PgBackRest(s)
    work = partial(driver.restore, target, repo, data, in_place=False)
    if meter is None:
        work()
    else:
        expected = _newest_size(driver.info(), repo)
        while_running(work, partial(dir_fraction, data, expected), meter)
    restored_at = time.monotonic()
    progress("starting the restored cluster and waiting for recovery")
    cluster = start_cluster(data, port or free_port(), env=backup_settings.cipher_env(s))
    done = time.monotonic()
    return {
        **cluster.as_dict(),
        "target": target.describe(),
        "repo": repo,
        "restore_s": round(restored_at - started, 2),
        "recovery_s": round(done - restored_at, 2),
    }


def what_would_be_lost(env: str, target: RestoreTarget) -> dict[str, Any]:
    s = backup_settings.load(env)
    try:
        lsn = live_sql(s, "select pg_current_wal_lsn()").strip()
        now = live_sql(s, "select now()").strip()
    except FixiactlError:
        lsn, now = "unknown (cluster down)", "unknown"
    return {
        "live_data_dir": ", ".join(str(d) for d in s.data_dirs),
        "live_lsn": lsn,
        "live_time": now,
        "target": target.describe(),
        "lost": "every change after the target"
        if target.kind != "latest"
        else "changes not yet archived",
    }


def refuse_on_ha(s: BackupSettings, what: str) -> None:
    """Patroni owns the HA members' data directories: a path that replaces one under it
    without going through Patroni is refused (docs/operations/ha.md)."""
    if s.ha_members:
        raise FixiactlError(
            f"{what} is not supported on an HA (Patroni) stack",
            hint="fixiactl restore --in-place goes through Patroni; see docs/operations/ha.md, "
            "'Backups, PITR and DR on the HA stack'",
        )


def _newest_size(info: list[dict[str, Any]], repo: int) -> int:
    sets = [b for b in backup_sets(info) if b.repo == repo]
    return sets[-1].size_bytes if sets else 0


def restore_in_place(
    env: str, target: RestoreTarget, repo: int, progress: Progress
) -> dict[str, Any]:
    """Replace the live cluster. Its data directory is renamed aside, never deleted."""
    s = backup_settings.load(env)
    refuse_on_ha(s, "this in-place restore")  # the HA path: fixiactl.backup.ha_restore
    supervisor = Supervisor(state_dir(env))
    progress("stopping PostgreSQL")
    supervisor.stop("postgres")
    if walstream.enabled(s):
        supervisor.stop(walstream.PROGRAM)  # the stream is complete: recovery reads it
    aside = s.pg_data.with_name(f"data.before-restore-{datetime.now(UTC):%Y%m%dT%H%M%S}")
    s.pg_data.rename(aside)
    s.pg_data.mkdir()
    chown_postgres(s.pg_data)
    s.pg_data.chmod(0o700)
    try:
        progress(f"restoring {target.describe()} from repo{repo} in place")
        command = walstream.restore_command(s) if walstream.enabled(s) else None
        PgBackRest(s).restore(target, repo, s.pg_data, in_place=True, restore_command=command)
    except FixiactlError:
        shutil.rmtree(s.pg_data, ignore_errors=True)
        aside.rename(s.pg_data)
        supervisor.start("postgres")
        if walstream.enabled(s):
            supervisor.start(walstream.PROGRAM)
        raise
    supervisor.start("postgres")
    wait_promoted(lambda q: live_sql(s, q), 600, state_dir(env) / "log" / "postgres.log")
    walstream.restart_after_restore(s, supervisor)
    return {
        "data_dir": str(s.pg_data),
        "previous_data_kept_at": str(aside),
        "target": target.describe(),
    }
