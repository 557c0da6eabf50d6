"""Backup and drill metrics as Prometheus text files in the stack's node-exporter textfile
directory (prometheus-client writes a temporary file and renames it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

from fixiactl.backup.inventory import ArchiveStatus, BackupSet


def write_backup_metrics(
    textfile_dir: Path, sets: list[BackupSet], archive: ArchiveStatus | None
) -> Path:
    registry = CollectorRegistry()
    last = Gauge(
        "fixia_backup_last_success_timestamp_seconds",
        "Stop time of the newest good backup per repository and type",
        ["repo", "type"],
        registry=registry,
    )
    size = Gauge(
        "fixia_backup_size_bytes",
        "Repository bytes of the newest good backup per repository and type",
        ["repo", "type"],
        registry=registry,
    )
    for s in sets:  # sorted oldest first: the newest wins
        if s.error:
            continue
        last.labels(str(s.repo), s.type).set(s.stop_epoch)
        size.labels(str(s.repo), s.type).set(s.repo_size_bytes)
    if archive is not None:
        # pg_stat_archiver's cumulative count: a counter for PromQL's increase().
        Gauge(
            "fixia_backup_archive_failed_total",
            "WAL segments PostgreSQL failed to archive (pg_stat_archiver.failed_count)",
            registry=registry,
        ).set(archive.failed_count)
        ok = Gauge(
            "fixia_backup_archive_last_success_timestamp_seconds",
            "When PostgreSQL last archived a WAL segment",
            registry=registry,
        )
        ok.set(archive.last_archived_epoch or 0)
    textfile_dir.mkdir(parents=True, exist_ok=True)
    path = textfile_dir / "fixia_backup.prom"
    write_to_textfile(str(path), registry)
    return path


def write_drill_metrics(textfile_dir: Path, evidence: dict[str, Any]) -> Path:
    registry = CollectorRegistry()
    values = {
        "fixia_dr_drill_last_timestamp_seconds": ("When the last DR drill ran", "finished_epoch"),
        "fixia_dr_drill_rpo_seconds": ("Measured RPO of the last drill", "rpo_s"),
        "fixia_dr_drill_rto_seconds": ("Measured RTO of the last drill", "rto_s"),
    }
    for name, (doc, key) in values.items():
        value = evidence.get(key)
        if value is not None:
            Gauge(name, doc, registry=registry).set(float(value))
    Gauge(
        "fixia_dr_drill_success", "1 when every check of the last drill passed", registry=registry
    ).set(1 if evidence.get("success") else 0)
    textfile_dir.mkdir(parents=True, exist_ok=True)
    path = textfile_dir / "fixia_dr_drill.prom"
    write_to_textfile(str(path), registry)
    return path


def write_proof_metrics(textfile_dir: Path, result: dict[str, Any]) -> Path:
    """The last restore proof (fixiactl.backup.proof): its outcome always, its time only on
    success, so the age alert keeps counting from the last good one."""
    path = textfile_dir / "fixia_backup_proof.prom"
    registry = CollectorRegistry()
    Gauge(
        "fixia_backup_last_proof_success",
        "1 when the last restore proof passed (amcheck and business invariants)",
        ["repo"],
        registry=registry,
    ).labels(str(result["repo"])).set(1 if result["success"] else 0)
    verified = Gauge(
        "fixia_backup_last_verified_restore_timestamp_seconds",
        "When a backup was last proven by a restore",
        ["repo"],
        registry=registry,
    )
    when = result["finished_epoch"] if result["success"] else _previous_success(path)
    if when is not None:
        verified.labels(str(result["repo"])).set(when)
    textfile_dir.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)
    return path


def _previous_success(path: Path) -> float | None:
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        if line.startswith("fixia_backup_last_verified_restore_timestamp_seconds{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def write_walstream_metrics(textfile_dir: Path, status: dict[str, Any]) -> Path | None:
    """pg_receivewal's stream (fixiactl.backup.walstream), as the primary sees it."""
    path = textfile_dir / "fixia_walstream.prom"
    if status.get("mode", "off") == "off":
        path.unlink(missing_ok=True)
        return None
    registry = CollectorRegistry()
    mode = str(status["mode"])
    Gauge(
        "fixia_walstream_connected",
        "1 while pg_receivewal streams from the primary",
        ["mode"],
        registry=registry,
    ).labels(mode).set(1 if status.get("connected") else 0)
    if status.get("lag_bytes") is not None:
        Gauge(
            "fixia_walstream_lag_bytes",
            "WAL the primary flushed that the receiver has not yet flushed",
            ["mode"],
            registry=registry,
        ).labels(mode).set(float(status["lag_bytes"]))
    textfile_dir.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)
    return path
