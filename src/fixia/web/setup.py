"""Wires the web UI into the app: templates, assets, CSP, error pages, and the pages it is
given. The composition root (`fixia.main`) hands over every domain's views, so the web layer
imports no domain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


def install_web(
    app: FastAPI, settings: Settings, views: list[APIRouter], user: Callable[..., Any]
) -> None:
    """`user` resolves the browser session (`fixia.accounts.web_session.web_user`); it runs
    before the CSRF check, which binds its token to the login session it finds."""
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
        dependencies=[Depends(set_locale), Depends(user), Depends(csrf.verify)],
    )
    for router in views:
        pages.include_router(router)
    app.include_router(pages)
