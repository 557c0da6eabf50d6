"""The response-time signal trust will read, and the unread digest the scheduler sends."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from fixia.config import Settings
from fixia.conversations import digest
from fixia.conversations.public import response_time_of
from fixia.db import transactional, utcnow
from fixia.main import create_app
from fixia.platform.email import OutboxEmailSender
from tests.factories.accounts import last_mails, register
from tests.factories.catalog import DbExec
from tests.factories.conversations import open_conversation, send
from tests.factories.projects import apply, post_project

pytestmark = pytest.mark.inprocess


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings, mailer=OutboxEmailSender(settings.email.outbox_dir, "t@fixia"))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
    await app.state.engine.dispose()


async def _backdate(db_exec: DbExec, body: str, minutes: int) -> None:
    rows = await db_exec("SELECT id, created_at FROM messages WHERE body = :b", b=body)
    [(message_id, _)] = rows
    await db_exec(
        "UPDATE messages SET created_at = :t WHERE id = :i",
        t=utcnow() - timedelta(minutes=minutes),
        i=message_id,
    )


async def test_median_response_time(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec, app: FastAPI
) -> None:
    owner = await register(client, outbox)
    pro = await register(client, outbox, role="professional")
    proposal = await apply(client, pro, (await post_project(client, owner))["id"])
    conv = await open_conversation(client, owner, "proposal", proposal["id"])
    # Client asks twice (the wait runs from the first), pro answers after 60 min; then the
    # client asks again and the pro answers after 20 min; a last question is unanswered.
    script = [
        (owner, "pregunta 1", 200), (owner, "pregunta 1 bis", 190), (pro, "respuesta 1", 140),
        (owner, "pregunta 2", 100), (pro, "respuesta 2", 80), (owner, "pregunta 3", 10),
    ]  # fmt: skip
    for who, body, minutes_ago in script:
        await send(client, who, conv["id"], body)
        await _backdate(db_exec, body, minutes_ago)
    async with transactional(app.state.sessions) as session:
        median = await response_time_of(session, uuid.UUID(pro.id))
        nothing = await response_time_of(session, uuid.uuid4())
    assert median is not None and round(median.total_seconds() / 60) == 40
    assert nothing is None


async def test_unread_digest_mails_once_after_n_minutes(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec, app: FastAPI, settings: Settings
) -> None:
    owner = await register(client, outbox)
    pro = await register(client, outbox, role="professional")
    proposal = await apply(client, pro, (await post_project(client, owner))["id"])
    conv = await open_conversation(client, pro, "proposal", proposal["id"])
    await send(client, pro, conv["id"], "viejo sin leer")
    await send(client, pro, conv["id"], "reciente")
    await _backdate(db_exec, "viejo sin leer", settings.conversations.digest_after_min + 1)
    before = len(last_mails(outbox, owner.email))
    async with transactional(app.state.sessions) as session:
        assert await digest.send_due(session=session, settings=settings) == 1
    async with transactional(app.state.sessions) as session:
        assert await digest.send_due(session=session, settings=settings) == 0
    mails = last_mails(outbox, owner.email)
    assert len(mails) == before + 1
    assert "mensajes sin leer" in mails[-1] or "mensaje(s) sin leer" in mails[-1]
