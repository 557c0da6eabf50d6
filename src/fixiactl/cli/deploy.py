"""`fixiactl deploy run|status|explain`, `rollback`, `promote`, `dora`: progressive delivery
on the single-host stack."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from fixiactl.cli import deploy_views as views
from fixiactl.cli.common import (
    DurationOption,
    EnvOption,
    ExitCode,
    JsonOption,
    RequiredEnvOption,
    YesOption,
    confirm,
    console,
    emit_json,
    operator_errors,
    progress,
)
from fixiactl.deploy import budget, pause, plan, promotion, requirements
from fixiactl.deploy import dora as dora_mod
from fixiactl.deploy.context import DeployContext
from fixiactl.deploy.engine import Deployer, DeployOptions
from fixiactl.deploy.journal import Slots, deploy_events
from fixiactl.deploy.results import DeployResult
from fixiactl.errors import FixiactlError


class Strategy(StrEnum):
    BLUE_GREEN = "blue-green"
    CANARY = "canary"


class OnFailure(StrEnum):
    ABORT = "abort"
    PAUSE = "pause"


class MetricsSource(StrEnum):
    SLOTS = "slots"
    PROMETHEUS = "prometheus"


HoldOption = DurationOption("How long each step is analysed, e.g. 10s")
ReadyTimeoutOption = DurationOption("How long to wait for readiness, e.g. 60s, 2m")
MetricsSourceOption = typer.Option(
    "--metrics-source",
    help="Where canary analysis reads metrics: slots (their own /metrics) or prometheus "
    "(the stack's, from --monitoring). Default: the environment's metrics_source, else slots.",
)
HotfixOption = typer.Option(
    "--hotfix", help="A fix for what burns the budget: passes the error-budget policy"
)
OverrideOption = typer.Option(
    "--override-budget", help="Deploy although an error budget is spent (needs --reason; audited)"
)
ReasonOption = typer.Option("--reason", help="Why the error-budget policy is overridden")
DryRunOption = typer.Option(
    "--dry-run", help="Print the plan (slots, steps, migrations, budget); change nothing"
)
ReplayOption = typer.Option(
    "--replay", help="explain: recompute every step verdict from its evidence file"
)
StickyOption = typer.Option(
    "--sticky", help="Whoever the new slot served stays on it until the deploy ends"
)
MirrorOption = DurationOption(
    "How long GETs are mirrored to the new slot (answers discarded) and judged before "
    "its first weight step, e.g. 30s; 0: no mirroring",
    "--mirror",
)
OnFailureOption = typer.Option(
    "--on-failure",
    help="abort (roll back) or pause: traffic back to stable, the new slot kept up, and "
    "`fixiactl deploy resume|abort ID` decides (abort after --pause-timeout)",
)
PauseTimeoutOption = DurationOption("How long a pause waits, e.g. 15m", "--pause-timeout")


def parse_steps(text: str | None, strategy: str) -> list[int]:
    if strategy == "blue-green":
        return [100]
    try:
        steps = [int(s) for s in (text or "5,25,50,100").split(",") if s.strip()]
    except ValueError as exc:
        raise FixiactlError(f"cannot read steps {text!r}", hint="e.g. --steps 5,50,100") from exc
    if not steps or steps != sorted(set(steps)) or steps[0] < 1 or steps[-1] != 100:
        raise FixiactlError(
            f"steps {text!r} must rise strictly from >= 1 to 100", hint="e.g. --steps 5,50,100"
        )
    return steps


class _ReleaseMeansRun(TyperGroup):
    """`fixiactl deploy RELEASE ...` is `fixiactl deploy run RELEASE ...`: the shape every
    script, test and document used before `run` was a sub-command keeps working."""

    # typer vendors click and exports neither its Context nor its Command: hence Any.
    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=_ReleaseMeansRun,
    no_args_is_help=True,
    help="Deploy a release with analysis at every step (`fixiactl deploy RELEASE` = `run`); "
    "what deploys did (status, explain).",
)


@app.command("run")
def run(
    target: Annotated[str, typer.Argument(help="Release id", metavar="RELEASE")],
    env: Annotated[str, RequiredEnvOption],
    strategy: Annotated[Strategy, typer.Option()] = Strategy.CANARY,
    steps: Annotated[str | None, typer.Option(help="Canary weights, e.g. 5,25,50,100")] = None,
    hold: Annotated[float, HoldOption] = 10.0,
    step_deadline: Annotated[
        float, DurationOption("Fail a step short of data after, e.g. 2m")
    ] = 120,
    ready_timeout: Annotated[float, ReadyTimeoutOption] = 60,
    tick: Annotated[float, DurationOption("Time between measurements, e.g. 1s")] = 1.0,
    allow_contract: Annotated[bool, typer.Option(help="Run contract migrations")] = False,
    metrics_source: Annotated[MetricsSource | None, MetricsSourceOption] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm a rollback-unsafe release")] = False,
    hotfix: Annotated[bool, HotfixOption] = False,
    override_budget: Annotated[bool, OverrideOption] = False,
    reason: Annotated[str | None, ReasonOption] = None,
    dry_run: Annotated[bool, DryRunOption] = False,
    sticky: Annotated[bool, StickyOption] = False,
    mirror: Annotated[float, MirrorOption] = 0.0,
    on_failure: Annotated[OnFailure, OnFailureOption] = OnFailure.ABORT,
    pause_timeout: Annotated[float, PauseTimeoutOption] = 900.0,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Deploy RELEASE with analysis at every step, promote or roll back automatically."""
    with operator_errors():

        def options() -> DeployOptions:
            return DeployOptions(
                release_id=target,
                strategy=strategy.value,
                steps=parse_steps(steps, strategy),
                step_hold_s=hold,
                step_deadline_s=step_deadline,
                ready_timeout_s=ready_timeout,
                tick_s=tick,
                allow_contract=allow_contract,
                metrics_source=metrics_source and metrics_source.value,
                sticky=sticky,
                mirror_s=mirror,
                on_failure=on_failure.value,
                pause_timeout_s=pause_timeout,
            )

        if dry_run:
            _dry_run(DeployContext.open(env), options(), hotfix, as_json)
            return
        confirm_unsafe(Slots.load(env), target, yes=yes, as_json=as_json, verb="Deploy")
        ctx = DeployContext.open(env)
        decision = budget_gate(ctx, target, hotfix, override_budget, reason, as_json)
        opts = options()  # after the budget gate, as always: its refusal comes first
        opts.budget = decision.as_dict()
        with progress(not as_json) as step:
            result = Deployer(ctx, opts, step).run()
        result["budget"] = decision.as_dict()
    _report(result, as_json)


