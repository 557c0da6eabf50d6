"""How far a running backup or restore is, for the CLI's progress bar.

pgBackRest keeps a running backup's progress in its backup lock file (JSON: the percent
complete, and in newer releases the bytes done and to do); a restore reports nothing, so its
progress is the bytes written into the target directory against the backup's database size.
Both are probed from the side while the blocking command runs."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
Meter = Callable[[float], None]  # a fraction done, 0..1


def backup_fraction(lock_dir: Path, stanza: str) -> float | None:
    """The running backup's fraction done, from its lock file; None when it says nothing."""
    try:
        data = json.loads((lock_dir / f"{stanza}-backup.lock").read_text() or "{}")
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    if "pctCplt" in data:  # hundredths of a percent
        return _clamp(float(data["pctCplt"]) / 10_000)
    if "percentComplete" in data:
        return _clamp(float(str(data["percentComplete"]).rstrip("%")) / 100)
    if data.get("sz"):
        return _clamp(float(data.get("szCplt", 0)) / float(data["sz"]))
    return None


def dir_fraction(path: Path, expected_bytes: int) -> float | None:
    """Bytes under `path` against what is expected there (a restore's database size)."""
    if expected_bytes <= 0:
        return None
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:
                continue  # written and removed between the listing and the stat
    return _clamp(total / expected_bytes)


def while_running(
    work: Callable[[], T], probe: Callable[[], float | None], meter: Meter, every_s: float = 0.5
) -> T:
    """Run `work`, reporting `probe()` to `meter` every `every_s` until it returns; its result
    or its exception is the caller's, and the bar ends full only on success."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(work)
        while True:
            try:
                result = future.result(timeout=every_s)
            except FutureTimeout:
                fraction = probe()
                if fraction is not None:
                    meter(fraction)
                continue
            meter(1.0)
            return result


def _clamp(value: float) -> float:
    return min(max(value, 0.0), 1.0)
