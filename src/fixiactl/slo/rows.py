"""Dashboard rows fed by the platform's own exporters: the job queue's workers, and the
textfile metrics of backups and DR drills."""

from __future__ import annotations

from typing import Any

from fixiactl.slo.panels import graph


def queue() -> list[Any]:
    """From each slot's `fixia worker` (docs/operations/queue.md): its gauges are the queue's
    tables, the same on every worker, hence max()."""
    return [
        graph(
            "Jobs waiting (due, not started) and running",
            [
                ("max by (task) (fixia_queue_jobs_waiting)", "waiting {{task}}"),
                ("max by (task) (fixia_queue_jobs_running)", "running {{task}}"),
            ],
        ),
        graph(
            "Age of the oldest due job",
            [("max(fixia_queue_oldest_job_age_seconds)", "oldest")],
            "s",
        ),
        graph(
            "Job attempts per second by outcome",
            [("sum by (task, outcome) (rate(fixia_queue_jobs_total[5m]))", "{{task}} {{outcome}}")],
            "ops",
        ),
        graph(
            "Jobs failed for good",
            [("max by (task) (fixia_queue_jobs_failed)", "{{task}}")],
        ),
    ]


def backups() -> list[Any]:
    """Written by fixiactl's backup and DR drill commands into the textfile directory."""
    return [
        graph(
            "Age of the last successful backup",
            [("time() - fixia_backup_last_success_timestamp_seconds", "{{repo}} {{type}}")],
            "s",
        ),
        graph(
            "Age of the last archived WAL",
            [("time() - fixia_backup_archive_last_success_timestamp_seconds", "age")],
            "s",
        ),
        graph("Backup size", [("fixia_backup_size_bytes", "{{repo}} {{type}}")], "bytes"),
        graph(
            "Last DR drill: measured RPO and RTO",
            [("fixia_dr_drill_rpo_seconds", "RPO"), ("fixia_dr_drill_rto_seconds", "RTO")],
            "s",
        ),
    ]


def patroni() -> list[Any]:
    """PostgreSQL under Patroni (stack up --ha): empty on a single-PostgreSQL stack."""
    return [
        graph(
            "Patroni roles (1 = this role)",
            [
                ("max by (name) (patroni_primary)", "{{name}} leader"),
                ("max by (name) (patroni_sync_standby)", "{{name}} sync standby"),
            ],
        ),
        graph("Leader lock free (no leader)", [("max(patroni_cluster_unlocked)", "unlocked")]),
        graph(
            "Replay lag behind the leader",
            [
                (
                    "max(patroni_xlog_location and on (scope, name) patroni_primary == 1)"
                    " - on () group_right ()"
                    " (patroni_xlog_replayed_location and on (scope, name) patroni_replica == 1)",
                    "{{name}}",
                )
            ],
            "bytes",
        ),
    ]
