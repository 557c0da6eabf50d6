"""`fixiactl slo`: SLOs as code (deploy/slo) to rules, promtool tests and dashboards."""

from __future__ import annotations

from typing import Annotated

import typer

from fixiactl.cli.common import JsonOption, console, emit_json, operator_errors
from fixiactl.config_paths import relative
from fixiactl.errors import FixiactlError
from fixiactl.slo import generate as gen
from fixiactl.slo.spec import load_slos

app = typer.Typer(help="Generate SLO rules, their tests and the dashboards.", no_args_is_help=True)


@app.command()
def generate(
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if a committed file is out of date")
    ] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Write deploy/prometheus/{rules,tests}/slo-*.yml and deploy/grafana/*.json."""
    with operator_errors():
        files = gen.planned()
        if check:
            outdated = gen.stale(files)
            if as_json:
                emit_json({"stale": [relative(p) for p in outdated]})
            if outdated:
                raise FixiactlError(
                    "generated files are out of date: " + ", ".join(relative(p) for p in outdated),
                    hint="run: fixiactl slo generate, and commit the result",
                )
            if not as_json:
                console.print(f"[green]{len(files)} generated files are up to date[/green]")
            return
        changed = gen.write(files, console.print if not as_json else lambda _m: None)
    if as_json:
        emit_json({"written": [relative(p) for p in changed]})
    elif not changed:
        console.print("nothing to do: every generated file is up to date")


@app.command("list")
def list_slos(as_json: Annotated[bool, JsonOption] = False) -> None:
    """The SLOs defined in deploy/slo."""
    with operator_errors():
        slos = load_slos()
    rows = [
        {"name": s.name, "objective": s.objective, "period": s.period, "team": s.team} for s in slos
    ]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        console.print(f"{r['name']}: {r['objective']:.3%} over {r['period']} (team {r['team']})")
