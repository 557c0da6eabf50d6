"""Feature-flag files per environment, edited with an audit trail.

The app evaluates `<state>/flags/flags.json` (flagd format) in process and re-reads it when it
changes; this module is the only writer. Every change appends who, when, what before and
after, and why to `<state>/flags/audit.jsonl`. flagd keeps no audit log of its own.
"""

from __future__ import annotations

import getpass
import json
import os
import time
from pathlib import Path
from typing import Any

from fixiactl.errors import FixiactlError
from fixiactl.stack.config import flag_file, state_dir


def load(env: str) -> dict[str, Any]:
    return dict(json.loads(flag_file(env).read_text()))


def _write(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)  # atomic: the provider never reads half a file


def _set_rollout(node: Any, percent: int) -> bool:
    """Rewrite the first `fractional` rule to percent % on / the rest off."""
    if isinstance(node, dict):
        if "fractional" in node:
            args = node["fractional"]
            buckets = [a for a in args if isinstance(a, list)]
            if len(buckets) != 2:
                raise FixiactlError("the flag's fractional rule does not have two variants")
            keep = [a for a in args if not isinstance(a, list)]
            node["fractional"] = [*keep, [buckets[0][0], percent], [buckets[1][0], 100 - percent]]
            return True
        return any(_set_rollout(v, percent) for v in node.values())
    if isinstance(node, list):
        return any(_set_rollout(v, percent) for v in node)
    return False


def change(
    env: str,
    name: str,
    *,
    reason: str,
    state: str | None = None,
    default_variant: str | None = None,
    rollout: int | None = None,
) -> dict[str, Any]:
    data = load(env)
    flags = data["flags"]
    if name not in flags:
        raise FixiactlError(f"no flag {name!r}", hint=f"one of {', '.join(sorted(flags))}")
    before = json.loads(json.dumps(flags[name]))
    flag = flags[name]
    if state is not None:
        if state not in ("ENABLED", "DISABLED"):
            raise FixiactlError(f"state {state!r}", hint="ENABLED or DISABLED")
        flag["state"] = state
    if default_variant is not None:
        if default_variant not in flag["variants"]:
            raise FixiactlError(f"no variant {default_variant!r}", hint=", ".join(flag["variants"]))
        flag["defaultVariant"] = default_variant
    if rollout is not None:
        if not 0 <= rollout <= 100:
            raise FixiactlError("rollout is a percentage", hint="0 to 100")
        if not _set_rollout(flag.get("targeting"), rollout):
            raise FixiactlError(f"{name} has no fractional rollout to change")
    path = flag_file(env)
    _write(path, data)
    record = {
        "ts": time.time(),
        "user": os.environ.get("SUDO_USER") or getpass.getuser(),
        "flag": name,
        "reason": reason,
        "before": before,
        "after": flag,
    }
    with (path.parent / "audit.jsonl").open("a") as audit:
        audit.write(json.dumps(record) + "\n")
    return record


def history(env: str, name: str | None = None) -> list[dict[str, Any]]:
    path = state_dir(env) / "flags" / "audit.jsonl"
    if not path.exists():
        return []
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r for r in records if name is None or r["flag"] == name]
