"""WAL streamed by `pg_receivewal` to a second location, for an RPO of seconds (or zero).

pgBackRest's archive-push only sees a WAL segment once it is closed (full, or at
archive_timeout), so losing the primary loses up to archive_timeout of commits. The stack runs
`pg_receivewal` as the supervised program `walreceiver`: it receives WAL as PostgreSQL flushes
it, through a physical replication slot (the primary keeps what the receiver has not yet
received, bounded by max_slot_wal_keep_size), into `stream_path` (next to repo2; another volume
or host in production). `--synchronous` makes it fsync each write and report the flush at once.

Modes (`[backup] wal_stream`, FIXIACTL_BACKUP_WAL_STREAM):
- `async` (default): commits do not wait for the receiver; what is lost in a crash is the WAL
  flushed locally but not yet sent, milliseconds under load.
- `strict`: the receiver is PostgreSQL's synchronous standby (synchronous_standby_names), so an
  acknowledged commit is on the second location: RPO 0. The price: commits wait while the
  receiver is down (the alert WalStreamDown pages).
- `off`: archive-push only.

Recovery reads the stream through the restore_command wrapper (restore_script): pgBackRest's
archive-get first, then the streamed segment, then the streamed `.partial` (the segment being
written when the primary died).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fixiactl.backup.driver import run_as_postgres
from fixiactl.backup.settings import BackupSettings
from fixiactl.errors import FixiactlError
from fixiactl.files import write_private
from fixiactl.stack.config import PGBIN
from fixiactl.stack.postgres import chown_postgres
from fixiactl.stack.supervisor import Supervisor

SLOT = "fixia_receivewal"
APPLICATION_NAME = SLOT
PROGRAM = "walreceiver"
# The primary keeps at most this much WAL for a receiver that is down (then drops the slot's
# hold, and the stream has a gap that archive-push still covers).
MAX_SLOT_WAL_KEEP_MB = 4096


def enabled(s: BackupSettings) -> bool:
    return s.enabled and s.wal_stream != "off" and s.stream_path is not None


def stream_dir(s: BackupSettings) -> Path:
    if s.stream_path is None:
        raise FixiactlError("WAL streaming is not configured", hint="[backup] wal_stream")
    return s.stream_path


def conninfo(s: BackupSettings) -> str:
    return f"host={s.pg_socket} port={s.pg_port} user=postgres application_name={APPLICATION_NAME}"


def command(s: BackupSettings) -> str:
    """supervisord's command line (no secrets: the socket's trust for replication)."""
    return (
        f"{PGBIN / 'pg_receivewal'} -D {stream_dir(s)} -S {SLOT} "
        f"-d '{conninfo(s)}' --synchronous --no-password -s 1"
    )


def postgres_settings(s: BackupSettings) -> dict[str, str]:
    """postgresql.conf lines the mode needs (rendered by the backup hooks)."""
    if not enabled(s):
        return {}
    conf = {"max_slot_wal_keep_size": f"{MAX_SLOT_WAL_KEEP_MB}MB"}
    if s.wal_stream == "strict":
        conf["synchronous_standby_names"] = f"'{APPLICATION_NAME}'"
        conf["synchronous_commit"] = "on"
    return conf


def prepare_dir(s: BackupSettings) -> None:
    path = stream_dir(s)
    path.mkdir(parents=True, exist_ok=True)
    chown_postgres(path)
    path.chmod(0o700)


def ensure_slot(s: BackupSettings) -> None:
    """Idempotent: the slot must exist before the receiver starts (it refuses otherwise)."""
    result = run_as_postgres(
        [
            str(PGBIN / "pg_receivewal"),
            "--create-slot",
            "--if-not-exists",
            "-S",
            SLOT,
            "-d",
            conninfo(s),
            "--no-password",
        ],
        60,
    )
    if result.returncode != 0:
        raise FixiactlError(
            f"could not create the replication slot {SLOT}: {result.output.strip()}",
            hint="check max_replication_slots and the postgres log",
        )


def restore_script(s: BackupSettings) -> Path:
    """The restore_command of a recovery that may use the stream: %f %p as $1 $2. Rendered
    next to pgBackRest's config (it names both; no secret: archive-get reads the passphrases
    from the environment the cluster was started with)."""
    stream = stream_dir(s)
    text = f"""#!/bin/sh
