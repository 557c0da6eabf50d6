"""Page helpers shared by every `views.py`: render a template, redirect, read a form."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.errors import DomainError
from fixia.web import csrf, flash
from fixia.web.forms import read_form
from fixia.web.i18n import gettext_for

M = TypeVar("M", bound=BaseModel)
CHUBUT = ZoneInfo("America/Argentina/Catamarca")


def _as_datetime(value: datetime | str) -> datetime:
    # Cached rows come back as JSON, with ISO strings instead of datetimes.
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _local_time(value: datetime | str | None) -> str:
    return _as_datetime(value).astimezone(CHUBUT).strftime("%d/%m/%Y %H:%M") if value else ""


def _local_date(value: datetime | str | None) -> str:
    return _as_datetime(value).astimezone(CHUBUT).strftime("%d/%m/%Y") if value else ""


def _money(value: Decimal | int | str | None) -> str:
    if value is None:
        return ""
    # Argentine format: $ 48.000,00
    text = f"{Decimal(value):,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"$ {text}"


def build_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("fixia.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(local_time=_local_time, local_date=_local_date, money=_money)
    return env


def render(
    request: Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    env: Environment = request.app.state.templates
    translations = gettext_for(request)
    user = getattr(request.state, "user", None)
    values = {
        "request": request,
        "user": user,
        "unread_messages": getattr(request.state, "unread_messages", 0),
        "locale": getattr(request.state, "locale", "es_AR"),
        "csrf_token": csrf.token_for(request),
        "asset": request.app.state.assets.url,
        "flash": flash.message(request.query_params.get("ok")),
        "status_label": flash.status_label,
        "badge_label": flash.badge_label,
        "component_label": flash.component_label,
        "verification_label": flash.verification_label,
        "gettext": translations.gettext,
        "ngettext": translations.ngettext,
        "_": translations.gettext,
        "errors": {},
        "form": {},
    }
    values.update(context or {})
    html = env.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status)
    finish(request, response)
    return response


def finish(request: Request, response: Response) -> None:
    # Cookies the session resolution decided (a rotated pair, a dead session): it leaves
    # them here rather than web knowing whose they are (fixia.accounts.web_session).
    session_cookies = getattr(request.state, "session_cookies", None)
    if session_cookies is not None:
        session_cookies(response)
    csrf.set_cookie_if_new(request, response)
    response.headers["Cache-Control"] = "no-store"


def redirect(request: Request, url: str, ok: str | None = None) -> RedirectResponse:
    """303 after a successful POST (so a reload never re-submits), with an optional notice."""
    if ok is not None:
        url = f"{url}{'&' if '?' in url else '?'}ok={ok}"
    response = RedirectResponse(url, status_code=303)
    finish(request, response)
    return response


# Per-user lists on pages: a page at a time, like the API (issue #27).
WEB_PAGE_SIZE = 20


def cursor_param(request: Request, name: str = "cursor") -> str | None:
    """A list page's cursor from the query string; a malformed one is a 422 like the API's."""
    return (request.query_params.get(name) or "")[:500] or None


async def form_data(request: Request) -> dict[str, Any]:
    """The submitted form as a dict; repeated fields (checkbox groups) become lists."""
    form = await read_form(request)
    data: dict[str, Any] = {}
    for key in form:
        if key == csrf.FIELD:
            continue
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        data[key] = values if len(values) > 1 else (values[0] if values else "")
    return data


# Pydantic's error types, in words a user understands (translated at render time).
VALIDATION_MESSAGES = {
    "string_too_short": flash.N_("Es demasiado corto."),
    "string_too_long": flash.N_("Es demasiado largo."),
    "missing": flash.N_("Este campo es obligatorio."),
    "value_error": flash.N_("El valor no es válido."),
    "string_pattern_mismatch": flash.N_("El formato no es válido."),
    "greater_than_equal": flash.N_("El valor es demasiado bajo."),
    "less_than_equal": flash.N_("El valor es demasiado alto."),
    "decimal_parsing": flash.N_("Ingresá un número."),
    "int_parsing": flash.N_("Ingresá un número entero."),
    "date_from_datetime_parsing": flash.N_("Ingresá una fecha válida."),
    "datetime_from_date_parsing": flash.N_("Ingresá una fecha válida."),
    "date_parsing": flash.N_("Ingresá una fecha válida."),
    "uuid_parsing": flash.N_("Elegí una opción."),
    "literal_error": flash.N_("Elegí una opción."),
    "enum": flash.N_("Elegí una opción."),
}


def validation_errors(error: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "__all__"
        message = VALIDATION_MESSAGES.get(item["type"], flash.N_("El valor no es válido."))
        if item["type"] == "value_error" and field == "password":
            message = flash.N_(
                "La contraseña necesita 8 caracteres o más, con mayúscula, minúscula y número."
            )
        errors.setdefault(field, message)
    return errors


async def domain_errors(session: AsyncSession, error: DomainError) -> dict[str, str]:
    """A refused form: roll back unless the refusal must persist (e.g. a failed login)."""
    if not error.persist:
        await session.rollback()
    fields = error.extra.get("errors") or []
    if fields:
        return {str(f["field"]): flash.domain_message(error.code, f["message"]) for f in fields}
    return {"__all__": flash.domain_message(error.code, error.detail)}


# A form can be refused at the edge (bad input) or by the service (a broken rule).
FORM_ERRORS = (ValidationError, DomainError)


async def form_errors(
    session: AsyncSession, error: ValidationError | DomainError
) -> dict[str, str]:
    """Field messages for a refused form, whichever layer refused it."""
    if isinstance(error, ValidationError):
        return validation_errors(error)
    return await domain_errors(session, error)


def parse(model: type[M], data: Mapping[str, Any]) -> M:
    """Blank inputs mean 'not given', as in the JSON API where the key would be absent."""
    return model.model_validate({k: v for k, v in data.items() if v not in ("", None)})


def safe_next(value: object, default: str = "/") -> str:
    """Only same-site paths: `next=//evil.example` must not become an open redirect."""
    text = str(value or "")
    if text.startswith("/") and not text.startswith("//") and "\\" not in text:
        return text
    return default
