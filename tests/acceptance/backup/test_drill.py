"""The DR drill end to end on the shared backup stack, and the alert rules' promtool tests.
Runs after test_backup_and_restore (file order): archiving is healthy again by then."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from tests.acceptance.backup.conftest import BackupStack
from tests.stack import ROOT


def test_drill_from_repo2_measures_rpo_and_rto(bstack: BackupStack, tmp_path: Path) -> None:
    result = bstack.ctl_json(
        "dr",
        "drill",
        "--from-repo",
        "2",
        "--heartbeat",
        "40",
        "--out-dir",
        str(tmp_path),
        timeout=600,
    )
    assert result["success"] is True, result
    assert all(result["checks"].values())
    assert result["migrations"]["at_head"] is True
    assert result["readyz"]["status"] == 200
    assert result["amcheck"]["ok"] is True
    assert result["tables"]["compared"] > 5 and result["tables"]["mismatched"] == []
    # measured, not configured: the disaster froze the repositories at T
    assert 0 <= result["rpo_s"] <= 60
    assert result["recovered_last_heartbeat_seq"] <= result["source_last_heartbeat_seq"]
    assert result["rto_s"] > result["timings"]["restore_s"] > 0
    evidence = Path(result["report"]["json"])
    digest = hashlib.sha256(evidence.read_bytes()).hexdigest()
    assert digest == result["report"]["sha256"]
    assert digest in Path(result["report"]["markdown"]).read_text()
    assert json.loads(evidence.read_text())["rpo_s"] == result["rpo_s"]
    metrics = (bstack.state / "textfile" / "fixia_dr_drill.prom").read_text()
    values = dict(line.split() for line in metrics.splitlines() if not line.startswith("#"))
    assert float(values["fixia_dr_drill_success"]) == 1
    assert float(values["fixia_dr_drill_rpo_seconds"]) == result["rpo_s"]
    assert float(values["fixia_dr_drill_rto_seconds"]) == result["rto_s"]
    # the live primary archives again after the drill
    assert bstack.sql("show archive_command").startswith("pgbackrest ")


def test_backup_alert_rules_pass_promtool() -> None:
    rules = ROOT / "deploy" / "prometheus" / "rules" / "backup.yml"
    tests = ROOT / "deploy" / "prometheus" / "tests" / "backup_test.yml"
    check = subprocess.run(
        ["promtool", "check", "rules", str(rules)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    run = subprocess.run(
        ["promtool", "test", "rules", str(tests)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    for name in ("backup-stale", "wal-archiving-failing", "dr-drill-stale", "dr-drill-failed"):
        assert (ROOT / "docs" / "runbooks" / f"{name}.md").exists()
