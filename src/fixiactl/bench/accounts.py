"""Accounts and projects the write mix needs, created through the public API before wrk.

Register is measured as an anonymous request, but create-project and apply need signed-in
users. Logging in from inside wrk would measure login too, so the accounts are registered
and logged in here, and wrk gets their access tokens (15 minutes is longer than a run).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from fixiactl.bench.dataset import Db
from fixiactl.errors import FixiactlError

PASSWORD = "Chubut-Bench-2026!"  # noqa: S105 - throw-away accounts of the bench database
DNI_FLOOR, DNI_CEILING = 90_000_000, 99_999_999
# DNIs reserved per wrk run and thread (a slot): far more than a thread registers in a run.
DNI_SPAN = 20_000


@dataclass
class WriteFixture:
    run: str
    dni_base: int
    clients: list[str]
    pros: list[str]
    projects: list[str]
    deadline: str

    def lua_data(self, category_ids: list[str], mix: list[str], threads: int) -> dict[str, object]:
        return {
            "threads": threads,
            "run": self.run,
            "password": PASSWORD,
            "dni_base": self.dni_base,
            "dni_span": DNI_SPAN,
            "deadline": self.deadline,
            "categories": category_ids,
            "clients": self.clients,
            "pros": self.pros,
            "projects": self.projects,
            "mix": mix,
        }


def next_dni(db: Db) -> int:
    """Above every DNI in the database, so repeated runs never collide."""
    top = db.scalar("select coalesce(max(dni::bigint), 0) from users where dni ~ '^9[0-9]{7}$'")
    return max(int(top or 0) + 1, DNI_FLOOR)


def _expect(response: httpx.Response, status: int, what: str) -> dict[str, Any]:
    if response.status_code != status:
        raise FixiactlError(
            f"{what} answered {response.status_code}, expected {status}",
            hint=response.text[:500],
        )
    body: dict[str, Any] = response.json()
    return body


def _register(http: httpx.Client, email: str, role: str, dni: int) -> None:
    body = {
        "email": email,
        "password": PASSWORD,
        "name": "Cuenta Bench",
        "role": role,
        "dni": str(dni),
        "birthdate": "1988-03-09",
        "phone": f"+54 9 280 5{dni % 1_000_000:06d}",
        "location": "Trelew, Chubut",
    }
    _expect(http.post("/api/v1/auth/register", json=body), 201, f"registering {email}")


def _login(http: httpx.Client, email: str) -> str:
    body = _expect(
        http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}),
        200,
        f"logging in {email}",
    )
    return str(body["access_token"])


def _create_project(http: httpx.Client, token: str, category_id: str, n: int, deadline: str) -> str:
    body = {
        "category_id": category_id,
        "title": f"Instalación de termotanque {n}",
        "description": "Hay que instalar un termotanque nuevo y conectar el gas; tengo los "
        "materiales.",
        "budget_min": 30_000,
        "budget_max": 90_000,
        "deadline": deadline,
        "location": "Rawson, Chubut",
    }
    response = http.post(
        "/api/v1/projects", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    return str(_expect(response, 201, "creating a project")["id"])


def _signed_in_accounts(
    http: httpx.Client, db: Db, run: str, first_dni: int, clients: int, pros: int
) -> tuple[list[str], list[str]]:
    """Register, unlock and log in the accounts: (client tokens, professional tokens)."""
    accounts = [(f"bench-{run}-pre-c{i}@bench.fixia.com.ar", "client") for i in range(clients)]
    accounts += [(f"bench-{run}-pre-p{i}@bench.fixia.com.ar", "professional") for i in range(pros)]
    for i, (email, role) in enumerate(accounts):
        _register(http, email, role, first_dni + i)
    # Login needs a verified e-mail, and the free plan's quotas (3 projects, 10 proposals a
    # month) would turn a 10 s run into 4xx answers: the bench's own accounts get both by SQL.
    db.rows(
        "update users set email_verified_at = now(), plan = 'professional',"  # noqa: S608 - run is our hex
        " plan_expires_at = now() + interval '1 day'"
        f" where email like 'bench-{run}-pre-%'"
    )
    tokens = [(_login(http, email), role) for email, role in accounts]
    return [t for t, r in tokens if r == "client"], [t for t, r in tokens if r == "professional"]


def prepare(
    http: httpx.Client,
    db: Db,
    *,
    clients: int,
    pros: int,
    projects: int,
    category_ids: list[str],
    slots: int,
) -> WriteFixture:
    run = secrets.token_hex(4)
    first_dni = next_dni(db)
    dni_base = first_dni + clients + pros
    if dni_base + slots * DNI_SPAN > DNI_CEILING:
        raise FixiactlError(
            "the bench database has used up its range of test DNIs",
            hint="start afresh: fixiactl stack down --env bench && rm -rf var/stack/bench",
        )
    client_tokens, pro_tokens = _signed_in_accounts(http, db, run, first_dni, clients, pros)
    deadline = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    project_ids = [
        _create_project(
            http,
            client_tokens[i % len(client_tokens)],
            category_ids[i % len(category_ids)],
            i,
            deadline,
        )
        for i in range(projects)
    ]
    return WriteFixture(run, dni_base, client_tokens, pro_tokens, project_ids, deadline)
