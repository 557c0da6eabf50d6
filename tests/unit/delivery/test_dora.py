"""DORA figures and promotion checks read the durable deploy log."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fixiactl.deploy import dora, promotion
from fixiactl.errors import FixiactlError

NOW = 1_800_000_000.0


@pytest.fixture(autouse=True)
def state_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FIXIACTL_STATE_ROOT", str(tmp_path))
    return tmp_path


def log(root: Path, env: str, *events: dict[str, object]) -> None:
    path = root / env / "deploy" / "deploys.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(e) + "\n" for e in events))


def ev(deploy: str, event: str, ts: float, **extra: object) -> dict[str, object]:
    return {"deploy_id": deploy, "event": event, "ts": ts, **extra}


def test_figures_from_the_log(state_root: Path) -> None:
    commit = datetime.fromtimestamp(NOW - 7200, UTC).isoformat()
    log(
        state_root,
        "staging",
        ev("d1", "started", NOW - 7200, strategy="canary"),
        ev("d1", "promoted", NOW - 3600, commit_time=commit, release="r1"),
        ev("d2", "rolled_back", NOW - 3000, time_to_restore_s=12.0, release="r2"),
        ev("d3", "promoted", NOW - 2000, commit_time=commit, release="r3"),
        ev("d4", "promoted", NOW - 1000, rollback_of="d3", release="r1"),
        ev("d5", "failed", NOW - 500, release="r4"),
    )
    figures = dora.compute("staging", window_days=1, now=NOW)
    assert figures["deploys"] == 4  # d4 is a recovery, not a deploy
    assert figures["failures"] == 3  # d2, d5, and d3 which was rolled back by hand
    assert figures["change_failure_rate"] == 0.75
    assert figures["deployment_frequency_per_day"] == 2.0
    assert figures["lead_time_seconds"] == pytest.approx((3600 + 5200) / 2)  # median of two
    assert figures["time_to_restore_seconds"] == pytest.approx((12.0 + 1000.0) / 2)
    text = dora.write_textfile("staging").read_text()
    assert 'fixia_dora_change_failure_rate{env="staging"} 0.75' in text
    assert 'fixia_rollbacks_total{env="staging"} 2.0' in text


def test_no_deploys_no_figures() -> None:
    assert dora.compute("empty", now=NOW)["change_failure_rate"] is None


def test_promotion_needs_the_previous_environment(state_root: Path) -> None:
    log(state_root, "staging", ev("d1", "promoted", NOW, release="r1"))
    log(state_root, "pre-production", ev("d2", "rolled_back", NOW, release="r1"))
    assert promotion.check("r1", "pre-production") == "staging"
    with pytest.raises(FixiactlError, match="has not passed pre-production"):
        promotion.check("r1", "production")
    with pytest.raises(FixiactlError, match="not in the pipeline"):
        promotion.check("r1", "qa")
