"""Subscriptions through HTTP: buy a plan, activation by webhook only, cancel, expire (CLI)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from fixia import events
from fixia.config import Settings
from fixia.db import utcnow
from tests.factories.accounts import Account, register
from tests.factories.catalog import DbExec, create_service, expect_problem, sql_update
from tests.factories.payments import (
    API,
    me,
    new_key,
    notification_types,
    run_cli,
    sandbox_checkout,
    subscribe,
)

# These tests wire the sandbox into an in-process app; test_journey.py covers payments
# through the real stack.
pytestmark = pytest.mark.inprocess


async def my_subscription(client: httpx.AsyncClient, user: Account) -> httpx.Response:
    return await client.get(f"{API}/subscriptions/me", headers=user.headers)


async def buy(client: httpx.AsyncClient, user: Account, plan: str, outcome: str) -> dict[str, Any]:
    """Subscribe and finish the sandbox checkout; returns the subscription as created."""
    r = await subscribe(client, user, plan)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    await sandbox_checkout(client, user, created["payment"]["provider_preference_id"], outcome)
    return created


async def expire_now(db_exec: DbExec, settings: Settings, subscription_id: str) -> None:
    await sql_update(
        db_exec,
        settings,
        "subscriptions",
        "id",
        subscription_id,
        expires_at=utcnow() - timedelta(minutes=1),
    )


def close_to(value: str, expected: datetime) -> bool:
    return abs(datetime.fromisoformat(value) - expected) < timedelta(minutes=1)


async def test_professional_plan_full_flow_for_a_client(
    client: httpx.AsyncClient,
    settings: Settings,
    outbox: Path,
    db_exec: DbExec,
    emitted: list[events.DomainEvent],
) -> None:
    user = await register(client, outbox, "client")
    r = await subscribe(client, user, "professional")
    assert r.status_code == 201, r.text
    pending = r.json()
    assert pending["status"] == "pending" and pending["plan"] == "professional"
    assert (
        pending["payment"]["amount"] == "7900.00" and pending["payment"]["kind"] == "subscription"
    )
    # Creating the checkout grants nothing: only the approved-payment webhook does.
    assert (await me(client, user))["plan"] == "free"

    await sandbox_checkout(client, user, pending["payment"]["provider_preference_id"], "approved")
    profile = await me(client, user)
    assert profile["plan"] == "professional" and profile["role"] == "dual"
    assert profile["is_professional_active"] is True and profile["profile"] is not None
    assert close_to(profile["plan_expires_at"], utcnow() + timedelta(days=30))
    current = (await my_subscription(client, user)).json()
    assert current["id"] == pending["id"] and current["status"] == "active"
    assert current["expires_at"] == profile["plan_expires_at"]
    assert current["payment"]["status"] == "approved"
    assert "subscription_activated" in await notification_types(client, user)
    names = [e.name for e in emitted]
    assert "payment.approved" in names and "subscription.activated" in names
    expect_problem(await subscribe(client, user, "premium"), 409, "subscription_active")

    # As a dual user they can now publish services.
    services = [await create_service(client, user) for _ in range(2)]

    r = await client.delete(f"{API}/subscriptions/me", headers=user.headers)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert r.json()["cancelled_at"] is not None
    assert (await me(client, user))["plan"] == "professional"  # paid until expires_at
    expect_problem(await subscribe(client, user, "premium"), 409, "subscription_active")

    await expire_now(db_exec, settings, pending["id"])
    counts = json.loads(await run_cli(settings, "jobs", "expire-subscriptions", "--json"))
    assert counts == {"subscriptions_expired": 1, "users_downgraded": 1, "services_deactivated": 2}
    after = await me(client, user)
    assert after["plan"] == "free" and after["plan_expires_at"] is None
    assert after["is_professional_active"] is False
    assert (await my_subscription(client, user)).json()["status"] == "expired"
    for service in services:
        r = await client.get(f"{API}/services/{service['id']}")
        expect_problem(r, 404, "service_not_found")  # inactive listings are hidden
    # Idempotent: a second run finds nothing to do.
    again = json.loads(await run_cli(settings, "jobs", "expire-subscriptions", "--json"))
    assert again == {"subscriptions_expired": 0, "users_downgraded": 0, "services_deactivated": 0}


async def test_expiry_trims_a_professionals_services_to_the_free_limit(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, db_exec: DbExec
) -> None:
    pro = await register(client, outbox, "professional")
    created = await buy(client, pro, "premium", "approved")
    assert (await me(client, pro))["plan"] == "premium"
    free_limit = settings.plan("free").active_services
    assert free_limit is not None
    services = [await create_service(client, pro) for _ in range(free_limit + 2)]
    await expire_now(db_exec, settings, created["id"])
    counts = json.loads(await run_cli(settings, "jobs", "expire-subscriptions", "--json"))
    assert counts["services_deactivated"] == 2
    r = await client.get(f"{API}/services/mine", headers=pro.headers)
    active = {s["id"]: s["active"] for s in r.json()["items"]}
    # The newest listings beyond the limit go; the oldest stay.
    assert [active[s["id"]] for s in services] == [True] * free_limit + [False, False]
    profile = await me(client, pro)
    assert profile["plan"] == "free" and profile["role"] == "professional"
    assert profile["is_professional_active"] is True


async def test_rejected_payment_leaves_the_subscription_pending(
    client: httpx.AsyncClient, outbox: Path, emitted: list[events.DomainEvent]
) -> None:
    user = await register(client, outbox, "client")
    created = await buy(client, user, "premium", "rejected")
    assert (await me(client, user))["plan"] == "free"
    current = (await my_subscription(client, user)).json()
    assert current["id"] == created["id"] and current["status"] == "pending"
    assert current["payment"]["status"] == "rejected"
    assert "payment_rejected" in await notification_types(client, user)
    assert "subscription.activated" not in [e.name for e in emitted]
    # Nothing runs, so nothing to cancel, and a new checkout is allowed.
    r = await client.delete(f"{API}/subscriptions/me", headers=user.headers)
    expect_problem(r, 404, "subscription_not_found")
    assert (await subscribe(client, user, "premium")).status_code == 201


async def test_paying_a_second_checkout_replaces_the_running_subscription(
    client: httpx.AsyncClient, settings: Settings, outbox: Path, db_exec: DbExec
) -> None:
    user = await register(client, outbox, "client")
    # Two checkouts opened before either is paid: both are allowed, nothing runs yet.
    first = (await subscribe(client, user, "premium")).json()
    second = (await subscribe(client, user, "professional")).json()
    await sandbox_checkout(client, user, first["payment"]["provider_preference_id"], "approved")
    await sandbox_checkout(client, user, second["payment"]["provider_preference_id"], "approved")
    profile = await me(client, user)
    assert profile["plan"] == "professional" and profile["role"] == "dual"
    assert (await my_subscription(client, user)).json()["id"] == second["id"]
    rows = await db_exec("SELECT plan, status FROM subscriptions ORDER BY plan")
    assert rows == [("premium", "expired"), ("professional", "active")]


async def test_refund_takes_the_plan_away(client: httpx.AsyncClient, outbox: Path) -> None:
    user = await register(client, outbox, "client")
    created = await buy(client, user, "premium", "approved")
    assert (await me(client, user))["plan"] == "premium"
    await sandbox_checkout(client, user, created["payment"]["provider_preference_id"], "refunded")
    assert (await me(client, user))["plan"] == "free"
    current = (await my_subscription(client, user)).json()
    assert current["status"] == "expired" and current["payment"]["status"] == "refunded"


async def test_subscribe_validates_plan_and_idempotency_key(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    user = await register(client, outbox, "client")
    for plan in ("free", "gold"):
        r = await subscribe(client, user, plan)
        assert expect_problem(r, 422, "validation_error")["errors"][0]["field"] == "plan"
    r = await client.post(f"{API}/subscriptions", json={"plan": "premium"}, headers=user.headers)
    expect_problem(r, 422, "validation_error")
    key = new_key()
    first, replay = [await subscribe(client, user, "premium", key) for _ in range(2)]
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json() == first.json()
    expect_problem(
        await subscribe(client, user, "professional", key), 409, "idempotency_key_reused"
    )
    r = await client.post(
        f"{API}/subscriptions", json={"plan": "premium"}, headers={"Idempotency-Key": new_key()}
    )
    assert r.status_code == 401


async def test_no_subscription_yet(client: httpx.AsyncClient, outbox: Path) -> None:
    user = await register(client, outbox, "client")
    expect_problem(await my_subscription(client, user), 404, "subscription_not_found")
    r = await client.delete(f"{API}/subscriptions/me", headers=user.headers)
    expect_problem(r, 404, "subscription_not_found")


async def test_plans_are_listed_with_prices(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/subscriptions/plans")
    assert r.status_code == 200
    plans = {p["name"]: p for p in r.json()}
    assert set(plans) == {"premium", "professional"}
    assert plans["premium"]["price_ars"] == "3900.00" and plans["premium"]["duration_days"] == 30
