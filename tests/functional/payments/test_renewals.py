"""Renewals through the sandbox's recurring agreement: opt in, the scheduler's pass charges
the period before it ends, a decline is dunned, and grace ends in a downgrade. Time is the
`now` handed to the scheduler's pass (and to expiry), never a sleep."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from fixia.config import Settings
from fixia.payments import expiry, renewals
from fixia.payments.models import PaymentStatus, Subscription
from fixia.payments.providers import CHARGE_TOPIC, MercadoPagoProvider, SandboxProvider
from fixia.payments.providers.sandbox import SandboxPreference
from fixia.payments.tasks import renew
from tests.factories.accounts import Account, last_mails, register
from tests.factories.catalog import DbExec, sql_update
from tests.factories.payments import (
    API,
    FakeMercadoPago,
    me,
    run_cli,
    sandbox_checkout,
    send,
    subscribe,
)

pytestmark = pytest.mark.inprocess


async def renewing(client: httpx.AsyncClient, user: Account) -> dict[str, Any]:
    """A paid professional plan with renewal switched on; returns the subscription."""
    r = await subscribe(client, user, "professional")
    assert r.status_code == 201, r.text
    await sandbox_checkout(client, user, r.json()["payment"]["provider_preference_id"])
    r = await client.put(f"{API}/subscriptions/me/renewal", headers=user.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["subscription"]["auto_renew"] is True and body["authorize_url"]
    return body["subscription"]  # type: ignore[no-any-return]


async def tick(app: FastAPI, settings: Settings, now: datetime) -> dict[str, int]:
    """One scheduler pass at `now`, then expiry at `now`, as the crons would run them."""
    counts = await renew(app.state.sessions, settings, app.state.payment_provider, now=now)
    async with app.state.sessions() as session:
        await expiry.expire_due(session=session, settings=settings, now=now)
        await session.commit()
    return counts


async def test_a_renewing_plan_is_charged_before_it_ends_and_continues(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    user = await register(client, outbox, "client")
    first = await renewing(client, user)
    ends = datetime.fromisoformat(first["expires_at"])
    # Too early: nothing is opened.
    assert (await tick(app, settings, ends - timedelta(days=3)))["opened"] == 0
    counts = await tick(app, settings, ends - timedelta(hours=1))
    assert (counts["opened"], counts["applied"]) == (1, 1)
    # Re-running the pass (or a retry) charges nothing more.
    assert await tick(app, settings, ends - timedelta(minutes=30)) == {
        "opened": 0, "applied": 0, "unavailable": 0, "dunned": 0,
    }  # fmt: skip
    profile = await me(client, user)
    new_end = ends + timedelta(days=30)
    assert datetime.fromisoformat(profile["plan_expires_at"]) == new_end, "from the old end"
    # The old period ends; the renewal keeps the plan.
    await tick(app, settings, ends + timedelta(minutes=1))
    profile = await me(client, user)
    assert profile["plan"] == "professional" and profile["is_professional_active"] is True
    r = await client.get(f"{API}/subscriptions/me", headers=user.headers)
    current = r.json()
    assert current["id"] != first["id"] and current["status"] == "active"
    assert current["auto_renew"] is True and current["payment"]["status"] == "approved"
    # Long after the old period's grace, the renewed plan still runs, nobody was dunned, and
    # the next period is opened under the same agreement.
    grace = settings.payments.renewal_grace_days
    counts = await tick(app, settings, ends + timedelta(days=grace + 1))
    assert (await me(client, user))["plan"] == "professional"
    mails = last_mails(outbox, user.email)
    assert not [b for b in mails if "rechazado" in b or "plan gratuito" in b]
    assert counts["opened"] == 0
    counts = await tick(app, settings, new_end - timedelta(hours=1))
    assert (counts["opened"], counts["applied"]) == (1, 1)
    profile = await me(client, user)
    assert datetime.fromisoformat(profile["plan_expires_at"]) == new_end + timedelta(days=30)


async def test_a_declined_renewal_is_dunned_then_downgraded_after_grace(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    user = await register(client, outbox, "client", email="pro+declined@example.com.ar")
    first = await renewing(client, user)
    ends = datetime.fromisoformat(first["expires_at"])
    counts = await tick(app, settings, ends - timedelta(hours=1))
    assert (counts["opened"], counts["applied"]) == (1, 1)
    assert len([b for b in last_mails(outbox, user.email) if "fue rechazado" in b]) == 1
    # Past the end, within grace: the plan stays, and one overdue notice a day.
    grace = settings.payments.renewal_grace_days
    for day in (1, 1, 2):
        await tick(app, settings, ends + timedelta(days=day, minutes=5))
    assert (await me(client, user))["plan"] == "professional"
    overdue = [b for b in last_mails(outbox, user.email) if "Lo mantenemos activo" in b]
    assert len(overdue) == 2, "one per day, not per run"
    # Grace over: downgraded, told once, and nothing more is charged or dunned.
    await tick(app, settings, ends + timedelta(days=grace, minutes=10))
    profile = await me(client, user)
    assert profile["plan"] == "free" and profile["is_professional_active"] is False
    assert len([b for b in last_mails(outbox, user.email) if "plan gratuito" in b]) >= 1
    later = await tick(app, settings, ends + timedelta(days=grace + 1))
    assert later == {"opened": 0, "applied": 0, "unavailable": 0, "dunned": 0}
    r = await client.get(f"{API}/subscriptions/me", headers=user.headers)
    assert r.json()["auto_renew"] is False


async def test_the_expiry_command_downgrades_a_lapsed_renewing_plan(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, outbox: Path, db_exec: DbExec
) -> None:
    # `fixia jobs expire-subscriptions`, as cron runs it: a downgrade queues e-mails and the
    # agreement's cancellation, so the command's sessions carry the queue as a request's do.
    user = await register(client, outbox, "client", email="cron+declined@example.com.ar")
    first = await renewing(client, user)
    ends = datetime.fromisoformat(first["expires_at"])
    await tick(app, settings, ends - timedelta(hours=1))  # the declined charge
    lapsed = datetime.now(ends.tzinfo) - timedelta(days=settings.payments.renewal_grace_days + 1)
    await sql_update(db_exec, settings, "subscriptions", "id", first["id"], expires_at=lapsed)
    out = await run_cli(settings, "jobs", "expire-subscriptions", "--json", outbox=outbox)
    assert json.loads(out)["users_downgraded"] == 1
    assert (await me(client, user))["plan"] == "free"
    r = await client.get(f"{API}/subscriptions/me", headers=user.headers)
    assert r.json()["auto_renew"] is False
    told = [b for b in last_mails(outbox, user.email) if "plan gratuito" in b]
    if settings.is_sqlite:
        # The embedded queue lives in the command's process: it ran the jobs before exiting.
        assert len(told) >= 1, "the downgrade notice"
    else:
        # PostgreSQL: the jobs are rows for the workers, committed with the downgrade.
        rows = await db_exec(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = :task AND status = 'todo'",
            task=renewals.CANCEL_AGREEMENT,
        )
        assert rows[0][0] >= 1


async def test_renewal_needs_a_running_plan_and_can_be_switched_off(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    user = await register(client, outbox, "client")
    r = await client.put(f"{API}/subscriptions/me/renewal", headers=user.headers)
    assert r.status_code == 404, r.text
    first = await renewing(client, user)
    again = await client.put(f"{API}/subscriptions/me/renewal", headers=user.headers)
    assert again.status_code == 409, "one agreement at a time"
    r = await client.delete(f"{API}/subscriptions/me/renewal", headers=user.headers)
    assert r.status_code == 200 and r.json()["auto_renew"] is False
    ends = datetime.fromisoformat(first["expires_at"])
    assert (await tick(app, settings, ends - timedelta(hours=1)))["opened"] == 0


async def _open_period(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, user: Account
) -> tuple[dict[str, Any], datetime, str]:
    """A renewing plan whose next period is opened (but not collected yet)."""
    first = await renewing(client, user)
    ends = datetime.fromisoformat(first["expires_at"])
    async with app.state.sessions() as session:
        await renewals.open_due(
            session=session, settings=settings, provider="sandbox", now=ends - timedelta(hours=1)
        )
        await session.commit()
        stmt = select(Subscription).where(Subscription.renewal_of_id == uuid.UUID(first["id"]))
        renewal = (await session.execute(stmt)).scalar_one()
    assert renewal.agreement_id is not None and renewal.payment_id is not None
    return first, ends, f"{renewal.agreement_id}|{renewal.payment_id}"


async def test_charge_notifications_are_idempotent_and_safe_out_of_order(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    user = await register(client, outbox, "client")
    _first, ends, opened = await _open_period(app, client, settings, user)
    agreement_id, payment_id = opened.split("|")
    sandbox: SandboxProvider = app.state.payment_provider
    period = SandboxPreference(payment_id, Decimal("7900.00"), "ARS")

    async def notify(outcome: PaymentStatus, at: datetime) -> httpx.Response:
        charge = sandbox.charge_id(
            agreement_id, await sandbox.get_payment(sandbox.payment_id(period, outcome, at))
        )
        request = sandbox.signed_webhook(charge, topic=CHARGE_TOPIC)
        return await send(client, request)

    # The approval (newer) arrives first, then the older decline, then a replay.
    approved = await notify(PaymentStatus.approved, ends - timedelta(minutes=10))
    assert approved.json()["result"] == "applied", approved.text
    stale = await notify(PaymentStatus.rejected, ends - timedelta(minutes=20))
    assert stale.json()["result"] == "unchanged", stale.text
    replay = await notify(PaymentStatus.approved, ends - timedelta(minutes=10))
    assert replay.json()["result"] == "unchanged", replay.text
    profile = await me(client, user)
    assert datetime.fromisoformat(profile["plan_expires_at"]) == ends + timedelta(days=30)
    assert not [b for b in last_mails(outbox, user.email) if "fue rechazado" in b]
    # The scheduler's poll afterwards finds the period paid: nothing to collect.
    counts = await tick(app, settings, ends - timedelta(minutes=5))
    assert counts == {"opened": 0, "applied": 0, "unavailable": 0, "dunned": 0}


async def test_mercadopago_authorized_payment_notifications_renew_once(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    """The adapter against FakeMercadoPago inside the app: a preapproval, MercadoPago's engine
    billing the period, and its subscription_authorized_payment notification (which names
    only the preapproval), delivered twice."""
    fake = FakeMercadoPago(webhook_secret=settings.payments.webhook_secret.get_secret_value())
    payments = settings.payments.model_copy(
        update={"provider": "mercadopago", "mercadopago_access_token": SecretStr(fake.token),
                "mercadopago_api_url": "https://api.mercadopago.test"}
    )  # fmt: skip
    mp_settings = settings.model_copy(update={"payments": payments})
    app.state.payment_provider = MercadoPagoProvider(mp_settings, transport=fake.transport)
    user = await register(client, outbox, "client")
    r = await subscribe(client, user, "professional")
    assert r.status_code == 201, r.text
    paid = fake.pay(r.json()["payment"]["provider_preference_id"])
    assert (await send(client, fake.webhook(paid))).json()["result"] == "applied"
    r = await client.put(f"{API}/subscriptions/me/renewal", headers=user.headers)
    assert r.status_code == 200, r.text
    assert r.json()["authorize_url"].startswith("https://www.mercadopago.com.ar/subscriptions")
    first = r.json()["subscription"]
    ends = datetime.fromisoformat(first["expires_at"])
    (agreement_id,) = fake.preapprovals
    fake.authorize_preapproval(agreement_id)
    async with app.state.sessions() as session:
        opened = await renewals.open_due(
            session=session, settings=mp_settings, provider="mercadopago",
            now=ends - timedelta(hours=1),
        )  # fmt: skip
        await session.commit()
    assert opened == 1
    notice = fake.charge_webhook(fake.bill(agreement_id, ends))
    assert (await send(client, notice)).json()["result"] == "applied"
    assert (await send(client, notice)).json()["result"] == "duplicate"
    profile = await me(client, user)
    assert datetime.fromisoformat(profile["plan_expires_at"]) == ends + timedelta(days=30)
    counts = await renew(app.state.sessions, mp_settings, app.state.payment_provider,
                         now=ends - timedelta(minutes=30))  # fmt: skip
    assert counts == {"opened": 0, "applied": 0, "unavailable": 0, "dunned": 0}
