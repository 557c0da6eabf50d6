"""The back office: accounts, disputes, payments and the audit log (reviews: see
test_review_moderation.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from fixia.config import Settings
from tests.factories.accounts import Account, register
from tests.factories.admin import ADMIN_API, REASON, admin, audit_for, insert_payment
from tests.factories.catalog import DbExec, expect_problem
from tests.factories.projects import API, job_between
from tests.factories.reviews import post_review


@pytest.fixture
async def boss(client: httpx.AsyncClient, outbox: Path, db_exec: DbExec) -> Account:
    return await admin(client, outbox, db_exec)


def admin_routes() -> list[tuple[str, str, dict[str, Any] | None]]:
    some = uuid.uuid4()
    return [
        ("GET", "/users", None),
        ("POST", f"/users/{some}/suspend", REASON),
        ("POST", f"/users/{some}/restore", None),
        ("PUT", f"/users/{some}/role", {"role": "client", **REASON}),
        ("GET", "/reviews/flagged", None),
        ("POST", f"/reviews/{some}/hide", REASON),
        ("POST", f"/reviews/{some}/restore", REASON),
        ("GET", "/disputes", None),
        (
            "POST",
            f"/disputes/{some}/resolve",
            {"outcome": "completed", "resolution": "Se verificó el trabajo"},
        ),
        ("GET", "/payments", None),
        ("GET", "/audit", None),
    ]


async def test_every_admin_route_requires_the_admin_role(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    customer = await register(client, outbox, role="client")
    pro = await register(client, outbox, role="professional")
    for method, path, body in admin_routes():
        url = f"{ADMIN_API}{path}"
        expect_problem(await client.request(method, url, json=body), 401, "invalid_token")
        for caller in (customer, pro):
            r = await client.request(method, url, json=body, headers=caller.headers)
            expect_problem(r, 403, "role_required")


async def test_list_users_search_filters_and_pages(
    client: httpx.AsyncClient, outbox: Path, boss: Account
) -> None:
    ana = await register(client, outbox, name="Ana Quiroga")
    pro = await register(client, outbox, role="professional", name="Bruno Quiroga")
    await register(client, outbox, name="Carla Díaz")
    url = f"{ADMIN_API}/users"

    async def emails(**params: Any) -> list[str]:
        r = await client.get(url, params=params, headers=boss.headers)
        assert r.status_code == 200, r.text
        return [u["email"] for u in r.json()["items"]]

    assert await emails(q="quiroga") == [pro.email, ana.email]
    assert await emails(q=ana.email.split("@")[0].upper()) == [ana.email]
    assert await emails(q="%") == [] and await emails(q="_") == []
    assert await emails(role="professional") == [pro.email]
    assert await emails(role="admin") == [boss.email]
    r = await client.post(f"{url}/{ana.id}/suspend", json=REASON, headers=boss.headers)
    assert r.status_code == 200
    assert await emails(status="suspended") == [ana.email]
    assert ana.email not in await emails(status="active")
    assert (await client.delete(f"{API}/me", headers=pro.headers)).status_code == 204
    deleted = (await client.get(url, params={"status": "deleted"}, headers=boss.headers)).json()
    assert [u["id"] for u in deleted["items"]] == [pro.id]
    assert deleted["items"][0]["status"] == "deleted"
    first = (await client.get(url, params={"limit": 3}, headers=boss.headers)).json()
    rest = (
        await client.get(
            url, params={"limit": 3, "cursor": first["next_cursor"]}, headers=boss.headers
        )
    ).json()
    seen = [u["id"] for u in first["items"] + rest["items"]]
    assert len(seen) == len(set(seen)) == 4 and rest["next_cursor"] is None
    for bad in ({"status": "banned"}, {"role": "root"}, {"limit": 101}, {"cursor": "%%"}):
        assert (await client.get(url, params=bad, headers=boss.headers)).status_code == 422


async def test_suspend_kills_tokens_and_restore_brings_access_back(
    client: httpx.AsyncClient, outbox: Path, boss: Account
) -> None:
    user = await register(client, outbox)
    assert (await client.get(f"{API}/me", headers=user.headers)).status_code == 200
    url = f"{ADMIN_API}/users/{user.id}"
    r = await client.post(f"{url}/suspend", json=REASON, headers=boss.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "suspended" and r.json()["suspended_at"] is not None
    expect_problem(await client.get(f"{API}/me", headers=user.headers), 401, "invalid_token")
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": user.refresh_token})
    assert r.status_code == 401
    login = {"email": user.email, "password": user.password}
    assert (await client.post(f"{API}/auth/login", json=login)).status_code == 401
    r = await client.post(
        f"{url}/restore", json={"reason": "Apelación aceptada"}, headers=boss.headers
    )
    assert r.status_code == 200 and r.json()["status"] == "active"
    # Restoring does not resurrect the tokens issued before the suspension.
    expect_problem(await client.get(f"{API}/me", headers=user.headers), 401, "invalid_token")
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": user.refresh_token})
    assert r.status_code == 401
    assert (await client.post(f"{API}/auth/login", json=login)).status_code == 200
    expect_problem(await client.post(f"{url}/restore", headers=boss.headers), 409, "not_suspended")
    entries = await audit_for(client, boss, "user", user.id)
    assert [(e["action"], e["data"]["reason"], e["actor_id"]) for e in entries] == [
        ("user.restored", "Apelación aceptada", boss.id),
        ("user.suspended", REASON["reason"], boss.id),
    ]


async def test_suspend_refusals(client: httpx.AsyncClient, outbox: Path, boss: Account) -> None:
    user = await register(client, outbox)
    url = f"{ADMIN_API}/users/{user.id}"
    for bad in ({"reason": "x"}, {}, {**REASON, "until": "2030-01-01"}):
        r = await client.post(f"{url}/suspend", json=bad, headers=boss.headers)
        assert r.status_code == 422
    assert (await client.post(f"{url}/suspend", json=REASON, headers=boss.headers)).is_success
    r = await client.post(f"{url}/suspend", json=REASON, headers=boss.headers)
    expect_problem(r, 409, "already_suspended")
    own = f"{ADMIN_API}/users/{boss.id}"
    r = await client.post(f"{own}/suspend", json=REASON, headers=boss.headers)
    expect_problem(r, 409, "self_action_refused")
    expect_problem(await client.post(f"{own}/restore", headers=boss.headers), 409, "not_suspended")
    missing = f"{ADMIN_API}/users/{uuid.uuid4()}"
    r = await client.post(f"{missing}/suspend", json=REASON, headers=boss.headers)
    expect_problem(r, 404, "user_not_found")
    expect_problem(
        await client.post(f"{missing}/restore", headers=boss.headers), 404, "user_not_found"
    )


async def test_suspending_a_professional_hides_the_public_profile(
    client: httpx.AsyncClient, outbox: Path, boss: Account
) -> None:
    pro = await register(client, outbox, role="professional")
    url = f"{API}/professionals/{pro.id}"
    assert (await client.get(url)).status_code == 200  # now served from the cache
    r = await client.post(f"{ADMIN_API}/users/{pro.id}/suspend", json=REASON, headers=boss.headers)
    assert r.status_code == 200
    expect_problem(await client.get(url), 404, "user_not_found")
    r = await client.post(f"{ADMIN_API}/users/{pro.id}/restore", headers=boss.headers)
    assert r.status_code == 200
    assert (await client.get(url)).status_code == 200


async def test_role_changes_are_audited_and_create_a_profile(
    client: httpx.AsyncClient, outbox: Path, boss: Account
) -> None:
    user = await register(client, outbox)
    url = f"{ADMIN_API}/users/{user.id}/role"
    expect_problem(await client.get(f"{API}/professionals/{user.id}"), 404, "user_not_found")
    r = await client.put(
        url, json={"role": "professional", "reason": "Matrícula verificada"}, headers=boss.headers
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["role"] == "professional" and out["has_professional_profile"]
    assert out["is_professional_active"]
    assert (await client.get(f"{API}/professionals/{user.id}")).status_code == 200
    r = await client.put(
        url, json={"role": "client", "reason": "Pidió volver a cliente"}, headers=boss.headers
    )
    assert r.json()["role"] == "client" and not r.json()["is_professional_active"]
    r = await client.put(
        url, json={"role": "dual", "reason": "Ofrece y contrata servicios"}, headers=boss.headers
    )
    assert r.json()["role"] == "dual" and r.json()["is_professional_active"]
    entries = await audit_for(client, boss, "user", user.id)
    assert [
        (e["data"]["from_role"], e["data"]["to_role"], e["data"]["reason"]) for e in entries
    ] == [
        ("client", "dual", "Ofrece y contrata servicios"),
        ("professional", "client", "Pidió volver a cliente"),
        ("client", "professional", "Matrícula verificada"),
    ]
    assert {e["action"] for e in entries} == {"user.role_changed"}
    for bad in ({"role": "root", **REASON}, {"role": "client"}, {"role": "client", "reason": ""}):
        assert (await client.put(url, json=bad, headers=boss.headers)).status_code == 422
    own = f"{ADMIN_API}/users/{boss.id}/role"
    expect_problem(
        await client.put(own, json={"role": "client", **REASON}, headers=boss.headers),
        409,
        "self_action_refused",
    )
    r = await client.put(own, json={"role": "admin", **REASON}, headers=boss.headers)
    assert r.status_code == 200 and r.json()["role"] == "admin"
    assert await audit_for(client, boss, "user", boss.id) == []


DISPUTE = "No terminó la instalación de gas."
RULING = {"outcome": "completed", "resolution": "Las fotos muestran el trabajo terminado."}


async def disputed_jobs(
    client: httpx.AsyncClient, outbox: Path, count: int
) -> tuple[Account, list[str]]:
    """`count` started jobs between one client and one professional, each disputed by the
    client; returns the client and the job ids."""
    owner = await register(client, outbox)
    pro = await register(client, outbox, role="professional")
    jobs = [(await job_between(client, owner, pro))["job_id"] for _ in range(count)]
    for job in jobs:
        assert (await client.post(f"{API}/jobs/{job}/start", headers=pro.headers)).is_success
        r = await client.post(
            f"{API}/jobs/{job}/dispute", json={"reason": DISPUTE}, headers=owner.headers
        )
        assert r.status_code == 200 and r.json()["status"] == "disputed"
    return owner, jobs


async def test_resolve_dispute_as_completed(
    client: httpx.AsyncClient, outbox: Path, boss: Account
) -> None:
    owner, jobs = await disputed_jobs(client, outbox, 2)
    disputes = (await client.get(f"{ADMIN_API}/disputes", headers=boss.headers)).json()["items"]
    assert {d["id"] for d in disputes} == set(jobs)
    assert {d["dispute_reason"] for d in disputes} == {DISPUTE}
    resolve = f"{ADMIN_API}/disputes/{jobs[0]}/resolve"
    r = await client.post(resolve, json=RULING, headers=boss.headers)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "completed" and done["resolution"] == RULING["resolution"]
    assert done["completed_at"] is not None
    assert (done["history"][-1]["to_status"], done["history"][-1]["actor_id"]) == (
        "completed",
        boss.id,
    )
    [entry] = await audit_for(client, boss, "job", jobs[0])
    assert (entry["action"], entry["actor_id"]) == ("dispute.resolved", boss.id)
    assert entry["data"]["outcome"] == "completed"
    assert entry["data"]["reason"] == RULING["resolution"]
    # A dispute settled as completed opens the reviews; the other job is still disputed.
    assert (await post_review(client, owner, jobs[0])).status_code == 201
    disputes = (await client.get(f"{ADMIN_API}/disputes", headers=boss.headers)).json()["items"]
    assert [d["id"] for d in disputes] == [jobs[1]]


async def test_resolve_dispute_back_to_work_and_refusals(
    client: httpx.AsyncClient, outbox: Path, boss: Account
) -> None:
    owner, [job] = await disputed_jobs(client, outbox, 1)
    resolve = f"{ADMIN_API}/disputes/{job}/resolve"
    for bad in (
        {"outcome": "disputed", "resolution": "Se revisaron las pruebas"},
        {"outcome": "completed", "resolution": "corto"},
        {"outcome": "completed"},
    ):
        assert (await client.post(resolve, json=bad, headers=boss.headers)).status_code == 422
    back = {"outcome": "in_progress", "resolution": "Acordaron terminarlo esta semana."}
    r = await client.post(resolve, json=back, headers=boss.headers)
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    assert (await client.get(f"{ADMIN_API}/disputes", headers=boss.headers)).json()["items"] == []
    r = await client.post(resolve, json=RULING, headers=boss.headers)
    expect_problem(r, 409, "invalid_transition")
    expect_problem(await post_review(client, owner, job), 409, "job_not_completed")
    missing = f"{ADMIN_API}/disputes/{uuid.uuid4()}/resolve"
    r = await client.post(missing, json=RULING, headers=boss.headers)
    expect_problem(r, 404, "job_not_found")


async def test_payments_listing(
    client: httpx.AsyncClient, outbox: Path, boss: Account, db_exec: DbExec, settings: Settings
) -> None:
    payer = await register(client, outbox)
    ids = [
        await insert_payment(db_exec, settings, payer.id, status=status, age=timedelta(minutes=age))
        for status, age in (("approved", 30), ("pending", 20), ("approved", 10))
    ]
    url = f"{ADMIN_API}/payments"
    everything = (await client.get(url, headers=boss.headers)).json()
    assert [p["id"] for p in everything["items"]] == ids[::-1]
    newest = everything["items"][0]
    assert newest["payer_id"] == payer.id and newest["status"] == "approved"
    assert Decimal(newest["amount"]) == Decimal("45000.00")
    assert Decimal(newest["platform_fee"]) == Decimal("4500.00")
    approved = await client.get(url, params={"status": "approved"}, headers=boss.headers)
    assert [p["id"] for p in approved.json()["items"]] == [ids[2], ids[0]]
    # Logins are audited too; this test pages through the suspensions only.
    only = {"action": "user.suspended", "limit": 2}
    first = (await client.get(url, params=only, headers=boss.headers)).json()
    rest = (
        await client.get(url, params={**only, "cursor": first["next_cursor"]}, headers=boss.headers)
    ).json()
    assert [p["id"] for p in first["items"] + rest["items"]] == ids[::-1]
    assert (
        await client.get(url, params={"status": "paid"}, headers=boss.headers)
    ).status_code == 422


async def test_audit_log_is_newest_first_and_paginated(
    client: httpx.AsyncClient, outbox: Path, boss: Account
) -> None:
    users = [await register(client, outbox) for _ in range(3)]
    for user in users:
        r = await client.post(
            f"{ADMIN_API}/users/{user.id}/suspend", json=REASON, headers=boss.headers
        )
        assert r.status_code == 200
    url = f"{ADMIN_API}/audit"
    # Logins are audited too; this test pages through the suspensions only.
    only = {"action": "user.suspended", "limit": 2}
    first = (await client.get(url, params=only, headers=boss.headers)).json()
    rest = (
        await client.get(url, params={**only, "cursor": first["next_cursor"]}, headers=boss.headers)
    ).json()
    targets = [e["target_id"] for e in first["items"] + rest["items"]]
    assert targets == [u.id for u in reversed(users)] and rest["next_cursor"] is None
    assert (await client.get(url, params={"target_type": "job"}, headers=boss.headers)).json()[
        "items"
    ] == []
