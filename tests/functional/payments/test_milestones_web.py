"""In the browser: a client funds a milestone through the sandbox checkout and approves it;
the professional marks it done and reads the payout report."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from fixia.config import Settings
from tests.factories.accounts import register
from tests.factories.payments import API, new_key
from tests.functional.payments.test_milestones import fund, plan_job
from tests.functional.web.helpers import csrf_token, web_login

pytestmark = pytest.mark.inprocess


async def press(client: httpx.AsyncClient, page: str, action: str, **fields: str) -> str:
    """Submit the form of `page` whose action is `action`; returns where it redirected."""
    token = await csrf_token(client, page)
    r = await client.post(action, data={**fields, "csrf_token": token})
    assert r.status_code == 303, r.text[:1000]
    return str(r.headers["location"])


async def test_client_funds_and_approves_a_milestone_in_the_browser(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer, pro, job_id, plan = await plan_job(client, settings, outbox, ["700.00"])
    page = f"/jobs/{job_id}/milestones"
    only = plan[0]["id"]
    await web_login(client, payer)
    r = await client.get(page)
    assert "Pagar etapa" in r.text and f'action="/milestones/{only}/fund"' in r.text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', r.text)
    assert key is not None
    checkout = await press(client, page, f"/milestones/{only}/fund", idempotency_key=key[1])
    assert checkout.startswith("/checkout/sandbox/") and f"next={page}" in checkout
    preference = checkout.split("/checkout/sandbox/")[1].split("?")[0]
    r = await client.get(checkout)
    assert f'name="next" value="{page}"' in r.text
    back = await press(client, checkout, f"/checkout/sandbox/{preference}",
                       outcome="approved", next=page)  # fmt: skip
    assert back.startswith(page)
    r = await client.get(page)
    assert "funded" in r.text and "Aprobar y liberar" in r.text
    await press(client, page, f"/milestones/{only}/approve")
    r = await client.get(page)
    assert "released" in r.text and "Pagar etapa" not in r.text
    client.cookies.clear()
    await web_login(client, pro)
    r = await client.get("/payouts")
    assert r.status_code == 200
    assert re.search(r'data-total="payable">\$\s?630', r.text), r.text[:3000]


async def test_the_sandbox_never_redirects_off_site(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer, _, job_id, plan = await plan_job(client, settings, outbox, ["10.00"])
    await web_login(client, payer)
    page = f"/jobs/{job_id}/milestones"
    checkout = await press(client, page, f"/milestones/{plan[0]['id']}/fund")
    preference = checkout.split("/checkout/sandbox/")[1].split("?")[0]
    r = await client.get(f"/checkout/sandbox/{preference}?next=//evil.example/jobs/")
    assert "evil" not in r.text


async def test_every_paid_payment_has_a_receipt_in_spanish_for_its_parties_only(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer, pro, _, plan = await plan_job(client, settings, outbox, ["120.00", "30.00"])
    funded = await fund(client, payer, plan[0]["id"])
    headers = {**payer.headers, "Idempotency-Key": new_key()}
    pending = await client.post(f"{API}/milestones/{plan[1]['id']}/fund", headers=headers)
    stranger = await register(client, outbox, "client")
    await web_login(client, payer)
    r = await client.get(f"/payments/{funded['payment_id']}/receipt")
    assert r.status_code == 200
    assert "Comprobante de pago" in r.text and "Etapa de un trabajo" in r.text
    assert re.search(r"data-amount>\$\s?120", r.text), r.text[:3000]
    assert (
        await client.get(f"/payments/{pending.json()['payment_id']}/receipt")
    ).status_code == 404
    client.cookies.clear()
    await web_login(client, pro)
    assert (await client.get(f"/payments/{funded['payment_id']}/receipt")).status_code == 200
    client.cookies.clear()
    await web_login(client, stranger)
    assert (await client.get(f"/payments/{funded['payment_id']}/receipt")).status_code == 404
