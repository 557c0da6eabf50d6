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


def schema_status(current: frozenset[str]) -> str:
    """at_head, ahead (a newer release ran expand migrations this code does not know: the
    deploy gate only lets backward-compatible ones through) or behind."""
    if current == head_revisions():
        return "at_head"
    if current and not current & known_revisions():
        return "ahead"
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


def check(settings: Settings) -> None:
    """Raises if the models and the migrations disagree (alembic check)."""
    command.check(alembic_config(settings))
