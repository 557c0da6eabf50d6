"""The application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from fixia import __version__
from fixia.accounts.router import auth as auth_router
from fixia.accounts.router import users as users_router
from fixia.catalog.router import router as catalog_router
from fixia.config import Settings, get_settings
from fixia.db import create_engine, session_factory
from fixia.errors import install_error_handlers
from fixia.platform.email import EmailSender, build_email_sender
from fixia.platform.health import router as health_router


def create_app(settings: Settings | None = None, *, mailer: EmailSender | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = create_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.draining = True
        await engine.dispose()

    app = FastAPI(
        title="Fixia API",
        version=__version__,
        description="Services marketplace for Chubut. Errors are RFC 9457 problem+json.",
        docs_url="/docs",
        openapi_url="/api/v1/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.mailer = mailer or build_email_sender(settings.email)
    app.state.draining = False
    install_error_handlers(app)

    api = APIRouter(prefix="/api/v1")
    api.include_router(auth_router)
    api.include_router(users_router)
    api.include_router(catalog_router)
    app.include_router(api)
    app.include_router(health_router)
    return app
