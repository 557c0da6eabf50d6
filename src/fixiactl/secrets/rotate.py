"""Apply a JWT rotation to a stack: persist the ring, roll the app slots onto it without an
outage (fixiactl.secrets.roll), and record the event in the audit log."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from fixiactl import audit
from fixiactl.errors import FixiactlError
from fixiactl.files import write_private
from fixiactl.secrets.jwt import KeyRing, prune, rotate
from fixiactl.secrets.roll import Progress, render_env_files, roll
from fixiactl.stack.config import EnvConfig, StackState, read_state, state_dir

DEFAULT_ACCESS_TTL_S = 900


def quiet(_message: str) -> None:
    """The default progress callback: say nothing."""


def ring_of(state: StackState) -> KeyRing:
    if state.jwt_keys:
        return KeyRing(dict(state.jwt_keys), state.jwt_active_kid, dict(state.jwt_retire_at))
    return KeyRing({"k1": state.jwt_key}, "k1", {})


def save_state(name: str, state: StackState) -> None:
    write_private(state_dir(name) / "stack.json", json.dumps(asdict(state), indent=2))


def _save(name: str, state: StackState, ring: KeyRing) -> None:
    state.jwt_keys, state.jwt_active_kid, state.jwt_retire_at = (
        ring.keys,
        ring.active,
        ring.retire_at,
    )
    save_state(name, state)


def record_audit(
    config: EnvConfig, state: StackState, details: dict[str, Any], target: str = "jwt"
) -> bool:
    """`fixia audit record` with the slot's environment (fixiactl never imports fixia)."""
    done = audit.record(
        config, state, action="secret.rotated", target=("secret", target), details=details
    )
    return done.returncode == 0


def rotate_jwt(
    config: EnvConfig, *, now: datetime | None = None, say: Progress = quiet
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    state = read_state(config.name)
    ring = ring_of(state)
    ttl = int(config.app_env.get("FIXIA_AUTH__ACCESS_TTL_S", DEFAULT_ACCESS_TTL_S))
    previous = ring.active
    kid, dropped = rotate(ring, now=now, access_ttl_s=ttl)
    _save(config.name, state, ring)
    say(f"new signing key {kid}; rolling the app slots onto it")
    rolled = roll(config, state, say)
    details = {"env": config.name, "new_kid": kid, "previous_kid": previous, "dropped": dropped}
    audited = False
    if rolled["restarted"]:  # no slot running: the database may be down too
        say("recording the rotation in the audit log")
        audited = record_audit(config, state, details | {"roll": rolled["mode"]})
    return {
        **details,
        "kids": sorted(ring.keys),
        "retire_at": {
            k: datetime.fromtimestamp(t, UTC).isoformat() for k, t in ring.retire_at.items()
        },
        **rolled,
        "audited": audited,
    }


def prune_jwt(
    config: EnvConfig, *, now: datetime | None = None, say: Progress = quiet
) -> dict[str, Any]:
    state = read_state(config.name)
    ring = ring_of(state)
    dropped = prune(ring, now or datetime.now(UTC))
    if dropped:
        _save(config.name, state, ring)
        roll(config, state, say)
    else:
        # Always re-rendered, so the slots' files match the ring even after a manual edit.
        render_env_files(config, state)
    return {"env": config.name, "dropped": dropped, "kids": sorted(ring.keys)}


def roll_changed(config: EnvConfig, secret: str | None, *, say: Progress = quiet) -> dict[str, Any]:
    """After a secret was changed where it lives (stack.json, the environment's app_env, a
    FIXIA_SECRET_<NAME>_FILE): re-render the slots' files and roll the slots onto them."""
    if secret is not None and not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", secret):
        raise FixiactlError(
            f"cannot record secret {secret!r}",
            hint="a short lower-case name, e.g. mercadopago-token or webhook-secret",
        )
    state = read_state(config.name)
    rolled = roll(config, state, say)
    audited = False
    if secret and rolled["restarted"]:
        say("recording the rotation in the audit log")
        audited = record_audit(config, state, {"env": config.name, "roll": rolled["mode"]}, secret)
    return {"env": config.name, "secret": secret, **rolled, "audited": audited}
