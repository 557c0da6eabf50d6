"""`fixiactl deploy status|explain`: what the deploy journal says, as tables or JSON."""

from __future__ import annotations

import datetime as dt

import typer
from rich.table import Table

from fixiactl.cli.common import ExitCode, console, emit_json
from fixiactl.deploy import evidence
from fixiactl.deploy.journal import Slots, deploy_events, deploy_records
from fixiactl.errors import FixiactlError


def status(env: str, deploy_id: str | None, as_json: bool) -> None:
    events = deploy_events(env)
    if deploy_id:
        events = [e for e in events if e["deploy_id"] == deploy_id]
        if not events:
            raise FixiactlError(f"no deploy {deploy_id} in {env}")
    data = {"slots": Slots.load(env).__dict__, "events": events[-20:]}
    if as_json:
        emit_json(data)
        return
    slots = Slots.load(env)
    console.print(
        f"live: {slots.active} ({slots.releases[slots.active]}), previous: {slots.previous}"
        + (" (NOT rollback-safe)" if slots.previous in slots.rollback_unsafe else "")
    )
    table = Table(title="Recent deploy events")
    for column in ("time", "deploy", "event", "release", "detail"):
        table.add_column(column)
    for e in events[-20:]:
        detail = e.get("reason") or "; ".join(e.get("reasons") or []) or ""
        table.add_row(_time(e["ts"]), e["deploy_id"], e["event"], str(e.get("release")), detail)
    console.print(table)


def _time(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def explain(env: str, deploy_id: str, as_json: bool) -> None:
    records = deploy_records(env, deploy_id)
    if not records:
        raise FixiactlError(f"no records for deploy {deploy_id} in {env}")
    if as_json:
        emit_json(records)
        return
    started = next((r for r in records if r.get("event") == "started"), {})
    source = started.get("metrics_source", "slots")
    table = Table(title=f"Deploy {deploy_id} (metrics from {source})")
    for column in ("time", "what", "step", "canary", "baseline", "verdict / detail"):
        table.add_column(column)
    for r in records:
        if r["kind"] == "measurement":
            c, b = r["canary"], r["baseline"]
            table.add_row(
                _time(r["ts"]),
                f"measure +{r['elapsed_s']}s ({r.get('source', source)})",
                f"{r['step']} %",
                f"{c['errors']:.0f}/{c['requests']:.0f}",
                f"{b['errors']:.0f}/{b['requests']:.0f}",
                f"{r['verdict']}: {'; '.join(r['reasons'])}",
            )
        else:
            detail = {k: v for k, v in r.items() if k not in ("ts", "kind", "deploy_id", "env")}
            table.add_row(_time(r["ts"]), r.get("event", r["kind"]), "", "", "", str(detail)[:160])
    console.print(table)


def replay(env: str, deploy_id: str, as_json: bool) -> None:
    rows = evidence.replay(env, deploy_id)
    if as_json:
        emit_json(rows)
    else:
        table = Table(title=f"Deploy {deploy_id}: verdicts replayed from evidence")
        for column in ("step", "recorded", "replayed", "same", "reasons"):
            table.add_column(column)
        for r in rows:
            same = "yes" if r["same"] else "[red]NO[/red]"
            table.add_row(
                f"{r['step']} %", r["recorded"], r["replayed"], same, "; ".join(r["reasons"])
            )
        console.print(table)
    if not all(r["same"] for r in rows):
        raise typer.Exit(code=ExitCode.FAILURE)
