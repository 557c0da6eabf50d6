"""`fixiactl slo`: SLOs as code (deploy/slo) to rules, promtool tests and dashboards."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import typer

from fixiactl.cli.common import EnvOption, ExitCode, JsonOption, console, emit_json, operator_errors
from fixiactl.config_paths import relative
from fixiactl.errors import FixiactlError
from fixiactl.slo import generate as gen
from fixiactl.slo.spec import load_slos

app = typer.Typer(help="Generate SLO rules, their tests and the dashboards.", no_args_is_help=True)


def prometheus_url(env: str) -> str:
    from fixiactl.stack.config import read_state

    ports = read_state(env).ports
    if "prometheus" not in ports:
        raise FixiactlError(
            f"the {env} stack has no monitoring",
            hint=f"run: fixiactl stack up --env {env} --monitoring",
        )
    return f"http://127.0.0.1:{ports['prometheus']}"


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


@app.command("budget")
def budget_status(
    env: Annotated[str, EnvOption] = "dev", as_json: Annotated[bool, JsonOption] = False
) -> None:
    """Each SLO's remaining error budget in ENV and what the deploy policy would decide now
    for a deploy that is no hotfix. Exit 4 when it would refuse."""
    from fixiactl.deploy import budget

    with operator_errors():
        decision = budget.evaluate(env)
    if as_json:
        emit_json(decision.as_dict())
    else:
        for r in decision.readings:
            left = "no data: " + r.why if r.remaining is None else f"{r.remaining:.1%} left"
            console.print(f"{r.slo}: {left}")
        verdict = "deploys allowed" if decision.allowed else "only hotfixes deploy"
        console.print(f"floor {decision.floor:.0%}, no data: {decision.no_data}: {verdict}")
        if decision.reason:
            console.print(f"why: {decision.reason}")
    if not decision.allowed:
        raise typer.Exit(code=ExitCode.POLICY)


@app.command("report")
def report(
    month: Annotated[str, typer.Option(help="Calendar month, e.g. 2026-12")],
    env: Annotated[str, EnvOption] = "dev",
    out: Annotated[
        Path | None, typer.Option(help="Directory (default: the stack's reports/)")
    ] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """The month's error budget per SLO and what burned it (deploys, incidents, the rest):
    slo-report-MONTH.md, .csv and .svg, from ENV's Prometheus and deploy journal."""
    import time

    from fixiactl.deploy.journal import deploy_events
    from fixiactl.slo import report as rep
    from fixiactl.slo import report_render as render
    from fixiactl.slo.report_source import PrometheusMonth
    from fixiactl.stack.config import state_dir

    with operator_errors():
        source = PrometheusMonth(prometheus_url(env))
        data = rep.build(load_slos(), source, deploy_events(env), month, time.time())
        folder = out or state_dir(env) / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        stem = folder / f"slo-report-{month}"
        files = {
            ".svg": render.svg(data),
            ".md": render.markdown(data, f"slo-report-{month}.svg"),
            ".csv": render.rows_csv(data),
        }
        for suffix, content in files.items():
            stem.with_suffix(suffix).write_text(content)
    written = [str(stem.with_suffix(s)) for s in files]
    if as_json:
        emit_json(render.as_json(data) | {"files": written})
        return
    typer.echo(files[".md"])
    console.print("written: " + ", ".join(written))


@app.command("check-metrics")
def check_metrics(
    env: Annotated[str, EnvOption] = "dev", as_json: Annotated[bool, JsonOption] = False
) -> None:
    """Scrape every target of ENV's Prometheus (stack up --monitoring) and fail if a metric
    named by an alert, recording rule or dashboard is produced by nothing."""
    from fixiactl.monitoring import integrity

    with operator_errors():
        try:
            produced, failed = integrity.scrape_all(prometheus_url(env))
        except httpx.HTTPError as exc:
            raise FixiactlError(
                f"Prometheus of {env} does not answer ({exc})",
                hint=f"fixiactl stack status --env {env}",
            ) from exc
        missing = integrity.dangling(
            integrity.default_references(), produced | integrity.textfile_writers()
        )
    if as_json:
        emit_json({"dangling": {m: sorted(w) for m, w in missing.items()}, "unscraped": failed})
    else:
        for target in failed:
            console.print(f"[yellow]not scraped:[/yellow] {target}")
        for metric, where in missing.items():
            console.print(f"[red]dangling:[/red] {metric} ({', '.join(sorted(where))})")
        if not missing:
            console.print("[green]every referenced metric is produced[/green]")
    if missing:
        raise typer.Exit(code=ExitCode.FAILURE)
