"""Translations: message ids are Spanish (es-AR, the default); catalogs translate them.

The `.po` files are the source of truth in git; they are compiled in memory at startup, so no
binary `.mo` file is ever committed (`make i18n` refreshes them from the templates and code).
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.requests import Request

from fixia.platform.cookies import cookie_name

LOCALE_DIR = Path(__file__).parent / "locale"
LOCALES = ("es_AR", "en")
COOKIE = "lang"


@lru_cache
def translations(locale: str) -> gettext.NullTranslations:
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        # es_AR needs no catalog: the message ids already are the Spanish text.
        return gettext.NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _from_accept_language(header: str) -> str | None:
    ranked: list[tuple[float, str]] = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        ranked.append((quality, tag.strip().lower()))
    for _, tag in sorted(ranked, key=lambda r: -r[0]):
        if tag.startswith("es"):
            return "es_AR"
        if tag.startswith("en"):
            return "en"
    return None


def negotiate(request: Request, default: str) -> str:
    """An explicit choice (the `lang` cookie) wins over the browser's Accept-Language."""
    chosen = request.cookies.get(cookie_name(request.app.state.settings, COOKIE))
    if chosen in LOCALES:
        return chosen
    return _from_accept_language(request.headers.get("accept-language", "")) or default


def gettext_for(request: Request) -> gettext.NullTranslations:
    locale: str = getattr(request.state, "locale", None) or "es_AR"
    return translations(locale)
