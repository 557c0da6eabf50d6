"""PgBouncer pool metrics for Prometheus. postgres-exporter cannot read PgBouncer's admin
console, and Debian 12's prometheus-pgbouncer-exporter 1.7 fails on its PgBouncer 1.18: it
reads `SHOW STATS` column `total_requests`, gone since PgBouncer 1.8, and its first scrape (at
start) dies with KeyError; it also keeps one connection for life, so a PgBouncer restart would
end its metrics. So this loop runs `SHOW POOLS` and `SHOW DATABASES` with psql (a new
connection each time) and writes node-exporter textfile metrics (temp file + rename)."""

from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import time
from pathlib import Path

from fixiactl.stack.config import PGBIN, read_state, state_dir

POOL_GAUGES = {
    "cl_active": "fixia_pgbouncer_pool_client_active",
    "cl_waiting": "fixia_pgbouncer_pool_client_waiting",
    "sv_active": "fixia_pgbouncer_pool_server_active",
    "sv_idle": "fixia_pgbouncer_pool_server_idle",
    "maxwait": "fixia_pgbouncer_pool_max_wait_seconds",
}


def _show(port: int, password: str, what: str) -> list[dict[str, str]]:
    result = subprocess.run(
        [
            str(PGBIN / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "fixia",
            "-d",
            "pgbouncer",
            "--csv",
            "-c",
            f"SHOW {what}",
        ],
        env={**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "3"},
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return list(csv.DictReader(io.StringIO(result.stdout)))


def render(pools: list[dict[str, str]], databases: list[dict[str, str]]) -> str:
    """Prometheus text for one collection (pure: unit-tested)."""
    lines = []
    for key, metric in POOL_GAUGES.items():
        lines.append(f"# TYPE {metric} gauge")
        for row in pools:
            if row.get("database") == "pgbouncer":
                continue
            lines.append(
                f'{metric}{{database="{row["database"]}",user="{row["user"]}"}} {row.get(key, 0)}'
            )
    lines.append("# TYPE fixia_pgbouncer_pool_size gauge")
    for row in databases:
        if row.get("name") != "pgbouncer":
            lines.append(
                f'fixia_pgbouncer_pool_size{{database="{row["name"]}"}} {row["pool_size"]}'
            )
    return "\n".join(lines) + "\n"


def _write(path: Path, body: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(body)
    tmp.rename(path)


def collect_once(env: str) -> None:
    stack = read_state(env)
    out = state_dir(env) / "textfile" / "pgbouncer.prom"
    now = time.time()
    try:
        body = render(
            _show(stack.ports["pgbouncer"], stack.db_password, "POOLS"),
            _show(stack.ports["pgbouncer"], stack.db_password, "DATABASES"),
        )
        up = 1
    except (subprocess.SubprocessError, OSError, KeyError):
        body, up = "", 0
    body += (
        "# TYPE fixia_pgbouncer_up gauge\n"
        f"fixia_pgbouncer_up {up}\n"
        "# TYPE fixia_pgbouncer_scrape_timestamp_seconds gauge\n"
        f"fixia_pgbouncer_scrape_timestamp_seconds {now:.3f}\n"
    )
    _write(out, body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", required=True)
    parser.add_argument("--interval", type=float, default=5.0)
    args = parser.parse_args()
    while True:  # a supervised daemon; supervisord stops it
        collect_once(args.env)
        time.sleep(args.interval)


if __name__ == "__main__":
    main()
