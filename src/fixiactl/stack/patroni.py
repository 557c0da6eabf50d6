"""`fixiactl db`: the HA stack's cluster through Patroni's own `patronictl` (never by hand)."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

from fixiactl.errors import FixiactlError
from fixiactl.stack import ha
from fixiactl.stack.config import read_state, state_dir


def _require_ha(env: str) -> None:
    read_state(env)  # a clear error when there is no stack at all
    if not (state_dir(env) / "ha.enabled").exists():
        raise FixiactlError(
            f"the {env} stack does not run PostgreSQL under Patroni",
            hint=f"start it with: fixiactl stack up --ha --env {env}",
        )


def patronictl(env: str, *args: str, timeout_s: float = 90) -> str:
    _require_ha(env)
    config = ha.member_dir(state_dir(env), 0) / "patroni.yml"
    done = subprocess.run(
        [str(ha.PATRONI_VENV / "bin" / "patronictl"), "-c", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if done.returncode != 0:
        raise FixiactlError(
            f"patronictl {args[0]} failed: {(done.stderr or done.stdout).strip()[-1500:]}",
            hint=f"see {state_dir(env)}/log/patroni*.log",
        )
    return done.stdout


def members(env: str) -> list[dict[str, Any]]:
    """One row a member: name, role (leader, sync_standby, replica), state, timeline, lag."""
    rows = json.loads(patronictl(env, "list", "--format", "json") or "[]")
    return [
        {
            "member": r["Member"],
            "host": r["Host"],
            "role": r["Role"].lower().replace(" ", "_"),
            "state": r["State"],
            "timeline": r.get("TL"),
            "lag_bytes": r.get("Replay Lag", r.get("Lag in MB")),
        }
        for r in rows
    ]


def leader(env: str) -> str | None:
    return next((m["member"] for m in members(env) if m["role"] == "leader"), None)


def switchover(env: str, candidate: str | None) -> dict[str, Any]:
    """A planned change of leader: Patroni waits for the candidate to be in sync, then stops
    the leader cleanly; no acknowledged write can be lost."""
    current = leader(env)
    if current is None:
        raise FixiactlError("the cluster has no leader", hint="use fixiactl db failover")
    args = ["switchover", "--leader", current, "--force"]
    if candidate:
        args += ["--candidate", candidate]
    patronictl(env, *args)
    return {"from": current, "to": _wait_new_leader(env, current)}


def failover(env: str, candidate: str) -> dict[str, Any]:
    """Promote `candidate` now, with or without a healthy leader."""
    current = leader(env)
    patronictl(env, "failover", "--candidate", candidate, "--force")
    return {"from": current, "to": _wait_new_leader(env, current)}


def _wait_new_leader(env: str, old: str | None, timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = leader(env)
        if now is not None and now != old:
            return now
        time.sleep(0.5)
    raise FixiactlError("no new leader within 60 s", hint="see fixiactl db status")
