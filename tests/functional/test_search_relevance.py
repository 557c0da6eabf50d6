"""The judged relevance set (tests/data/search_judgments.txt) on both engines, side by side.

Issue #30's goals: at most 2 % of queries without results, nDCG@10 of at least 0.8, and the
same top ten on SQLite and PostgreSQL for at least 95 % of the queries. The corpus is the
demo listings in every demo town (fixiactl.bench.relevance.corpus_rows), with fixed ids so
that the two engines' answers can be compared id for id.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

from fixia import migrate
from fixia.config import Settings
from fixia.db import create_engine, session_factory
from fixiactl.bench.relevance import RelevanceReport, evaluate, insert_corpus, load_judgments
from tests import pg

MAX_ZERO_RESULT_RATE = 0.02
MIN_NDCG_AT_10 = 0.8
MIN_AGREEMENT = 0.95


async def _report(url: str, engine: str) -> RelevanceReport:
    settings = Settings(env="test", database_url=url)
    db = create_engine(settings)
    try:
        async with session_factory(db)() as session:
            await insert_corpus(session)
            await session.commit()
            return await evaluate(session, settings, load_judgments(), engine)
    finally:
        await db.dispose()


async def test_judged_queries_find_the_expected_listings_alike_on_both_engines(
    sqlite_template: Path, pg_server: pg.PgServer | pg.ExternalPg, tmp_path: Path
) -> None:
    path = tmp_path / "relevance.db"
    shutil.copy(sqlite_template, path)
    pg_url = pg_server.create_database(f"fixia_relevance_{uuid.uuid4().hex[:8]}")
    # Alembic runs its own event loop: not inside this test's.
    await asyncio.to_thread(migrate.upgrade, Settings(env="test", database_url=pg_url))
    lite = await _report(f"sqlite+aiosqlite:///{path}", "sqlite")
    postgres = await _report(pg_url, "postgresql")
    assert len(lite.outcomes) >= 150
    for report in (lite, postgres):
        misses = [(o.q, round(o.ndcg, 2)) for o in report.outcomes if o.ndcg < 0.5]
        assert report.zero_result_rate <= MAX_ZERO_RESULT_RATE, (report.summary(), misses)
        assert report.ndcg_at_10 >= MIN_NDCG_AT_10, (report.summary(), misses)
    pairs = list(zip(lite.outcomes, postgres.outcomes, strict=True))
    differ = [a.q for a, b in pairs if a.top != b.top]
    agreement = 1 - len(differ) / len(pairs)
    print(lite.summary(), postgres.summary(), {"agreement": round(agreement, 4)})
    assert agreement >= MIN_AGREEMENT, differ
