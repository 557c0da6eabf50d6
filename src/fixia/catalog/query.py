"""How a client's words become a search: locality, trade groups, typo correction.

"plomeros en trelew" -> a location filter (Trelew) and one group (plomer, or any word of the
plumbing trade). Pure functions over the data files: no database, identical on both engines.
"""

from __future__ import annotations

from dataclasses import dataclass

from fixia.catalog.analysis import STOPWORDS, stem, words
from fixia.catalog.localities import Locality, find_in
from fixia.catalog.vocabulary import Trade, Vocabulary

MAX_WORDS = 12
MAX_GROUPS = 8
# Synonyms per group, the vocabulary's first (its defining words): each one is a term of the
# full-text query and a LIKE in the ranking of every matching row. With many more, PostgreSQL
# overestimates the matches and scans the table instead of using the GIN index.
MAX_SYNONYMS = 8


@dataclass(frozen=True)
class Group:
    """One thing the client asked for. A listing satisfies it with all of `stems` (as
    prefixes: the client may still be typing) or with any one of `synonyms`."""

    stems: tuple[str, ...]
    synonyms: tuple[str, ...]
    required: bool
    trades: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedQuery:
    groups: tuple[Group, ...]
    locality: Locality | None

    @property
    def required(self) -> tuple[Group, ...]:
        return tuple(g for g in self.groups if g.required)

    @property
    def categories(self) -> tuple[str, ...]:
        """Category slugs of the trades the query names, for "related categories"."""
        return tuple(dict.fromkeys(t.split("/")[0] for g in self.groups for t in g.trades))


def _group(stems: tuple[str, ...], trades: list[Trade], optional: bool) -> Group:
    merged = dict.fromkeys(s for t in trades for s in t.stems if s not in stems)
    synonyms = list(merged)[:MAX_SYNONYMS]
    return Group(
        stems=stems,
        synonyms=tuple(synonyms),
        required=not optional,
        trades=tuple(f"{t.category}/{t.subcategory}" for t in trades),
    )


def _groups(stems: list[str], vocab: Vocabulary) -> list[Group]:
    groups: list[Group] = []
    phrases = vocab.phrases()
    i = 0
    while i < len(stems):
        match = next(((p, t) for p, t in phrases if tuple(stems[i : i + len(p)]) == p), None)
        if match is not None:
            phrase, trade = match
            groups.append(_group(phrase, [trade], optional=False))
            i += len(phrase)
            continue
        s = stems[i]
        groups.append(_group((s,), vocab.trades_for(s), optional=s in vocab.optional))
        i += 1
    unique = _distinct(list({g.stems: g for g in groups}.values()))
    if unique and not any(g.required for g in unique):
        # "arreglo a domicilio": only describing words, so they are what must match.
        unique = [Group(g.stems, g.synonyms, True, g.trades) for g in unique]
    return unique[:MAX_GROUPS]


def _distinct(groups: list[Group]) -> list[Group]:
    """A word the client typed is evidence for its own group only: "látex y esmalte" must not
    find a manicure listing's "esmaltado" twice, once as itself and once as a paint word."""
    own = {s for g in groups for s in g.stems}
    return [
        Group(g.stems, tuple(s for s in g.synonyms if s not in own), g.required, g.trades)
        for g in groups
    ]


def parse(text: str, vocab: Vocabulary, *, detect_locality: bool = True) -> ParsedQuery:
    tokens = words(text)[:MAX_WORDS]
    locality = None
    if detect_locality and (found := find_in(tokens)) is not None:
        locality, start, end = found
        tokens = tokens[:start] + tokens[end:]
    stems = [stem(w) for w in tokens if w not in STOPWORDS]
    return ParsedQuery(groups=tuple(_groups(stems, vocab)), locality=locality)


def correct(text: str, vocab: Vocabulary) -> str | None:
    """The query with its typos corrected from the whole vocabulary, or None if none was
    found (SQLite's correction; PostgreSQL narrows the candidates first, catalog/spelling.py)."""
    tokens = query_words(text)
    return spelled(tokens, [vocab.correct(w) or w for w in tokens], vocab)


def query_words(text: str) -> list[str]:
    """The words of a query that correction looks at."""
    return words(text)[:MAX_WORDS]


def spelled(tokens: list[str], fixed: list[str], vocab: Vocabulary) -> str | None:
    """The corrected query as the client would write it, or None if nothing changed."""
    if fixed == tokens:
        return None
    return " ".join(vocab.display.get(w, w) for w in fixed)