# Rendered by fixiactl (fixiactl.backup.walstream). restore_command: pgBackRest's archive,
# then the WAL pg_receivewal streamed (complete segment, then the one it was writing).
pgbackrest --config={s.conf} --stanza={s.stanza} archive-get "$1" "$2" 2>/dev/null && exit 0
for f in "{stream}/$1" "{stream}/$1.partial"; do
    if [ -f "$f" ]; then exec cp "$f" "$2"; fi
done
exit 1
"""
    path = s.root / "restore-wal.sh"
    write_private(path, text, 0o750)
    chown_postgres(path)
    return path


def restore_command(s: BackupSettings) -> str:
    return f'{restore_script(s)} %f "%p"'


def set_aside(s: BackupSettings) -> Path | None:
    """After a restore the cluster is on a new timeline and has no slot (pgBackRest never
    copies pg_replslot): the old stream is kept aside and a new one starts empty."""
    path = stream_dir(s)
    if not path.exists() or not any(path.iterdir()):
        return None
    aside = path.with_name(f"{path.name}.before-restore-{datetime.now(UTC):%Y%m%dT%H%M%S%f}")
    path.rename(aside)
    prepare_dir(s)
    return aside


def restart_after_restore(
    s: BackupSettings, supervisor: Supervisor, *, keep_old: bool = True
) -> Path | None:
    """The restored primary is promoted: a new stream, a new slot, the receiver again. The
    old stream is kept aside (a point-in-time restore discarded WAL after its target that
    only the stream may hold) unless `keep_old` is off (a drill's replayed stream)."""
    if not enabled(s):
        return None
    aside = set_aside(s)
    ensure_slot(s)
    supervisor.start(PROGRAM)
    if aside and not keep_old:
        shutil.rmtree(aside, ignore_errors=True)
        return None
    return aside


def segments(s: BackupSettings) -> list[str]:
    path = stream_dir(s)
    return sorted(p.name for p in path.iterdir()) if path.exists() else []


def prune(s: BackupSettings, last_archived_wal: str, keep: int = 8) -> int:
    """Drop streamed segments pgBackRest already holds (all but the newest `keep` of them):
    pg_receivewal never deletes anything."""
    if not last_archived_wal or not enabled(s):
        return 0
    path = stream_dir(s)
    done = [n for n in segments(s) if len(n) == 24 and n[8:] <= last_archived_wal[8:24]]
    removed = 0
    for name in done[:-keep] if keep else done:
        (path / name).unlink(missing_ok=True)
        removed += 1
    return removed


STATUS_SQL = (
    "select coalesce((select state || '|' || sync_state || '|' || "
    "pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)::bigint || '|' || "
    "coalesce(extract(epoch from flush_lag), 0) "
    "from pg_stat_replication where application_name = 'fixia_receivewal' limit 1), '')"
)


def status(s: BackupSettings, live: Any) -> dict[str, Any]:
    """`live`: a function running SQL on the primary. Connected, sync state, lag."""
    if not enabled(s):
        return {"mode": "off"}
    row = live(STATUS_SQL).strip()
    if not row:
        return {"mode": s.wal_stream, "connected": False, "lag_bytes": None, "lag_s": None}
    state, sync_state, lag_bytes, lag_s = row.split("|")
    return {
        "mode": s.wal_stream,
        "connected": state == "streaming",
        "sync_state": sync_state,
        "lag_bytes": int(lag_bytes),
        "lag_s": float(lag_s),
        "path": str(stream_dir(s)),
    }
