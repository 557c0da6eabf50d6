"""The error-budget policy: while an SLO has spent its error budget down to the environment's
floor, only hotfixes deploy, unless an operator overrides the policy with a reason, which is
recorded in the app's audit log.

The remaining budget is the SLO recording rule `slo:error_budget_remaining:ratio` (1 - the
error ratio over the SLO's period / the budget), read from the stack's Prometheus. No data is
never a healthy budget: no Prometheus, an unreachable one, or an SLO without the series (its
SLI counted nothing, or the rules are not loaded) is "no data", and with the default
`error_budget_no_data = "refuse"` a non-hotfix deploy is refused for it just as for a spent
budget. An environment may choose "warn": the deploy goes on, and the decision says why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import httpx

from fixiactl import audit
from fixiactl.errors import FixiactlError
from fixiactl.promapi import api_get
from fixiactl.slo.spec import load_slos
from fixiactl.stack import monitoring
from fixiactl.stack.config import EnvConfig, load_env, read_state

REMAINING = "slo:error_budget_remaining:ratio"
NO_DATA_MODES = ("refuse", "warn")
OVERRIDE_ACTION = "deploy.budget_override"  # fixia.audit.service.DEPLOY_BUDGET_OVERRIDE


@dataclass(frozen=True)
class Reading:
    slo: str
    remaining: float | None  # share of the period's budget left; None: no data
    why: str = ""  # why there is no data


class BudgetSource(Protocol):
    def remaining(self, slos: Sequence[str]) -> list[Reading]:
        """One reading per SLO name, in that order; no data as remaining=None, never raises."""


class PrometheusBudget:
    def __init__(self, url: str, *, client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self.client = client or httpx.Client(timeout=5.0)

    def remaining(self, slos: Sequence[str]) -> list[Reading]:
        url = f"{self.url}/api/v1/query"
        try:
            result = api_get(self.client, url, {"query": REMAINING}, hint="")
        except FixiactlError as exc:
            return unknown(slos, exc.message)
        found = {r["metric"].get("slo"): float(r["value"][1]) for r in result}
        return [_reading(name, found.get(name)) for name in slos]


class NoPrometheus:
    """A stack started without --monitoring: nothing to read, for every SLO."""

    def remaining(self, slos: Sequence[str]) -> list[Reading]:
        return unknown(slos, "the stack runs no Prometheus (fixiactl stack up --monitoring)")


def unknown(slos: Sequence[str], why: str) -> list[Reading]:
    return [Reading(name, None, why) for name in slos]


def _reading(name: str, value: float | None) -> Reading:
    if value is None:
        return Reading(name, None, f"Prometheus has no {REMAINING} series for {name}")
    if math.isnan(value):  # 0/0: the SLI counted no event at all over the period
        return Reading(name, None, f"{name} counted no events over its period")
    return Reading(name, value)


@dataclass(frozen=True)
class Policy:
    floor: float = 0.10
    no_data: str = "refuse"

    @classmethod
    def of(cls, config: EnvConfig) -> Policy:
        policy = cls(config.error_budget_floor, config.error_budget_no_data)
        if policy.no_data not in NO_DATA_MODES or not 0 <= policy.floor < 1:
            raise FixiactlError(
                f"{config.name}: invalid error-budget policy "
                f"(floor {policy.floor!r}, no_data {policy.no_data!r})",
                hint="error_budget_floor in [0, 1), error_budget_no_data refuse or warn",
            )
        return policy


@dataclass
class Decision:
    allowed: bool
    outcome: str  # within_budget | refused | hotfix | override
    floor: float
    no_data: str
    readings: list[Reading]
    below: list[str] = field(default_factory=list)  # SLOs under the floor
    missing: list[str] = field(default_factory=list)  # SLOs without data
    reason: str = ""
    hint: str = ""
    override_reason: str | None = None
    audited: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def decide(
    readings: list[Reading], policy: Policy, *, hotfix: bool = False, override: str | None = None
) -> Decision:
    """The policy alone, on readings already taken: no I/O."""
    below = [r for r in readings if r.remaining is not None and r.remaining < policy.floor]
    missing = [r for r in readings if r.remaining is None]
    problems = [
        f"{r.slo} has {r.remaining:.1%} of its error budget left, under the floor of "
        f"{policy.floor:.0%}"
        for r in below
        if r.remaining is not None
    ] + [f"no data for {r.slo}: {r.why}" for r in missing]
    blocked = bool(below) or (bool(missing) and policy.no_data == "refuse")
    decision = Decision(
        allowed=True,
        outcome="within_budget",
        floor=policy.floor,
        no_data=policy.no_data,
        readings=readings,
        below=[r.slo for r in below],
        missing=[r.slo for r in missing],
        reason="; ".join(problems),
    )
    if not blocked:
        return decision
    if hotfix:
        decision.outcome = "hotfix"
    elif override and override.strip():
        decision.outcome, decision.override_reason = "override", override.strip()
    else:
        decision.allowed, decision.outcome = False, "refused"
        decision.hint = (
            "only hotfixes deploy now: wait for the budget to recover, deploy a fix with "
            '--hotfix, or override with --override-budget --reason "..." (audited)'
        )
    return decision


class BudgetRefused(FixiactlError):
    def __init__(self, decision: Decision) -> None:
        super().__init__(f"deploy refused by the error-budget policy: {decision.reason}")
        self.hint = decision.hint
        self.decision = decision


class Auditor(Protocol):
    def record(self, env: str, details: dict[str, Any]) -> None:
        """Record an override in the audit log; raise FixiactlError when it is not recorded."""


class AppAudit:
    """`fixia audit record` against the environment's database."""

    def record(self, env: str, details: dict[str, Any]) -> None:
        done = audit.record(
            load_env(env),
            read_state(env),
            action=OVERRIDE_ACTION,
            target=("env", env),
            details=details,
        )
        if done.returncode != 0:
            raise FixiactlError(
                "the error-budget override could not be recorded in the audit log, so it is "
                "refused",
                hint=(done.stderr or done.stdout)[-400:] or "fixia audit record failed",
            )


