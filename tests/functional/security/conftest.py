"""Security tests run on the in-process app with the sandbox payment provider delivering its
signed webhooks back into it (payment state changes are among the audited events)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from fixia.config import Settings
from tests.factories.accounts import Account
from tests.factories.admin import admin
from tests.factories.catalog import DbExec
from tests.factories.payments import api_client, payments_app


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return payments_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(app) as c:
        yield c


@pytest.fixture
async def boss(client: httpx.AsyncClient, outbox: Path, db_exec: DbExec) -> Account:
    return await admin(client, outbox, db_exec)
