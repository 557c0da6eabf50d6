"""`fixiactl dr drill`: simulate losing the primary at T, restore the latest state from a
repository into a scratch cluster, start the app on it, check it, and measure
RPO = T - last recovered heartbeat and RTO = T -> restored app ready.

The disaster freezes the repositories (archiving paused, see probes.pause_archiving) rather
than killing the live primary: the drill proves the backups without an outage, and archiving
resumes (nothing lost) when the drill ends.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fixiactl.backup import probes
from fixiactl.backup import settings as backup_settings
from fixiactl.backup.app import RestoredApp
from fixiactl.backup.driver import PgBackRest, RestoreTarget, run_as_postgres
from fixiactl.backup.inventory import backup_sets
from fixiactl.backup.metrics import write_drill_metrics
from fixiactl.backup.restore import RestoredCluster, free_port, start_cluster
from fixiactl.backup.service import live_sql
from fixiactl.backup.settings import BackupSettings
from fixiactl.errors import FixiactlError
from fixiactl.stack.config import PGBIN, ROOT, state_dir
from fixiactl.stack.postgres import chown_postgres

Progress = Callable[[str], None]
DRILLS = ROOT / "var" / "drills"


def _ensure_backup(s: BackupSettings, repo: int, progress: Progress) -> str | None:
    """A drill needs a base backup in the chosen repository; take a full one if none."""
    driver = PgBackRest(s)
    if any(b.repo == repo and not b.error for b in backup_sets(driver.info())):
        return None
    progress(f"no backup in repo{repo} yet: taking a full one first")
    driver.backup("full", repo)
    return "full"


def amcheck(cluster: RestoredCluster) -> dict[str, Any]:
    """Every table's heap and every B-tree index, including that each heap tuple has its
    index entries (--heapallindexed): corruption a checksum over files cannot see."""
    cmd = [
        str(PGBIN / "pg_amcheck"),
        "-h",
        str(cluster.socket_dir),
        "-p",
        str(cluster.port),
        "-U",
        "postgres",
        "--all",
        "--install-missing",
        "--heapallindexed",
    ]
    result = run_as_postgres(cmd, 1800)
    return {
        "ok": result.returncode == 0,
        "exit_code": result.returncode,
        "output": result.output.strip()[-2000:],
    }


def _restore(s: BackupSettings, repo: int, work: Path) -> tuple[RestoredCluster, dict[str, float]]:
    data = work / "data"
    data.mkdir(parents=True)
    chown_postgres(work)
    data.chmod(0o700)
    t0 = time.monotonic()
    PgBackRest(s).restore(RestoreTarget("latest"), repo, data, in_place=False)
    t1 = time.monotonic()
    cluster = start_cluster(data, free_port(), env=backup_settings.cipher_env(s))
    return cluster, {"restore_s": round(t1 - t0, 2), "recovery_s": round(time.monotonic() - t1, 2)}


class Drill:
    def __init__(
        self,
        env: str,
        repo: int,
        heartbeat_s: float,
        interval_s: float,
        progress: Progress,
        on_disaster: Callable[[], None] | None = None,
    ) -> None:
        self.env, self.repo, self.progress = env, repo, progress
        self.on_disaster = on_disaster
        self.s = backup_settings.load(env)
        self.heartbeat_s, self.interval_s = heartbeat_s, interval_s
        self.id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
        self.work = state_dir(env) / "drills" / self.id
        self.evidence: dict[str, Any] = {"id": self.id, "env": env, "repo": repo}

    def live(self, query: str, database: str = "postgres") -> str:
        return live_sql(self.s, query, database)

    def before_disaster(self) -> None:
        probes.ensure_heartbeat(self.live)
        self.evidence["base_backup_taken"] = _ensure_backup(self.s, self.repo, self.progress)
        self.progress(f"heartbeat every {self.interval_s} s for {self.heartbeat_s} s")
        beat = probes.Heartbeat(self.s, self.live, self.interval_s, self.heartbeat_s + 30)
        try:
            time.sleep(self.heartbeat_s)
        finally:
            self.disaster_at = time.time()
            self.disaster_mono = time.monotonic()
            probes.pause_archiving(self.live)
            beat.stop()
            if self.on_disaster:
                self.on_disaster()  # e.g. the benchmark's writers die with the primary
        tables = probes.app_tables(self.live)
        self.source_sums = probes.table_checksums(self.live, tables)
        source_last = probes.last_beat(self.live)
        self.evidence["source_last_heartbeat_seq"] = source_last[0] if source_last else None

    def recover(self) -> tuple[RestoredCluster, RestoredApp]:
        self.progress(f"disaster at T; restoring the latest state from repo{self.repo}")
        self.work.mkdir(parents=True, exist_ok=True)
        cluster, timings = _restore(self.s, self.repo, self.work)
        self.evidence["timings"] = timings
        self.progress("starting the app against the restored cluster")
        app = RestoredApp(self.env, cluster, self.work)
        app.start()
        ready = app.wait_ready(180)
        self.ready_mono = time.monotonic()
        self.evidence["readyz"] = ready
        return cluster, app

    def check(self, cluster: RestoredCluster, app: RestoredApp) -> None:
        self.progress("checking: migrations, heartbeat, table checksums, pg_amcheck")
        restored = probes.last_beat(cluster.sql)
        sums = probes.table_checksums(cluster.sql, sorted(self.source_sums))
        mismatched = sorted(t for t in self.source_sums if sums.get(t) != self.source_sums[t])
        ev = self.evidence
        ev["migrations"] = app.migrations()
        ev["recovered_last_heartbeat_seq"] = restored[0] if restored else None
        ev["recovered_last_heartbeat_at"] = restored[1] if restored else None
        ev["tables"] = {"compared": len(sums), "mismatched": mismatched, "restored": sums}
        ev["amcheck"] = amcheck(cluster)
        ev["rpo_s"] = round(self.disaster_at - restored[1], 3) if restored else None
        ev["rto_s"] = (
            round(self.ready_mono - self.disaster_mono, 3)
            if ev["readyz"].get("status") == 200
            else None
        )
        ev["checks"] = {
            "migrations_at_head": bool(ev["migrations"].get("at_head")),
            "readyz_ok": ev["readyz"].get("status") == 200,
            "heartbeat_recovered": restored is not None,
            "tables_equal": not mismatched,
            "amcheck_clean": ev["amcheck"]["ok"],
        }
        ev["success"] = all(ev["checks"].values())

    def run(self, keep: bool) -> dict[str, Any]:
        self.evidence["started_at"] = datetime.now(UTC).isoformat()
        self.before_disaster()
        self.evidence["disaster_at"] = datetime.fromtimestamp(self.disaster_at, UTC).isoformat()
        cluster: RestoredCluster | None = None
        app: RestoredApp | None = None
        try:
            cluster, app = self.recover()
        finally:
            probes.resume_archiving(self.live)  # the live primary archives again, nothing lost
        try:
            self.check(cluster, app)
        finally:
            app.stop()
            cluster.stop()
            if not keep:
                shutil.rmtree(self.work, ignore_errors=True)
        self.evidence["finished_epoch"] = time.time()
        return self.evidence


def write_report(evidence: dict[str, Any], out_dir: Path) -> dict[str, str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    body = json.dumps(evidence, indent=2, sort_keys=True, default=str).encode()
    json_path = out_dir / f"{evidence['id']}.json"
    json_path.write_bytes(body)
    digest = hashlib.sha256(body).hexdigest()
    checks = "\n".join(
        f"| {name} | {'pass' if ok else '**FAIL**'} |" for name, ok in evidence["checks"].items()
    )
    t = evidence["timings"]
    written = evidence["source_last_heartbeat_seq"]
    recovered = evidence["recovered_last_heartbeat_seq"]
    md = f"""# DR drill {evidence["id"]} ({evidence["env"]}, from repo{evidence["repo"]})

