"""The backup and restore progress bars' probes: pgBackRest's lock file in its known shapes,
bytes restored against the expected size, and the side-probing runner."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from fixiactl.backup.progress import backup_fraction, dir_fraction, while_running


@pytest.mark.parametrize(
    ("lock", "fraction"),
    [
        ({"execId": "1-a", "pctCplt": 3412, "pid": 1, "sz": 9, "szCplt": 3}, 0.3412),
        ({"execId": "1-a", "percentComplete": "56.25"}, 0.5625),
        ({"execId": "1-a", "sz": 200, "szCplt": 50}, 0.25),
        ({"execId": "1-a", "pctCplt": 12000}, 1.0),  # never past full
    ],
)
def test_a_running_backup_says_how_far_it_is(
    tmp_path: Path, lock: dict[str, object], fraction: float
) -> None:
    (tmp_path / "main-backup.lock").write_text(json.dumps(lock))
    assert backup_fraction(tmp_path, "main") == pytest.approx(fraction)


@pytest.mark.parametrize("content", [None, "", "not json", "[1]", '{"execId": "1-a"}'])
def test_no_lock_or_no_progress_in_it_is_unknown(tmp_path: Path, content: str | None) -> None:
    if content is not None:
        (tmp_path / "main-backup.lock").write_text(content)
    assert backup_fraction(tmp_path, "main") is None


def test_a_restore_is_the_bytes_written_against_the_backup_size(tmp_path: Path) -> None:
    (tmp_path / "base" / "1").mkdir(parents=True)
    (tmp_path / "base" / "1" / "16384").write_bytes(b"x" * 300)
    (tmp_path / "PG_VERSION").write_bytes(b"x" * 100)
    assert dir_fraction(tmp_path, 1000) == pytest.approx(0.4)
    assert dir_fraction(tmp_path, 200) == 1.0
    assert dir_fraction(tmp_path, 0) is None


def test_the_runner_probes_while_the_work_runs_and_ends_full() -> None:
    release = threading.Event()
    seen: list[float] = []
    probes = iter([None, 0.2, 0.6])

    def probe() -> float | None:
        value = next(probes, 0.9)
        if value == 0.9:
            release.set()
        return value

    def work() -> str:
        assert release.wait(10)
        return "done"

    assert while_running(work, probe, seen.append, every_s=0.01) == "done"
    assert seen[:2] == [0.2, 0.6] and seen[-1] == 1.0


def test_a_failed_command_raises_and_never_shows_full() -> None:
    seen: list[float] = []

    def work() -> None:
        raise RuntimeError("pgbackrest exited 56")

    with pytest.raises(RuntimeError, match="exited 56"):
        while_running(work, lambda: 0.5, seen.append, every_s=0.01)
    assert 1.0 not in seen
