"""Jobs and matches: lifecycle with history, completion handshake, disputes, contact reveal."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.factories.accounts import Account, register
from tests.factories.projects import API, job_between


@pytest.fixture
async def trio(client: httpx.AsyncClient, outbox: Path) -> tuple[Account, Account, Account]:
    owner = await register(client, outbox, role="client")
    pro = await register(client, outbox, role="professional")
    stranger = await register(client, outbox, role="client")
    return owner, pro, stranger


async def _step(
    client: httpx.AsyncClient,
    who: Account,
    job: str,
    step: str,
    body: dict[str, object] | None = None,
) -> httpx.Response:
    return await client.post(f"{API}/jobs/{job}/{step}", json=body, headers=who.headers)


async def test_full_lifecycle_with_history(client: httpx.AsyncClient, trio) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _ = trio
    job = (await job_between(client, owner, pro))["job_id"]
    assert (await _step(client, owner, job, "start")).status_code == 403
    r = await _step(client, pro, job, "start")
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    r = await _step(client, pro, job, "progress", {"progress": 60, "message": "caños listos"})
    assert r.status_code == 200 and r.json()["progress"] == 60
    assert (await _step(client, pro, job, "progress", {"progress": 101})).status_code == 422
    r = await _step(client, pro, job, "completion/request")
    assert r.json()["status"] == "completion_requested"
    # Only the other party may confirm.
    r = await _step(client, pro, job, "completion/confirm")
    assert r.status_code == 403 and r.json()["code"] == "not_allowed_party"
    r = await _step(client, owner, job, "completion/confirm")
    assert r.status_code == 200
    detail = r.json()
    assert detail["status"] == "completed" and detail["progress"] == 100
    assert [h["to_status"] for h in detail["history"]] == [
        "not_started",
        "in_progress",
        "in_progress",
        "completion_requested",
        "completed",
    ]
    match = (await client.get(f"{API}/matches/{detail['match_id']}", headers=owner.headers)).json()
    project = (
        await client.get(f"{API}/projects/{match['project_id']}", headers=owner.headers)
    ).json()
    assert project["status"] == "completed"
    assert (await _step(client, pro, job, "start")).status_code == 409


async def test_client_can_request_and_professional_confirm(client: httpx.AsyncClient, trio) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _ = trio
    job = (await job_between(client, owner, pro))["job_id"]
    await _step(client, pro, job, "start")
    assert (await _step(client, owner, job, "completion/request")).status_code == 200
    r = await _step(client, pro, job, "completion/confirm")
    assert r.status_code == 200 and r.json()["status"] == "completed"


async def test_decline_completion_returns_to_progress(client: httpx.AsyncClient, trio) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _ = trio
    job = (await job_between(client, owner, pro))["job_id"]
    await _step(client, pro, job, "start")
    await _step(client, pro, job, "completion/request")
    assert (await _step(client, pro, job, "completion/decline")).status_code == 403
    r = await _step(client, owner, job, "completion/decline", {"message": "falta la válvula"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    assert r.json()["completion_requested_by"] is None


async def test_confirm_without_request_is_invalid(client: httpx.AsyncClient, trio) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _ = trio
    job = (await job_between(client, owner, pro))["job_id"]
    r = await _step(client, owner, job, "completion/confirm")
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"


async def test_dispute_freezes_job(client: httpx.AsyncClient, trio) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _ = trio
    job = (await job_between(client, owner, pro))["job_id"]
    await _step(client, pro, job, "start")
    assert (await _step(client, owner, job, "dispute", {"reason": "corto"})).status_code == 422
    r = await _step(client, owner, job, "dispute", {"reason": "No vino el día acordado."})
    assert r.status_code == 200 and r.json()["status"] == "disputed"
    assert r.json()["dispute_reason"] == "No vino el día acordado."
    for who, step in ((pro, "completion/request"), (owner, "cancel"), (pro, "start")):
        body = {"reason": "Cancelo por la disputa"} if step == "cancel" else None
        assert (await _step(client, who, job, step, body)).status_code == 409


async def test_cancel_only_before_start(client: httpx.AsyncClient, trio) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _ = trio
    accepted = await job_between(client, owner, pro)
    job = accepted["job_id"]
    r = await _step(client, owner, job, "cancel", {"reason": "Ya no lo necesito, gracias."})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    project = (
        await client.get(f"{API}/projects/{accepted['project_id']}", headers=owner.headers)
    ).json()
    assert project["status"] == "cancelled"


async def test_strangers_cannot_see_or_act(client: httpx.AsyncClient, trio) -> None:  # type: ignore[no-untyped-def]
    owner, pro, stranger = trio
    accepted = await job_between(client, owner, pro)
    job = accepted["job_id"]
    assert (await client.get(f"{API}/jobs/{job}", headers=stranger.headers)).status_code == 404
    assert (await client.get(f"{API}/jobs/{job}")).status_code == 401
    for step in ("start", "completion/request", "completion/confirm"):
        assert (await _step(client, stranger, job, step)).status_code == 404
    match = accepted["match_id"]
    assert (await client.get(f"{API}/matches/{match}", headers=stranger.headers)).status_code == 404
    assert (
        await client.post(f"{API}/matches/{match}/contact-reveal", headers=stranger.headers)
    ).status_code == 404
    mine = (await client.get(f"{API}/jobs/mine", headers=stranger.headers)).json()["items"]
    assert mine == []
    assert [
        j["id"] for j in (await client.get(f"{API}/jobs/mine", headers=pro.headers)).json()["items"]
    ] == [job]


async def test_contact_reveal_once_and_audited(client: httpx.AsyncClient, trio, db_exec) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _ = trio
    accepted = await job_between(client, owner, pro)
    r = await client.post(
        f"{API}/matches/{accepted['match_id']}/contact-reveal", headers=owner.headers
    )
    assert r.status_code == 201
    token = r.json()["token"]
    # Someone else cannot spend the client's token.
    r = await client.post(
        f"{API}/contact-reveals/redeem", json={"token": token}, headers=pro.headers
    )
    assert r.status_code == 410
    r = await client.post(
        f"{API}/contact-reveals/redeem", json={"token": token}, headers=owner.headers
    )
    assert r.status_code == 200
    assert r.json()["phone"] == "+54 9 280 455-1234"
    r = await client.post(
        f"{API}/contact-reveals/redeem", json={"token": token}, headers=owner.headers
    )
    assert r.status_code == 410 and r.json()["code"] == "reveal_token_invalid"
    audit = await db_exec(
        "SELECT action, target_type FROM audit_log WHERE action <> 'auth.login_succeeded'"
    )
    assert audit == [("contact.revealed", "user")]
    notes = (await client.get(f"{API}/notifications", headers=pro.headers)).json()["items"]
    assert "phone_revealed" in {n["type"] for n in notes}


async def test_reveal_token_expires(client: httpx.AsyncClient, trio, db_exec) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _ = trio
    accepted = await job_between(client, owner, pro)
    token = (
        await client.post(
            f"{API}/matches/{accepted['match_id']}/contact-reveal", headers=pro.headers
        )
    ).json()["token"]
    await db_exec("UPDATE contact_reveals SET expires_at = created_at")
    r = await client.post(
        f"{API}/contact-reveals/redeem", json={"token": token}, headers=pro.headers
    )
    assert r.status_code == 410


async def test_phone_appears_nowhere_else(client: httpx.AsyncClient, trio) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _ = trio
    accepted = await job_between(client, owner, pro)
    job, match = accepted["job_id"], accepted["match_id"]
    for who in (owner, pro):
        for url in (
            f"/jobs/{job}",
            "/jobs/mine",
            f"/matches/{match}",
            "/me",
            "/notifications",
            f"/projects/{accepted['project_id']}",
        ):
            r = await client.get(f"{API}{url}", headers=who.headers)
            assert r.status_code == 200, url
            assert "455-1234" not in r.text and "4551234" not in r.text, url
