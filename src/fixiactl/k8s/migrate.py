"""Expand and contract migrations on Kubernetes, as `fixiactl deploy` runs them on one host.

The migration Jobs run this in the release's own image (which carries `fixia` and `fixiactl`):
`expand` before the rollout applies the pending chain up to its first contract migration;
`contract` after the rollout has promoted applies the rest. Like the deployer, fixiactl
never imports the service: it reads the migration files as syntax trees and drives the
schema through `fixia db current|upgrade`.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from fixiactl.deploy.migrations import plan_migrations, scan_migrations
from fixiactl.errors import FixiactlError

Phase = Literal["expand", "contract"]
Run = Callable[[list[str]], tuple[int, str]]


def versions_dir() -> Path:
    """The installed service's migrations, located without importing it."""
    spec = importlib.util.find_spec("fixia")
    if spec is None or spec.origin is None:
        raise FixiactlError("the fixia package is not installed here")
    return Path(spec.origin).parent / "migrations" / "versions"


def _run(cmd: list[str]) -> tuple[int, str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def applied(run: Run) -> set[str]:
    code, out = run(["fixia", "db", "current", "--json"])
    # Exit 3 means "not at head", which is expected here; the JSON is printed either way.
    if code not in (0, 3):
        raise FixiactlError(f"fixia db current failed: {out.strip()[-300:]}")
    return set(json.loads(out.strip().splitlines()[-1])["current"])


def contract_revisions(versions: Path) -> list[str]:
    """Every contract migration of this code: readiness tolerates their absence
    (FIXIA_DB__DEFERRED_REVISIONS), since the contract Job runs them only after promotion."""
    found = scan_migrations(versions).migrations.values()
    return sorted(m.revision for m in found if m.kind == "contract")


def migrate(phase: Phase, versions: Path, run: Run = _run) -> dict[str, Any]:
    plan = plan_migrations(scan_migrations(versions).pending(applied(run)))
    if phase == "expand":
        target, ran = plan.start_target, plan.before_start
    else:  # everything still pending, contract or not
        ran = plan.before_start + plan.after_retire
        target = "head" if ran else None
    if target is not None:
        code, out = run(["fixia", "db", "upgrade", target])
        if code != 0:
            raise FixiactlError(f"{phase} migrations to {target} failed: {out.strip()[-500:]}")
    return {"phase": phase, "target": target, "ran": [m.revision for m in ran]}
