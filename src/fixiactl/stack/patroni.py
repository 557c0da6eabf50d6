"""`fixiactl db`: the HA stack's cluster through Patroni's own `patronictl` (never by hand)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from typing import Any

from fixiactl.errors import FixiactlError
from fixiactl.stack import ha
from fixiactl.stack.config import PGBIN, read_state, state_dir
from fixiactl.stack.health import haproxy_command


def _require_ha(env: str) -> None:
    read_state(env)  # a clear error when there is no stack at all
    if not (state_dir(env) / "ha.enabled").exists():
        raise FixiactlError(
            f"the {env} stack does not run PostgreSQL under Patroni",
            hint=f"start it with: fixiactl stack up --ha --env {env}",
        )


def patronictl(env: str, *args: str, timeout_s: float = 90, stdin: str | None = None) -> str:
    """`stdin`: answers to patronictl's own prompts."""
    _require_ha(env)
    config = ha.member_dir(state_dir(env), 0) / "patroni.yml"
    done = subprocess.run(
        [str(ha.PATRONI_VENV / "bin" / "patronictl"), "-c", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
        input=stdin,
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
    the leader cleanly; no acknowledged write can be lost. PgBouncer is paused around it, so
    the app's transactions wait (for seconds) instead of failing on the stopping leader, and
    resume once HAProxy routes to the new leader alone."""
    current = leader(env)
    if current is None:
        raise FixiactlError("the cluster has no leader", hint="use fixiactl db failover")
    args = ["switchover", "--leader", current, "--force"]
    if candidate:
        args += ["--candidate", candidate]
    paused_at = time.monotonic()
    pgbouncer_admin(env, "PAUSE fixia")
    try:
        patronictl(env, *args)
        new = _wait_new_leader(env, current)
        _wait_routed(env, new)
    finally:
        pgbouncer_admin(env, "RESUME fixia")
    return {"from": current, "to": new, "paused_s": round(time.monotonic() - paused_at, 2)}


def pgbouncer_admin(env: str, command: str, timeout_s: float = 15) -> None:
    """PgBouncer's admin console: as the `pgbouncer` user over its Unix socket, which
    PgBouncer admits without a password from the OS user it runs as (postgres)."""
    state = state_dir(env)
    port = read_state(env).ports["pgbouncer"]
    cmd = [str(PGBIN / "psql"), "-h", str(state / "pgbouncer"), "-p", str(port),
           "-U", "pgbouncer", "-d", "pgbouncer", "-c", command]  # fmt: skip
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    # RESUME on a pool that is not paused answers "already ..."; nothing to undo then.
    if done.returncode != 0 and "already" not in done.stderr:
        raise FixiactlError(f"PgBouncer {command} failed: {done.stderr.strip()}")


def primary_route(env: str) -> set[str]:
    """The members HAProxy's primary frontend sends connections to (UP, state 2)."""
    text = haproxy_command(state_dir(env) / "haproxy" / "db-admin.sock", "show servers state")
    rows = [line.split() for line in text.splitlines()]
    return {r[3] for r in rows if len(r) > 5 and r[1] == "pg_primary" and r[5] == "2"}


def _wait_routed(env: str, member: str, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while primary_route(env) != {member}:
        if time.monotonic() > deadline:
            raise FixiactlError(f"HAProxy does not route to {member} alone within {timeout_s} s")
        time.sleep(0.2)


def failover(env: str, candidate: str) -> dict[str, Any]:
    """Promote `candidate` now, with or without a healthy leader."""
    current = leader(env)
    patronictl(env, "failover", "--candidate", candidate, "--force")
    return {"from": current, "to": _wait_new_leader(env, current)}


def _wait_new_leader(env: str, old: str | None, timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    stack = read_state(env)
    while time.monotonic() < deadline:
        # Patroni's REST check, not `patronictl list`: a poll costs milliseconds, not seconds.
        index = ha.leader_index(stack)
        if index is not None and f"pg{index}" != old:
            return f"pg{index}"
        time.sleep(0.2)
    raise FixiactlError("no new leader within 60 s", hint="see fixiactl db status")


def remove_cluster(env: str) -> None:
    """Wipe the cluster's state from etcd (`patronictl remove`), every Patroni stopped: the
    next Patroni started on a data directory initializes the cluster from that data."""
    scope = f"fixia-{env}"
    # patronictl's prompts: the cluster's name, its phrase (and a leader, were one left).
    patronictl(env, "remove", scope, stdin=f"{scope}\nYes I am aware\n\n")
