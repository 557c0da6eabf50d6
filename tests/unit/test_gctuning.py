"""The serving worker's garbage-collector settings (fixia.platform.gctuning)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixia.config import Settings
from fixia.config.runtime import GcSettings

# The collector's state as a probe prints it: gen0, gen1 and gen2 thresholds, frozen objects.
_REPORT = "print(json.dumps([*gc.get_threshold(), gc.get_freeze_count()]))"


def _in_a_fresh_process(code: str, env: dict[str, str] | None = None) -> list[int]:
    """Run `code` (which prints a JSON list) in its own interpreter: the collector is
    process-wide, and a test worker's must stay as CPython made it."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    result: list[int] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_tune_raises_the_young_threshold_and_freezes_what_exists() -> None:
    gen0, gen1, gen2, frozen = _in_a_fresh_process(
        "import gc, json; from fixia.config.runtime import GcSettings; "
        "from fixia.platform.gctuning import tune; "
        "tune(GcSettings(gen0_threshold=12345, freeze_after_start=True)); " + _REPORT
    )
    _, untouched_gen1, untouched_gen2, _ = _in_a_fresh_process("import gc, json; " + _REPORT)
    assert (gen0, gen1, gen2) == (12_345, untouched_gen1, untouched_gen2)
    assert frozen > 0


def test_zero_and_no_freeze_leave_cpython_alone() -> None:
    gen0, gen1, gen2, frozen = _in_a_fresh_process(
        "import gc, json; from fixia.config.runtime import GcSettings; "
        "from fixia.platform.gctuning import tune; "
        "tune(GcSettings(gen0_threshold=0, freeze_after_start=False)); " + _REPORT
    )
    untouched = _in_a_fresh_process("import gc, json; " + _REPORT)
    # Not 0: CPython 3.12 starts with a few hundred objects in the permanent generation.
    assert [gen0, gen1, gen2, frozen] == untouched


def test_the_defaults_tune_and_the_environment_overrides_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().gc == GcSettings(gen0_threshold=7000, freeze_after_start=True)
    monkeypatch.setenv("FIXIA_GC__GEN0_THRESHOLD", "0")
    monkeypatch.setenv("FIXIA_GC__FREEZE_AFTER_START", "false")
    assert Settings().gc == GcSettings(gen0_threshold=0, freeze_after_start=False)
    with pytest.raises(ValueError, match="gen0_threshold"):
        GcSettings(gen0_threshold=-1)


def test_the_module_uvicorn_serves_is_tuned_in_its_own_process(tmp_path: Path) -> None:
    """What a worker does: import fixia.asgi. Tuned there; building an app (as tests and
    tools do, many times in one process) tunes nothing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIXIA_", "PROMETHEUS_"))}
    env |= {
        "FIXIA_ENV": "test",
        "FIXIA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gc.db'}",
        "FIXIA_VAR_DIR": str(tmp_path),
        "FIXIA_GC__GEN0_THRESHOLD": "9000",
    }
    probe = (
        "import gc, json; from fixia.main import create_app; before = gc.get_freeze_count(); "
        "create_app(); built = gc.get_freeze_count(); import fixia.asgi; "
        "print(json.dumps([before, built, gc.get_freeze_count(), gc.get_threshold()[0]]))"
    )
    before, built, served, threshold = _in_a_fresh_process(probe, env)
    assert built == before  # building an app froze nothing (3.12 starts with some frozen)
    assert served > before + 10_000
    assert threshold == 9000
