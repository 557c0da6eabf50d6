"""A client requests a specific service; the professional accepts (match + job) or rejects."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.factories.accounts import Account, register
from tests.factories.catalog import create_service
from tests.factories.projects import API

BODY = {"message": "Hola, ¿podés venir el sábado a la mañana?", "budget": "20000.00"}


@pytest.fixture
async def setup(client: httpx.AsyncClient, outbox: Path) -> tuple[Account, Account, Account, str]:
    owner = await register(client, outbox, role="client")
    pro = await register(client, outbox, role="professional")
    stranger = await register(client, outbox, role="client")
    service = await create_service(client, pro)
    return owner, pro, stranger, service["id"]


async def test_request_accept_creates_job(client: httpx.AsyncClient, setup) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _, service = setup
    r = await client.post(f"{API}/services/{service}/requests", json=BODY, headers=owner.headers)
    assert r.status_code == 201, r.text
    request = r.json()
    assert request["status"] == "pending" and request["professional_id"] == pro.id
    received = (await client.get(f"{API}/service-requests/received", headers=pro.headers)).json()[
        "items"
    ]
    assert [x["id"] for x in received] == [request["id"]]
    sent = (await client.get(f"{API}/service-requests/sent", headers=owner.headers)).json()["items"]
    assert [x["id"] for x in sent] == [request["id"]]
    # The client cannot accept their own request.
    url = f"{API}/service-requests/{request['id']}"
    assert (await client.post(f"{url}/accept", headers=owner.headers)).status_code == 403
    r = await client.post(f"{url}/accept", json={"message": "¡Dale!"}, headers=pro.headers)
    assert r.status_code == 200, r.text
    job = r.json()
    assert job["agreed_price"] == "20000.00" and job["status"] == "not_started"
    assert (await client.get(url, headers=owner.headers)).json()["status"] == "accepted"
    # The resulting job has the same completion flow as project jobs.
    for who, step in ((pro, "start"), (pro, "completion/request"), (owner, "completion/confirm")):
        r = await client.post(f"{API}/jobs/{job['id']}/{step}", headers=who.headers)
        assert r.status_code == 200, r.text
    assert (await client.post(f"{url}/reject", headers=pro.headers)).status_code == 409


async def test_one_pending_request_per_service(client: httpx.AsyncClient, setup) -> None:  # type: ignore[no-untyped-def]
    owner, _pro, _, service = setup
    url = f"{API}/services/{service}/requests"
    first = (await client.post(url, json=BODY, headers=owner.headers)).json()
    r = await client.post(url, json=BODY, headers=owner.headers)
    assert r.status_code == 409 and r.json()["code"] == "pending_request_exists"
    # After the client cancels, a new request is allowed.
    r = await client.delete(f"{API}/service-requests/{first['id']}", headers=owner.headers)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert (await client.post(url, json=BODY, headers=owner.headers)).status_code == 201


async def test_reject_and_cancel_rules(client: httpx.AsyncClient, setup) -> None:  # type: ignore[no-untyped-def]
    owner, pro, stranger, service = setup
    request = (
        await client.post(f"{API}/services/{service}/requests", json=BODY, headers=owner.headers)
    ).json()
    url = f"{API}/service-requests/{request['id']}"
    assert (await client.get(url, headers=stranger.headers)).status_code == 404
    assert (await client.delete(url, headers=pro.headers)).status_code == 404
    r = await client.post(f"{url}/reject", json={"message": "No tengo agenda"}, headers=pro.headers)
    assert r.status_code == 200 and r.json()["response_message"] == "No tengo agenda"
    assert (await client.delete(url, headers=owner.headers)).status_code == 409
    notes = (await client.get(f"{API}/notifications", headers=owner.headers)).json()["items"]
    assert "service_request_rejected" in {n["type"] for n in notes}


async def test_request_validation_and_permissions(client: httpx.AsyncClient, setup) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _, service = setup
    url = f"{API}/services/{service}/requests"
    assert (await client.post(url, json=BODY)).status_code == 401
    # A professional (not dual) is not a client; and nobody requests their own service.
    assert (await client.post(url, json=BODY, headers=pro.headers)).status_code == 403
    for bad in (
        {"message": "corto"},
        {**BODY, "budget": "1"},
        {**BODY, "extra": 1},
        {**BODY, "deadline": "2001-01-01T00:00:00+00:00"},
    ):
        assert (await client.post(url, json=bad, headers=owner.headers)).status_code == 422
    r = await client.post(
        f"{API}/services/00000000-0000-0000-0000-000000000000/requests",
        json=BODY,
        headers=owner.headers,
    )
    assert r.status_code == 404
