"""The promotion pipeline: development -> staging -> pre-production -> production."""

from __future__ import annotations

from fixiactl.deploy.journal import deploy_events
from fixiactl.errors import FixiactlError

PIPELINE = ("development", "staging", "pre-production", "production")


def previous_env(target: str) -> str | None:
    if target not in PIPELINE:
        raise FixiactlError(f"{target!r} is not in the pipeline", hint=" -> ".join(PIPELINE))
    index = PIPELINE.index(target)
    return PIPELINE[index - 1] if index else None


def check(release: str, target: str) -> str:
    """The environment the release passed, or an error saying where it must pass first."""
    source = previous_env(target)
    if source is None:
        return "nothing (first environment)"
    passed = [
        e
        for e in deploy_events(source)
        if e["event"] == "promoted" and e.get("release") == release and not e.get("rollback_of")
    ]
    if not passed:
        raise FixiactlError(
            f"{release} has not passed {source}",
            hint=f"fixiactl deploy {release} --env {source} (it must be promoted there first)",
        )
    return source
