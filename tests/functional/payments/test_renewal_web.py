"""The subscription page switches automatic renewal on and off, without JavaScript: the same
services as `PUT/DELETE /api/v1/subscriptions/me/renewal` (docs/money.md)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from fixia.config import Settings
from tests.factories.accounts import register
from tests.factories.payments import API, sandbox_checkout, subscribe
from tests.functional.web.helpers import csrf_token, web_login

# The payments app: its sandbox delivers webhooks back into it (conftest).
pytestmark = pytest.mark.inprocess

ON = "Se renueva automáticamente al vencer."
OFF = "No se renueva: al vencer, tu cuenta pasa al plan gratuito."


async def _toggle(client: httpx.AsyncClient, renew: str) -> httpx.Response:
    token = await csrf_token(client, "/subscription")
    return await client.post("/subscription/renewal", data={"renew": renew, "csrf_token": token})


async def test_a_professional_switches_renewal_on_and_off_from_the_page(
    client: httpx.AsyncClient, outbox: Path, settings: Settings
) -> None:
    pro = await register(client, outbox, role="professional")
    r = await subscribe(client, pro, "professional")
    assert r.status_code == 201, r.text
    await sandbox_checkout(client, pro, r.json()["payment"]["provider_preference_id"])
    await web_login(client, pro)
    page = (await client.get("/subscription")).text
    assert OFF in page and ON not in page

    r = await _toggle(client, "on")
    # The payer authorises the agreement at the provider (the sandbox's page is ours).
    assert r.status_code == 303 and "agreement=" in r.headers["location"], r.text[:500]
    assert ON in (await client.get("/subscription")).text
    mine = await client.get(f"{API}/subscriptions/me", headers=pro.headers)
    assert mine.json()["auto_renew"] is True
    # A second "on" would start a second agreement that charges twice: refused, readably.
    r = await _toggle(client, "on")
    assert r.status_code == 409 and "text/html" in r.headers["content-type"]

    r = await _toggle(client, "off")
    assert r.status_code == 303 and r.headers["location"].endswith("/subscription")
    assert OFF in (await client.get("/subscription")).text
    mine = await client.get(f"{API}/subscriptions/me", headers=pro.headers)
    assert mine.json()["auto_renew"] is False


async def test_without_a_running_plan_the_switch_is_a_readable_refusal(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    pro = await register(client, outbox, role="professional", login=False)
    await web_login(client, pro)
    r = await _toggle(client, "on")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