def _dry_run(ctx: DeployContext, opts: DeployOptions, hotfix: bool, as_json: bool) -> None:
    """The plan, changing nothing: the budget is read (not enforced, nothing audited)."""
    requirements.check(ctx.config, ctx.release(opts.release_id))
    decision = budget.evaluate(ctx.env, hotfix=hotfix, config=ctx.config)
    the_plan = plan.make_plan(ctx, opts, decision)
    if as_json:
        emit_json(the_plan)
        return
    for line in plan.describe(the_plan):
        console.print(line)


@app.command("status")
def status(
    deploy_id: Annotated[str | None, typer.Argument(help="One deploy's events only")] = None,
    env: Annotated[str, EnvOption] = "dev",
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """The live slot, the rollback target and the latest deploy events."""
    with operator_errors():
        views.status(env, deploy_id, as_json)


@app.command("explain")
def explain(
    deploy_id: Annotated[str | None, typer.Argument(help="The deploy (see status)")] = None,
    env: Annotated[str, EnvOption] = "dev",
    replay: Annotated[bool, ReplayOption] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Every measurement and verdict of one deploy; --replay recomputes them."""
    with operator_errors():
        if not deploy_id:
            raise FixiactlError("which deploy?", hint="fixiactl deploy status --env ENV")
        (views.replay if replay else views.explain)(env, deploy_id, as_json)


@app.command("resume")
def resume(
    deploy_id: Annotated[str, typer.Argument(help="The paused deploy (see status)")],
    env: Annotated[str, RequiredEnvOption],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Resume a paused deploy: its traffic returns and the step is measured again."""
    with operator_errors():
        _answer(env, deploy_id, "resume", as_json)


@app.command("abort")
def abort(
    deploy_id: Annotated[str, typer.Argument(help="The paused deploy (see status)")],
    env: Annotated[str, RequiredEnvOption],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Abort a paused deploy: it rolls back (the stable slot already has all traffic)."""
    with operator_errors():
        _answer(env, deploy_id, "abort", as_json)


def _answer(env: str, deploy_id: str, action: str, as_json: bool) -> None:
    sent = pause.request(env, deploy_id, action)
    if as_json:
        emit_json(sent)
    else:
        console.print(f"{action} sent to {deploy_id}; the deploy picks it up within a second")


def budget_gate(
    ctx: DeployContext,
    release: str,
    hotfix: bool,
    override: bool,
    reason: str | None,
    as_json: bool,
) -> budget.Decision:
    """The error-budget policy before anything is touched; a refusal exits 4, with the
    decision on stdout under --json."""
    if override and not (reason or "").strip():
        raise FixiactlError("--override-budget needs --reason", hint='--reason "why now"')
    # What the environment refuses of the release comes first (and needs no stack): no
    # budget decision or override can make such a release deployable.
    requirements.check(ctx.config, ctx.release(release))
    try:
        decision = budget.enforce(
            ctx.env,
            release,
            hotfix=hotfix,
            override=reason if override else None,
            config=ctx.config,
        )
    except budget.BudgetRefused as refused:
        if as_json:
            emit_json(
                {"result": "refused", "release": release, "budget": refused.decision.as_dict()}
            )
        console.print(f"[red]refused:[/red] {refused.message}")
        console.print(f"[yellow]hint:[/yellow] {refused.hint}")
        raise typer.Exit(code=ExitCode.POLICY) from refused
    if decision.reason and not as_json:
        console.print(f"[yellow]error budget ({decision.outcome}):[/yellow] {decision.reason}")
    return decision


def _report(result: DeployResult, as_json: bool) -> None:
    if as_json:
        emit_json(result)
    else:
        colour = "green" if result["result"] == "promoted" else "red"
        console.print(
            f"[{colour}]{result['result']}[/{colour}] {result['release']} "
            f"({result['deploy_id']}): {result['failed_requests']} failed of "
            f"{result['requests']} requests in {result['duration_s']} s"
        )
        if result.get("reasons") or result.get("reason"):
            console.print(f"why: {result.get('reasons') or result.get('reason')}")
        if result.get("hint"):
            console.print(f"next: {result['hint']}")
    if result["result"] != "promoted":
        raise typer.Exit(code=ExitCode.REFUSED)


def confirm_unsafe(slots: Slots, release_id: str, *, yes: bool, as_json: bool, verb: str) -> None:
    """A release a contract migration has left behind may fail on today's schema: going
    back to it, by rollback or by deploy, needs the operator's word."""
    if release_id not in slots.rollback_unsafe or yes:
        return
    unsafe = f"{release_id} is not rollback-safe: a contract migration ran after it"
    confirm(f"{unsafe}; it may fail on today's schema. {verb} anyway?", yes=yes)


def rollback(
    env: Annotated[str, RequiredEnvOption],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm a rollback-unsafe target")] = False,
    ready_timeout: Annotated[float, ReadyTimeoutOption] = 60,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Back to the previous release at once (its install is kept): no smoke, no hold."""
    with operator_errors():
        slots = Slots.load(env)
        if not slots.previous:
            raise FixiactlError(f"no previous release in {env}", hint="nothing to roll back to")
        confirm_unsafe(slots, slots.previous, yes=yes, as_json=as_json, verb="Roll back")
        ctx = DeployContext.open(env)
        last = [e for e in deploy_events(env) if e["event"] == "promoted"]
        opts = DeployOptions(
            release_id=slots.previous,
            strategy="blue-green",
            steps=[100],
            fast_track=True,
            ready_timeout_s=ready_timeout,
            rollback_of=last[-1]["deploy_id"] if last else None,
        )
        with progress(not as_json) as step:
            result = Deployer(ctx, opts, step).run()
    _report(result, as_json)


def promote(
    release: Annotated[str, typer.Argument(help="Release id")],
    to: Annotated[str, typer.Option("--to", help="Target environment (required)")],
    strategy: Annotated[Strategy, typer.Option()] = Strategy.CANARY,
    steps: Annotated[str | None, typer.Option(help="Canary weights, e.g. 5,25,50,100")] = None,
    hold: Annotated[float, HoldOption] = 10.0,
    ready_timeout: Annotated[float, ReadyTimeoutOption] = 60,
    metrics_source: Annotated[MetricsSource | None, MetricsSourceOption] = None,
    hotfix: Annotated[bool, HotfixOption] = False,
    override_budget: Annotated[bool, OverrideOption] = False,
    reason: Annotated[str | None, ReasonOption] = None,
    yes: Annotated[bool, YesOption] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Deploy RELEASE to an environment only if it passed the one before it (the pipeline is
    deploy/environments/*.toml's `[pipeline] promotes_from`). To production it asks first
    (--yes)."""
    with operator_errors():
        source = promotion.check(release, to)
        ctx = DeployContext.open(to)
        decision = budget_gate(ctx, release, hotfix, override_budget, reason, as_json)
        if to == "production":  # after the refusals that need no one's word
            confirm(f"Deploy {release} to production?", yes=yes)
        opts = DeployOptions(
            release_id=release,
            strategy=strategy.value,
            steps=parse_steps(steps, strategy),
            step_hold_s=hold,
            ready_timeout_s=ready_timeout,
            promoted_from=None if source == promotion.FIRST else source,
            metrics_source=metrics_source and metrics_source.value,
            budget=decision.as_dict(),
        )
        with progress(not as_json) as step:
            step(f"{release} passed {source}: deploying to {to}")
            result = Deployer(ctx, opts, step).run()
        result["budget"] = decision.as_dict()
    _report(result, as_json)


def dora(
    env: Annotated[str, EnvOption] = "dev",
    window: Annotated[float, DurationOption("The period measured, e.g. 7d, 12h")] = 7 * 86400.0,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Deployment frequency, lead time, change failure rate and time to restore."""
    with operator_errors():
        figures = dora_mod.compute(env, window / 86400)
        dora_mod.write_textfile(env)
    if as_json:
        emit_json(figures)
        return
    table = Table(title=f"DORA ({env}, last {window / 86400:g} days)")
    table.add_column("figure")
    table.add_column("value")
    for key, value in figures.items():
        table.add_row(
            key,
            "-" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value),
        )
    console.print(table)
