"""`fixiactl dr bench`: RTO for a database of a given size (default 1 GB) including the app's
readiness, and the RPO observed while pgbench writes continuously. JSON + Markdown under
var/bench/. The data lives in its own database (fixia_drbench) next to the app's."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fixiactl.backup import settings as backup_settings
from fixiactl.backup.drill import drill
from fixiactl.backup.driver import PgBackRest
from fixiactl.backup.service import live_sql
from fixiactl.backup.settings import BackupSettings
from fixiactl.stack.config import PGBIN, ROOT

Progress = Callable[[str], None]
BENCH_DB = "fixia_drbench"
MB_PER_SCALE = 15  # pgbench: about 15 MB per scale unit, indexes included
GOALS = {"rto_s": 120.0, "rpo_s": 60.0}


def _pgbench(s: BackupSettings, *args: str) -> list[str]:
    cmd = [
        str(PGBIN / "pgbench"),
        "-h",
        str(s.pg_socket),
        "-p",
        str(s.pg_port),
        "-U",
        "postgres",
        *args,
        BENCH_DB,
    ]
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _cluster_bytes(s: BackupSettings) -> int:
    return int(live_sql(s, "select sum(pg_database_size(datname)) from pg_database").strip())


def load_data(s: BackupSettings, size_mb: int, progress: Progress) -> float:
    exists = f"select 1 from pg_database where datname='{BENCH_DB}'"  # noqa: S608 - constant
    if not live_sql(s, exists).strip():
        live_sql(s, f"create database {BENCH_DB}")
    if _cluster_bytes(s) >= size_mb * 1024 * 1024 * 0.95:
        return 0.0
    scale = max(1, size_mb // MB_PER_SCALE)
    progress(f"loading ~{size_mb} MB with pgbench -i -s {scale}")
    started = time.monotonic()
    subprocess.run(
        _pgbench(s, "-i", "-q", "-s", str(scale)),
        check=True,
        capture_output=True,
        timeout=3600,
    )
    return round(time.monotonic() - started, 1)


def run_bench(
    env: str,
    size_mb: int,
    repo: int,
    write_rate: int,
    progress: Progress,
    out_dir: Path | None = None,
) -> dict[str, Any]:
    s = backup_settings.load(env)
    load_s = load_data(s, size_mb, progress)
    progress(f"full backup into repo{repo}")
    t0 = time.monotonic()
    PgBackRest(s, timeout_s=3600).backup("full", repo)
    backup_s = round(time.monotonic() - t0, 1)
    heartbeat_s = s.archive_timeout + 20
    # Bounded writers: at most write_rate tx/s for at most heartbeat + 10 minutes.
    writers = subprocess.Popen(
        _pgbench(
            s, "-n", "-c", "2", "-j", "1", "-R", str(write_rate), "-T", str(int(heartbeat_s + 600))
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def writers_die() -> None:
        writers.terminate()
        writers.wait(timeout=30)

    try:
        evidence = drill(env, repo, heartbeat_s, 1.0, progress, on_disaster=writers_die)
    finally:
        if writers.poll() is None:
            writers_die()
    report = {
        "id": f"dr-{datetime.now(UTC):%Y%m%dT%H%M%SZ}",
        "env": env,
        "repo": repo,
        "database_bytes": _cluster_bytes(s),
        "load_s": load_s,
        "full_backup_s": backup_s,
        "write_rate_tps": write_rate,
        "rto_s": evidence["rto_s"],
        "rpo_s": evidence["rpo_s"],
        "restore_s": evidence["timings"]["restore_s"],
        "recovery_s": evidence["timings"]["recovery_s"],
        "drill_success": evidence["success"],
        "drill_report": evidence["report"],
        "archive_timeout_s": s.archive_timeout,
        "goals": GOALS,
        "load_average": os.getloadavg(),
    }
    return {**report, "files": write(report, out_dir or ROOT / "var" / "bench")}


def write(report: dict[str, Any], out_dir: Path) -> dict[str, str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{report['id']}.json"
    json_path.write_text(json.dumps(report, indent=2, default=str))

    def met(key: str) -> str:
        value = report[key]
        return "yes" if value is not None and value <= GOALS[key] else "**no**"

    gib = report["database_bytes"] / 1024**3
    md = f"""# DR benchmark {report["id"]} ({report["env"]})

Database {gib:.2f} GiB, full backup into repo{report["repo"]} in {report["full_backup_s"]} s;
pgbench writing {report["write_rate_tps"]} tx/s until the disaster; archive_timeout
{report["archive_timeout_s"]} s; load average {report["load_average"][0]:.1f} (2 cores).

| measure | goal | measured | met |
|---|---|---|---|
| RTO (disaster -> restored app /readyz) | <= 120 s | {report["rto_s"]} s | {met("rto_s")} |
| RPO (disaster - last recovered heartbeat) | <= 60 s | {report["rpo_s"]} s | {met("rpo_s")} |