Evidence: `{json_path.name}`, sha256 `{digest}`

| measure | value |
|---|---|
| disaster at (T) | {evidence["disaster_at"]} |
| measured RPO (T - last recovered heartbeat) | {evidence["rpo_s"]} s |
| measured RTO (T -> restored app /readyz 200) | {evidence["rto_s"]} s |
| restore / recovery | {t["restore_s"]} s / {t["recovery_s"]} s |
| heartbeats: last written / last recovered | {written} / {recovered} |
| result | {"**success**" if evidence["success"] else "**FAILED**"} |

| check | result |
|---|---|
{checks}
"""
    md_path = out_dir / f"{evidence['id']}.md"
    md_path.write_text(md)
    return {"json": str(json_path), "markdown": str(md_path), "sha256": digest}


def drill(
    env: str,
    repo: int,
    heartbeat_s: float,
    interval_s: float,
    progress: Progress,
    *,
    out_dir: Path | None = None,
    keep: bool = False,
    on_disaster: Callable[[], None] | None = None,
) -> dict[str, Any]:
    if not 0.2 <= interval_s <= 10 or not 1 <= heartbeat_s <= 3600:
        raise FixiactlError("heartbeat out of range", hint="interval 0.2-10 s, duration 1-3600 s")
    runner = Drill(env, repo, heartbeat_s, interval_s, progress, on_disaster)
    try:
        evidence = runner.run(keep)
    except (FixiactlError, subprocess.SubprocessError, OSError) as exc:
        evidence = {
            **runner.evidence,
            "success": False,
            "error": str(exc),
            "finished_epoch": time.time(),
            "checks": {"completed": False},
            "rpo_s": None,
            "rto_s": None,
        }
        write_drill_metrics(runner.s.textfile_dir, evidence)
        raise
    files = write_report(evidence, out_dir or DRILLS)
    write_drill_metrics(runner.s.textfile_dir, evidence)
    return {**evidence, "report": files}
