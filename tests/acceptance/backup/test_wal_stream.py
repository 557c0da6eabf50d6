"""RPO in seconds: crash drills (every PostgreSQL process SIGKILLed, its data directory lost,
under writes) recovered in place from the repository plus the WAL pg_receivewal streamed,
with the acknowledged commits lost counted in the database; and repo2 on S3 (encrypted),
restorable after repo1 is gone. Runs last in the directory: the crash puts the shared stack
on a new timeline. Repeated drills and their RPO/RTO figures: `fixiactl dr bench --crashes`."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import boto3
import pytest

from tests.acceptance.backup.conftest import BackupStack, start_stack
from tests.acceptance.backup.test_backup_and_restore import (
    archive_now,
    restored,
    restored_sql,
)
from tests.stack import stop_and_remove

# Async streaming loses only what was flushed locally but not yet sent when every process
# died at once: a handful of commits at most, against archive_timeout (30 s here) without it.
ASYNC_LOSS_BOUND = 20
COUNT = "select count(*) from crash_probe where seq <="


@pytest.fixture(scope="module")
def strict_s3_stack() -> Iterator[BackupStack]:
    stack = start_stack("test-rpo", FIXIACTL_BACKUP_WAL_STREAM="strict", FIXIACTL_BACKUP_REPO2="s3")
    try:
        yield stack
    finally:
        stop_and_remove(stack.env, stack.state)


RECEIVERS = "select count(*) from pg_stat_replication where application_name = 'fixia_receivewal'"
SYNC_STATE = (
    "select sync_state from pg_stat_replication where application_name = 'fixia_receivewal'"
)


def _eventually(stack: BackupStack, query: str, expected: str, timeout_s: float = 60) -> str:
    """The receiver connects on its own after a start or a restore (supervisord restarts it):
    wait, bounded, for `query` to say `expected`; return what it said last."""
    deadline = time.monotonic() + timeout_s
    while True:
        said = stack.sql(query)
        if said == expected or time.monotonic() > deadline:
            return said
        time.sleep(1)


def _crash(stack: BackupStack, repo: str = "1") -> dict[str, object]:
    result: dict[str, object] = stack.ctl_json(
        "dr", "crash", "--from-repo", repo, "--write-seconds", "8s", "--yes", timeout=900
    )
    return result


def test_async_stream_crash_loses_at_most_a_few_acknowledged_commits(
    bstack: BackupStack,
) -> None:
    # an earlier file's in-place restore restarted the receiver: it may still be reconnecting
    assert _eventually(bstack, RECEIVERS, "1") == "1"
    result = _crash(bstack)
    assert result["mode"] == "async"
    acknowledged, lost = int(str(result["acknowledged"])), int(str(result["lost"]))
    assert acknowledged > 50, result  # the writer really wrote before the crash
    assert 0 <= lost <= ASYNC_LOSS_BOUND, result
    assert result["app_ready"] is True
    # counted in the recovered database itself, not taken from the drill's word
    found = bstack.sql(f"{COUNT} {acknowledged}", "fixia_ops")
    assert int(found) == acknowledged - lost
    # the receiver streams again, from the restored primary's new timeline
    assert _eventually(bstack, RECEIVERS, "1") == "1"


def test_strict_stream_crash_loses_no_acknowledged_commit(
    strict_s3_stack: BackupStack,
) -> None:
    stack = strict_s3_stack
    assert stack.sql("show synchronous_standby_names") == "fixia_receivewal"
    result = _crash(stack)
    assert result["mode"] == "strict"
    acknowledged = int(str(result["acknowledged"]))
    assert acknowledged > 20, result
    assert result["lost"] == 0, result
    found = stack.sql(f"{COUNT} {acknowledged}", "fixia_ops")
    assert int(found) == acknowledged
    assert result["app_ready"] is True
    # commits go on after recovery: the new receiver is the synchronous standby again
    assert _eventually(stack, SYNC_STATE, "sync") == "sync"
    stack.sql("insert into crash_probe (seq) values (-1)", "fixia_ops")


def test_pitr_from_s3_repo2_after_repo1_is_deleted(strict_s3_stack: BackupStack) -> None:
    stack = strict_s3_stack
    conf = (stack.state / "pgbackrest" / "pgbackrest.conf").read_text()
    assert "repo2-type=s3" in conf and "repo2-cipher-type=aes-256-cbc" in conf
    assert "repo2-s3-uri-style=path" in conf
    # the new timeline needs a base backup in repo2 (the crash drill restored from repo1)
    stack.ctl("backup", "run", "--type", "full", "--repo", "2", timeout=600)
    stack.sql("create database pitr_s3")
    stack.sql("create table marks (id int)", "pitr_s3")
    stack.sql("insert into marks values (1)", "pitr_s3")
    stack.ctl_json("backup", "restore-point", "s3-point")
    stack.sql("insert into marks values (2)", "pitr_s3")
    archive_now(stack, "the restore point's segment to be archived")
    shutil.rmtree(stack.repo1)  # the local repository is gone for good
    with restored(stack, "--from-repo", "2", "--to", "s3-point", "--no-flush") as info:
        got = restored_sql(info, "select string_agg(id::text, ',') from marks", "pitr_s3")
        assert got == "1"
    # every object in the bucket is encrypted (OpenSSL's format), as on the posix repos
    objects = _bucket_objects(stack)
    assert len(objects) > 10
    assert all(body.startswith(b"Salted__") for key, body in objects if _encrypted(key)), [
        key for key, body in objects if _encrypted(key) and not body.startswith(b"Salted__")
    ]


def _encrypted(key: str) -> bool:
    # pgBackRest's info files are plain text checksummed by it; data and WAL are encrypted
    return key.endswith(".zst") or ("/archive/main/15-" in key and not key.endswith("history"))


def _bucket_objects(stack: BackupStack) -> list[tuple[str, bytes]]:
    key, secret = (stack.state / "pgbackrest" / "s3-keys.txt").read_text().split()
    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{stack.ports['backup_s3']}",
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )
    pages = client.get_paginator("list_objects_v2").paginate(Bucket="fixia-backup")
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    return [
        (k, client.get_object(Bucket="fixia-backup", Key=k, Range="bytes=0-7")["Body"].read())
        for k in keys[:200]
    ]
