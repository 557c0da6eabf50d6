"""Backups and PITR on the HA stack (Patroni, 3 members, synchronous_mode): pgBackRest
copies the base backup from a standby, WAL is archived by whichever member leads (also
after a switchover), a restore to a named point holds exactly the rows written before it,
and an in-place restore goes through Patroni. (The DR drill on HA is not proven yet:
docs/operations/ha.md, "Not done yet".) Its own throw-away HA stack
(deploy/environments/test-ha.toml); the tests run in order and share it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from fixiactl.backup import settings as backup_settings
from fixiactl.backup.service import live_sql
from fixiactl.stack.postgres import psql
from tests.acceptance.backup.conftest import BackupStack, start_stack
from tests.acceptance.backup.test_backup_and_restore import restored, restored_sql
from tests.stack import stop_and_remove


@pytest.fixture(scope="module")
def hstack() -> Iterator[BackupStack]:
    # test-ha-<random> runs on test-ha.toml (ha = true); start_stack takes a full backup
    # into each repository once the stack is up.
    stack = start_stack("test-ha")
    try:
        yield stack
    finally:
        stop_and_remove(stack.env, stack.state)


def leader_sql(stack: BackupStack, query: str, database: str = "postgres") -> str:
    """On the member that leads now (Patroni's /primary), as fixiactl's own probes do."""
    return live_sql(backup_settings.load(stack.env), query, database).strip()


def archive_on_leader(stack: BackupStack) -> str:
    """Close the leader's current WAL segment and wait until that leader archived it."""
    segment = leader_sql(stack, "select pg_walfile_name(pg_switch_wal())")
    deadline = time.monotonic() + 90
    while leader_sql(stack, "select coalesce(last_archived_wal, '') from pg_stat_archiver") < (
        segment
    ):
        assert time.monotonic() < deadline, f"{segment} was not archived"
        time.sleep(0.5)
    return segment


def counts(info: dict[str, Any]) -> str:
    return restored_sql(
        info, "select batch, count(*) from pitr group by batch order by batch", "pitr_db"
    ).replace("\n", ",")


def test_backups_come_from_a_standby_and_verify(hstack: BackupStack) -> None:
    inv = hstack.ctl_json("backup", "list")
    assert inv["status"] == "ok" and inv["repos"] == {"1": "ok", "2": "ok"}
    assert {(b["repo"], b["type"]) for b in inv["backups"]} == {(1, "full"), (2, "full")}
    assert inv["archive"]["failing"] is False
    assert inv["wal_stream"]["mode"] == "off"  # the sync standby gives RPO 0 on HA
    # pgBackRest waits for the standby's replay only when it copies from a standby.
    log = (hstack.state / "pgbackrest" / "log" / "main-backup.log").read_text()
    assert log.count("replay on the standby reached") == 2
    assert hstack.ctl("backup", "verify").returncode == 0


def test_archiving_follows_the_leader_and_pitr_counts_rows(hstack: BackupStack) -> None:
    leader_sql(hstack, "create database pitr_db")
    leader_sql(hstack, "create table pitr (id int primary key, batch text)", "pitr_db")
    leader_sql(hstack, "insert into pitr select g, 'a' from generate_series(1, 50) g", "pitr_db")
    point = hstack.ctl_json("backup", "restore-point", "before-b")
    assert "/" in point["lsn"]
    leader_sql(hstack, "insert into pitr select g, 'b' from generate_series(51, 90) g", "pitr_db")
    first = hstack.ctl_json("db", "status")
    moved = hstack.ctl_json("db", "switchover", "--yes", timeout=180)
    assert moved["from"] != moved["to"], (first, moved)
    leader_sql(hstack, "insert into pitr select g, 'c' from generate_series(91, 115) g", "pitr_db")
    segment = archive_on_leader(hstack)  # archived by the new leader, on its new timeline
    assert not segment.startswith("00000001"), segment
    with restored(hstack, "--to", "before-b") as info:
        assert counts(info) == "a|50"
    with restored(hstack, "--to", "latest", "--no-flush") as info:
        assert counts(info) == "a|50,b|40,c|25"
    inv = hstack.ctl_json("backup", "list")
    assert inv["archive"]["failing"] is False


def test_in_place_restore_goes_through_patroni(hstack: BackupStack) -> None:
    assert leader_sql(hstack, "select count(*) from pitr", "pitr_db") == "115"
    result = hstack.ctl_json(
        "restore", "--in-place", "--force", "--yes", "--to", "before-b", timeout=900
    )
    assert len(result["previous_data_kept_at"]) == 3  # every member's old data, kept
    got = "select batch || '|' || count(*) from pitr group by batch order by batch"
    assert leader_sql(hstack, got, "pitr_db") == "a|50"
    members = hstack.ctl_json("db", "status")
    roles = sorted(m["role"] for m in members)
    assert len(members) == 3 and roles.count("leader") == 1 and "sync_standby" in roles, members
    # Every member holds the restored state: a replica too (read on its own socket).
    standby = next(m for m in members if m["role"] == "sync_standby")
    i = int(standby["member"].removeprefix("pg"))
    standby_count = psql(
        hstack.state / "ha" / f"pg{i}", hstack.ports[f"pg{i}"], "select count(*) from pitr",
        "pitr_db",
    )  # fmt: skip
    assert standby_count.strip() == "50"
    # The restored cluster writes, and archives its new timeline.
    leader_sql(hstack, "insert into pitr select g, 'd' from generate_series(51, 60) g", "pitr_db")
    archive_on_leader(hstack)
    assert hstack.ctl_json("backup", "list")["archive"]["failing"] is False
