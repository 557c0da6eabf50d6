"""At scale, PostgreSQL answers every search and listing shape from indexes: EXPLAIN shows no
sequential scan on services."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from fixia.catalog.relax import strict_plan
from fixia.catalog.schemas import ServiceQuery
from fixia.catalog.search import PREFER_INDEX, build_search
from fixia.catalog.service import CARD_JOINS
from fixia.config import Settings
from fixia.db import create_engine
from fixia.models import import_all
from fixiactl.bench.floor import PLAN_SHAPES
from tests.stack import ROOT, RunningStack

pytestmark = pytest.mark.stack
SCALE = 30_000
# Not here: a locality alone ("trelew"). It now means professionals serving the town (a
# quarter of the listings at this scale) nearest first, so every match is read and sorted:
# the planner's scan is honest. Issue #30's p95 goal at 100k is measured by `make bench`.
# The same shapes `make bench` checks at 100k (one list, in the bench).
SHAPES = PLAN_SHAPES


def _sql(params: dict[str, str]) -> str:
    query = ServiceQuery(**params)  # type: ignore[arg-type]
    # As the API runs it: the card's category, professional and profile joined in (#25).
    stmt = build_search(query, "postgresql", strict_plan(query, 30)).options(*CARD_JOINS)
    return str(
        stmt.compile(
            dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
            compile_kwargs={"literal_binds": True},
        )
    )


async def test_search_shapes_use_indexes(running_stack: RunningStack, database_url: str) -> None:
    import_all()
    env = {**os.environ, "FIXIA_DATABASE_URL": database_url}
    subprocess.run(
        [str(Path(sys.executable).parent / "fixia"), "seed", "--scale", str(SCALE)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    engine = create_engine(Settings(env="test", database_url=database_url))
    try:
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
            for shape, params in SHAPES.items():
                async with conn.begin():
                    if params.get("q"):
                        await conn.execute(text(PREFER_INDEX))  # as the app's text searches
                    rows = await conn.execute(text("EXPLAIN " + _sql(params)))
                    plan = "\n".join(r[0] for r in rows)
                # Only services is asserted: at this scale a scan of users can honestly be
                # the planner's cheapest path (the trigram index pays off at 100k+ users).
                assert "Seq Scan on services" not in plan, f"{shape}:\n{plan}"
    finally:
        await engine.dispose()
