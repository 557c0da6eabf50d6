"""Payment factories: jobs to pay, an app wired to the sandbox, and a fake MercadoPago API.

MercadoPago is a third party the tests cannot reach, so `FakeMercadoPago` implements the two
endpoints we use (and its webhook signature) independently of our adapter's code.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from fastapi import FastAPI

from fixia.config import Settings
from fixia.db import create_engine, session_factory, transactional, utcnow
from fixia.main import create_app
from fixia.matches.models import Job, JobStatus, Match
from fixia.payments.providers import SandboxProvider
from fixia.platform.email import OutboxEmailSender
from tests.factories.accounts import Account

API = "/api/v1"
_keys = itertools.count(1)


def new_key() -> str:
    """A fresh Idempotency-Key."""
    return f"key-{uuid.uuid4().hex[:12]}-{next(_keys)}"


def payments_app(settings: Settings) -> FastAPI:
    """The app with the sandbox delivering its webhooks straight back into it."""
    app = create_app(settings, mailer=OutboxEmailSender(settings.email.outbox_dir, "t@fixia"))
    app.state.payment_provider = SandboxProvider(
        settings, webhook_transport=httpx.ASGITransport(app=app)
    )
    return app


@asynccontextmanager
async def api_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        await app.state.engine.dispose()


async def create_job(
    settings: Settings,
    *,
    client: Account,
    professional: Account,
    agreed_price: str = "1234.55",
    status: JobStatus = JobStatus.in_progress,
) -> str:
    """A Match and its Job inserted with the ORM (the jobs flow has its own tests)."""
    engine = create_engine(settings)
    try:
        async with transactional(session_factory(engine)) as session:
            match = Match(
                client_id=uuid.UUID(client.id), professional_id=uuid.UUID(professional.id)
            )
            session.add(match)
            await session.flush()
            job = Job(
                match_id=match.id,
                client_id=match.client_id,
                professional_id=match.professional_id,
                title="Cambio de cañería en Rawson",
                agreed_price=Decimal(agreed_price),
                delivery_date=utcnow() + timedelta(days=7),
                status=status,
            )
            session.add(job)
            await session.flush()
            return str(job.id)
    finally:
        await engine.dispose()


async def pay_job(
    client: httpx.AsyncClient, payer: Account, job_id: str, key: str | None = None
) -> httpx.Response:
    headers = {**payer.headers, "Idempotency-Key": key or new_key()}
    return await client.post(f"{API}/jobs/{job_id}/payments", headers=headers)


async def subscribe(
    client: httpx.AsyncClient, user: Account, plan: str, key: str | None = None
) -> httpx.Response:
    headers = {**user.headers, "Idempotency-Key": key or new_key()}
    return await client.post(f"{API}/subscriptions", json={"plan": plan}, headers=headers)


async def sandbox_checkout(
    client: httpx.AsyncClient,
    payer: Account,
    preference_id: str,
    outcome: str = "approved",
    **extra: Any,
) -> dict[str, Any]:
    """The payer finishes their sandbox checkout; asserts the webhook reached the app."""
    r = await client.post(
        f"{API}/payments/sandbox/checkout/{preference_id}",
        json={"outcome": outcome, **extra},
        headers=payer.headers,
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["webhook_status"] == 200, body
    return body


async def send(client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    """(Re)deliver a captured webhook request to the app."""
    return await client.post(
        request.url.path,
        params=dict(request.url.params),
        headers=dict(request.headers),
        content=request.content,
    )


async def get_payment(client: httpx.AsyncClient, user: Account, payment_id: str) -> dict[str, Any]:
    r = await client.get(f"{API}/payments/{payment_id}", headers=user.headers)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def notification_types(client: httpx.AsyncClient, user: Account) -> list[str]:
    r = await client.get(f"{API}/notifications", headers=user.headers)
    assert r.status_code == 200, r.text
    return [n["type"] for n in r.json()["items"]]


async def me(client: httpx.AsyncClient, user: Account) -> dict[str, Any]:
    """The user's own profile (`GET /me`): plan, expiry, flags."""
    r = await client.get(f"{API}/me", headers=user.headers)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def run_cli(settings: Settings, *args: str, outbox: Path | None = None) -> str:
    """Run the real `fixia` command against the test database, as cron would; `outbox`: where
    the e-mails it sends go."""
    fixia = Path(sys.executable).parent / "fixia"
    env = {**os.environ, "FIXIA_DATABASE_URL": settings.db.url, "FIXIA_ENV": "test"}
    if outbox is not None:
        env |= {"FIXIA_EMAIL__BACKEND": "outbox", "FIXIA_EMAIL__OUTBOX_DIR": str(outbox)}
    process = await asyncio.create_subprocess_exec(
        str(fixia), *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


ARGENTINA = timezone(timedelta(hours=-3))


@dataclass
class FakeMercadoPago:
    """POST /checkout/preferences and GET /v1/payments/{id}, plus what MercadoPago's servers
    do when a payer pays: store the payment and send a signed notification."""

    webhook_secret: str
    token: str = "TEST-fake-access-token"
    preferences: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_idempotency_key: dict[str, str] = field(default_factory=dict)
    amounts: dict[str, Decimal] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    payouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    client_id: str = "1234567890"
    client_secret: str = "fake-oauth-secret"  # pragma: allowlist secret
    codes: dict[str, str] = field(default_factory=dict)
    linked: dict[str, str] = field(default_factory=dict)
    # Answer this many requests with `fail_status` (or time out) before behaving again.
    fail_times: int = 0
    fail_status: int = 503
    time_out: bool = False
    preapprovals: dict[str, dict[str, Any]] = field(default_factory=dict)
    authorized_payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_320_000_001))

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.time_out:
            raise httpx.ReadTimeout("fake MercadoPago timed out", request=request)
        if self.fail_times:
            self.fail_times -= 1
            return httpx.Response(self.fail_status, json={"message": "internal error"})
        if request.method == "POST" and request.url.path == "/oauth/token":
            return self._oauth(request)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json={"message": "invalid access token"})
        path = request.url.path
        if request.method == "POST" and path == "/checkout/preferences":
            return self._create_preference(request)
        if request.method == "POST" and path.endswith("/refunds"):
            return self._refund(request, path.split("/")[3])
        if request.method == "POST" and path == "/v1/transaction-intents/process":
            return self._payout(request)
        if path.startswith(("/preapproval", "/authorized_payments")):
            return self._recurring(request, path)
        if request.method == "GET" and path.startswith("/v1/payments/"):
            payment = self.payments.get(path.rsplit("/", 1)[1])
            if payment is None:
                return httpx.Response(404, json={"message": "Payment not found", "status": 404})
            return httpx.Response(200, json=payment)
        return httpx.Response(404, json={"message": "resource not found"})

    def _recurring(self, request: httpx.Request, path: str) -> httpx.Response:
        """Preapprovals (POST, PUT status) and their authorized payments (GET, search)."""
        if request.method == "POST" and path == "/preapproval":
            key = request.headers.get("x-idempotency-key")
            if not key:
                return httpx.Response(400, json={"message": "X-Idempotency-Key required"})
            if key not in self.by_idempotency_key:
                body = json.loads(request.content)
                agreement_id = uuid.uuid4().hex
                self.preapprovals[agreement_id] = {
                    **body, "id": agreement_id, "status": "pending",
                    "init_point": "https://www.mercadopago.com.ar/subscriptions/checkout"
                    f"?preapproval_id={agreement_id}",
                }  # fmt: skip
                self.by_idempotency_key[key] = agreement_id
            return httpx.Response(201, json=self.preapprovals[self.by_idempotency_key[key]])
        if request.method == "PUT" and path.startswith("/preapproval/"):
            found = self.preapprovals.get(path.rsplit("/", 1)[1])
            if found is None:
                return httpx.Response(404, json={"message": "preapproval not found"})
            found["status"] = json.loads(request.content)["status"]
            return httpx.Response(200, json=found)
        if request.method == "GET" and path == "/authorized_payments/search":
            agreement_id = request.url.params.get("preapproval_id")
            results = [a for a in self.authorized_payments.values()
                       if a["preapproval_id"] == agreement_id]  # fmt: skip
            return httpx.Response(200, json={"paging": {"total": len(results)}, "results": results})
        if request.method == "GET" and path.startswith("/authorized_payments/"):
            found = self.authorized_payments.get(path.rsplit("/", 1)[1])
            if found is None:
                return httpx.Response(404, json={"message": "authorized payment not found"})
            return httpx.Response(200, json=found)
        return httpx.Response(404, json={"message": "resource not found"})

    def authorize_preapproval(self, agreement_id: str) -> None:
        """The payer authorises the preapproval on MercadoPago's page."""
        self.preapprovals[agreement_id]["status"] = "authorized"

    def bill(self, agreement_id: str, debit: datetime) -> str:
        """MercadoPago's engine runs one period of an authorized preapproval; a payer whose
        e-mail says +declined has a card that is declined (MercadoPago then retries)."""
        preapproval = self.preapprovals[agreement_id]
        assert preapproval["status"] == "authorized", "only an authorized preapproval is billed"
        declined = "+declined@" in preapproval["payer_email"]
        charge_id = str(next(self._ids))
        when = debit.astimezone(ARGENTINA).isoformat(timespec="milliseconds")
        recurring = preapproval["auto_recurring"]
        self.authorized_payments[charge_id] = {
            "id": int(charge_id), "preapproval_id": agreement_id, "type": "scheduled",
            "status": "recycling" if declined else "processed",
            "date_created": when, "last_modified": when, "debit_date": when,
            "transaction_amount": float(recurring["transaction_amount"]),
            "currency_id": recurring["currency_id"],
            "payment": None if declined else {"id": next(self._ids), "status": "approved",
                                              "status_detail": "accredited"},
        }  # fmt: skip
        return charge_id

    def charge_webhook(self, charge_id: str) -> httpx.Request:
        """The subscription_authorized_payment notification for one period's charge."""
        request_id, ts = str(uuid.uuid4()), str(int(utcnow().timestamp()))
        manifest = f"id:{charge_id};request-id:{request_id};ts:{ts};"
        digest = hmac.new(self.webhook_secret.encode(), manifest.encode(), hashlib.sha256)
        body = {"id": next(self._ids), "type": "subscription_authorized_payment",
                "action": "created", "data": {"id": charge_id}}  # fmt: skip
        return httpx.Request(
            "POST",
            "https://fixia.test/api/v1/payments/webhooks/mercadopago",
            params={"data.id": charge_id, "type": "subscription_authorized_payment"},
            headers={"x-signature": f"ts={ts},v1={digest.hexdigest()}",
                     "x-request-id": request_id, "content-type": "application/json"},
            content=json.dumps(body).encode(),
        )  # fmt: skip

    def _refund(self, request: httpx.Request, payment_id: str) -> httpx.Response:
        """Refunds add up per payment and never exceed it; a repeated key is the same refund."""
        key = request.headers.get("x-idempotency-key")
        payment = self.payments.get(payment_id)
        if not key or payment is None:
            return httpx.Response(400 if not key else 404, json={"message": "bad refund"})
        if key in self.refunds:
            return httpx.Response(201, json=self.refunds[key])
        amount = json.loads(request.content, parse_float=Decimal)["amount"]
        done = sum(Decimal(str(r["amount"])) for r in self.refunds.values()
                   if r["payment_id"] == payment["id"])  # fmt: skip
        if payment["status"] != "approved" or done + amount > Decimal(
            str(payment["transaction_amount"])
        ):
            return httpx.Response(400, json={"message": "invalid refund amount"})
        refund = {"id": next(self._ids), "payment_id": payment["id"], "amount": float(amount),
                  "status": "approved"}  # fmt: skip
        self.refunds[key] = refund
        return httpx.Response(201, json=refund)

    def _payout(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get("x-idempotency-key")
        if not key:
            return httpx.Response(400, json={"message": "X-Idempotency-Key required"})
        if key not in self.payouts:
            body = json.loads(request.content, parse_float=Decimal)
            to = body["transaction"]["to"]["accounts"][0]
            if str(to["owner"]["id"]) not in self.linked.values():
                return httpx.Response(400, json={"message": "unknown destination"})
            self.payouts[key] = {"id": f"ti-{next(self._ids)}", "status": "approved",
                                 "amount": float(to["amount"])}  # fmt: skip
        return httpx.Response(201, json=self.payouts[key])

    def _oauth(self, request: httpx.Request) -> httpx.Response:
        """The authorization_code grant: each code works once."""
        form = parse_qs(request.content.decode())
        code = form.get("code", [""])[0]
        if form.get("client_secret", [""])[0] != self.client_secret or code not in self.codes:
            return httpx.Response(400, json={"error": "invalid_grant"})
        user_id = self.codes.pop(code)
        self.linked[code] = user_id
        return httpx.Response(200, json={"access_token": "APP_USR-seller", "user_id": int(user_id)})

    def authorize(self, url: str) -> str:
        """The seller consents on MercadoPago's page: a code comes back to redirect_uri."""
        query = parse_qs(urlparse(url).query)
        assert query["client_id"] == [self.client_id] and query["response_type"] == ["code"]
        code = f"TG-{uuid.uuid4().hex}"
        self.codes[code] = str(next(self._ids))
        return code

    def _create_preference(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get("x-idempotency-key")
        if not key:
            return httpx.Response(400, json={"message": "X-Idempotency-Key required"})
        if key in self.by_idempotency_key:
            return httpx.Response(201, json=self.preferences[self.by_idempotency_key[key]])
        body = json.loads(request.content)
        pref_id = f"202809963-{uuid.uuid4()}"
        exact = json.loads(request.content, parse_float=Decimal)
        self.amounts[pref_id] = exact["items"][0]["unit_price"]
        self.preferences[pref_id] = {
            **body,
            "id": pref_id,
            "init_point": f"https://www.mercadopago.com.ar/checkout/v1/redirect?pref_id={pref_id}",
        }
        self.by_idempotency_key[key] = pref_id
        return httpx.Response(201, json=self.preferences[pref_id])

    def pay(
        self,
        preference_id: str,
        status: str = "approved",
        *,
        amount: Decimal | None = None,
        at: datetime | None = None,
    ) -> str:
        """A payer pays the preference; returns MercadoPago's (numeric) payment id."""
        preference = self.preferences[preference_id]
        item = preference["items"][0]
        payment_id = str(next(self._ids))
        when = (at or utcnow()).astimezone(ARGENTINA).isoformat(timespec="milliseconds")
        self.payments[payment_id] = {
            "id": int(payment_id),
            "status": status,
            "status_detail": "accredited" if status == "approved" else status,
            # MercadoPago sends a JSON number.
            "transaction_amount": float(
                amount if amount is not None else self.amounts[preference_id]
            ),
            "currency_id": item["currency_id"],
            "external_reference": preference["external_reference"],
            "date_created": when,
            "date_last_updated": when,
        }
        return payment_id

    def webhook(self, payment_id: str, *, secret: str | None = None) -> httpx.Request:
        """The notification MercadoPago sends to the preference's notification_url."""
        payment = self.payments[payment_id]
        preference = next(
            p
            for p in self.preferences.values()
            if p["external_reference"] == payment["external_reference"]
        )
        request_id, ts = str(uuid.uuid4()), str(int(utcnow().timestamp()))
        manifest = f"id:{payment_id};request-id:{request_id};ts:{ts};"
        digest = hmac.new(
            (secret or self.webhook_secret).encode(), manifest.encode(), hashlib.sha256
        ).hexdigest()
        body = {
            "id": next(self._ids),
            "live_mode": False,
            "type": "payment",
            "date_created": utcnow().isoformat(),
            "user_id": 202809963,
            "api_version": "v1",
            "action": "payment.updated",
            "data": {"id": payment_id},
        }
        return httpx.Request(
            "POST",
            preference["notification_url"],
            params={"data.id": payment_id, "type": "payment"},
            headers={
                "x-signature": f"ts={ts},v1={digest}",
                "x-request-id": request_id,
                "content-type": "application/json",
            },
            content=json.dumps(body).encode(),
        )
