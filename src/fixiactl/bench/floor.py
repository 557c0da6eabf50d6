"""The database floor: the search SQL alone, timed on PostgreSQL with no app in between.

This is the one place fixiactl imports the service, and it is deliberate: the floor must be
the exact statement the API runs, and `fixia.catalog.search.build_search` (with the
`ServiceQuery` it takes and the model registry it needs) is its only definition. Copying
the SQL here would let the floor drift from the product. The imports stay inside
`measure_floor`, so no other fixiactl command loads the service.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class FloorResult:
    iterations: int
    distinct_queries: int
    seconds: float
    latency_ms: dict[str, float]


def nearest_rank(sorted_values: list[float], pct: float) -> float:
    """The pct-th percentile by nearest rank: a value that was actually observed."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    mean = sum(ordered) / len(ordered) if ordered else 0.0
    summary = {f"p{p}": nearest_rank(ordered, p) for p in (50, 90, 95, 99)}
    summary.update(
        min=ordered[0] if ordered else 0.0, mean=mean, max=ordered[-1] if ordered else 0.0
    )
    return {k: round(v, 3) for k, v in summary.items()}


def measure_floor(
    url: str, queries: list[dict[str, str]], iterations: int, budget_s: float
) -> FloorResult:
    """Run the queries round-robin, one at a time, at most `iterations` times or `budget_s`."""
    return asyncio.run(_measure(url, search_statements(queries), iterations, budget_s))


def search_statements(queries: list[dict[str, str]]) -> list[Statement]:
    """The API's search statement for each filter set, as `catalog.service._run` sends it."""
    from fixia.catalog.relax import strict_plan
    from fixia.catalog.schemas import ServiceQuery
    from fixia.catalog.search import PREFER_INDEX, build_search
    from fixia.config import SearchSettings
    from fixia.models import import_all

    import_all()  # every mapper must be known before SQLAlchemy compiles a join
    radius = SearchSettings().default_service_radius_km
    parsed = [ServiceQuery.model_validate(q) for q in queries]
    plans = [strict_plan(q, radius) for q in parsed]
    # Exactly what catalog.service._run sends: a text search first prefers the GIN index for
    # its transaction, so the floor times the plan the app gets, not the planner's default.
    return [
        Statement(build_search(q, "postgresql", p), PREFER_INDEX if p.groups else None)
        for q, p in zip(parsed, plans, strict=True)
    ]


@dataclass(frozen=True)
class Statement:
    search: Any
    setting: str | None  # run first, in the same transaction


async def execute(conn: Any, statement: Statement) -> None:
    from sqlalchemy import text

    async with conn.begin():
        if statement.setting is not None:
            await conn.execute(text(statement.setting))
        (await conn.execute(statement.search)).all()


async def _measure(
    url: str, statements: list[Statement], iterations: int, budget_s: float
) -> FloorResult:
    from sqlalchemy.ext.asyncio import create_async_engine

    # No prepared-statement cache, as in the app behind PgBouncer: the floor parses and plans
    # each statement just as the app's queries are.
    engine = create_async_engine(
        url,
        pool_size=1,
        connect_args={"statement_cache_size": 0, "prepared_statement_cache_size": 0},
    )
    samples: list[float] = []
    started = time.monotonic()
    try:
        async with engine.connect() as conn:
            for stmt in statements:  # warm-up: buffers and catalog caches, not measured
                await execute(conn, stmt)
            started = time.monotonic()
            for i in range(iterations):
                if time.monotonic() - started > budget_s:
                    break
                t0 = time.perf_counter()
                await execute(conn, statements[i % len(statements)])
                samples.append((time.perf_counter() - t0) * 1000)
    finally:
        await engine.dispose()
    return FloorResult(
        iterations=len(samples),
        distinct_queries=len(statements),
        seconds=round(time.monotonic() - started, 2),
        latency_ms=summarize(samples),
    )


# The search shapes tests/integration/test_query_plans.py checks at 30k, checked here on the
# bench's own dataset (100k services) with the card joins the API adds (#25).
PLAN_SHAPES: dict[str, dict[str, str]] = {
    "text": {"q": "plomero"},
    "newest": {"sort": "newest"},
    "category by price": {"category": "limpieza", "sort": "price_asc"},
    "rating": {"sort": "rating"},
    "popular": {"sort": "popular"},
    "text, location and price": {"q": "electricista", "location": "rawson", "sort": "price_asc"},
}


def check_plans(url: str) -> dict[str, bool]:
    """Per shape: whether PostgreSQL's plan for the API's search statement (card joins
    included) reads services without a sequential scan."""
    from fixia.catalog.relax import strict_plan
    from fixia.catalog.schemas import ServiceQuery
    from fixia.catalog.search import PREFER_INDEX, build_search
    from fixia.catalog.service import CARD_JOINS
    from fixia.config import SearchSettings
    from fixia.models import import_all

    import_all()
    radius = SearchSettings().default_service_radius_km
    statements = {}
    for shape, params in PLAN_SHAPES.items():
        query = ServiceQuery.model_validate(params)
        plan = strict_plan(query, radius)
        search = build_search(query, "postgresql", plan).options(*CARD_JOINS)
        statements[shape] = Statement(search, PREFER_INDEX if plan.groups else None)
    return asyncio.run(_explain(url, statements))


async def _explain(url: str, statements: dict[str, Statement]) -> dict[str, bool]:
    from sqlalchemy import text
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, pool_size=1)
    results = {}
    try:
        async with engine.connect() as conn:
            for shape, statement in statements.items():
                sql = statement.search.compile(
                    dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
                    compile_kwargs={"literal_binds": True},
                )
                async with conn.begin():
                    if statement.setting is not None:
                        await conn.execute(text(statement.setting))
                    rows = await conn.execute(text(f"EXPLAIN {sql}"))
                    plan = "\n".join(str(r[0]) for r in rows)
                results[shape] = "Seq Scan on services" not in plan
    finally:
        await engine.dispose()
    return results
