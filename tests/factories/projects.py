"""Project, proposal and job factories through the public API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from fixia.catalog import taxonomy
from tests.factories.accounts import Account

API = "/api/v1"
OFICIOS = str(taxonomy.category_id("oficios-y-reparaciones"))


def project_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category_id": OFICIOS,
        "title": "Cambiar termotanque en Trelew",
        "description": "Necesito cambiar un termotanque de 80 litros que pierde agua, con "
        "instalación de la válvula y conexión de gas.",
        "budget_min": "30000.00",
        "budget_max": "60000.00",
        "deadline": (datetime.now(UTC) + timedelta(days=20)).isoformat(),
        "location": "Trelew, Chubut",
        "skills": ["plomeria", "gas"],
    }
    body.update(overrides)
    return body


def proposal_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message": "Puedo hacerlo esta semana con materiales incluidos y garantía.",
        "quoted_price": "45000.00",
        "delivery_time_days": 3,
    }
    body.update(overrides)
    return body


async def post_project(
    client: httpx.AsyncClient, owner: Account, **overrides: Any
) -> dict[str, Any]:
    r = await client.post(f"{API}/projects", json=project_body(**overrides), headers=owner.headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def apply(
    client: httpx.AsyncClient, pro: Account, project_id: str, **overrides: Any
) -> dict[str, Any]:
    r = await client.post(
        f"{API}/opportunities/{project_id}/apply",
        json=proposal_body(**overrides),
        headers=pro.headers,
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def job_between(client: httpx.AsyncClient, owner: Account, pro: Account) -> dict[str, Any]:
    """Project → proposal → accept: returns the accept response (job_id, match_id)."""
    project = await post_project(client, owner)
    proposal = await apply(client, pro, project["id"])
    r = await client.post(f"{API}/proposals/{proposal['id']}/accept", headers=owner.headers)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    data["project_id"] = project["id"]
    return data


async def completed_job(client: httpx.AsyncClient, owner: Account, pro: Account) -> dict[str, Any]:
    accepted = await job_between(client, owner, pro)
    job = accepted["job_id"]
    for who, step in ((pro, "start"), (pro, "completion/request"), (owner, "completion/confirm")):
        r = await client.post(f"{API}/jobs/{job}/{step}", headers=who.headers)
        assert r.status_code == 200, r.text
    return accepted
