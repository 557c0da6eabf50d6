"""The HTML face of the one error mapper in `fixia.errors`: friendly 404, 403 and 500 pages."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.responses import Response

from fixia.config import Settings
from fixia.web.flash import N_
from fixia.web.i18n import negotiate
from fixia.web.pages import render

log = logging.getLogger("fixia.web")

TITLES = {
    400: N_("No pudimos procesar el pedido"),
    403: N_("No tenés permiso para ver esto"),
    404: N_("No encontramos esta página"),
    422: N_("Hay datos que no son válidos"),
    429: N_("Demasiados intentos"),
    500: N_("Algo salió mal de nuestro lado"),
    503: N_("El servicio no está disponible"),
}
HINTS = {
    403: N_("Si creés que es un error, ingresá con otra cuenta."),
    404: N_("Puede que el enlace esté mal escrito o que el contenido ya no exista."),
    500: N_("Ya quedó registrado. Probá de nuevo en unos minutos."),
}
FALLBACK = "<!doctype html><html lang=es><title>Fixia</title><h1>Error {status}</h1></html>"


async def html_error(request: Request, problem: JSONResponse) -> Response:
    body = json.loads(bytes(problem.body))
    status = int(body.get("status", problem.status_code))
    if status == 401:
        # Pages that need a session send the visitor to log in, then back here.
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    try:
        settings: Settings = request.app.state.settings
        if not hasattr(request.state, "locale"):
            request.state.locale = negotiate(request, settings.web.default_locale)
        family = status if status in TITLES else (500 if status >= 500 else 400)
        response: Response = render(
            request,
            "error.html",
            {"status": status, "title": TITLES[family], "hint": HINTS.get(family)},
            status=status,
        )
    except Exception:  # the error page itself must never fail
        log.exception("error page failed to render")
        response = HTMLResponse(FALLBACK.format(status=status), status_code=status)
    for name in ("retry-after",):
        if name in problem.headers:
            response.headers[name] = problem.headers[name]
    return response
