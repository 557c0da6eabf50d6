"""The audit log records every security event type, with actor, IP, time and details; admins
filter it; and the table is append-only on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy.exc

from fixia.audit import service as audit
from fixia.config import Settings
from tests.factories.accounts import Account, register
from tests.factories.admin import ADMIN_API, REASON
from tests.factories.catalog import DbExec
from tests.factories.payments import create_job, pay_job, run_cli, sandbox_checkout
from tests.factories.projects import job_between

# In process only: these tests build their own apps and settings.
pytestmark = pytest.mark.inprocess

API = "/api/v1"
# httpx's ASGI transport reports this client address.
CLIENT_IP = "127.0.0.1"


async def entries(client: httpx.AsyncClient, boss: Account, **filters: Any) -> list[dict[str, Any]]:
    r = await client.get(f"{ADMIN_API}/audit", params=filters, headers=boss.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_every_event_type_is_recorded_with_actor_ip_time_and_details(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, boss: Account
) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    owner = await register(client, outbox)
    pro = await register(client, outbox, role="professional")
    # Contact reveal (needs a job between the two).
    accepted = await job_between(client, owner, pro)
    r = await client.post(
        f"{API}/matches/{accepted['match_id']}/contact-reveal", headers=owner.headers
    )
    token = r.json()["token"]
    r = await client.post(
        f"{API}/contact-reveals/redeem", json={"token": token}, headers=owner.headers
    )
    assert r.status_code == 200
    # A payment state change, through the sandbox's signed webhook.
    job_id = await create_job(settings, client=owner, professional=pro)
    payment = (await pay_job(client, owner, job_id)).json()
    await sandbox_checkout(client, owner, payment["provider_preference_id"], "approved")
    # Login failures, then a lockout.
    bad = {"email": owner.email, "password": "Wrong-Password-123!"}
    for _ in range(settings.auth.max_failed_logins):
        assert (await client.post(f"{API}/auth/login", json=bad)).status_code == 401
    # A role change and another admin action.
    url = f"{ADMIN_API}/users/{pro.id}"
    r = await client.put(f"{url}/role", json={"role": "dual", **REASON}, headers=boss.headers)
    assert r.status_code == 200
    assert (await client.post(f"{url}/suspend", json=REASON, headers=boss.headers)).status_code
    # Events outside the app: fixiactl records them through the CLI.
    await run_cli(
        settings, "audit", "record", "--action", "flag.changed", "--target-type", "flag",
        "--target-id", "new-checkout", "--actor", "ops:ana", "--detail", "variant=on",
    )  # fmt: skip
    await run_cli(
        settings, "audit", "record", "--action", "deploy", "--target-type", "env",
        "--target-id", "production", "--actor", "ci:deploy", "--ip", "10.0.0.7",
        "--details-json", '{"release": "1.4.0", "strategy": "canary"}',
    )  # fmt: skip

    expected = {
        audit.LOGIN_SUCCEEDED: (owner.id, CLIENT_IP),
        audit.LOGIN_FAILED: (owner.id, CLIENT_IP),
        audit.LOCKOUT: (owner.id, CLIENT_IP),
        audit.ROLE_CHANGED: (boss.id, CLIENT_IP),
        audit.USER_SUSPENDED: (boss.id, CLIENT_IP),
        audit.CONTACT_REVEALED: (owner.id, CLIENT_IP),
        audit.PAYMENT_STATUS_CHANGED: (None, CLIENT_IP),
        audit.FLAG_CHANGED: (None, None),
        audit.DEPLOY: (None, "10.0.0.7"),
    }
    found: dict[str, dict[str, Any]] = {}
    for action, (actor_id, ip) in expected.items():
        mine = [
            e
            for e in await entries(client, boss, action=action)
            if (e["actor_id"], e["ip"]) == (actor_id, ip)
        ]
        assert mine, f"no {action} entry by {actor_id} from {ip}"
        found[action] = mine[0]
        assert datetime.fromisoformat(mine[0]["created_at"]) >= started
    assert found[audit.LOGIN_FAILED]["data"]["reason"] == "bad_password"
    assert found[audit.ROLE_CHANGED]["data"]["to_role"] == "dual"
    change = found[audit.PAYMENT_STATUS_CHANGED]["data"]
    assert (change["old"], change["new"]) == ("pending", "approved")
    assert found[audit.PAYMENT_STATUS_CHANGED]["actor_name"] == "provider:sandbox"
    assert found[audit.FLAG_CHANGED]["actor_name"] == "ops:ana"
    assert found[audit.FLAG_CHANGED]["data"]["variant"] == "on"
    assert found[audit.DEPLOY]["data"]["release"] == "1.4.0"


async def test_unknown_email_and_blocked_logins_are_recorded(
    client: httpx.AsyncClient, outbox: Path, boss: Account
) -> None:
    r = await client.post(
        f"{API}/auth/login", json={"email": "nadie@example.com.ar", "password": "X-123456789a!"}
    )
    assert r.status_code == 401
    unverified = await register(client, outbox, verify=False)
    login = {"email": unverified.email, "password": unverified.password}
    assert (await client.post(f"{API}/auth/login", json=login)).status_code == 403
    failed = await entries(client, boss, action=audit.LOGIN_FAILED)
    reasons = {(e["data"]["email"], e["data"]["reason"]) for e in failed}
    assert reasons == {
        ("nadie@example.com.ar", "unknown_email"),
        (unverified.email, "email_not_verified"),
    }


async def test_admins_filter_by_type_actor_and_time_and_page(
    client: httpx.AsyncClient, outbox: Path, boss: Account
) -> None:
    users = [await register(client, outbox) for _ in range(3)]
    before = datetime.now(UTC)
    for user in users:
        r = await client.post(
            f"{ADMIN_API}/users/{user.id}/suspend", json=REASON, headers=boss.headers
        )
        assert r.status_code == 200
    suspended = await entries(client, boss, action=audit.USER_SUSPENDED)
    assert [e["target_id"] for e in suspended] == [u.id for u in reversed(users)]
    by_actor = await entries(client, boss, actor_id=users[0].id)
    assert {e["action"] for e in by_actor} == {audit.LOGIN_SUCCEEDED}
    recent = await entries(client, boss, since=before.isoformat())
    assert {e["action"] for e in recent} == {audit.USER_SUSPENDED}
    assert await entries(client, boss, until=(before - timedelta(days=1)).isoformat()) == []
    page = await entries(client, boss, action=audit.USER_SUSPENDED, limit=2)
    assert len(page) == 2
    r = await client.get(
        f"{ADMIN_API}/audit", params={"since": "2026-01-01T00:00:00"}, headers=boss.headers
    )
    assert r.status_code == 422  # a time without a zone is ambiguous
    r = await client.get(f"{ADMIN_API}/audit", headers=users[0].headers)
    assert r.status_code in (401, 403)


async def test_audit_log_is_append_only(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec
) -> None:
    await register(client, outbox)  # its login is audited
    [(count,)] = await db_exec("SELECT count(*) FROM audit_log")
    assert count >= 1
    with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"):
        await db_exec("UPDATE audit_log SET action = 'nothing.happened'")
    with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"):
        await db_exec("DELETE FROM audit_log")
    assert await db_exec("SELECT count(*) FROM audit_log") == [(count,)]


async def test_cli_refuses_events_the_app_records(settings: Settings) -> None:
    with pytest.raises(AssertionError, match="recorded by the app"):
        await run_cli(
            settings, "audit", "record", "--action", "auth.login_succeeded",
            "--target-type", "account", "--target-id", "x",
        )  # fmt: skip
