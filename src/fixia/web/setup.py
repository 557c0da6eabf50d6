"""Wires the web UI into the app: templates, assets, CSP, error pages and every views.py."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Request

from fixia.config import Settings
from fixia.web import assets, csrf
from fixia.web.csp import ContentSecurityPolicyMiddleware
from fixia.web.error_pages import html_error
from fixia.web.i18n import negotiate
from fixia.web.pages import build_environment


async def set_locale(request: Request) -> None:
    settings: Settings = request.app.state.settings
    request.state.locale = negotiate(request, settings.web.default_locale)


def view_routers() -> list[APIRouter]:
    # Imported here: the views import services, which import models; main imports us early.
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
    from fixia.payments.views import router as payments
    from fixia.projects.views import router as projects
    from fixia.reviews.views import router as reviews
    from fixia.trust.views import router as trust
    from fixia.web.views import router as web

    # reviews and money before matches: `/jobs/{id}/review` and `/jobs/{id}/milestones/...`
    # must win over `/jobs/{id}/{action}`.
    return [
        web, accounts, catalog, projects, reviews, money, matches, notifications, payments, trust,
        admin, money_admin, media, media_account, conversations,
    ]  # fmt: skip


def install_web(app: FastAPI, settings: Settings) -> None:
    app.state.templates = build_environment()
    app.state.assets = assets.AssetManifest()
    app.state.html_errors = html_error
    app.add_middleware(
        ContentSecurityPolicyMiddleware,
        policy=settings.web.csp,
        exempt=tuple(settings.security.csp_exempt_paths),
    )
    app.include_router(assets.router)
    pages = APIRouter(
        include_in_schema=False,
        dependencies=[Depends(set_locale), Depends(csrf.verify)],
    )
    for router in view_routers():
        pages.include_router(router)
    app.include_router(pages)
