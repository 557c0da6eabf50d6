"""Autocomplete for the search box: trades, categories and localities, from the data files.

No database: the words people search with are the trade vocabulary, the taxonomy and the
localities. "plomero en tre" completes its last word: "plomero en Trelew".
"""

from __future__ import annotations

from functools import cache, lru_cache

from fixia.catalog import taxonomy
from fixia.catalog.analysis import fold
from fixia.catalog.localities import all_localities
from fixia.catalog.schemas import Suggestion
from fixia.catalog.vocabulary import load

MAX_SUGGESTIONS = 10
KIND_ORDER = {"category": 0, "trade": 1, "locality": 2}


@cache
def _entries() -> tuple[tuple[str, str, str], ...]:
    """(folded, as written, kind), in display order."""
    found: dict[str, tuple[str, str]] = {}
    for name, _icon, _popular, subs in taxonomy.CATEGORIES:
        for value in (name, *subs):
            found.setdefault(fold(value), (value, "category"))
    for loc in all_localities().values():
        found.setdefault(fold(loc.name), (loc.name, "locality"))
    for entry in load().entries:
        found.setdefault(fold(entry), (entry, "trade"))
    ordered = sorted(found.items(), key=lambda i: (KIND_ORDER[i[1][1]], len(i[0]), i[0]))
    return tuple((folded, written, kind) for folded, (written, kind) in ordered)


def _complete(prefix: str, kinds: set[str]) -> list[tuple[str, str]]:
    return [
        (written, kind)
        for folded, written, kind in _entries()
        if kind in kinds and any(w.startswith(prefix) for w in folded.split())
    ]


@lru_cache(maxsize=4096)  # bounded: the text comes from anyone
def suggest(text: str, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """Completions of the last word, the words before it kept as typed."""
    typed = text.strip()
    head, _, last = typed.rpartition(" ")
    prefix = fold(last)
    if len(prefix) < 2:
        return []
    kinds = {"locality"} if fold(head).endswith(" en") or fold(head) == "en" else set(KIND_ORDER)
    found = _complete(prefix, kinds)
    lead = f"{head} " if head else ""
    return [Suggestion(value=f"{lead}{written}", kind=kind) for written, kind in found[:limit]]


def datalist() -> list[str]:
    """Every suggestion for an empty box: what a plain <datalist> offers without script."""
    return [written for _folded, written, _kind in _entries()]
