"""Payment and subscription tests run on an in-process app whose sandbox delivers its signed
webhooks straight back into it (tests/functional/test_journey.py covers the real stack)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from fixia import events
from fixia.config import Settings
from tests.factories.payments import api_client, payments_app


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return payments_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(app) as c:
        yield c


@pytest.fixture
def emitted() -> Iterator[list[events.DomainEvent]]:
    seen: list[events.DomainEvent] = []
    unsubscribe = events.subscribe("*", seen.append)
    yield seen
    unsubscribe()
