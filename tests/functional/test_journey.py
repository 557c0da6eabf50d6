"""The whole marketplace journey through the API, as two real users would live it.

In process the sandbox delivers its signed webhooks straight back into the app; with
`--stack` it posts them over HTTP to HAProxy, like a real payment provider would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fixia.config import Settings
from tests.factories.accounts import Account, register
from tests.factories.catalog import create_service
from tests.factories.payments import (
    api_client,
    notification_types,
    pay_job,
    payments_app,
    sandbox_checkout,
    subscribe,
)
from tests.factories.projects import API, apply, post_project
from tests.factories.reviews import write_review


@pytest.fixture
async def journey_client(
    request: pytest.FixtureRequest, settings: Settings, client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    if request.config.getoption("--stack"):
        yield client
        return
    async with api_client(payments_app(settings)) as client:
        yield client


async def _step(client: httpx.AsyncClient, who: Account, job: str, step: str) -> dict[str, Any]:
    r = await client.post(f"{API}/jobs/{job}/{step}", headers=who.headers)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def test_the_whole_journey(journey_client: httpx.AsyncClient, outbox: Path) -> None:
    client = journey_client
    # 1. Both register and verify their e-mail (the factory follows the e-mailed link).
    ana = await register(client, outbox, role="client", name="Ana Jones")
    beto = await register(client, outbox, role="professional", name="Beto Evans")

    # 2. The professional publishes a service and pays the professional plan.
    service = await create_service(client, beto)
    r = await subscribe(client, beto, "professional")
    assert r.status_code == 201, r.text
    await sandbox_checkout(client, beto, r.json()["payment"]["provider_preference_id"], "approved")
    me = (await client.get(f"{API}/me", headers=beto.headers)).json()
    assert me["plan"] == "professional" and me["plan_expires_at"]
    found = (await client.get(f"{API}/services", params={"q": "plomero"})).json()["items"]
    assert [s["id"] for s in found] == [service["id"]]

    # 3. The client posts a project; the professional applies; the client accepts.
    project = await post_project(client, ana)
    proposal = await apply(client, beto, project["id"], quoted_price="48000.00")
    r = await client.post(f"{API}/proposals/{proposal['id']}/accept", headers=ana.headers)
    assert r.status_code == 200, r.text
    job = r.json()["job_id"]

    # 4. Completion is requested and confirmed; both review; the averages update.
    await _step(client, beto, job, "start")
    await _step(client, beto, job, "completion/request")
    done = await _step(client, ana, job, "completion/confirm")
    assert done["status"] == "completed"
    await write_review(client, ana, job, rating=5)
    await write_review(client, beto, job, rating=4)
    public = (await client.get(f"{API}/professionals/{beto.id}")).json()
    assert public["profile"]["rating"] == "5.00" and public["profile"]["review_count"] == 1
    reviews = (await client.get(f"{API}/users/{ana.id}/reviews")).json()["items"]
    assert [(x["rating"], x["reviewed_role"]) for x in reviews] == [(4, "client")]

    # 5. The client pays the job: approved, with the platform's 10 % commission.
    r = await pay_job(client, ana, job)
    assert r.status_code == 201, r.text
    payment = r.json()
    await sandbox_checkout(client, ana, payment["provider_preference_id"], "approved")
    paid = (await client.get(f"{API}/payments/{payment['id']}", headers=ana.headers)).json()
    assert paid["status"] == "approved" and paid["amount"] == "48000.00"
    assert paid["platform_fee"] == "4800.00" and paid["professional_amount"] == "43200.00"

    # The notifications arrived on both sides.
    ana_notes = set(await notification_types(client, ana))
    assert {
        "proposal_received",
        "match_created",
        "job_completed",
        "review_received",
        "payment_approved",
    } <= ana_notes, ana_notes
    beto_notes = set(await notification_types(client, beto))
    assert {
        "proposal_accepted",
        "job_completed",
        "review_received",
        "subscription_activated",
        "payment_received",
    } <= beto_notes, beto_notes
