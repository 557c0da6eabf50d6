"""One Spanish text analysis for both engines: fold, tokenize, drop stopwords, stem.

The engines never analyse Spanish themselves. Listings are analysed here when written (the
`services.search_document` column) and queries when asked, so SQLite FTS5 and PostgreSQL index
and look up the very same tokens and therefore find the same services.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]

# Letters and digits only: "_" and punctuation never reach an engine's query syntax.
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)

# Snowball's Spanish stopword list, folded, trimmed to words that carry no trade meaning.
_STOPWORDS = """
    a al algo algun alguna algunas alguno algunos ante antes aqui asi aun bien cada como con
    contra cual cuales cualquier cuando de del desde donde dos el ella ellas ello ellos en entre
    era eran es esa esas ese eso esos esta estan estas este esto estos fue fueron ha habia han
    hasta hay la las le les lo los mas me mi mis mucho muchos muy nada ni no nos nosotros o otra
    otras otro otros para pero poco por porque que quien quienes se sea ser si sin sobre son su
    sus tambien te tengo tiene tienen todo todos tu tus un una unas uno unos ya yo necesito
    necesita busco buscando quiero alguien favor hola urgente cerca zona y e u
"""
STOPWORDS = frozenset(_STOPWORDS.split())

_STEMMER = snowballstemmer.stemmer("spanish")


def fold(text: str) -> str:
    """Lower case without accents: "Plomería" and "plomeria" are the same word to a client."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Folded words, stopwords kept (locality names such as "28 de Julio" need them)."""
    return _TOKEN.findall(fold(text))


@lru_cache(maxsize=20_000)
def stem(word: str) -> str:
    # Folded before stemming, so an accent the client leaves out never changes the stem.
    return str(_STEMMER.stemWord(word))


def analyze(text: str) -> list[str]:
    """The index tokens of a text, in order: folded, stopwords dropped, stemmed."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def document(*parts: str | None) -> str:
    """What the full-text indexes store: the analysed tokens joined by spaces."""
    return " ".join(t for part in parts if part for t in analyze(part))


# Separates the title and tags from the description in the stored document, so ranking can
# tell a title match from a passing mention (catalog.search). Both engines ignore it.
TITLE_END = "|"


def index_document(title: str | None, tags_text: str | None, description: str | None) -> str:
    """services.search_document: what both engines index for a listing."""
    return f"{document(title, tags_text)} {TITLE_END} {document(description)}"
