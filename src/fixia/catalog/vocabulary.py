"""The trade vocabulary (data/vocabulario.toml): how people ask for each trade.

Kept as data so that someone who knows the trades, not the code, can review and extend it.
Everything is analysed with catalog.analysis, so the file's accents, case and plurals do not
matter. Also the word list that typo correction ("¿Quisiste decir …?") picks from.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from fixia.catalog import taxonomy
from fixia.catalog.analysis import STOPWORDS, analyze, fold, stem, words
from fixia.catalog.localities import all_localities

# One edit in a five-letter word, two in a ten-letter one: beyond that it is another word.
MIN_SIMILARITY = 0.78
MIN_CORRECTABLE_LENGTH = 4


@dataclass(frozen=True)
class Trade:
    key: str
    category: str
    subcategory: str
    stems: tuple[str, ...]  # of the one-word entries, in the file's order: any stands for it
    phrases: tuple[tuple[str, ...], ...]  # several-word entries, matched as a whole


@dataclass(frozen=True)
class Vocabulary:
    trades: tuple[Trade, ...]
    optional: frozenset[str]  # stems that describe the request, not the trade
    display: dict[str, str] = field(default_factory=dict)  # folded word -> as written
    # The trade file's own entries as written ("pérdida de gas"): what autocomplete offers.
    entries: tuple[str, ...] = ()

    def trades_for(self, stem_: str) -> list[Trade]:
        return [t for t in self.trades if stem_ in t.stems]

    def phrases(self) -> list[tuple[tuple[str, ...], Trade]]:
        """Every several-word entry with its trade, longest first."""
        found = [(p, t) for t in self.trades for p in t.phrases]
        return sorted(found, key=lambda item: (-len(item[0]), item[1].key))

    def known(self, word: str) -> bool:
        return word in self.display or word in STOPWORDS or word.isdigit()

    def correctable(self, word: str) -> bool:
        return len(word) >= MIN_CORRECTABLE_LENGTH and not self.known(word)

    def correct(self, word: str, among: list[str] | None = None) -> str | None:
        """The closest vocabulary word to an unknown one, if close enough to be a typo.
        `among`: only these candidates (PostgreSQL's trigram matches); else every word.
        Candidates are compared in one order, so ties break alike whatever found them."""
        if not self.correctable(word):
            return None
        found = process.extractOne(
            word,
            sorted(self.display if among is None else among),
            scorer=DamerauLevenshtein.normalized_similarity,
            score_cutoff=MIN_SIMILARITY,
        )
        return None if found is None else str(found[0])

    def terms(self) -> list[tuple[str, str]]:
        """(folded word, as written): the rows of search_terms."""
        return sorted(self.display.items())


def _trade(key: str, entry: dict[str, object]) -> Trade:
    raw = entry.get("palabras", [])
    assert isinstance(raw, list)
    single = [analyze(str(w)) for w in raw]
    return Trade(
        key=key,
        category=str(entry["categoria"]),
        subcategory=str(entry["subcategoria"]),
        stems=tuple(dict.fromkeys(s[0] for s in single if len(s) == 1)),
        phrases=tuple(tuple(s) for s in single if len(s) > 1),
    )


def _display_words(raw: dict[str, object]) -> dict[str, str]:
    """Folded word -> written form (accents kept), with plurals: what correction picks from."""
    written: list[str] = [name for name, *_ in taxonomy.CATEGORIES]
    written += [sub for *_, subs in taxonomy.CATEGORIES for sub in subs]
    for loc in all_localities().values():
        written += [loc.name, *loc.aliases]
    general = raw.get("generales", {})
    assert isinstance(general, dict)
    written += general.get("opcionales", [])
    trades = raw.get("rubro", {})
    assert isinstance(trades, dict)
    written += [w for entry in trades.values() for w in entry.get("palabras", [])]
    display: dict[str, str] = {}
    for phrase in written:
        for original in phrase.split():
            folded = fold(original).strip(".,")
            if folded in STOPWORDS or not folded.isalpha():
                continue
            display.setdefault(folded, original.lower())
            plural = folded + ("es" if folded[-1] not in "aeiou" else "s")
            display.setdefault(plural, original.lower() + plural[len(folded) :])
    return display


@cache
def load() -> Vocabulary:
    text = resources.files("fixia.catalog").joinpath("data/vocabulario.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    general = raw.get("generales", {})
    return Vocabulary(
        trades=tuple(_trade(k, v) for k, v in sorted(raw.get("rubro", {}).items())),
        optional=frozenset(stem(w) for o in general.get("opcionales", []) for w in words(o)),
        display=_display_words(raw),
        entries=tuple(
            sorted({w for entry in raw.get("rubro", {}).values() for w in entry["palabras"]})
        ),
    )
