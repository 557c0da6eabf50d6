"""Issue #22 in the browser's terms (forms, no JavaScript): a professional asks for an
identity check, an admin approves it from the queue, the public profile shows the badge and
explains the score."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fixia.config import Settings
from fixia.main import create_app
from fixia.platform.email import OutboxEmailSender
from tests.factories.accounts import register
from tests.factories.admin import admin
from tests.factories.catalog import DbExec
from tests.factories.payments import api_client
from tests.functional.web.helpers import csrf_token, web_login

# Two browsers (cookie jars) on one app: in process.
pytestmark = pytest.mark.inprocess


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings, mailer=OutboxEmailSender(settings.email.outbox_dir, "t@fixia"))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(app) as c:
        yield c


def _browser(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_request_approve_and_show_the_badge(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec, app: Any
) -> None:
    pro = await register(client, outbox, role="professional", login=False)
    boss = await admin(client, outbox, db_exec)
    async with _browser(app) as mine, _browser(app) as office:
        await web_login(mine, pro)
        token = await csrf_token(mine, "/account/verifications")
        r = await mine.post(
            "/account/verifications",
            data={"type": "business", "cuit": "20-12345678-0", "csrf_token": token},
        )
        assert r.status_code == 422 and "revisá el dígito verificador" in r.text
        assert 'value="20-12345678-0"' in r.text  # the form kept what was typed
        r = await mine.post(
            "/account/verifications",
            data={"type": "identity", "additional_info": "DNI al día", "csrf_token": token},
        )
        assert r.status_code == 303
        page = await mine.get("/account/verifications")
        assert 'data-testid="verification-identity"' in page.text

        await web_login(office, boss)
        queue = await office.get("/admin/verifications")
        assert queue.status_code == 200 and pro.data["name"] in queue.text
        vid = queue.text.split('data-testid="pending-', 1)[1].split('"', 1)[0]
        token = await csrf_token(office, "/admin/verifications")
        r = await office.post(
            f"/admin/verifications/{vid}", data={"decision": "reject", "csrf_token": token}
        )
        assert r.status_code == 422  # a rejection needs a reason
        r = await office.post(
            f"/admin/verifications/{vid}", data={"decision": "approve", "csrf_token": token}
        )
        assert r.status_code == 303
        assert "No hay verificaciones pendientes" in (await office.get("/admin/verifications")).text

    profile = await client.get(f"/professionals/{pro.id}")
    assert 'data-testid="badge-identidad_verificada"' in profile.text
    assert "¿Por qué este puntaje?" in profile.text and 'data-testid="trust-score"' in profile.text
