"""Put new secrets into the app slots without an outage: a rolling restart through HAProxy.

After a deploy one slot serves and the other is stopped. Restarting the serving slot in place
would leave no server in HAProxy's backend for a few seconds, so instead the idle slot starts
on the live slot's release with the new environment, takes the traffic through the runtime API
and the old slot is drained and stopped: the same move as a blue-green deploy, and the deploy
journal's record of the live slot follows it, so `fixiactl deploy` and `rollback` still work.
With both slots serving (chaos drills), each is drained, restarted and put back in turn.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fixiactl.deploy import releases, slots
from fixiactl.deploy.haproxy import Runtime
from fixiactl.deploy.journal import Slots
from fixiactl.errors import FixiactlError
from fixiactl.stack.config import EnvConfig, StackState, state_dir
from fixiactl.stack.render import SLOTS, write_slot_env
from fixiactl.stack.supervisor import Supervisor

Progress = Callable[[str], None]
# Generous: a slot's cold start takes seconds, but minutes on a saturated host.
READY_TIMEOUT_S = 120.0
DRAIN_TIMEOUT_S = 30.0


def render_env_files(config: EnvConfig, state: StackState) -> list[Path]:
    """Both slots' files from the current secrets, each keeping its release's additions."""
    return [write_slot_env(config, state, slot) for slot in SLOTS]


def roll(config: EnvConfig, state: StackState, say: Progress) -> dict[str, Any]:
    """Re-render the slots' environment and bring it into the running slots. Returns what
    was done: `mode` is `none` (nothing serves: the files apply at the next start), `swap`
    (one serving slot) or `in_place` (both serving)."""
    render_env_files(config, state)
    supervisor = Supervisor(state_dir(config.name))
    runtime = Runtime(state_dir(config.name))
    serving = _serving(supervisor, runtime) if supervisor.running() else []
    if len(serving) == 1:
        return _swap(config, state, serving[0], runtime, say)
    if len(serving) == 2:
        return _restart_each(config, state, runtime, say)
    # No slot serves (the stack is down, or stopped for maintenance): the files apply at
    # the next start.
    return {"mode": "none", "restarted": [], "live": None}


def _serving(supervisor: Supervisor, runtime: Runtime) -> list[str]:
    """Running and given traffic (a slot left running at weight 0 counts as idle)."""
    weights = {name: stat.weight for name, stat in runtime.stats().items()}
    return [
        s
        for s in SLOTS
        if supervisor.info(f"app-{s}")["statename"] == "RUNNING" and weights.get(s, 0) > 0
    ]


def _swap(
    config: EnvConfig, state: StackState, live: str, runtime: Runtime, say: Progress
) -> dict[str, Any]:
    env = config.name
    record = Slots.load(env)
    if record.active != live:
        raise FixiactlError(
            f"the deploy journal says {record.active} is live, but only {live} serves",
            hint=f"is a deploy running? fixiactl deploy status --env {env}; wait for it, or "
            f"if one was interrupted, set `active` in {state_dir(env)}/deploy/slots.json",
        )
    release = releases.load(record.releases[live] or "dev")
    link = state_dir(env) / "slots" / live
    if link.resolve() != release.venv.resolve():
        raise FixiactlError(
            f"{live} runs {link.resolve()}, not release {release.id}'s venv",
            hint=f"the deploy journal ({state_dir(env)}/deploy/slots.json) is out of date",
        )
    idle = record.idle
    say(f"starting {idle} on {release.id} with the new secrets")
    slots.stop(env, idle)
    runtime.set_weight(idle, 0)
    runtime.set_state(idle, "ready")
    slots.point(config, state, idle, release)
    _start_ready(env, state, idle, runtime)
    weight = runtime.stats()[live].weight or 100
    say(f"shifting traffic from {live} to {idle}")
    # The new slot first: the backend never has every weight at zero.
    runtime.set_weight(idle, weight)
    runtime.set_weight(live, 0)
    say(f"draining and stopping {live}")
    clean = slots.retire(Supervisor(state_dir(env)), runtime, live, DRAIN_TIMEOUT_S)
    record.releases[idle] = release.id
    record.active = idle
    record.save(env)
    return {
        "mode": "swap",
        "restarted": [f"app-{idle}"],
        "stopped": [f"app-{live}"],
        "live": idle,
        "release": release.id,
        "drained_clean": clean,
    }


def _restart_each(
    config: EnvConfig, state: StackState, runtime: Runtime, say: Progress
) -> dict[str, Any]:
    """Both slots serve: drain one, restart it, put it back, then the other."""
    clean = True
    for slot, other in zip(SLOTS, reversed(SLOTS), strict=True):
        if not runtime.wait_up(other, READY_TIMEOUT_S):
            raise FixiactlError(
                f"{other} is not UP in HAProxy: draining {slot} would leave nothing serving",
                hint=f"see {state_dir(config.name)}/log/app-{other}.log",
            )
        say(f"draining {slot}")
        runtime.set_state(slot, "drain")
        clean = runtime.wait_no_sessions(slot, DRAIN_TIMEOUT_S) and clean
        slots.stop(config.name, slot)
        say(f"restarting {slot}")
        _start_ready(config.name, state, slot, runtime)
    return {
        "mode": "in_place",
        "restarted": [f"app-{s}" for s in SLOTS],
        "stopped": [],
        "live": Slots.load(config.name).active,
        "drained_clean": clean,
    }


def _start_ready(env: str, state: StackState, slot: str, runtime: Runtime) -> None:
    """Start `slot`, wait until it answers /readyz and HAProxy has it UP (a drained slot is
    put back to `ready` only once the app is, so no request reaches it early)."""
    slots.start(env, slot)
    hint = f"see {state_dir(env)}/log/app-{slot}.log; the other slot still serves"
    if not slots.wait_ready(state.ports[slot], READY_TIMEOUT_S):
        slots.stop(env, slot)
        raise FixiactlError(f"{slot} not ready within {READY_TIMEOUT_S:.0f} s", hint=hint)
    runtime.set_state(slot, "ready")
    if not runtime.wait_up(slot, READY_TIMEOUT_S):
        raise FixiactlError(f"HAProxy never saw {slot} UP", hint=hint)
