"""`fixiactl backup prove`: a backup is proven by restoring it, not by checksums.

The live database marks a named restore point while its business tables are briefly locked
against writes (SHARE mode: readers go on, writers wait a few milliseconds), and reads its
business invariants in that same instant: row counts of every app table, and the counts and
sums that money and trust depend on (payments, jobs, reviews). The newest backup of the
repository plus the archived WAL is then restored to exactly that point in a scratch
cluster, `pg_amcheck --heapallindexed` checks every table and index, and the restored
invariants must equal the source's. Success writes
`fixia_backup_last_verified_restore_timestamp_seconds`; the recording rule
`fixia_backup_last_verified_restore_age_seconds` and the BackupRestoreUnproven alert (26 h)
watch it. pgBackRest's own `verify` checks files; only this proves they make a database.
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from fixiactl.backup import probes
from fixiactl.backup import settings as backup_settings
from fixiactl.backup.drill import amcheck
from fixiactl.backup.driver import PgBackRest, RestoreTarget
from fixiactl.backup.metrics import write_proof_metrics
from fixiactl.backup.restore import RestoredCluster, free_port, start_cluster
from fixiactl.backup.service import live_sql
from fixiactl.backup.settings import BackupSettings
from fixiactl.stack.config import state_dir
from fixiactl.stack.postgres import chown_postgres, psql

Progress = Callable[[str], None]
# What the business checks beyond row counts: money and trust (the ledger joins it later).
SUMS = {
    "payments": "coalesce(sum(amount), 0) || '/' || count(*) filter (where status = 'approved')",
    "jobs": "coalesce(sum(agreed_price), 0) || '/' || count(*) filter (where status = 'completed')",
    "reviews": "coalesce(sum(rating), 0) || '/' || count(*) filter (where hidden_at is null)",
}


def invariants_sql(tables: list[str]) -> str:
    """One row per table: `name|count[|sums]`. Table names come from pg_tables."""
    parts = [
        f"select '{t}' || '|' || count(*)"  # noqa: S608 - names from pg_tables
        + (f" || '|' || {SUMS[t]}" if t in SUMS else "")
        + f' from public."{t}"'
        for t in tables
    ]
    return " union all ".join(parts) + ";"


def parse_invariants(output: str) -> dict[str, str]:
    rows = [line.split("|", 1) for line in output.splitlines() if "|" in line]
    return {name: value for name, value in rows}


def mark(s: BackupSettings, name: str, tables: list[str]) -> dict[str, str]:
    """The restore point and the invariants of the same instant (see the module's doc)."""
    listed = ", ".join(f'public."{t}"' for t in tables)
    sql = (
        f"begin; lock table {listed} in share mode; "
        f"select 'point|' || pg_create_restore_point('{name}'); "
        f"{invariants_sql(tables)} commit;"
    )
    found = parse_invariants(psql(s.pg_data.parent, s.pg_port, sql, "fixia", secret=True))
    found.pop("point", None)
    return found


def compare(source: dict[str, str], restored: dict[str, str]) -> list[str]:
    """The tables whose invariants differ (a table missing on either side differs)."""
    return sorted(t for t in source.keys() | restored.keys() if source.get(t) != restored.get(t))


def prove(env: str, repo: int, progress: Progress, *, keep: bool = False) -> dict[str, Any]:
    s = backup_settings.load(env)
    proof_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    point = f"fixia-proof-{proof_id}"
    tables = probes.app_tables(partial(live_sql, s))
    progress(f"marking restore point {point} with the invariants of {len(tables)} tables")
    source = mark(s, point, tables)
    driver = PgBackRest(s)
    driver.check()  # switches WAL: the restore point's segment reaches the repositories
    work = state_dir(env) / "proofs" / proof_id
    cluster = _restore_to(s, driver, repo, point, work, progress)
    try:
        progress("pg_amcheck --heapallindexed, then the business invariants")
        checked = amcheck(cluster)
        restored = parse_invariants(cluster.sql(invariants_sql(tables), "fixia"))
    finally:
        cluster.stop()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    mismatched = compare(source, restored)
    result = {
        "id": proof_id,
        "env": env,
        "repo": repo,
        "restore_point": point,
        "tables": len(tables),
        "source": source,
        "mismatched": mismatched,
        "amcheck": checked,
        "success": checked["ok"] and not mismatched,
        "finished_epoch": time.time(),
    }
    write_proof_metrics(s.textfile_dir, result)
    return result


def _restore_to(
    s: BackupSettings, driver: PgBackRest, repo: int, point: str, work: Any, progress: Progress
) -> RestoredCluster:
    progress(f"restoring repo{repo}'s newest backup to {point} in a scratch cluster")
    data = work / "data"
    data.mkdir(parents=True)
    chown_postgres(work)
    data.chmod(0o700)
    driver.restore(RestoreTarget("name", point), repo, data, in_place=False)
    return start_cluster(data, free_port(), env=backup_settings.cipher_env(s))
