"""Account factories that go through the public API, as a real user would."""

from __future__ import annotations

import email
import itertools
import re
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "Patagonia-Viento-82!"
_seq = itertools.count(1)


@dataclass
class Account:
    id: str
    email: str
    password: str
    role: str
    access_token: str = ""
    refresh_token: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def registration(role: str = "client", **overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    body: dict[str, Any] = {
        "email": f"user{n}-{role}@example.com.ar",
        "password": PASSWORD,
        "name": f"Usuario {n}",
        "role": role,
        "dni": f"{20_000_000 + n}",
        "birthdate": "1990-05-17",
        "phone": "+54 9 280 455-1234",
        "location": "Trelew, Chubut",
    }
    if role == "professional":
        body.update(
            description="Plomero con experiencia", specialties=["plomeria"], experience="5-10"
        )
    body.update(overrides)
    return body


def _newest_token(outbox: Path, to: str, kind: str) -> str | None:
    for path in sorted(outbox.glob("*.eml"), reverse=True):
        msg = email.message_from_bytes(path.read_bytes())
        if msg["To"] == to:
            body = msg.get_payload(decode=True)
            assert isinstance(body, bytes)
            match = re.search(rf"{kind}\?token=([\w\-]+)", body.decode())
            if match:
                return match.group(1)
    return None


def last_mails(outbox: Path, to: str) -> list[str]:
    """The bodies of every e-mail to `to` so far, oldest first."""
    found = []
    for path in sorted(outbox.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes())
        if msg["To"] == to:
            body = msg.get_payload(decode=True)
            assert isinstance(body, bytes)
            found.append(body.decode())
    return found


def last_link_token(
    outbox: Path, to: str, kind: str = "(?:verify-email|reset-password)", not_token: str = ""
) -> str:
    """The token in the newest e-mail to `to` with a `kind` link (other than `not_token`).
    Mail goes out from the job queue after the commit: over the stack a worker sends it a
    moment after the response, so this polls (bounded: 20 s)."""
    deadline = time.monotonic() + 20
    while True:
        token = _newest_token(outbox, to, kind)
        if token is not None and token != not_token:
            return token
        if time.monotonic() > deadline:
            raise AssertionError(f"no new {kind} e-mail to {to} in {outbox}")
        time.sleep(0.05)


async def register(
    client: httpx.AsyncClient,
    outbox: Path,
    role: str = "client",
    verify: bool = True,
    login: bool = True,
    **overrides: Any,
) -> Account:
    body = registration(role, **overrides)
    r = await client.post("/api/v1/auth/register", json=body)
    assert r.status_code == 201, r.text
    account = Account(
        id=r.json()["id"], email=body["email"], password=body["password"], role=role, data=r.json()
    )
    if verify:
        token = last_link_token(outbox, body["email"])
        r = await client.post("/api/v1/auth/verify-email", json={"token": token})
        assert r.status_code == 200, r.text
    if verify and login:
        await log_in(client, account)
    return account


async def log_in(client: httpx.AsyncClient, account: Account) -> None:
    r = await client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": account.password}
    )
    assert r.status_code == 200, r.text
    account.access_token = r.json()["access_token"]
    account.refresh_token = r.json()["refresh_token"]


def adult_birthdate(years: int = 30) -> str:
    today = date.today()
    return today.replace(year=today.year - years).isoformat()
