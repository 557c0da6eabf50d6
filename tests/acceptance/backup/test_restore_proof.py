"""Issue #29, item 4: the newest backup proven by a restore on the shared backup stack. A
sign-up through HAProxy makes the business tables non-empty first, so equal invariants
mean the restore reproduced real rows, not two empty databases."""

from __future__ import annotations

import uuid

import httpx

from tests.acceptance.backup.conftest import BackupStack
from tests.factories.accounts import registration


def test_the_newest_backup_is_proven_by_a_restore(bstack: BackupStack) -> None:
    r = httpx.post(
        f"http://127.0.0.1:{bstack.ports['http']}/api/v1/auth/register",
        json=registration("client", email=f"proof-{uuid.uuid4().hex[:8]}@example.com.ar"),
        timeout=30,
    )
    assert r.status_code == 201, r.text
    users = int(bstack.sql("select count(*) from users", "fixia"))

    result = bstack.ctl_json("backup", "prove", "--repo", "1", timeout=900)

    assert result["success"] is True, result
    assert result["mismatched"] == [] and result["amcheck"]["ok"] is True
    assert result["tables"] > 5
    assert int(result["source"]["users"]) >= users >= 1
    assert result["source"]["payments"].count("|") == 1  # count|sum/approved: money checked
    metrics = (bstack.state / "textfile" / "fixia_backup_proof.prom").read_text()
    values = dict(line.rsplit(" ", 1) for line in metrics.splitlines() if line[:1] != "#")
    assert float(values['fixia_backup_last_proof_success{repo="1"}']) == 1
    stamp = float(values['fixia_backup_last_verified_restore_timestamp_seconds{repo="1"}'])
    assert abs(stamp - result["finished_epoch"]) < 1
    # The scratch cluster is gone and the live primary still archives.
    assert not any((bstack.state / "proofs").iterdir())
    assert bstack.sql("show archive_command").startswith("pgbackrest ")
