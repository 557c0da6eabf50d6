"""Backup operations on an environment's stack: the functions the CLI (and the deploy
controller, for restore points) call."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from fixiactl.backup import settings as backup_settings
from fixiactl.backup import walstream
from fixiactl.backup.driver import BackupDriver, PgBackRest
from fixiactl.backup.inventory import (
    ARCHIVER_SQL,
    ArchiveStatus,
    BackupSet,
    archive_status,
    backup_sets,
    repo_status,
)
from fixiactl.backup.metrics import write_backup_metrics, write_walstream_metrics
from fixiactl.backup.progress import Meter, backup_fraction, while_running
from fixiactl.backup.settings import BackupSettings
from fixiactl.errors import FixiactlError
from fixiactl.stack.postgres import psql

_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,63}$")


def driver_for(env: str) -> tuple[BackupSettings, BackupDriver]:
    s = backup_settings.load(env)
    return s, PgBackRest(s)


def live_sql(s: BackupSettings, sql: str, database: str = "postgres") -> str:
    """On the live primary (on HA, whichever member leads now)."""
    socket, port = backup_settings.live_endpoint(s)
    return psql(socket.parent, port, sql, database)


def init(env: str) -> dict[str, Any]:
    """Create (or confirm) the stanza on both repositories and prove archiving works."""
    s, driver = driver_for(env)
    driver.stanza_create()
    driver.check()  # switches WAL and waits until the segment reached every repository
    return {"stanza": s.stanza, "repos": [str(s.repo1_path), str(s.repo2_path)], "check": "ok"}


def run(env: str, kind: str, repo: int, meter: Meter | None = None) -> dict[str, Any]:
    """`meter`: fed the fraction done, read from pgBackRest's backup lock while it runs."""
    s, driver = driver_for(env)
    started = time.monotonic()
    if meter is None:
        driver.backup(kind, repo)
    else:
        work = partial(driver.backup, kind, repo)
        while_running(work, partial(backup_fraction, s.lock_path, s.stanza), meter)
    elapsed = time.monotonic() - started
    inv = inventory(env)
    newest = [b for b in inv["backups"] if b["repo"] == repo][-1]
    return {"backup": newest, "elapsed_s": round(elapsed, 2)}


def _archive(s: BackupSettings, info: list[dict[str, Any]]) -> ArchiveStatus | None:
    try:
        row = live_sql(s, ARCHIVER_SQL).strip().split("|")
    except FixiactlError:
        return None  # the cluster is down: the repositories still answer
    return archive_status(row, info)


def inventory(env: str) -> dict[str, Any]:
    """Every backup set of both repositories, archiving health; refreshes the metrics."""
    s, driver = driver_for(env)
    info = driver.info()
    sets: list[BackupSet] = backup_sets(info)
    archive = _archive(s, info)
    write_backup_metrics(s.textfile_dir, sets, archive)
    stream = _walstream(s, archive)
    stanza_status = info[0].get("status", {}) if info else {}
    return {
        "stanza": s.stanza,
        "status": stanza_status.get("message", "missing"),
        "repos": {str(k): v for k, v in repo_status(info).items()},
        "backups": [b.as_dict() for b in sets],
        "archive": archive.as_dict() if archive else None,
        "wal_stream": stream,
    }


def _walstream(s: BackupSettings, archive: ArchiveStatus | None) -> dict[str, Any]:
    """The receiver's state (and metrics); streamed segments pgBackRest holds are pruned."""
    try:
        stream = walstream.status(s, lambda q: live_sql(s, q))
    except FixiactlError:
        return {"mode": s.wal_stream, "connected": None}
    write_walstream_metrics(s.textfile_dir, stream)
    if archive is not None and archive.last_archived_wal:
        stream["pruned"] = walstream.prune(s, archive.last_archived_wal)
    return stream


@dataclass
class VerifyReport:
    ok: bool
    exit_code: int
    problems: list[str] = field(default_factory=list)
    output: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "exit_code": self.exit_code, "problems": self.problems}


# pgBackRest's verify exits 0 even when it finds corrupt files: read what it says instead.
_BAD_COUNT = re.compile(r"\b(checksum invalid|size invalid|missing|other)\s*:\s*([1-9]\d*)")
_BAD_STATUS = re.compile(r"\bstatus:\s*(?!(?:ok|valid)\b)\w+")


_LOGGED = re.compile(r"^(ERROR|WARN)\b|\b(ERROR|WARN): ")


def parse_verify(exit_code: int, output: str) -> VerifyReport:
    problems: list[str] = []
    for line in output.splitlines():
        text = line.strip()
        if not text:
            continue
        if _BAD_COUNT.search(text) or _BAD_STATUS.search(text) or _LOGGED.search(text):
            problems.append(text)
    if exit_code != 0 and not problems:
        problems.append(f"pgbackrest verify exited {exit_code}")
    if "status:" not in output:
        problems.append("pgbackrest verify printed no status: cannot confirm the repository")
    return VerifyReport(ok=not problems, exit_code=exit_code, problems=problems, output=output)


def verify(env: str, repo: int | None) -> VerifyReport:
    """Both repositories unless one is named (pgBackRest alone checks only repo1)."""
    _, driver = driver_for(env)
    reports = []
    for r in [repo] if repo else [1, 2]:
        result = driver.verify(r)
        report = parse_verify(result.returncode, result.output)
        report.problems = [f"repo{r}: {p}" for p in report.problems]
        reports.append(report)
    return VerifyReport(
        ok=all(r.ok for r in reports),
        exit_code=max(r.exit_code for r in reports),
        problems=[p for r in reports for p in r.problems],
        output="\n".join(r.output for r in reports),
    )


_LABEL = re.compile(r"\b\d{8}-\d{6}F(?:_\d{8}-\d{6}[DI])?\b")


def expire(
    env: str, repo: int | None, retention_full: int | None, *, dry_run: bool = False
) -> dict[str, Any]:
    _, driver = driver_for(env)
    before = {(b["repo"], b["label"]) for b in inventory(env)["backups"]}
    if dry_run:
        said = driver.expire(repo, retention_full, dry_run=True).output
        labels = {
            m for line in said.splitlines() if "DRY-RUN" in line for m in _LABEL.findall(line)
        }
        would = sorted((r, lbl) for r, lbl in before if lbl in labels)
        return {
            "dry_run": True,
            "removed": [{"repo": r, "label": lbl} for r, lbl in would],
            "kept": len(before) - len(would),
        }
    driver.expire(repo, retention_full)
    after = {(b["repo"], b["label"]) for b in inventory(env)["backups"]}
    removed = sorted(before - after)
    return {"removed": [{"repo": r, "label": lbl} for r, lbl in removed], "kept": len(after)}


def create_restore_point(env: str, name: str) -> dict[str, str]:
    """A named point to restore to (`fixiactl restore --to NAME`); the deploy controller makes
    one before running migrations. The WAL switch gets the point archived without waiting
    for archive_timeout."""
    if not _NAME.match(name):
        raise FixiactlError(
            f"invalid restore point name {name!r}",
            hint="1-63 characters: letters, digits, _ . : -",
        )
    s = backup_settings.load(env)
    lsn = live_sql(s, f"select pg_create_restore_point('{name}')").strip()
    live_sql(s, "select pg_switch_wal()")
    return {"name": name, "lsn": lsn}
