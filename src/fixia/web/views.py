"""Pages that belong to no domain: the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fixia.config import Settings
from fixia.platform.cookies import cookie_name
from fixia.web.i18n import COOKIE, LOCALES
from fixia.web.pages import form_data, redirect, safe_next

router = APIRouter()


@router.post("/lang")
async def switch_language(request: Request) -> Response:
    data = await form_data(request)
    settings: Settings = request.app.state.settings
    response = redirect(request, safe_next(data.get("next")))
    if data.get("lang") in LOCALES:
        response.set_cookie(
            cookie_name(settings, COOKIE),
            str(data["lang"]),
            max_age=365 * 86400,
            secure=bool(settings.web.cookie_secure),
            httponly=True,
            samesite="lax",
        )
    return response
