"""Liveness and readiness: the contract HAProxy and the deploy controller rely on."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from fixia.migrate import current_revisions, head_revisions

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, str]:
    settings = request.app.state.settings
    return {"status": "ok", "release": settings.release}


@router.get("/readyz", response_model=None)
async def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    checks: dict[str, Any] = {}
    ready = not state.draining
    checks["draining"] = state.draining
    try:
        async with state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
        current = await current_revisions(state.engine)
        at_head = current == head_revisions()
        checks["migrations"] = "at_head" if at_head else f"behind ({', '.join(sorted(current))})"
        ready = ready and at_head
    except Exception as exc:  # any failure to reach the database means not ready
        checks["database"] = f"unreachable: {type(exc).__name__}"
        ready = False
    status = 200 if ready else 503
    headers = {} if ready else {"Retry-After": "5"}
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=status,
        headers=headers,
    )
