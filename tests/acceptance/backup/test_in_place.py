"""The last resort, last in the module: replace the live cluster of the throw-away stack with
its state at a restore point, and the stack serves again."""

from __future__ import annotations

import httpx

from tests.acceptance.backup.conftest import BackupStack
from tests.acceptance.backup.test_backup_and_restore import wait_until


def test_in_place_restore_to_a_restore_point(bstack: BackupStack) -> None:
    bstack.sql("create database inplace_db")
    bstack.sql("create table t (id int)", "inplace_db")
    bstack.sql("insert into t values (1)", "inplace_db")
    bstack.ctl_json("backup", "restore-point", "before-bad-change")
    bstack.sql("insert into t values (666)", "inplace_db")  # the change to undo
    result = bstack.ctl_json(
        "restore", "--to", "before-bad-change", "--in-place", "--force", "--yes", timeout=600
    )
    assert result["target"] == "name before-bad-change"
    assert "data.before-restore-" in result["previous_data_kept_at"]
    assert bstack.sql("select string_agg(id::text, ',') from t", "inplace_db") == "1"
    assert bstack.sql("select pg_is_in_recovery()") == "f"
    assert int(bstack.sql("select timeline_id from pg_control_checkpoint()")) >= 2

    def ready() -> bool:
        try:
            return httpx.get(
                f"http://127.0.0.1:{bstack.ports['http']}/readyz", timeout=2
            ).is_success
        except httpx.HTTPError:
            return False

    wait_until(ready, 60, "the stack to serve on the restored cluster")
