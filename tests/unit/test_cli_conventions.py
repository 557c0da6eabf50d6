"""Issue #28's CLI conventions, checked over every command of the ops toolkit: each offers
`--json` for machines. The other conventions (one exit-code table, `--env` required where a
running environment changes, confirmations) are not all met yet."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import typer
from typer.testing import CliRunner

from fixiactl.cli import app as ctl


def _commands(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    subs = getattr(command, "commands", {})
    if not subs:
        yield path, command
    for name, sub in subs.items():
        yield from _commands(sub, [*path, name])


def test_every_fixiactl_command_offers_json() -> None:
    root = typer.main.get_command(ctl)
    commands = list(_commands(root, []))
    assert len(commands) > 40  # the walk reached the leaves, not just the groups
    missing = [
        " ".join(path)
        for path, command in commands
        if "--json" not in {o for p in command.params for o in getattr(p, "opts", [])}
    ]
    assert missing == []


def test_json_output_of_a_local_command_is_json() -> None:
    result = CliRunner().invoke(ctl, ["k8s", "render", "staging", "--json"])
    assert result.exit_code == 0, result.output
    objects = json.loads(result.stdout)
    assert objects and all("kind" in o for o in objects)
