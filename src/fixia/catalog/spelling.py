"""Typo correction ("¿Quisiste decir …?"): which vocabulary word an unknown one meant.

PostgreSQL asks pg_trgm for the words that share most trigrams with the typo (the GIN index
on search_terms, migration 0015_trgm); SQLite compares every vocabulary word in memory. Both
then keep the candidate nearest by Damerau-Levenshtein (catalog.vocabulary), so the two
engines correct alike unless trigrams miss the word edits would pick (docs/search.md).
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.catalog.models import SearchTerm
from fixia.catalog.query import query_words, spelled
from fixia.catalog.vocabulary import Vocabulary, load

# Trigram matches handed to the edit-distance choice: the right word ranks in the first few.
TRIGRAM_CANDIDATES = 5


async def trigram_candidates(session: AsyncSession, word: str) -> list[str]:
    """Vocabulary words similar to `word` by pg_trgm (`%`: similarity ≥ 0.3), most first."""
    stmt = (
        select(SearchTerm.word)
        .where(SearchTerm.word.op("%")(word))
        .order_by(func.similarity(SearchTerm.word, word).desc(), SearchTerm.word)
        .limit(TRIGRAM_CANDIDATES)
    )
    return list((await session.scalars(stmt)).all())


async def _correct_word(session: AsyncSession, vocab: Vocabulary, word: str) -> str | None:
    if not vocab.correctable(word):
        return None
    if session.get_bind().dialect.name != "postgresql":
        return vocab.correct(word)
    candidates = await trigram_candidates(session, word)
    return vocab.correct(word, candidates) if candidates else None


async def correct(*, session: AsyncSession, text: str) -> str | None:
    """The query with its typos corrected, or None when every word is known or no near one."""
    vocab = load()
    tokens = query_words(text)
    fixed = [await _correct_word(session, vocab, w) or w for w in tokens]
    return spelled(tokens, fixed, vocab)


async def refresh_terms(*, session: AsyncSession) -> int:
    """Make search_terms the vocabulary's words again (after a release changed the file)."""
    wanted = dict(load().terms())
    rows = await session.execute(select(SearchTerm.word, SearchTerm.display))
    have = {word: display for word, display in rows}
    stale = [w for w in have if w not in wanted]
    if stale:
        await session.execute(delete(SearchTerm).where(SearchTerm.word.in_(stale)))
    session.add_all(SearchTerm(word=w, display=d) for w, d in wanted.items() if w not in have)
    for word, display in wanted.items():
        if word in have and have[word] != display:
            await session.execute(
                update(SearchTerm).where(SearchTerm.word == word).values(display=display)
            )
    await session.flush()
    return len(wanted)
