"""The WAL stream's pieces that need no server: modes, the restore_command wrapper's fallback
order (run for real with sh), pruning, settings validation and the crash bench's summary."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fixiactl.backup import walstream
from fixiactl.backup.bench import _pct
from fixiactl.backup.settings import BackupSettings, resolve
from fixiactl.errors import FixiactlError
from fixiactl.stack.config import EnvConfig


def _settings(tmp_path: Path, mode: str) -> BackupSettings:
    return BackupSettings(
        env="unit",
        enabled=True,
        retention_full_days=30,
        archive_timeout=60,
        process_max=1,
        root=tmp_path / "pgbackrest",
        repo1_path=tmp_path / "repo1",
        repo2_path=tmp_path / "repo2",
        pg_data=tmp_path / "pg" / "data",
        pg_socket=tmp_path / "pg" / "sock",
        pg_port=5999,
        wal_stream=mode,
        stream_path=tmp_path / "stream",
    )


def test_strict_mode_makes_the_receiver_the_synchronous_standby(tmp_path: Path) -> None:
    strict = walstream.postgres_settings(_settings(tmp_path, "strict"))
    assert strict["synchronous_standby_names"] == "'fixia_receivewal'"
    relaxed = walstream.postgres_settings(_settings(tmp_path, "async"))
    assert "synchronous_standby_names" not in relaxed
    assert "max_slot_wal_keep_size" in relaxed
    assert walstream.postgres_settings(_settings(tmp_path, "off")) == {}


def test_receiver_command_uses_the_slot_and_reports_each_flush(tmp_path: Path) -> None:
    cmd = walstream.command(_settings(tmp_path, "async"))
    assert "-S fixia_receivewal" in cmd and "--synchronous" in cmd
    assert "application_name=fixia_receivewal" in cmd
    assert f"-D {tmp_path / 'stream'}" in cmd


def test_restore_wrapper_falls_back_to_the_streamed_segment_then_the_partial(
    tmp_path: Path,
) -> None:
    s = _settings(tmp_path, "async")
    s.root.mkdir()
    s.stream_path.mkdir()  # type: ignore[union-attr]
    stream = s.stream_path
    assert stream is not None
    (stream / "000000010000000000000007").write_bytes(b"full")
    (stream / "000000010000000000000008.partial").write_bytes(b"partial")
    script = walstream.restore_script(s)

    def get(name: str) -> tuple[int, bytes]:
        out = tmp_path / f"got-{name}"
        rc = subprocess.run(["sh", str(script), name, str(out)], timeout=60, check=False)
        return rc.returncode, out.read_bytes() if out.exists() else b""

    # pgBackRest has nothing (no stanza here): the stream answers
    assert get("000000010000000000000007") == (0, b"full")
    assert get("000000010000000000000008") == (0, b"partial")
    assert get("000000010000000000000009")[0] != 0  # the end of WAL: recovery stops here


def test_prune_keeps_what_pgbackrest_does_not_hold_yet(tmp_path: Path) -> None:
    s = _settings(tmp_path, "async")
    stream = s.stream_path
    assert stream is not None
    stream.mkdir()
    names = [f"0000000100000000000000{i:02X}" for i in range(1, 13)]
    for name in names:
        (stream / name).write_bytes(b"x")
    (stream / "00000001000000000000000D.partial").write_bytes(b"x")
    removed = walstream.prune(s, "00000001000000000000000A", keep=2)
    left = sorted(p.name for p in stream.iterdir())
    assert removed == 8
    assert left == [*names[8:], "00000001000000000000000D.partial"]


def test_unknown_stream_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIXIACTL_BACKUP_WAL_STREAM", "sometimes")
    with pytest.raises(FixiactlError, match="wal_stream"):
        resolve(EnvConfig(name="unit-walstream"), 5432)


def test_percentiles_of_the_crash_bench() -> None:
    values = [float(v) for v in range(1, 21)]
    assert _pct(values, 0.5) == 11.0
    assert _pct(values, 0.95) == 19.0
    assert _pct([], 0.5) is None
