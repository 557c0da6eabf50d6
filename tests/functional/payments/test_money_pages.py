"""The money pages without JavaScript: a plan proposed in a form and accepted by the other
party, a payout account linked through the provider's consent round trip, and an admin
resolving a disputed milestone (release, full or partial refund), with readable errors."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from fixia.config import Settings
from tests.factories.accounts import register
from tests.factories.admin import promote_to_admin
from tests.factories.catalog import DbExec, sql_value
from tests.factories.payments import create_job
from tests.functional.payments.test_milestones import disputed_milestone, report
from tests.functional.payments.test_milestones_web import press
from tests.functional.web.helpers import csrf_token, web_login

pytestmark = pytest.mark.inprocess


def rows(*pairs: tuple[str, str]) -> dict[str, list[str]]:
    """The plan form's repeated fields, padded with a blank row as the page sends them."""
    titles = [t for t, _ in pairs] + [""]
    return {"title": titles, "amount": [a for _, a in pairs] + [""], "due_date": [""] * len(titles)}


async def test_a_plan_is_proposed_in_a_form_and_accepted_by_the_other_party(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, db_exec: DbExec
) -> None:
    payer = await register(client, outbox, "client")
    pro = await register(client, outbox, "professional")
    job_id = await create_job(settings, client=payer, professional=pro, agreed_price="1000.00")
    page = f"/jobs/{job_id}/milestones"
    await web_login(client, pro)
    r = await client.get(page)
    assert "Proponer un plan de etapas" in r.text and "$ 1.000,00" in r.text
    token = await csrf_token(client, page)
    short = {**rows(("Materiales", "300"), ("Mano de obra", "600")), "csrf_token": token}
    r = await client.post(page, data=short)
    assert r.status_code == 422
    assert "tienen que sumar el precio acordado" in r.text and 'value="Mano de obra"' in r.text
    count = "SELECT count(*) FROM milestones WHERE job_id = :j"
    assert await db_exec(count, j=sql_value(settings, job_id)) == [(0,)]
    form = {**rows(("Materiales", "300,50"), ("Mano de obra", "699.50")), "csrf_token": token}
    form["due_date"] = ["2027-01-20", "", ""]
    r = await client.post(page, data=form)
    assert r.status_code == 303 and "ok=plan_proposed" in r.headers["location"]
    r = await client.get(page)
    assert "Aceptar el plan" not in r.text  # the proposer does not accept their own plan
    assert "(20/01/2027)" in r.text and 'value="2027-01-20"' in r.text  # due date, both ways
    r = await client.post(f"{page}/accept", data={"csrf_token": token})
    assert r.status_code == 403 and "<h1" in r.text
    client.cookies.clear()
    await web_login(client, payer)
    r = await client.get(page)
    assert "Aceptar el plan" in r.text and "$ 300,50" in r.text
    assert r.text.count('data-status="proposed"') == 2
    assert (await client.post(f"{page}/accept", data={})).status_code == 403  # no CSRF token
    await press(client, page, f"{page}/accept")
    r = await client.get(page)
    assert r.text.count('data-status="agreed"') == 2 and "Pagar etapa" in r.text


async def test_a_professional_links_a_payout_account_through_the_consent_page(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, db_exec: DbExec
) -> None:
    pro = await register(client, outbox, "professional")
    await web_login(client, pro)
    r = await client.get("/payouts")
    assert "Vincular mi cuenta de MercadoPago" in r.text
    consent = urlparse(await press(client, "/payouts", "/payouts/link"))
    assert consent.path == "/payouts/linked" and "code=" in consent.query
    r = await client.get(f"{consent.path}?{consent.query.replace('state=', 'state=x')}")
    assert r.status_code == 403 and "<h1" in r.text
    r = await client.get("/payouts/linked?error=access_denied")
    assert r.status_code == 400 and "No vinculamos ninguna cuenta" in r.text
    count = "SELECT count(*) FROM payout_accounts"
    assert await db_exec(count) == [(0,)]
    r = await client.get(f"{consent.path}?{consent.query}")
    assert r.status_code == 303 and r.headers["location"] == "/payouts?ok=payout_linked"
    r = await client.get("/payouts")
    assert "Cambiar la cuenta vinculada" in r.text and "data-account=" in r.text
    assert await db_exec(count) == [(1,)]


async def test_an_admin_resolves_a_disputed_milestone_with_a_partial_refund(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, db_exec: DbExec
) -> None:
    payer, pro, only = await disputed_milestone(client, settings, outbox, "300.00")
    await web_login(client, payer)
    assert (await client.get("/admin/milestones")).status_code == 403
    client.cookies.clear()
    boss = await register(client, outbox, "client")
    await promote_to_admin(client, db_exec, boss)
    await web_login(client, boss)
    page = "/admin/milestones"
    r = await client.get(page)
    assert "pérdida en la cañería" in r.text and f'action="{page}/{only}/resolve"' in r.text
    token = await csrf_token(client, page)
    action = f"{page}/{only}/resolve"
    r = await client.post(action, data={"csrf_token": token, "outcome": "partial",
                                        "refund_amount": "300,00"})  # fmt: skip
    assert r.status_code == 422 and "menor que lo retenido" in r.text
    r = await client.post(action, data={"csrf_token": token, "outcome": "partial",
                                        "refund_amount": "abc"})  # fmt: skip
    assert r.status_code == 422 and "Ingresá un número" in r.text
    r = await client.post(action, data={"csrf_token": token, "outcome": "partial",
                                        "refund_amount": "100,00"})  # fmt: skip
    assert r.status_code == 303 and "ok=milestone_resolved" in r.headers["location"]
    assert "No hay etapas en disputa" in (await client.get(page)).text
    kinds = [k for (k,) in await db_exec("SELECT kind FROM ledger_entries")]
    assert kinds.count("refund") == kinds.count("refund_settled") == kinds.count("release") == 1
    assert (await report(client, pro))["paid"] == "180.00"
    audit = "SELECT action FROM audit_log WHERE target_id = :t"
    assert await db_exec(audit, t=sql_value(settings, only)) == [("milestone.resolved",)]
