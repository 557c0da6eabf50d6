"""`fixia audit record` from fixiactl: the app's audit log without importing fixia.

The command runs with blue's settings straight to PostgreSQL (stack.render.oneshot_environment),
so an entry goes through the same `audit.record` as the app's own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from fixiactl.stack.config import EnvConfig, StackState
from fixiactl.stack.render import oneshot_environment


def record(
    config: EnvConfig,
    state: StackState,
    *,
    action: str,
    target: tuple[str, str],
    details: dict[str, Any],
) -> subprocess.CompletedProcess[str]:
    """One entry: `action` on (target type, target id). The caller decides what a failure means."""
    fixia = Path(sys.executable).parent / "fixia"
    command = [
        str(fixia), "audit", "record", "--action", action, "--target-type", target[0],
        "--target-id", target[1], "--details-json", json.dumps(details),
    ]  # fmt: skip
    env = oneshot_environment(config, state)
    return subprocess.run(
        command, env=env, capture_output=True, text=True, check=False, timeout=120
    )
