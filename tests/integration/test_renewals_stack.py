"""Issue #24, item 6, on the stack: HAProxy, the app, PgBouncer, PostgreSQL and the real
queue worker running the renewal and expiry crons (deploy/environments/test-renewals.toml:
every 2 s, no grace), with the sandbox provider. Time moves by putting a period's end where
the test needs it in the database, never by sleeping until it comes; the waits are polls,
bounded in count and time."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from tests import stack as stack_module
from tests.factories.accounts import Account, last_mails, register
from tests.factories.payments import API, new_key
from tests.stack import RunningStack

pytestmark = pytest.mark.stack

POLL_S = 60
SQL = Callable[..., list[tuple[Any, ...]]]


@pytest.fixture(scope="module")
def renewals_stack() -> Iterator[RunningStack]:
    for binary in ("haproxy", "pgbouncer", "redis-server"):
        if shutil.which(binary) is None:
            pytest.fail(f"{binary} is not installed (scripts/install-system-deps --stack)")
    running = stack_module.start(suite="renewals")
    try:
        yield running
    finally:
        stack_module.stop_and_remove(running.env, running.state)


@pytest.fixture
async def http(renewals_stack: RunningStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=renewals_stack.http, timeout=30) as c:
        yield c


@pytest.fixture
def sql(renewals_stack: RunningStack) -> SQL:
    r = renewals_stack
    dsn = f"postgresql://fixia:{r.db_password}@127.0.0.1:{r.ports['postgres']}/fixia"

    def run(query: str, **params: object) -> list[tuple[Any, ...]]:
        with psycopg.connect(dsn, autocommit=True) as conn:
            cursor = conn.execute(query, params)  # type: ignore[arg-type]
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []

    return run


async def until(check: Callable[[], Any], what: str) -> Any:
    for _ in range(POLL_S * 4):
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.25)
    raise AssertionError(f"{what} within {POLL_S} s")


async def renewing_plan(http: httpx.AsyncClient, user: Account) -> dict[str, Any]:
    headers = {**user.headers, "Idempotency-Key": new_key()}
    r = await http.post(f"{API}/subscriptions", json={"plan": "professional"}, headers=headers)
    assert r.status_code == 201, r.text
    preference = r.json()["payment"]["provider_preference_id"]
    r = await http.post(
        f"{API}/payments/sandbox/checkout/{preference}",
        json={"outcome": "approved"},
        headers=user.headers,
    )
    assert r.status_code == 200 and r.json()["webhook_status"] == 200, r.text
    r = await http.put(f"{API}/subscriptions/me/renewal", headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()["subscription"]  # type: ignore[no-any-return]


async def me(http: httpx.AsyncClient, user: Account) -> dict[str, Any]:
    r = await http.get(f"{API}/me", headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def end_at(sql: SQL, subscription_id: str, when: datetime) -> None:
    sql("UPDATE subscriptions SET expires_at = %(when)s WHERE id = %(id)s::uuid",
        when=when, id=subscription_id)  # fmt: skip


async def test_a_renewal_is_charged_by_the_worker_and_extends_the_plan(
    http: httpx.AsyncClient, renewals_stack: RunningStack, sql: SQL
) -> None:
    outbox = renewals_stack.state / "outbox"
    user = await register(http, outbox, "client")
    first = await renewing_plan(http, user)
    ends = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    end_at(sql, first["id"], ends)  # the period ends within the charging lead

    async def renewed() -> bool:
        expires = (await me(http, user))["plan_expires_at"]
        return datetime.fromisoformat(expires) == ends + timedelta(days=30)

    await until(renewed, "the worker renewing the plan from its old end")
    rows = sql("SELECT count(*) FROM payments WHERE payer_id = %(u)s::uuid AND status = 'approved'",
               u=user.id)  # fmt: skip
    assert rows == [(2,)], "the first purchase and exactly one renewal"
    await asyncio.sleep(3)  # more cron ticks: still one renewal
    assert sql("SELECT count(*) FROM payments WHERE payer_id = %(u)s::uuid", u=user.id) == [(2,)]
    assert (await me(http, user))["plan"] == "professional"


async def test_a_declined_renewal_is_dunned_and_downgraded_when_grace_ends(
    http: httpx.AsyncClient, renewals_stack: RunningStack, sql: SQL
) -> None:
    outbox = renewals_stack.state / "outbox"
    user = await register(http, outbox, "client", email=f"pro-{new_key()}+declined@example.com.ar")
    first = await renewing_plan(http, user)
    end_at(sql, first["id"], datetime.now(UTC) + timedelta(hours=1))

    async def dunned() -> bool:
        return any("fue rechazado" in body for body in last_mails(outbox, user.email))

    await until(dunned, "a dunning e-mail for the declined renewal")
    assert (await me(http, user))["plan"] == "professional", "still paid until its end"
    end_at(sql, first["id"], datetime.now(UTC) - timedelta(minutes=1))  # grace is 0 here

    async def downgraded() -> bool:
        return (await me(http, user))["plan"] == "free"

    await until(downgraded, "the downgrade once grace is over")
    assert (await me(http, user))["is_professional_active"] is False
    await until(
        lambda: asyncio.sleep(0, any("plan gratuito" in b for b in last_mails(outbox, user.email))),
        "the downgrade e-mail",
    )
