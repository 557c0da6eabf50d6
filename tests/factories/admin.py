"""Admin factories: promote an account to admin, and seed rows the admin screens list."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from fixia.config import Settings
from tests.factories.accounts import Account, log_in, register
from tests.factories.catalog import DbExec, sql_value

ADMIN_API = "/api/v1/admin"
REASON = {"reason": "Incumple las reglas de la comunidad"}


async def promote_to_admin(client: httpx.AsyncClient, db_exec: DbExec, account: Account) -> None:
    """Make an existing account an admin (there is no API for the first one) and log in again."""
    await db_exec("UPDATE users SET role='admin' WHERE email=:e", e=account.email)
    account.role = "admin"
    await log_in(client, account)


async def admin(client: httpx.AsyncClient, outbox: Path, db_exec: DbExec) -> Account:
    """A verified, logged-in admin."""
    account = await register(client, outbox, role="client")
    await promote_to_admin(client, db_exec, account)
    return account


async def insert_payment(
    db_exec: DbExec,
    settings: Settings,
    payer_id: str,
    *,
    status: str = "approved",
    amount: Decimal = Decimal("45000.00"),
    age: timedelta = timedelta(0),
) -> str:
    """A payment row written directly: the admin listing is read-only over the table."""
    payment_id = uuid.uuid4()
    created = datetime.now(UTC) - age
    fee = (amount / 10).quantize(Decimal("0.01"))
    params = {
        "id": payment_id,
        "payer_id": uuid.UUID(payer_id),
        "amount": amount,
        "platform_fee": fee,
        "professional_amount": amount - fee,
    }
    await db_exec(
        "INSERT INTO payments (id, payer_id, kind, amount, currency, platform_fee, "
        "professional_amount, status, provider, idempotency_key, created_at, updated_at) "
        "VALUES (:id, :payer_id, 'job', :amount, 'ARS', :platform_fee, :professional_amount, "
        ":status, 'sandbox', :key, :created, :created)",
        **{k: sql_value(settings, v) for k, v in params.items()},
        status=status,
        key=payment_id.hex,
        created=created,
    )
    return str(payment_id)


async def audit_for(
    client: httpx.AsyncClient, boss: Account, target_type: str, target_id: str
) -> list[dict[str, Any]]:
    """The audit entries about one object, newest first."""
    r = await client.get(
        f"{ADMIN_API}/audit",
        headers=boss.headers,
        params={"target_type": target_type, "target_id": target_id},
    )
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def find_user(client: httpx.AsyncClient, boss: Account, email: str) -> dict[str, Any]:
    """The admin view of the one account with this e-mail."""
    r = await client.get(f"{ADMIN_API}/users", params={"q": email}, headers=boss.headers)
    assert r.status_code == 200, r.text
    [user] = r.json()["items"]
    data: dict[str, Any] = user
    return data
