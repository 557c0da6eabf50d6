"""`fixia trust`: score every professional again, in batches.

For after a change of the formula or its weights, and for a database loaded without the
app (the bench's synthetic dataset). Each batch is its own transaction, and its users'
cached trust blocks are invalidated only after that commit; a run stopped half way leaves
every finished batch stored, and running it again is harmless.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from fixia.config import Settings, get_settings

trust_app = typer.Typer(help="The trust score.", no_args_is_help=True)
console = Console(stderr=True)


async def _count(settings: Settings) -> int:
    from sqlalchemy import func, select

    from fixia.accounts.models import ProfessionalProfile
    from fixia.db import create_engine, session_factory

    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as session:
            return int(await session.scalar(select(func.count(ProfessionalProfile.user_id))) or 0)
    finally:
        await engine.dispose()


async def recompute_all(settings: Settings, batch: int, progress: Progress | None) -> int:
    from fixia.db import create_engine, session_factory, transactional
    from fixia.platform.cache import build_cache
    from fixia.trust import service
    from fixia.trust.public import trust_namespace

    engine, cache = create_engine(settings), build_cache(settings.redis_url)
    sessions, after, done = session_factory(engine), None, 0
    task = progress.add_task("recomputing", total=await _count(settings)) if progress else None
    try:
        while True:
            async with transactional(sessions) as session:
                ids: list[uuid.UUID] = await service.professional_ids_after(session, after, batch)
                await service.recompute_many(session, ids)
            for user_id in ids:  # after the commit, never inside
                await cache.bump(trust_namespace(user_id))
            done += len(ids)
            if progress is not None and task is not None:
                progress.advance(task, len(ids))
            if len(ids) < batch:
                return done
            after = ids[-1]
    finally:
        await engine.dispose()


@trust_app.command("recompute-all")
def recompute_all_command(
    batch: Annotated[int, typer.Option(min=1, max=5000, help="Per transaction")] = 500,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line, no progress bar")] = False,
) -> None:
    """Recompute and store the trust score of every professional (docs/trust.md)."""
    settings = get_settings()
    started = time.perf_counter()
    if as_json:
        done = asyncio.run(recompute_all(settings, batch, None))
    else:
        columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*Progress.get_default_columns()[:1], *columns, console=console) as bar:
            done = asyncio.run(recompute_all(settings, batch, bar))
    seconds = round(time.perf_counter() - started, 2)
    if as_json:
        typer.echo(json.dumps({"professionals": done, "seconds": seconds, "batch": batch}))
    else:
        console.print(f"recomputed {done} professionals in {seconds} s")
