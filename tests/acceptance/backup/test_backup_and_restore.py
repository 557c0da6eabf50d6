"""pgBackRest through fixiactl on a real stack: PITR, the second repository, encryption,
verification, retention and archiving failures. The tests share one stack and run in order."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fixiactl.backup.driver import run_as_postgres
from fixiactl.stack.config import PGBIN
from tests.acceptance.backup.conftest import FIXIACTL, BackupStack


@contextmanager
def restored(stack: BackupStack, *args: str) -> Iterator[dict[str, Any]]:
    info = stack.ctl_json("restore", *args)
    try:
        yield info
    finally:
        run_as_postgres(
            [str(PGBIN / "pg_ctl"), "-D", info["data_dir"], "-m", "immediate", "-w", "stop"], 60
        )


def restored_sql(info: dict[str, Any], query: str, database: str = "postgres") -> str:
    result = run_as_postgres(
        [
            str(PGBIN / "psql"),
            "-h",
            info["socket_dir"],
            "-p",
            str(info["port"]),
            "-U",
            "postgres",
            "-d",
            database,
            "-Atc",
            query,
        ],
        60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def wait_until(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def archive_now(stack: BackupStack, what: str) -> None:
    """Close the current WAL segment and wait until PostgreSQL archived it."""
    segment = stack.sql("select pg_walfile_name(pg_switch_wal())")
    wait_until(
        lambda: stack.sql("select last_archived_wal from pg_stat_archiver") >= segment, 90, what
    )


def test_stack_up_created_the_stanza_and_archives_to_both_repos(bstack: BackupStack) -> None:
    inv = bstack.ctl_json("backup", "list")
    assert inv["status"] == "ok"
    assert inv["repos"] == {"1": "ok", "2": "ok"}
    assert {(b["repo"], b["type"]) for b in inv["backups"]} == {(1, "full"), (2, "full")}
    for b in inv["backups"]:
        assert b["size_bytes"] > 0 and b["repo_size_bytes"] > 0 and b["wal_start"]
    assert inv["archive"]["failing"] is False
    assert set(inv["archive"]["repo_wal_max"]) == {"1", "2"}
    conf = bstack.sql("show archive_timeout") + "|" + bstack.sql("show archive_command")
    assert conf.startswith("30s|pgbackrest --config=")


def test_repository_files_are_encrypted(bstack: BackupStack) -> None:
    for repo in (bstack.repo1, bstack.repo2):
        files = [p for p in repo.rglob("*") if p.is_file()]
        assert len(files) > 100
        plain = [p for p in files if not p.read_bytes().startswith(b"Salted__")]
        assert plain == [], f"unencrypted files in {repo}: {plain[:3]}"


def test_point_in_time_restore_between_two_batches(bstack: BackupStack) -> None:
    bstack.sql("create database pitr_db")
    bstack.sql("create table pitr (id int primary key, batch text not null)", "pitr_db")
    bstack.sql("insert into pitr select g, 'a' from generate_series(1, 50) g", "pitr_db")
    time.sleep(1.2)
    between = bstack.sql(
        "select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    )
    time.sleep(1.2)
    bstack.sql("insert into pitr select g, 'b' from generate_series(51, 100) g", "pitr_db")
    with restored(bstack, "--to", between) as info:
        assert info["target"].startswith("time ")
        rows = restored_sql(
            info,
            "select count(*), min(id), max(id), string_agg(distinct batch, ',') from pitr",
            "pitr_db",
        )
        assert rows == "50|1|50|a"


def test_restore_to_a_named_restore_point(bstack: BackupStack) -> None:
    bstack.sql("create table marks (id int)", "pitr_db")
    bstack.sql("insert into marks values (1)", "pitr_db")
    point = bstack.ctl_json("backup", "restore-point", "before-migration-test")
    assert point["name"] == "before-migration-test" and "/" in point["lsn"]
    bstack.sql("insert into marks values (2)", "pitr_db")
    with restored(bstack, "--to", "before-migration-test") as info:
        assert restored_sql(info, "select string_agg(id::text, ',') from marks", "pitr_db") == "1"


def test_repo1_lost_restore_from_repo2(bstack: BackupStack) -> None:
    bstack.sql("insert into marks values (3)", "pitr_db")
    archive_now(bstack, "the WAL switch to be archived")
    lost = bstack.repo1.with_name("repo1.lost")
    bstack.repo1.rename(lost)  # the local repository is gone
    try:
        with restored(bstack, "--from-repo", "2", "--to", "latest", "--no-flush") as info:
            got = restored_sql(
                info, "select string_agg(id::text, ',' order by id) from marks", "pitr_db"
            )
            assert got == "1,2,3"
    finally:
        lost.rename(bstack.repo1)


def _newest_backup_file(repo: Path) -> Path:
    backups = sorted((repo / "backup" / "main").glob("*F"))
    files = [
        p for p in (backups[-1] / "pg_data" / "base").rglob("*.zst") if p.stat().st_size > 4096
    ]
    return sorted(files)[0]


def test_corrupted_backup_file_fails_verify(bstack: BackupStack) -> None:
    assert bstack.ctl("backup", "verify").returncode == 0
    victim = _newest_backup_file(bstack.repo1)
    original = victim.read_bytes()
    damaged = bytearray(original)
    damaged[len(damaged) // 2] ^= 0xFF
    victim.write_bytes(bytes(damaged))
    try:
        result = bstack.ctl("backup", "verify", check=False)
        assert result.returncode == 1
        assert "checksum invalid: 1" in result.stderr + result.stdout
        report = bstack.ctl("backup", "verify", "--json", "--repo", "1", check=False)
        assert report.returncode == 1
    finally:
        victim.write_bytes(original)
    assert bstack.ctl("backup", "verify").returncode == 0


def test_retention_expires_old_sets_never_the_only_full(bstack: BackupStack) -> None:
    bstack.ctl("backup", "run", "--type", "full", "--repo", "1")
    bstack.ctl("backup", "run", "--type", "incr", "--repo", "1")
    bstack.ctl("backup", "run", "--type", "full", "--repo", "1")
    before = [b for b in bstack.ctl_json("backup", "list")["backups"] if b["repo"] == 1]
    assert [b["type"] for b in before] == ["full", "full", "incr", "full"]
    args = ("--repo", "1", "--retention-full", "1")
    planned = bstack.ctl_json("backup", "expire", *args, "--dry-run")
    assert {r["label"] for r in planned["removed"]} == {b["label"] for b in before[:3]}
    assert len(bstack.ctl_json("backup", "list")["backups"]) == len(before) + 1  # untouched
    result = bstack.ctl_json("backup", "expire", *args, "--yes")
    assert {r["label"] for r in result["removed"]} == {b["label"] for b in before[:3]}
    after = bstack.ctl_json("backup", "list")["backups"]
    assert [b["label"] for b in after if b["repo"] == 1] == [before[-1]["label"]]
    assert [b["repo"] for b in after].count(2) == 1  # repo2 untouched
    again = bstack.ctl_json("backup", "expire", *args, "--yes")
    assert again["removed"] == []  # the only full backup stays


def test_broken_archive_command_is_visible_in_list_and_metrics(bstack: BackupStack) -> None:
    bstack.sql("alter system set archive_command = '/bin/false'")
    bstack.sql("select pg_reload_conf()")
    try:
        bstack.sql("insert into marks values (4)", "pitr_db")
        bstack.sql("select pg_switch_wal()")
        wait_until(
            lambda: int(bstack.sql("select failed_count from pg_stat_archiver")) > 0,
            60,
            "archive failures",
        )
        inv = bstack.ctl_json("backup", "list")
        assert inv["archive"]["failing"] is True and inv["archive"]["failed_count"] > 0
        table = bstack.ctl("backup", "list", check=False)
        assert table.returncode == 5 and "FAILING" in table.stdout + table.stderr
        prom = (bstack.state / "textfile" / "fixia_backup.prom").read_text()
        failed = [
            line
            for line in prom.splitlines()
            if line.startswith("fixia_backup_archive_failed_total ")
        ]
        assert failed and float(failed[0].split()[1]) > 0
    finally:
        bstack.sql("alter system reset archive_command")
        bstack.sql("select pg_reload_conf()")
    wait_until(
        lambda: bstack.ctl_json("backup", "list")["archive"]["failing"] is False,
        90,
        "archiving to recover",
    )


def test_in_place_restore_needs_force_and_a_confirmation(bstack: BackupStack) -> None:
    lsn_before = bstack.sql("select pg_current_wal_lsn()")
    refused = bstack.ctl("restore", "--in-place", check=False)
    assert refused.returncode == 1 and "--force" in refused.stderr
    declined = subprocess.run(
        [FIXIACTL, "restore", "--in-place", "--force", "--env", bstack.env],
        input="n\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert declined.returncode == 3  # no terminal to confirm on, no --yes: refused
    assert "live_lsn" in declined.stdout + declined.stderr  # what would be lost was shown
    assert "refused" in declined.stderr and "--yes" in declined.stderr
    # the live cluster kept running, untouched
    assert bstack.sql("select pg_is_in_recovery()") == "f"
    assert bstack.sql(f"select pg_current_wal_lsn() >= '{lsn_before}'") == "t"
