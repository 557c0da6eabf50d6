"""The promotion pipeline, read from `deploy/environments/*.toml`: a stage is an environment with
a `[pipeline]` table naming the stage it `promotes_from` ("" for the first), so those files are
the only definition of the order.

A release may be promoted to a stage once it *passed* the stage before: its latest deploy
there (not counting `fixiactl rollback` runs, which are recoveries) ended `promoted` and was
not undone afterwards by a manual rollback.
"""

from __future__ import annotations

import tomllib
from typing import Any

from fixiactl.deploy.journal import deploy_events
from fixiactl.errors import FixiactlError
from fixiactl.stack.config import DEPLOY

FIRST = "nothing (first environment)"


def _stages() -> dict[str, str | None]:
    """Stage name -> the stage it promotes from, for every environment with a [pipeline]."""
    stages: dict[str, str | None] = {}
    for path in sorted((DEPLOY / "environments").glob("*.toml")):
        section = tomllib.loads(path.read_text()).get("pipeline")
        if section is None:
            continue  # a local or test stack, not a stage
        if "promotes_from" not in section:
            raise FixiactlError(
                f"{path.name} does not say which stage it promotes from",
                hint='add `promotes_from = "<stage>"` under [pipeline] ("" for the first)',
            )
        stages[path.stem] = section["promotes_from"] or None
    return stages


def pipeline() -> list[str]:
    """The stages in order, checked: one first stage, one chain, every name defined."""
    stages = _stages()
    firsts = [name for name, source in stages.items() if source is None]
    unknown = {s for s in stages.values() if s is not None and s not in stages}
    if len(firsts) != 1 or unknown:
        raise FixiactlError(
            "the pipeline in deploy/environments/*.toml is not one chain",
            hint=f"first stages: {firsts or 'none'}; unknown promotes_from: {sorted(unknown)}",
        )
    order = firsts
    next_of = {source: name for name, source in stages.items() if source is not None}
    if len(next_of) != len(stages) - 1:
        raise FixiactlError(
            "two stages promote from the same one in deploy/environments/*.toml",
            hint="each stage must have exactly one successor",
        )
    while order[-1] in next_of:
        order.append(next_of[order[-1]])
    if len(order) != len(stages):
        raise FixiactlError(
            "the pipeline in deploy/environments/*.toml has a cycle",
            hint=f"reachable from {order[0]}: {' -> '.join(order)}",
        )
    return order


def previous_env(target: str) -> str | None:
    stages = pipeline()
    if target not in stages:
        raise FixiactlError(f"{target!r} is not in the pipeline", hint=" -> ".join(stages))
    return _stages()[target]


def _last_deploy(release: str, env: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The release's latest deploy outcome in `env`, and the manual rollback that undid it."""
    events = deploy_events(env)
    outcomes = [
        e
        for e in events
        if e["event"] in ("promoted", "rolled_back", "failed")
        and e.get("release") == release
        and not e.get("rollback_of")
    ]
    if not outcomes:
        return None, None
    last = outcomes[-1]
    undone = next(
        (
            e
            for e in events
            if e.get("rollback_of") == last["deploy_id"] and e["event"] == "promoted"
        ),
        None,
    )
    return last, undone


def check(release: str, target: str) -> str:
    """The environment the release passed, or an error saying why it may not go further."""
    source = previous_env(target)
    if source is None:
        return FIRST
    last, undone = _last_deploy(release, source)
    retry = f"fixiactl deploy {release} --env {source} (it must be promoted there first)"
    if last is None:
        raise FixiactlError(f"{release} has not passed {source}", hint=retry)
    if last["event"] != "promoted":
        why = last.get("reason") or "; ".join(last.get("reasons") or []) or "no reason recorded"
        what = "was rolled back" if last["event"] == "rolled_back" else "failed"
        raise FixiactlError(
            f"{release} {what} in {source} "
            f"(deploy {last['deploy_id']}: {why}); it has not passed {source}",
            hint=f"fix the release and deploy it again: {retry}",
        )
    if undone is not None:
        raise FixiactlError(
            f"{release} was rolled back in {source} by hand (deploy {last['deploy_id']} undone "
            f"by {undone['deploy_id']}); it has not passed {source}",
            hint=retry,
        )
    return source
