"""Issue #28's CLI conventions (docs/operations/cli.md), checked over every command of both
command lines: `--json` everywhere, `--env` required where a running environment changes,
confirmations with `--yes` that refuse without a terminal, one exit-code table, one duration
format and enums for fixed choices. Each check fails on a command that breaks its rule."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from fixia.cli import app as service_cli
from fixia.exitcodes import ExitCode
from fixiactl.cli import app as ctl
from fixiactl.cli.common import parse_duration

ROOT = Path(__file__).resolve().parents[2]

# Commands that change a running environment: --env (or promote's --to) has no default.
CHANGES_AN_ENVIRONMENT = {
    "stack up", "stack down", "stack stop", "stack start",
    "deploy run", "rollback", "promote",
    "secrets rotate-jwt", "secrets prune-jwt", "secrets rotate-db-password", "secrets roll",
    "backup init", "backup run", "backup expire", "backup restore-point", "backup schedule",
    "backup prove", "restore", "dr drill", "dr crash", "deploy resume", "deploy abort",
    "db switchover", "db failover",
    "flags set", "flags kill",
}  # fmt: skip
# Commands that only read, or run on an environment of their own that they start and stop
# (the benchmarks): they may default.
READS_OR_OWNS_ITS_ENV = {
    "stack status", "stack logs", "deploy status", "deploy explain", "dora",
    "backup list", "backup verify", "db status", "flags list", "flags history",
    "slo budget", "slo report", "slo check-metrics", "bench", "dr bench",
}  # fmt: skip
# Destructive: each has --yes and refuses (exit 3) with no terminal to ask on.
DESTRUCTIVE = {
    ("fixiactl", "backup expire"), ("fixiactl", "promote"), ("fixiactl", "stack stop"),
    ("fixiactl", "stack down"), ("fixiactl", "restore"), ("fixiactl", "db failover"),
    ("fixiactl", "db switchover"), ("fixiactl", "rollback"), ("fixiactl", "deploy run"),
    ("fixiactl", "dr crash"), ("fixia", "db downgrade"),
}  # fmt: skip
# Long-running servers: their output is their log, already JSON lines.
SERVERS = {"serve", "worker"}
# Options that take a fixed set of values.
CHOICES = {
    ("deploy run", "strategy"), ("promote", "strategy"), ("deploy run", "metrics_source"),
    ("promote", "metrics_source"), ("backup run", "kind"), ("backup schedule", "fmt_"),
    ("flags set", "state"), ("deploy run", "on_failure"),
}  # fmt: skip
# Option names that mean a length of time.
DURATION_WORDS = ("hold", "timeout", "deadline", "tick", "interval", "heartbeat", "window")


def _commands(command: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
    subs = getattr(command, "commands", {})
    if not subs:
        yield " ".join(path), command
    for name, sub in subs.items():
        yield from _commands(sub, [*path, name])


def _all(app: typer.Typer) -> dict[str, Any]:
    return dict(_commands(typer.main.get_command(app), []))


def _param(command: Any, name: str) -> Any:
    return next((p for p in command.params if name in getattr(p, "opts", [])), None)


def test_every_command_offers_json() -> None:
    fixiactl, fixia = _all(ctl), _all(service_cli)
    assert len(fixiactl) > 40 and len(fixia) > 10  # the walk reached the leaves
    missing = [
        f"{tool} {path}"
        for tool, commands in (("fixiactl", fixiactl), ("fixia", fixia))
        for path, command in commands.items()
        if _param(command, "--json") is None and not (tool == "fixia" and path in SERVERS)
    ]
    assert missing == []


def test_json_output_of_a_local_command_is_json() -> None:
    result = CliRunner().invoke(ctl, ["k8s", "render", "staging", "--json"])
    assert result.exit_code == 0, result.output
    objects = json.loads(result.stdout)
    assert objects and all("kind" in o for o in objects)


def test_env_is_required_wherever_a_running_environment_changes() -> None:
    commands = _all(ctl)
    with_env = {path for path, c in commands.items() if _param(c, "--env") or path == "promote"}
    # A new command that takes --env must be classified here (and in docs/operations/cli.md).
    assert with_env == CHANGES_AN_ENVIRONMENT | READS_OR_OWNS_ITS_ENV
    defaulted = [
        path
        for path in sorted(CHANGES_AN_ENVIRONMENT)
        if not (_param(commands[path], "--env") or _param(commands[path], "--to")).required
    ]
    assert defaulted == []


def test_a_changing_command_without_env_is_a_usage_error() -> None:
    result = CliRunner().invoke(ctl, ["secrets", "rotate-jwt"])
    assert result.exit_code == ExitCode.USAGE and "--env" in result.output


def test_destructive_commands_take_yes() -> None:
    tools = {"fixiactl": _all(ctl), "fixia": _all(service_cli)}
    assert [f"{t} {p}" for t, p in sorted(DESTRUCTIVE) if not _param(tools[t][p], "--yes")] == []


@pytest.mark.parametrize(
    "args",
    [
        ["stack", "stop", "postgres", "--env", "nowhere"],
        ["stack", "stop", "patroni1", "--env", "nowhere"],
        ["stack", "down", "--env", "production"],
        ["backup", "expire", "--env", "nowhere"],
    ],
)
def test_destructive_commands_refuse_without_a_terminal(args: list[str]) -> None:
    """No TTY and no --yes: refused before anything is touched (the env need not exist)."""
    result = CliRunner().invoke(ctl, args)
    assert result.exit_code == ExitCode.REFUSED, result.output
    assert "refused" in result.output and "--yes" in result.output


def test_commands_exit_through_the_one_table() -> None:
    """No command raises typer.Exit / SystemExit with a bare number: ExitCode names it."""
    sources = [*(ROOT / "src" / "fixiactl" / "cli").glob("*.py"), ROOT / "src/fixia/cli.py"]
    sources += list((ROOT / "src" / "fixia").glob("*/cli.py"))
    bare = []
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in {"Exit", "exit"}:
                values = [*node.args, *(k.value for k in node.keywords if k.arg == "code")]
                if any(isinstance(v, ast.Constant) and v.value for v in values):
                    bare.append(f"{source.name}:{node.lineno}")
    assert bare == []
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("500ms", 0.5), ("7d", 604800), ("45", 45)],
)
def test_one_duration_format(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["ten", "5 minutes", "30s5m", "1h1h", "m", ""])
def test_durations_that_are_not_in_the_format(text: str) -> None:
    with pytest.raises(typer.BadParameter):
        parse_duration(text)


def test_every_duration_option_takes_the_one_format() -> None:
    odd = [
        f"{path} {param.name}"
        for path, command in _all(ctl).items()
        for param in command.params
        if any(w in (param.name or "").split("_") for w in DURATION_WORDS)
        and param.type_descriptor.parameter_info.parser is not parse_duration
    ]
    assert odd == []
    args = ["deploy", "run", "r1", "--env", "x", "--hold", "soon"]
    result = CliRunner().invoke(ctl, args, env={"COLUMNS": "200"})
    assert result.exit_code == ExitCode.USAGE and "30s, 5m, 1h30m" in result.output


def test_fixed_choices_are_enums() -> None:
    commands = _all(ctl)
    not_enum = [
        f"{path} {name}"
        for path, name in sorted(CHOICES)
        if not _is_enum(_param_named(commands[path], name).type_descriptor.annotation)
    ]
    assert not_enum == []
    result = CliRunner().invoke(ctl, ["deploy", "run", "r1", "--env", "x", "--strategy", "big"])
    assert result.exit_code == ExitCode.USAGE and "blue-green" in result.output


def _is_enum(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Enum)


def _param_named(command: Any, name: str) -> Any:
    return next(p for p in command.params if p.name == name)
