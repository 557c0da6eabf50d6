"""Payments posts to money's books through a port in `Session.info` (fixia/payments/settlement.py):
wired sessions carry money's implementation, and a session built without it fails loudly
instead of confirming a payment that nothing posts."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from fixia.db import session_factory
from fixia.money.settlement import MoneyBooks
from fixia.payments.settlement import books_of
from fixia.platform.cache import build_cache
from fixia.wiring import wired_sessions


async def test_wired_sessions_carry_money_books(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        sessions = wired_sessions(engine, build_cache(None), None, None)  # type: ignore[arg-type]
        async with sessions() as session:
            assert isinstance(books_of(session), MoneyBooks)
    finally:
        await engine.dispose()


async def test_a_session_without_books_refuses(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with session_factory(engine)() as session:
            with pytest.raises(RuntimeError, match="no books"):
                books_of(session)
    finally:
        await engine.dispose()
