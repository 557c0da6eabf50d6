"""What a deploy would do, worked out without changing anything (`deploy run --dry-run`):
which release replaces which on which slot, the steps, the migrations and when each runs,
and what the error-budget policy says now. It reads the stack (slots, schema) but writes
nothing and audits nothing."""

from __future__ import annotations

from typing import Any, TypedDict

from fixiactl.deploy import budget, requirements
from fixiactl.deploy.context import DeployContext
from fixiactl.deploy.engine import DeployOptions
from fixiactl.errors import FixiactlError


class Plan(TypedDict):
    dry_run: bool
    env: str
    release: str
    from_release: str | None
    live_slot: str
    new_slot: str
    strategy: str
    steps: list[int]
    hold_s: float
    step_deadline_s: float
    metrics_source: str
    rollback_unsafe: bool  # going to this release needs --yes
    routing: dict[str, Any]  # the routing modes (fixiactl.deploy.routing, pause)
    migrations: dict[str, Any]
    budget: dict[str, Any]


def make_plan(ctx: DeployContext, opts: DeployOptions, decision: budget.Decision) -> Plan:
    release = ctx.release(opts.release_id)
    requirements.check(ctx.config, release)
    slots = ctx.slots()
    serving = slots.releases[slots.active]
    if serving == release.id:
        raise FixiactlError(f"release {release.id} already serves in {ctx.env}")
    gate = ctx.host.gate(release, str(serving), allow_contract=opts.allow_contract)
    return {
        "dry_run": True,
        "env": ctx.env,
        "release": release.id,
        "from_release": serving,
        "live_slot": slots.active,
        "new_slot": slots.idle,
        "strategy": opts.strategy,
        "steps": opts.steps,
        "hold_s": opts.step_hold_s,
        "step_deadline_s": opts.step_deadline_s,
        "metrics_source": opts.metrics_source or ctx.config.metrics_source,
        "rollback_unsafe": release.id in slots.rollback_unsafe,
        "routing": {
            "sticky": opts.sticky,
            "mirror_s": opts.mirror_s,
            "on_failure": opts.on_failure,
            "pause_timeout_s": opts.pause_timeout_s,
        },
        "migrations": gate.as_dict(),
        "budget": decision.as_dict(),
    }


def describe(plan: Plan) -> list[str]:
    """The plan in a few lines, for a terminal."""
    migrations = plan["migrations"]
    lines = [
        f"would deploy {plan['release']} to {plan['env']} on {plan['new_slot']}, "
        f"replacing {plan['from_release']} on {plan['live_slot']}",
        f"{plan['strategy']}: steps {', '.join(f'{s} %' for s in plan['steps'])}, each held "
        f"{plan['hold_s']:g} s (failing after {plan['step_deadline_s']:g} s without data), "
        f"metrics from {plan['metrics_source']}",
        f"migrations: expand {migrations['expand'] or 'none'}, "
        f"contract {migrations['contract'] or 'none'}",
        _routing_line(plan["routing"], plan["new_slot"]),
        f"error budget: {plan['budget']['outcome']}"
        + (f" ({plan['budget']['reason']})" if plan["budget"].get("reason") else ""),
    ]
    if plan["rollback_unsafe"]:
        lines.append(f"{plan['release']} is not rollback-safe: the deploy would ask --yes")
    return lines


def _routing_line(routing: dict[str, Any], slot: str) -> str:
    parts = [f"staff (header or cookie) on {slot} from its first step"]
    if routing["sticky"]:
        parts.append("sticky until the deploy ends")
    if routing["mirror_s"]:
        parts.append(f"GETs mirrored to it for {routing['mirror_s']:g} s first")
    if routing["on_failure"] == "pause":
        parts.append(f"a failure pauses (up to {routing['pause_timeout_s']:g} s)")
    return "routing: " + "; ".join(parts)
