"""Annotated dependency aliases: the request's session, settings and cache. The caller and
role checks belong to accounts (`accounts/dependencies.py` for the API,
`accounts/web_session.py` for the pages), which share one token check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.config import Settings
from fixia.db import discard_after_commit, run_after_commit
from fixia.errors import DomainError
from fixia.platform.cache import Cache


# The dependencies that only read app state are `async def`: FastAPI runs a plain `def`
# dependency in its thread pool, a thread hop (and GIL hand-over) per request for nothing.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_cache(request: Request) -> Cache:
    cache: Cache = request.app.state.cache
    return cache


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request owns the transaction: commit when the handler returns, else roll back."""
    async with request.app.state.sessions() as session:
        try:
            yield session
        except DomainError as error:
            if error.persist:
                await session.commit()
                await run_after_commit(session)
            else:
                await session.rollback()
                discard_after_commit(session)
            raise
        except BaseException:
            await session.rollback()
            discard_after_commit(session)
            raise
        else:
            await session.commit()
            await run_after_commit(session)


SettingsDep = Annotated[Settings, Depends(get_settings)]
CacheDep = Annotated[Cache, Depends(get_cache)]
# scope="function" commits before the response is sent, so a failed commit is reported.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
