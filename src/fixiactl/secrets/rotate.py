"""Apply a JWT rotation to a stack: persist the ring, re-render the slots' environment files,
restart the running slots one at a time, and record the event in the audit log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from fixiactl.secrets.jwt import KeyRing, prune, rotate
from fixiactl.stack.config import EnvConfig, StackState, read_state, state_dir
from fixiactl.stack.health import http_ok, wait_for
from fixiactl.stack.render import SLOTS, app_environment, oneshot_environment, write_env_file
from fixiactl.stack.supervisor import Supervisor

DEFAULT_ACCESS_TTL_S = 900


def ring_of(state: StackState) -> KeyRing:
    if state.jwt_keys:
        return KeyRing(dict(state.jwt_keys), state.jwt_active_kid, dict(state.jwt_retire_at))
    return KeyRing({"k1": state.jwt_key}, "k1", {})


def _save(name: str, state: StackState, ring: KeyRing) -> None:
    state.jwt_keys, state.jwt_active_kid, state.jwt_retire_at = (
        ring.keys,
        ring.active,
        ring.retire_at,
    )
    path = state_dir(name) / "stack.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2))
    tmp.chmod(0o600)
    os.replace(tmp, path)


def _render_env_files(config: EnvConfig, state: StackState) -> list[Path]:
    root = state_dir(config.name)
    return [
        write_env_file(root / f"app-{slot}.env", app_environment(config, state, slot))
        for slot in SLOTS
    ]


def _restart_running_slots(config: EnvConfig, state: StackState) -> list[str]:
    """One slot at a time, each back to ready before the next: HAProxy keeps serving."""
    supervisor = Supervisor(state_dir(config.name))
    if not supervisor.running():
        return []
    restarted = []
    for slot in SLOTS:
        name = f"app-{slot}"
        if supervisor.info(name)["statename"] != "RUNNING":
            continue
        supervisor.stop(name)
        supervisor.start(name)
        url = f"http://127.0.0.1:{state.ports[slot]}/readyz"
        wait_for(f"{name} ready", partial(http_ok, url), 60, f"see log/{name}.log")
        restarted.append(name)
    return restarted


def record_audit(config: EnvConfig, state: StackState, details: dict[str, Any]) -> bool:
    """`fixia audit record` with the slot's environment (fixiactl never imports fixia)."""
    fixia = Path(sys.executable).parent / "fixia"
    env = oneshot_environment(config, state)
    command = [
        str(fixia), "audit", "record", "--action", "secret.rotated", "--target-type", "secret",
        "--target-id", "jwt", "--details-json", json.dumps(details),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    return done.returncode == 0


def rotate_jwt(config: EnvConfig, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    state = read_state(config.name)
    ring = ring_of(state)
    ttl = int(config.app_env.get("FIXIA_AUTH__ACCESS_TTL_S", DEFAULT_ACCESS_TTL_S))
    previous = ring.active
    kid, dropped = rotate(ring, now=now, access_ttl_s=ttl)
    _save(config.name, state, ring)
    _render_env_files(config, state)
    restarted = _restart_running_slots(config, state)
    details = {"env": config.name, "new_kid": kid, "previous_kid": previous, "dropped": dropped}
    audited = record_audit(config, state, details) if restarted else False
    return {
        **details,
        "kids": sorted(ring.keys),
        "retire_at": {
            k: datetime.fromtimestamp(t, UTC).isoformat() for k, t in ring.retire_at.items()
        },
        "restarted": restarted,
        "audited": audited,
    }


def prune_jwt(config: EnvConfig, *, now: datetime | None = None) -> dict[str, Any]:
    state = read_state(config.name)
    ring = ring_of(state)
    dropped = prune(ring, now or datetime.now(UTC))
    if dropped:
        _save(config.name, state, ring)
    # Always re-rendered, so the slots' files match the ring even after a manual edit.
    _render_env_files(config, state)
    if dropped:
        _restart_running_slots(config, state)
    return {"env": config.name, "dropped": dropped, "kids": sorted(ring.keys)}
