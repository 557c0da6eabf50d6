"""`fixiactl stack`: run the production topology on this machine."""

from __future__ import annotations

import subprocess
from typing import Annotated

import typer
from rich.table import Table

from fixiactl.cli.common import (
    PROTECTED_ENVS,
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
from fixiactl.deploy import requirements
from fixiactl.errors import FixiactlError
from fixiactl.stack import controller
from fixiactl.stack.config import EnvConfig, load_env, state_dir

app = typer.Typer(help="Start, stop and inspect the single-host stack.", no_args_is_help=True)

# Stopping one of these takes the database away: the app fails every request that writes.
DATABASE_COMPONENTS = ("postgres", "patroni", "etcd")


def _table(components: list[controller.Component]) -> Table:
    table = Table(title="Fixia stack")
    for column in ("component", "state", "pid", "port", "health"):
        table.add_column(column)
    for c in components:
        health = (
            "[green]ok[/green]"
            if c.healthy
            else ("[dim]-[/dim]" if c.state == "STOPPED" else "[red]down[/red]")
        )
        table.add_row(c.name, c.state, str(c.pid or "-"), str(c.port or "-"), health)
    return table


def apply_overrides(config: EnvConfig, slots: str | None, app_env: list[str]) -> None:
    if slots is not None:
        chosen = [s.strip() for s in slots.split(",") if s.strip()]
        if not chosen or set(chosen) - {"blue", "green"}:
            raise FixiactlError(f"bad --slots {slots!r}", hint="use blue, green or blue,green")
        config.active_slots = chosen
    for item in app_env:
        key, sep, value = item.partition("=")
        if not sep or not key.startswith("FIXIA_"):
            raise FixiactlError(f"bad --app-env {item!r}", hint="use FIXIA_SETTING=value")
        config.app_env[key] = value


@app.command()
def up(
    env: Annotated[str, RequiredEnvOption],
    base_port: Annotated[int | None, typer.Option(help="Override the port base (0 = free)")] = None,
    slots: Annotated[
        str | None, typer.Option(help="Serving slots, e.g. blue,green (drills need both)")
    ] = None,
    app_env: Annotated[
        list[str] | None, typer.Option(help="Extra app setting KEY=VALUE (repeatable)")
    ] = None,
    as_json: Annotated[bool, JsonOption] = False,
    with_monitoring: Annotated[
        bool,
        typer.Option(
            "--monitoring", help="Also run Prometheus, Alertmanager, exporters (then remembered)"
        ),
    ] = False,
    with_ha: Annotated[
        bool,
        typer.Option(
            "--ha", help="PostgreSQL under Patroni: 3 members on 3 etcd (then remembered)"
        ),
    ] = False,
) -> None:
    """Render configs, start every component and wait until HAProxy answers /readyz.

    Idempotent: running it again on a running stack changes nothing and returns quickly.
    """
    with operator_errors(), progress(not as_json) as step:
        config = load_env(env, base_port)
        apply_overrides(config, slots, app_env or [])
        config.ha = config.ha or with_ha
        requirements.check(config)  # e.g. production's payment token: refused before starting
        components = controller.up(config, step, with_monitoring=with_monitoring)
    if as_json:
        emit_json([c.as_dict() for c in components])
    else:
        console.print(_table(components))


@app.command()
def down(
    env: Annotated[str, RequiredEnvOption],
    yes: Annotated[bool, YesOption] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Stop every component (data stays under var/stack/ENV)."""
    if env in PROTECTED_ENVS:
        confirm(f"Stop every component of {env}?", yes=yes)
    with operator_errors(), progress(not as_json) as step:
        controller.down(env, step)
    if as_json:
        emit_json({"env": env, "stopped": True, "data": str(state_dir(env))})


@app.command()
def status(
    env: Annotated[str, EnvOption] = "dev", as_json: Annotated[bool, JsonOption] = False
) -> None:
    """Each component with its pid, port and health."""
    with operator_errors():
        components = controller.status(env)
        if not components:
            raise FixiactlError(
                f"the {env} stack is not running",
                hint=f"start it with: fixiactl stack up --env {env}",
            )
    if as_json:
        emit_json([c.as_dict() for c in components])
    else:
        console.print(_table(components))
    if not all(c.healthy for c in components if c.state != "STOPPED"):
        raise typer.Exit(code=ExitCode.DEGRADED)


@app.command()
def logs(
    component: Annotated[
        str, typer.Argument(help="postgres, pgbouncer, redis, haproxy, app-blue…")
    ],
    env: Annotated[str, EnvOption] = "dev",
    lines: Annotated[int, typer.Option("-n", min=1, max=100_000)] = 50,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Print the last lines of a component's log."""
    path = state_dir(env) / "log" / f"{component}.log"
    with operator_errors():
        if not path.exists():
            raise FixiactlError(
                f"no log for {component!r} in {env}", hint=f"logs live in {path.parent}"
            )
    if as_json:
        tail = path.read_text(errors="replace").splitlines()[-lines:]
        emit_json({"component": component, "path": str(path), "lines": tail})
        return
    subprocess.run(["tail", "-n", str(lines), str(path)], check=False)


@app.command()
def stop(
    component: Annotated[str, typer.Argument(help="e.g. redis, pgbouncer, app-blue")],
    env: Annotated[str, RequiredEnvOption],
    yes: Annotated[bool, YesOption] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Stop one component (the others keep running): maintenance and failure drills.
    Stopping the database (postgres, a Patroni member, an etcd) or anything of a pipeline
    stage asks first (--yes)."""
    if component.startswith(DATABASE_COMPONENTS) or env in PROTECTED_ENVS:
        confirm(f"Stop {component} of {env}?", yes=yes)
    with operator_errors():
        controller.control(env, component, start=False)
    if as_json:
        emit_json({"env": env, "component": component, "state": "STOPPED"})


@app.command()
def start(
    component: Annotated[str, typer.Argument(help="e.g. redis, pgbouncer, app-green")],
    env: Annotated[str, RequiredEnvOption],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Start one stopped component."""
    with operator_errors():
        controller.control(env, component, start=True)
    if as_json:
        emit_json({"env": env, "component": component, "state": "RUNNING"})