Restore {report["restore_s"]} s, recovery {report["recovery_s"]} s; drill checks passed:
{report["drill_success"]}. Evidence: {json_path.name}.
"""
    md_path = out_dir / f"{report['id']}.md"
    md_path.write_text(md)
    return {"json": str(json_path), "markdown": str(md_path)}


CRASH_GOALS = {"rpo_s": 1.0, "rto_s": 60.0}


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_crash_bench(
    env: str,
    size_mb: int,
    repo: int,
    drills: int,
    write_rate: int,
    progress: Progress,
    out_dir: Path | None = None,
) -> dict[str, Any]:
    """N crash drills (SIGKILL + data directory lost, under writes), recovered in place from
    the repository plus the streamed WAL: lost acknowledged commits, RPO and RTO per drill."""
    from fixiactl.backup.crash import crash_drill

    s = backup_settings.load(env)
    load_s = load_data(s, size_mb, progress)
    progress(f"full backup into repo{repo}")
    PgBackRest(s, timeout_s=3600).backup("full", repo)
    runs: list[dict[str, Any]] = []
    for i in range(drills):
        progress(f"crash drill {i + 1}/{drills}")
        writers = subprocess.Popen(
            _pgbench(s, "-n", "-c", "2", "-j", "1", "-R", str(write_rate), "-T", "900"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            runs.append(crash_drill(env, repo, 10, progress))
        finally:
            writers.kill()
            writers.wait(timeout=30)
    rpos = [r["rpo_s"] for r in runs]
    rtos = [r["rto_s"] for r in runs if r["rto_s"] is not None]
    report = {
        "id": f"dr-crash-{datetime.now(UTC):%Y%m%dT%H%M%SZ}",
        "env": env,
        "repo": repo,
        "mode": s.wal_stream,
        "drills": drills,
        "database_bytes": _cluster_bytes(s),
        "load_s": load_s,
        "write_rate_tps": write_rate,
        "lost_total": sum(r["lost"] for r in runs),
        "rpo_s": {"p50": _pct(rpos, 0.5), "p95": _pct(rpos, 0.95), "max": max(rpos, default=None)},
        "rto_s": {"p50": _pct(rtos, 0.5), "p95": _pct(rtos, 0.95), "max": max(rtos, default=None)},
        "apps_ready": sum(1 for r in runs if r["app_ready"]),
        "goals": CRASH_GOALS,
        "runs": runs,
        "load_average": os.getloadavg(),
    }
    rpo_max, rto_p95 = report["rpo_s"]["max"], report["rto_s"]["p95"]
    report["met"] = {
        "rpo": rpo_max is not None and rpo_max <= CRASH_GOALS["rpo_s"],
        "rto": rto_p95 is not None and len(rtos) == drills and rto_p95 <= CRASH_GOALS["rto_s"],
        "strict_zero_loss": report["lost_total"] == 0 if s.wal_stream == "strict" else None,
    }
    return {**report, "files": write_crash(report, out_dir or ROOT / "var" / "bench")}


def _row(name: str, goal: str, v: dict[str, Any], met: bool) -> str:
    return f"| {name} | {goal} | {v['p50']} | {v['p95']} | {v['max']} | {met} |"


def write_crash(report: dict[str, Any], out_dir: Path) -> dict[str, str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{report['id']}.json"
    json_path.write_text(json.dumps(report, indent=2, default=str))
    rows = "\n".join(
        f"| {i + 1} | {r['acknowledged']} | {r['lost']} | {r['rpo_s']} | {r['rto_s']} | "
        f"{r['timings']['restore_s']} / {r['timings']['recovery_s']} |"
        for i, r in enumerate(report["runs"])
    )
    rpo, rto, met = report["rpo_s"], report["rto_s"], report["met"]
    md = f"""# Crash drills {report["id"]} ({report["env"]}, {report["mode"]} WAL stream)

{report["drills"]} drills: SIGKILL of every PostgreSQL process and its data directory lost,
under pgbench ({report["write_rate_tps"]} tx/s) and a probe committing one row per
transaction; recovered in place from repo{report["repo"]} plus the streamed WAL. Database
{report["database_bytes"] / 1024**3:.2f} GiB; load average {report["load_average"][0]:.1f}.

| measure | goal | p50 | p95 | max | met |
|---|---|---|---|---|---|
{_row("RPO (acknowledged commits lost, as time)", "<= 1 s (max)", rpo, met["rpo"])}
{_row("RTO (crash -> app /readyz via HAProxy)", "<= 60 s (p95)", rto, met["rto"])}

Acknowledged commits lost in total: {report["lost_total"]} (strict mode goal: 0, met:
{met["strict_zero_loss"]}).

| drill | acknowledged | lost | RPO s | RTO s | restore / recovery s |
|---|---|---|---|---|---|
{rows}
"""
    md_path = out_dir / f"{report['id']}.md"
    md_path.write_text(md)
    return {"json": str(json_path), "markdown": str(md_path)}
