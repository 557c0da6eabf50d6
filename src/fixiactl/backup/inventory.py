"""What is in the repositories and whether WAL archiving works: pgBackRest's `info` plus the
live cluster's pg_stat_archiver, flattened for the table, --json and the metrics."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass
class BackupSet:
    label: str
    repo: int
    type: str
    started: str
    stopped: str
    duration_s: int
    size_bytes: int  # database size
    repo_size_bytes: int  # what the repository stores (compressed, deduplicated)
    wal_start: str
    wal_stop: str
    lsn_start: str
    lsn_stop: str
    error: bool
    stop_epoch: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ArchiveStatus:
    """pg_stat_archiver of the live cluster: failures show here first."""

    archived_count: int
    last_archived_wal: str | None
    last_archived_epoch: float | None
    failed_count: int
    last_failed_wal: str | None
    last_failed_epoch: float | None
    repo_wal_min: dict[int, str]
    repo_wal_max: dict[int, str]

    @property
    def failing(self) -> bool:
        if self.last_failed_epoch is None:
            return False
        return (
            self.last_archived_epoch is None or self.last_failed_epoch >= self.last_archived_epoch
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "failing": self.failing}


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def backup_sets(info: list[dict[str, Any]]) -> list[BackupSet]:
    sets: list[BackupSet] = []
    for stanza in info:
        for b in stanza.get("backup", []):
            ts, size = b["timestamp"], b.get("info", {})
            sets.append(
                BackupSet(
                    label=b["label"],
                    repo=int(b["database"]["repo-key"]),
                    type=b["type"],
                    started=_iso(ts["start"]),
                    stopped=_iso(ts["stop"]),
                    duration_s=int(ts["stop"] - ts["start"]),
                    size_bytes=int(size.get("size", 0)),
                    repo_size_bytes=int(size.get("repository", {}).get("size", 0)),
                    wal_start=(b.get("archive") or {}).get("start") or "",
                    wal_stop=(b.get("archive") or {}).get("stop") or "",
                    lsn_start=(b.get("lsn") or {}).get("start") or "",
                    lsn_stop=(b.get("lsn") or {}).get("stop") or "",
                    error=bool(b.get("error", False)),
                    stop_epoch=int(ts["stop"]),
                )
            )
    return sorted(sets, key=lambda s: (s.stop_epoch, s.repo))


def repo_wal_ranges(info: list[dict[str, Any]]) -> tuple[dict[int, str], dict[int, str]]:
    low: dict[int, str] = {}
    high: dict[int, str] = {}
    for stanza in info:
        for a in stanza.get("archive", []):
            repo = int(a["database"]["repo-key"])
            if a.get("min"):
                low[repo] = min(low.get(repo, a["min"]), a["min"])
            if a.get("max"):
                high[repo] = max(high.get(repo, a["max"]), a["max"])
    return low, high


def repo_status(info: list[dict[str, Any]]) -> dict[int, str]:
    out: dict[int, str] = {}
    for stanza in info:
        for r in stanza.get("repo", []):
            out[int(r["key"])] = r.get("status", {}).get("message", "?")
    return out


def archive_status(row: list[str], info: list[dict[str, Any]]) -> ArchiveStatus:
    """`row` is pg_stat_archiver's columns as psql printed them (epochs, empty for null)."""
    count, last_wal, last_at, failed, failed_wal, failed_at = row

    def num(v: str) -> float | None:
        return float(v) if v else None

    low, high = repo_wal_ranges(info)
    return ArchiveStatus(
        archived_count=int(count or 0),
        last_archived_wal=last_wal or None,
        last_archived_epoch=num(last_at),
        failed_count=int(failed or 0),
        last_failed_wal=failed_wal or None,
        last_failed_epoch=num(failed_at),
        repo_wal_min=low,
        repo_wal_max=high,
    )


ARCHIVER_SQL = (
    "select archived_count, coalesce(last_archived_wal,''), "
    "coalesce(extract(epoch from last_archived_time)::text,''), failed_count, "
    "coalesce(last_failed_wal,''), coalesce(extract(epoch from last_failed_time)::text,'') "
    "from pg_stat_archiver"
)
