"""The full marketplace journey, remembering every secret and personal datum it handles so
the tests can prove none of them reaches a log line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.factories.accounts import Account, last_link_token, log_in, registration
from tests.factories.catalog import create_service
from tests.factories.payments import pay_job, sandbox_checkout
from tests.factories.projects import API, apply, post_project


@dataclass
class Journey:
    secrets: set[str] = field(default_factory=set)
    responses: list[httpx.Response] = field(default_factory=list)

    def keep(self, response: httpx.Response) -> httpx.Response:
        self.responses.append(response)
        return response


async def _account(client: httpx.AsyncClient, outbox: Path, journey: Journey, role: str) -> Account:
    body = registration(role)
    r = await client.post(f"{API}/auth/register", json=body)
    assert r.status_code == 201, r.text
    account = Account(id=r.json()["id"], email=body["email"], password=body["password"], role=role)
    token = last_link_token(outbox, body["email"])
    assert (await client.post(f"{API}/auth/verify-email", json={"token": token})).is_success
    await log_in(client, account)
    journey.secrets |= {
        body["password"],
        body["dni"],
        body["phone"],
        token,
        account.access_token,
        account.refresh_token,
    }
    return account


async def run(client: httpx.AsyncClient, outbox: Path) -> Journey:
    """register, log in, create a service, a project, a proposal, accept it, reveal the
    contact (phone), pay the job (the sandbox's signed webhook) and a few refusals."""
    journey = Journey()
    ana = await _account(client, outbox, journey, "client")
    beto = await _account(client, outbox, journey, "professional")
    wrong = await client.post(
        f"{API}/auth/login", json={"email": ana.email, "password": "Wrong-Password-123!"}
    )
    assert wrong.status_code == 401
    journey.secrets.add("Wrong-Password-123!")
    # A cookie-authenticated page (the web's session cookie): its value must not be logged.
    cookie = f"access_token={ana.access_token}"
    me = journey.keep(await client.get("/account", headers={"Cookie": cookie}))
    assert me.status_code == 200, me.text
    service = await create_service(client, beto)
    journey.keep(await client.get(f"{API}/services/{service['id']}"))
    journey.keep(await client.get(f"{API}/services/{service['id']}"))
    project = await post_project(client, ana)
    proposal = await apply(client, beto, project["id"], quoted_price="48000.00")
    accepted = journey.keep(
        await client.post(f"{API}/proposals/{proposal['id']}/accept", headers=ana.headers)
    )
    assert accepted.status_code == 200, accepted.text
    match_id, job_id = accepted.json()["match_id"], accepted.json()["job_id"]
    reveal = journey.keep(
        await client.post(f"{API}/matches/{match_id}/contact-reveal", headers=ana.headers)
    )
    assert reveal.status_code == 201, reveal.text
    reveal_token = reveal.json()["token"]
    journey.secrets.add(reveal_token)
    redeemed = journey.keep(
        await client.post(
            f"{API}/contact-reveals/redeem", json={"token": reveal_token}, headers=ana.headers
        )
    )
    assert redeemed.json()["phone"] == "+54 9 280 455-1234"
    paid = journey.keep(await pay_job(client, ana, job_id))
    assert paid.status_code == 201, paid.text
    await sandbox_checkout(client, ana, paid.json()["provider_preference_id"], "approved")
    bad = journey.keep(
        await client.post(
            f"{API}/payments/webhooks/sandbox",
            headers={"x-signature": "ts=1,v1=deadbeef", "Authorization": "Bearer leaked-xyz"},
            json={"data": {"id": "1"}, "type": "payment"},
        )
    )
    assert bad.status_code == 401
    journey.secrets.add("leaked-xyz")
    return journey
