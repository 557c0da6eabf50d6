"""A small marketplace for the fuzzer to aim at: real ids for every path parameter.

Built through the public API with the domain factories, once per fuzzed operation, because an
operation may log its caller out, delete it, or change the objects it touches.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from fixia.db import session_factory, transactional
from fixia.money.models import Milestone, MilestoneStatus
from tests.factories.accounts import Account, log_in, register
from tests.factories.catalog import create_service
from tests.factories.conversations import open_conversation, send
from tests.factories.payments import pay_job
from tests.factories.projects import apply, completed_job, post_project
from tests.factories.reviews import write_review

API = "/api/v1"


@dataclass
class World:
    accounts: dict[str, Account]
    ids: dict[str, str] = field(default_factory=dict)


async def _promote(http: httpx.AsyncClient, engine: AsyncEngine, account: Account) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE users SET role='admin' WHERE email=:e"), {"e": account.email}
        )
    account.role = "admin"
    await log_in(http, account)


async def _first_id(http: httpx.AsyncClient, who: Account, path: str) -> str:
    r = await http.get(f"{API}{path}", headers=who.headers)
    assert r.status_code == 200, r.text
    items = r.json()["items"] if isinstance(r.json(), dict) else r.json()
    return str(items[0]["id"])


async def _milestone(engine: AsyncEngine, job_id: str, professional_id: str) -> str:
    """An agreed milestone of the job (the completed job no longer takes a new plan)."""
    async with transactional(session_factory(engine)) as session:
        milestone = Milestone(
            job_id=uuid.UUID(job_id),
            position=1,
            title="Etapa",
            amount=Decimal("10.00"),
            proposed_by=uuid.UUID(professional_id),
            status=MilestoneStatus.agreed,
        )
        session.add(milestone)
        await session.flush()
        return str(milestone.id)


async def build(http: httpx.AsyncClient, outbox: Path, engine: AsyncEngine) -> World:
    client = await register(http, outbox, role="client")
    pro = await register(http, outbox, role="professional")
    boss = await register(http, outbox, role="client")
    await _promote(http, engine, boss)
    world = World(accounts={"client": client, "professional": pro, "admin": boss})
    service = await create_service(http, pro)
    done = await completed_job(http, client, pro)
    review = await write_review(http, client, done["job_id"])
    open_project = await post_project(http, client)
    proposal = await apply(http, pro, open_project["id"])
    r = await http.post(
        f"{API}/services/{service['id']}/requests",
        json={"message": "Necesito destapar una cañería en Rawson, ¿cuándo podés venir?"},
        headers=client.headers,
    )
    request_id = r.json().get("id", "") if r.status_code == 201 else ""
    conversation = await open_conversation(http, pro, "proposal", proposal["id"])
    message = await send(http, pro, conversation["id"], "Hola, ¿cuándo paso a ver el trabajo?")
    paid = await pay_job(http, client, done["job_id"])
    payment = paid.json() if paid.status_code in (200, 201) else {}
    world.ids = {
        "service_id": service["id"],
        "project_id": open_project["id"],
        "proposal_id": proposal["id"],
        "job_id": done["job_id"],
        "match_id": done["match_id"],
        "review_id": review["id"],
        "request_id": request_id,
        "payment_id": payment.get("id", ""),
        "milestone_id": await _milestone(engine, done["job_id"], pro.id),
        "preference_id": payment.get("provider_preference_id") or "",
        "notification_id": await _first_id(http, pro, "/notifications"),
        "conversation_id": conversation["id"],
        "message_id": message["id"],
        "user_id": pro.id,
        "professional_id": pro.id,
        "provider": "sandbox",
    }
    world.ids = {k: v for k, v in world.ids.items() if v}
    return world


async def intact(http: httpx.AsyncClient, world: World) -> bool:
    """Every account still logs in with its token and keeps its role."""
    for account in world.accounts.values():
        r = await http.get(f"{API}/me", headers=account.headers)
        if r.status_code != 200 or r.json().get("role") != account.role:
            return False
    return True
