"""What a drill writes and compares: the heartbeat (its own database, so the app's schema
checks never see it) and per-table row counts and checksums of the app's tables."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable

from fixiactl.backup.settings import BackupSettings, live_endpoint
from fixiactl.stack.config import PGBIN

OPS_DB = "fixia_ops"
HEARTBEAT_APP = "fixia-heartbeat"
Sql = Callable[[str, str], str]  # (query, database) -> psql -At output

_SCHEMA = """
create table if not exists heartbeat (
    seq bigserial primary key,
    at timestamptz not null default clock_timestamp()
);
create or replace procedure beat(beats int, interval_s float8)
language plpgsql as $$
begin
    for i in 1..beats loop
        insert into heartbeat default values;
        commit;  -- one transaction per beat: each is a point the restore can reach
        perform pg_sleep(interval_s);
    end loop;
end $$;
"""


def ensure_heartbeat(sql: Sql) -> None:
    exists = f"select 1 from pg_database where datname = '{OPS_DB}'"  # noqa: S608 - constant
    if not sql(exists, "postgres").strip():
        sql(f"create database {OPS_DB}", "postgres")
    sql(_SCHEMA, OPS_DB)


class Heartbeat:
    """`call beat(n, interval)` in a psql of its own; bounded in beats (count and time)."""

    def __init__(self, s: BackupSettings, sql: Sql, interval_s: float, max_s: float) -> None:
        self.sql = sql
        beats = max(1, int(max_s / interval_s) + 1)
        socket, port = live_endpoint(s)
        cmd = [
            str(PGBIN / "psql"),
            "-h",
            str(socket),
            "-p",
            str(port),
            "-U",
            "postgres",
            "-d",
            OPS_DB,
            "-qc",
            f"call beat({beats}, {interval_s})",
        ]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        env = {**os.environ, "PGAPPNAME": HEARTBEAT_APP}
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def stop(self) -> None:
        # Killing psql would leave the procedure sleeping in its backend: end the backend.
        self.sql(
            "select pg_terminate_backend(pid) from pg_stat_activity "  # noqa: S608 - constant
            f"where application_name = '{HEARTBEAT_APP}'",
            "postgres",
        )
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def last_beat(sql: Sql) -> tuple[int, float] | None:
    row = sql(
        "select seq, extract(epoch from at) from heartbeat order by seq desc limit 1", OPS_DB
    ).strip()
    if not row:
        return None
    seq, at = row.split("|")
    return int(seq), float(at)


# The job queue's tables: the workers keep writing them (heartbeats every few seconds,
# periodic defers) after the drill's disaster point, into WAL that is no longer archived, so
# they never match the restored copy. Business data, jobs' effects included, lives elsewhere.
QUEUE_TABLES = "procrastinate_"


def app_tables(sql: Sql, database: str = "fixia") -> list[str]:
    """The tables a restore must reproduce exactly."""
    rows = sql(
        "select tablename from pg_tables where schemaname = 'public' order by tablename", database
    )
    return [t for t in rows.split() if t and not t.startswith(QUEUE_TABLES)]


def table_checksums(sql: Sql, tables: list[str], database: str = "fixia") -> dict[str, str]:
    """`count:md5` per table, order-independent (md5 of the sorted row digests)."""
    sums: dict[str, str] = {}
    for table in tables:
        sums[table] = sql(
            f"select count(*) || ':' || coalesce(md5(string_agg(h, '' order by h)), '-') "  # noqa: S608 - names from pg_tables
            f'from (select md5(t::text) as h from public."{table}" t) rows',
            database,
        ).strip()
    return sums


def pause_archiving(sql: Sql) -> None:
    """An empty archive_command makes PostgreSQL keep WAL and archive nothing, without
    counting failures: the repositories freeze at the moment of the simulated disaster."""
    sql("alter system set archive_command = ''", "postgres")
    sql("select pg_reload_conf()", "postgres")


def resume_archiving(sql: Sql) -> None:
    sql("alter system reset archive_command", "postgres")
    sql("select pg_reload_conf()", "postgres")
