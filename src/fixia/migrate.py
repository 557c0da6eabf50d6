"""Alembic, driven from code: the service and fixiactl both go through these functions."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from fixia.config import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["settings"] = settings
    return cfg


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    script = ScriptDirectory(str(MIGRATIONS))
    return frozenset(script.get_heads())


@lru_cache(maxsize=1)
def known_revisions() -> frozenset[str]:
    script = ScriptDirectory(str(MIGRATIONS))
    return frozenset(rev.revision for rev in script.walk_revisions())


@lru_cache(maxsize=8)
def missing_revisions(current: frozenset[str]) -> frozenset[str]:
    """Revisions between the database's and this code's heads (those still to run)."""
    script = ScriptDirectory(str(MIGRATIONS))
    lower = tuple(current) or None
    return frozenset(r.revision for r in script.iterate_revisions("heads", lower))


def schema_status(current: frozenset[str], deferred: frozenset[str] = frozenset()) -> str:
    """at_head, ahead (a newer release ran expand migrations this code does not know: the
    deploy gate only lets backward-compatible ones through), contract_pending (only the
    `deferred` contract revisions are missing: the deploy runs them once the old release has
    retired, and this code works with or without them) or behind."""
    if current == head_revisions():
        return "at_head"
    if current and not current & known_revisions():
        return "ahead"
    if deferred and current and missing_revisions(current) <= deferred:
        return "contract_pending"
    return "behind"


async def current_revisions(engine: AsyncEngine) -> frozenset[str]:
    async with engine.connect() as conn:
        try:
            rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
        except Exception:  # the table does not exist before the first migration
            return frozenset()
        return frozenset(r[0] for r in rows)


def upgrade(settings: Settings, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str) -> None:
    command.downgrade(alembic_config(settings), revision)


def downgrade_plan(current: frozenset[str], revision: str) -> list[str]:
    """The revisions a downgrade from `current` to `revision` (e.g. -1, base, an id) would
    revert, newest first: what `fixia db downgrade --dry-run` prints. Alembic's own planner,
    the one `command.downgrade` runs."""
    script = ScriptDirectory(str(MIGRATIONS))
    steps = script._downgrade_revs(revision, ",".join(sorted(current)) or None)
    return [step.revision.revision for step in steps]


def check(settings: Settings) -> None:
    """Raises if the models and the migrations disagree (alembic check)."""
    command.check(alembic_config(settings))