def source_for(env: str) -> BudgetSource:
    ports = read_state(env).ports
    if "prometheus" not in ports or not monitoring.enabled(env):
        return NoPrometheus()
    return PrometheusBudget(f"http://127.0.0.1:{ports['prometheus']}")


def evaluate(
    env: str,
    source: BudgetSource | None = None,
    *,
    hotfix: bool = False,
    override: str | None = None,
    config: EnvConfig | None = None,
) -> Decision:
    """The decision on every SLO of deploy/slo, read now; raises nothing, audits nothing.
    `config`: the environment's, when the caller has already loaded it."""
    names = [slo.name for slo in load_slos()]
    readings = (source or source_for(env)).remaining(names)
    policy = Policy.of(config or load_env(env))
    return decide(readings, policy, hotfix=hotfix, override=override)


def enforce(
    env: str,
    release: str,
    *,
    hotfix: bool = False,
    override: str | None = None,
    source: BudgetSource | None = None,
    auditor: Auditor | None = None,
    config: EnvConfig | None = None,
) -> Decision:
    """The decision for deploying `release` to `env` now: refused (BudgetRefused) or allowed;
    an override that lets a deploy through is audited first, and refused if it cannot be."""
    decision = evaluate(env, source, hotfix=hotfix, override=override, config=config)
    if not decision.allowed:
        raise BudgetRefused(decision)
    if decision.outcome == "override":
        details = {
            "release": release,
            "reason": decision.override_reason,
            "below_floor": decision.below,
            "no_data": decision.missing,
            "floor": decision.floor,
            "remaining": {r.slo: r.remaining for r in decision.readings},
        }
        (auditor or AppAudit()).record(env, details)
        decision.audited = True
    return decision
