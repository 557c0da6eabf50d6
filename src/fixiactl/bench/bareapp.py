"""The true ceiling: a bare FastAPI app and a bare Starlette app serving Fixia's own bytes.

They answer the cached reads' routes (the same paths, the same path parameters) with the
exact bytes a Fixia slot sent for one sample of each endpoint, captured by the bench into
FIXIA_BENCH_BODIES. No middleware, no cache, no database: what the framework and the server
cost alone on this machine, run with the same uvicorn settings and workers as a slot.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ENDPOINTS = ("search", "service", "professional", "categories")
JSON = "application/json"
Endpoint = Callable[[Request], Awaitable[Response]]


def _bodies() -> dict[str, bytes]:
    directory = os.environ.get("FIXIA_BENCH_BODIES")
    if not directory:
        return dict.fromkeys(ENDPOINTS, b"{}")
    return {name: (Path(directory) / f"{name}.json").read_bytes() for name in ENDPOINTS}


BODIES = _bodies()


def _fastapi() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    search, service, profile, categories = (BODIES[name] for name in ENDPOINTS)

    @app.get("/readyz")
    async def readyz() -> Response:
        return Response(b"bare fastapi", media_type="text/plain")

    @app.get("/api/v1/services")
    async def search_services(request: Request) -> Response:
        return Response(search, media_type=JSON)

    @app.get("/api/v1/services/{service_id}")
    async def get_service(service_id: uuid.UUID) -> Response:
        return Response(service, media_type=JSON)

    @app.get("/api/v1/professionals/{professional_id}")
    async def get_professional(professional_id: uuid.UUID) -> Response:
        return Response(profile, media_type=JSON)

    @app.get("/api/v1/categories")
    async def list_categories() -> Response:
        return Response(categories, media_type=JSON)

    return app


def _starlette() -> Starlette:
    def answer(body: bytes, media_type: str = JSON) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            return Response(body, media_type=media_type)

        return endpoint

    return Starlette(
        routes=[
            Route("/readyz", answer(b"bare starlette", "text/plain")),
            Route("/api/v1/services", answer(BODIES["search"])),
            Route("/api/v1/services/{service_id:uuid}", answer(BODIES["service"])),
            Route("/api/v1/professionals/{professional_id:uuid}", answer(BODIES["professional"])),
            Route("/api/v1/categories", answer(BODIES["categories"])),
        ]
    )


fastapi_app = _fastapi()
starlette_app = _starlette()
