"""Liveness and readiness: the contract HAProxy and the deploy controller rely on."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from fixia.migrate import current_revisions, schema_status

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, str]:
    settings = request.app.state.settings
    return {"status": "ok", "release": settings.release}


# The schema only changes on deploys: checking it every few seconds is plenty, and it keeps
# each health check to one cheap query when the database is busy.
SCHEMA_RECHECK_S = 5.0
DB_PROBE_TIMEOUT_S = 2.0


async def _database_checks(state: Any) -> dict[str, Any]:
    async with state.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    now = time.monotonic()
    cached = getattr(state, "schema_check", None)
    if cached is None or now - cached[0] > SCHEMA_RECHECK_S:
        current = await current_revisions(state.engine)
        deferred = frozenset(state.settings.db.deferred_revisions)
        cached = (now, schema_status(current, deferred), current)
        state.schema_check = cached
    _, status, current = cached
    migrations = status if status != "behind" else f"behind ({', '.join(sorted(current))})"
    return {"database": "ok", "migrations": migrations}


@router.get("/readyz", response_model=None)
async def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    checks: dict[str, Any] = {"draining": state.draining}
    try:
        checks |= await asyncio.wait_for(_database_checks(state), DB_PROBE_TIMEOUT_S)
    except Exception as exc:  # any failure to reach the database in time means not ready
        checks["database"] = f"unreachable: {type(exc).__name__}"
    ready = (
        not state.draining
        and checks.get("database") == "ok"
        and checks.get("migrations") in ("at_head", "ahead", "contract_pending")
    )
    status = 200 if ready else 503
    headers = {} if ready else {"Retry-After": "5"}
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=status,
        headers=headers,
    )
