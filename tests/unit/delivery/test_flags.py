"""Flags evaluated in process by the real flagd provider (FILE mode) from a flag file."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixia.observability.metrics import FLAG_EVALUATIONS
from fixia.platform import flags
from fixiactl import flags as flag_store

SOURCE = Path(__file__).resolve().parents[3] / "deploy" / "flags" / "flags.json"


@pytest.fixture
def flag_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("FIXIACTL_STATE_ROOT", str(tmp_path))
    path = flag_store.flag_file("unit")  # seeded from deploy/flags/flags.json
    flags.configure(flags.FlagSettings(file=path, deadline_ms=200))
    yield path
    flags.unconfigure()


def test_unconfigured_flags_answer_their_code_defaults(flag_path: Path) -> None:
    """A rollout this file turned on must not outlive the test (it once made instant booking
    accept the service requests of tests that ran later in the same worker)."""
    flag_store.change("unit", "instant-booking", reason="everyone", rollout=100)
    assert _until(lambda: flags.enabled("instant-booking", default=False, key="k", email="a@b.ar"))
    flags.unconfigure()
    assert flags.enabled("instant-booking", default=False, key="k", email="a@b.ar") is False
    flags.configure(flags.FlagSettings(file=flag_path, deadline_ms=200))
    assert _until(lambda: flags.enabled("instant-booking", default=False, key="k", email="a@b.ar"))


def ranking(key: str, location: str = "") -> bool:
    return flags.enabled("new-search-ranking", default=False, key=key, location=location)


def test_the_shipped_file_is_the_seed(flag_path: Path) -> None:
    assert json.loads(flag_path.read_text()) == json.loads(SOURCE.read_text())


def test_targeting_rule_wins_over_the_rollout(flag_path: Path) -> None:
    assert all(ranking(f"user-{n}", location="Rawson") for n in range(50))


def test_fractional_rollout_is_sticky_and_near_its_weight(flag_path: Path) -> None:
    first = [ranking(f"user-{n}") for n in range(2000)]
    again = [ranking(f"user-{n}") for n in range(2000)]
    assert first == again
    assert 0.15 < sum(first) / len(first) < 0.25  # 20 % in deploy/flags/flags.json


def _until(check: object, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_editing_the_file_flips_behaviour_without_a_restart(flag_path: Path) -> None:
    keys = [f"user-{n}" for n in range(200)]
    assert not all(ranking(k) for k in keys)
    flag_store.change("unit", "new-search-ranking", reason="full rollout", rollout=100)
    assert _until(lambda: all(ranking(k) for k in keys))
    flag_store.change("unit", "new-search-ranking", reason="incident 42", state="DISABLED")
    assert _until(lambda: not any(ranking(k, location="Rawson") for k in keys))  # kill switch
    trail = flag_store.history("unit", "new-search-ranking")
    assert [r["reason"] for r in trail] == ["full rollout", "incident 42"]
    assert trail[1]["before"]["state"] == "ENABLED" and trail[1]["after"]["state"] == "DISABLED"


def test_evaluations_are_counted(flag_path: Path) -> None:
    def count() -> float:
        return sum(
            s.value
            for m in FLAG_EVALUATIONS.collect()
            for s in m.samples
            if s.name.endswith("_total") and s.labels["flag"] == "instant-booking"
        )

    before = count()
    for n in range(5):
        flags.enabled("instant-booking", default=False, key=f"u{n}", role="client")
    assert count() == before + 5


def test_a_missing_flag_answers_the_code_default(flag_path: Path) -> None:
    assert flags.enabled("no-such-flag", default=True, key="k") is True
    shutil.copyfile(SOURCE, flag_path)


def test_instant_booking_targets_staff_and_waits_for_its_rollout(flag_path: Path) -> None:
    def booking(n: int, email: str) -> bool:
        return flags.enabled("instant-booking", default=False, key=f"id-{n}", email=email)

    assert all(booking(n, f"ana{n}@fixia.com.ar") for n in range(20))
    assert not any(booking(n, f"user{n}@example.com.ar") for n in range(200))  # 0 % so far
    flag_store.change("unit", "instant-booking", reason="start rollout", rollout=50)
    assert _until(lambda: 60 < sum(booking(n, f"u{n}@example.com.ar") for n in range(200)) < 140)
