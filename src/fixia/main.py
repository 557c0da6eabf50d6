"""The application factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from fixia import __version__
from fixia.accounts.erasure import PersonalData
from fixia.accounts.router import auth as auth_router
from fixia.accounts.router import users as users_router
from fixia.accounts.web_session import web_user
from fixia.admin.router import router as admin_router
from fixia.audit.service import AuditContextMiddleware
from fixia.catalog import fastpath
from fixia.catalog.fastpath import CachedReads
from fixia.catalog.router import router as catalog_router
from fixia.config import Settings, get_settings
from fixia.conversations.router import router as conversations_router
from fixia.conversations.service import unread_total
from fixia.db import create_engine
from fixia.errors import install_error_handlers
from fixia.matches.router import router as matches_router
from fixia.media.limits import upload_limits
from fixia.media.router import router as media_router
from fixia.media.service import remove_user_media
from fixia.money.router import router as money_router
from fixia.notifications.router import router as notifications_router
from fixia.observability import install as install_observability
from fixia.observability.tracing import FASTAPI_NATIVE_OFF
from fixia.payments.router import router as payments_router
from fixia.payments.router import subscriptions_router
from fixia.platform import flags
from fixia.platform.cache import build_cache
from fixia.platform.email import EmailSender, build_email_sender
from fixia.platform.faults import FaultInjector
from fixia.platform.health import router as health_router
from fixia.platform.http_security import install_http_security
from fixia.platform.near_cache import NearCache
from fixia.platform.ratelimit import RateLimiter
from fixia.platform.security import configure_password_hashing
from fixia.projects.router import router as projects_router
from fixia.queue.core import Runtime
from fixia.queue.runner import JobQueue
from fixia.reviews.router import router as reviews_router
from fixia.streams.broker import broker_for
from fixia.streams.lifecycle import chain_sigterm
from fixia.tasks import all_tasks
from fixia.trust.router import router as trust_router
from fixia.web.setup import install_web
from fixia.wiring import wired_sessions


def create_app(settings: Settings | None = None, *, mailer: EmailSender | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_password_hashing(
        time_cost=settings.auth.argon2_time_cost,
        memory_cost_kib=settings.auth.argon2_memory_kib,
        parallelism=settings.auth.argon2_parallelism,
    )
    engine = create_engine(settings)
    flags.configure(settings.flags)
    # The embedded default has no worker process: its jobs and schedules run in this one.
    in_process_worker = settings.is_sqlite and not settings.queue.eager
    queue = JobQueue(settings, all_tasks(), periodic=in_process_worker)
    broker = broker_for(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = (
            asyncio.create_task(queue.run(name="in-process", install_signal_handlers=False))
            if in_process_worker
            else None
        )
        chain_sigterm(broker)
        yield
        app.state.draining = True
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        await queue.close()
        await broker.close()
        await engine.dispose()

    app = FastAPI(
        title="Fixia API",
        version=__version__,
        description="Services marketplace for Chubut. Errors are RFC 9457 problem+json.",
        # Off in production unless FIXIA_SECURITY__API_DOCS says otherwise.
        docs_url="/docs" if settings.api_docs_enabled else None,
        redoc_url="/redoc" if settings.api_docs_enabled else None,
        openapi_url="/api/v1/openapi.json" if settings.api_docs_enabled else None,
        lifespan=lifespan,
        telemetry=FASTAPI_NATIVE_OFF,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.cache = build_cache(
        settings.redis_url,
        near=NearCache(settings.cache.near_check_s, settings.cache.near_max_entries),
    )
    app.state.queue = queue
    app.state.broker = broker
    app.state.sessions = wired_sessions(engine, app.state.cache, queue, broker)
    mailer = mailer or build_email_sender(settings.email)
    queue.bind(Runtime(settings, app.state.sessions, mailer, app.state.cache))
    app.state.draining = False
    app.state.ratelimiter = RateLimiter(
        settings.ratelimit, settings.ratelimit.redis_url or settings.redis_url
    )
    install_error_handlers(app)
    # Innermost: every other middleware still wraps the cache hits it answers.
    app.add_middleware(CachedReads)
    install_http_security(app, settings.security, upload_limits(settings.media))
    app.add_middleware(AuditContextMiddleware)

    # The body limit covers every route (platform.body_limit, from install_http_security).
    api = APIRouter(prefix="/api/v1")
    api.include_router(auth_router)
    # Before users: its /professionals/top-rated must win over /professionals/{id}.
    api.include_router(trust_router)
    api.include_router(users_router)
    api.include_router(catalog_router)
    api.include_router(notifications_router)
    api.include_router(projects_router)
    api.include_router(matches_router)
    api.include_router(payments_router)
    api.include_router(subscriptions_router)
    api.include_router(money_router)
    api.include_router(reviews_router)
    api.include_router(admin_router)
    api.include_router(media_router)
    api.include_router(conversations_router)
    app.include_router(api)
    app.include_router(health_router)
    install_web(app, settings, view_routers(), user=web_user)
    # The nav's unread badge: web asks through app.state, so it imports no domain.
    app.state.unread_total = unread_total
    # What a deleted account erases beyond its own rows (fixia.accounts.erasure).
    personal_data: list[PersonalData] = [remove_user_media]
    app.state.personal_data = personal_data
    if settings.faults.active:
        # Added before observability, so it runs inside it: injected 500s and delays are
        # measured like real ones.
        app.add_middleware(FaultInjector, faults=settings.faults)
    # Last, so it is the outermost middleware: it times and counts everything inside.
    install_observability(app, settings, hits=(fastpath.candidate, fastpath.answered))
    return app


def view_routers() -> list[APIRouter]:
    # Imported here, when the app is built: the views import the web layer's pages and
    # templates, which need not load for the API-only users of this module (the worker).
    from fixia.accounts.views import router as accounts
    from fixia.admin.views import router as admin
    from fixia.catalog.views import router as catalog
    from fixia.conversations.views import router as conversations
    from fixia.matches.views import router as matches
    from fixia.media.account_views import router as media_account
    from fixia.media.views import router as media
    from fixia.money.admin_views import router as money_admin
    from fixia.money.views import router as money
    from fixia.notifications.views import router as notifications
    from fixia.pages.jobs import router as job_page
    from fixia.pages.professionals import router as professional_page
    from fixia.payments.views import router as payments
    from fixia.projects.views import router as projects
    from fixia.reviews.views import router as reviews
    from fixia.trust.views import router as trust
    from fixia.web.views import router as web

    # reviews and money before matches: `/jobs/{id}/review` and `/jobs/{id}/milestones/...`
    # must win over `/jobs/{id}/{action}`.
    return [
        web, accounts, professional_page, catalog, projects, reviews, money, job_page, matches,
        notifications, payments, trust, admin, money_admin, media, media_account, conversations,
    ]  # fmt: skip
