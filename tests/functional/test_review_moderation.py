"""Admin moderation of reviews: the flag queue, hiding and restoring, and their effects."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories.accounts import Account, register
from tests.factories.admin import ADMIN_API, REASON, admin, audit_for, find_user
from tests.factories.catalog import DbExec, expect_problem
from tests.factories.projects import API, completed_job
from tests.factories.reviews import write_review


@pytest.fixture
async def boss(client: httpx.AsyncClient, outbox: Path, db_exec: DbExec) -> Account:
    return await admin(client, outbox, db_exec)


@dataclass
class Flagged:
    """A completed job where the client left a harsh review and the professional a fair one;
    the harsh one is flagged twice, the fair one once, and a third client's review is clean."""

    owner: Account
    pro: Account
    harsh: dict[str, Any]
    about_client: dict[str, Any]
    clean: dict[str, Any]


async def flag(client: httpx.AsyncClient, reporter: Account, review_id: str, reason: str) -> None:
    r = await client.post(
        f"{API}/reviews/{review_id}/flags", json={"reason": reason}, headers=reporter.headers
    )
    assert r.status_code == 201, r.text


@pytest.fixture
async def flagged(client: httpx.AsyncClient, outbox: Path) -> Flagged:
    owner = await register(client, outbox)
    pro = await register(client, outbox, role="professional")
    other = await register(client, outbox)
    job = (await completed_job(client, owner, pro))["job_id"]
    harsh = await write_review(client, owner, job, rating=1)
    about_client = await write_review(client, pro, job, rating=4)
    clean = await write_review(client, other, (await completed_job(client, other, pro))["job_id"])
    await flag(client, pro, harsh["id"], "Miente sobre el trabajo")
    await flag(client, other, harsh["id"], "Insulta al profesional")
    await flag(client, owner, about_client["id"], "No es cierto lo que dice")
    return Flagged(owner, pro, harsh, about_client, clean)


async def queue_ids(client: httpx.AsyncClient, boss: Account) -> list[str]:
    r = await client.get(f"{ADMIN_API}/reviews/flagged", headers=boss.headers)
    assert r.status_code == 200, r.text
    return [i["review"]["id"] for i in r.json()["items"]]


async def test_flag_queue(client: httpx.AsyncClient, boss: Account, flagged: Flagged) -> None:
    url = f"{ADMIN_API}/reviews/flagged"
    queue = (await client.get(url, headers=boss.headers)).json()
    assert [(i["review"]["id"], i["flag_count"]) for i in queue["items"]] == [
        (flagged.harsh["id"], 2),
        (flagged.about_client["id"], 1),
    ]
    first = queue["items"][0]
    assert [f["reason"] for f in first["flags"]] == [
        "Miente sobre el trabajo",
        "Insulta al profesional",
    ]
    assert first["review"]["rating"] == 1 and first["review"]["moderation_reason"] is None
    page = (await client.get(url, params={"limit": 1}, headers=boss.headers)).json()
    rest = (
        await client.get(
            url, params={"limit": 1, "cursor": page["next_cursor"]}, headers=boss.headers
        )
    ).json()
    assert [i["review"]["id"] for i in page["items"] + rest["items"]] == [
        flagged.harsh["id"],
        flagged.about_client["id"],
    ]
    assert flagged.clean["id"] not in await queue_ids(client, boss)


async def test_hide_and_restore_recompute_and_audit(
    client: httpx.AsyncClient, boss: Account, flagged: Flagged
) -> None:
    hide = f"{ADMIN_API}/reviews/{flagged.harsh['id']}/hide"
    r = await client.post(hide, json={"reason": "Contenido ofensivo"}, headers=boss.headers)
    assert r.status_code == 200, r.text
    hidden = r.json()
    assert hidden["hidden"] and hidden["hidden_by"] == boss.id
    assert hidden["moderation_reason"] == "Contenido ofensivo"
    expect_problem(
        await client.post(hide, json=REASON, headers=boss.headers), 409, "review_already_hidden"
    )
    assert await queue_ids(client, boss) == [flagged.about_client["id"]]
    profile = (await client.get(f"{API}/professionals/{flagged.pro.id}")).json()["profile"]
    assert (profile["rating"], profile["review_count"]) == ("5.00", 1)
    restore = f"{ADMIN_API}/reviews/{flagged.harsh['id']}/restore"
    r = await client.post(restore, json={"reason": "La queja no se sostiene"}, headers=boss.headers)
    assert r.status_code == 200 and not r.json()["hidden"] and r.json()["hidden_at"] is None
    expect_problem(
        await client.post(restore, json=REASON, headers=boss.headers), 409, "review_not_hidden"
    )
    profile = (await client.get(f"{API}/professionals/{flagged.pro.id}")).json()["profile"]
    assert (profile["rating"], profile["review_count"]) == ("3.00", 2)
    # Restoring settled the earlier flags: they do not come back to the queue.
    assert await queue_ids(client, boss) == [flagged.about_client["id"]]
    entries = await audit_for(client, boss, "review", flagged.harsh["id"])
    assert [(e["action"], e["data"]["reason"], e["actor_id"]) for e in entries] == [
        ("review.restored", "La queja no se sostiene", boss.id),
        ("review.hidden", "Contenido ofensivo", boss.id),
    ]


async def test_hiding_a_review_of_a_client(
    client: httpx.AsyncClient, boss: Account, flagged: Flagged
) -> None:
    before = await find_user(client, boss, flagged.owner.email)
    assert (before["client_rating"], before["client_review_count"]) == ("4.00", 1)
    url = f"{ADMIN_API}/reviews/{flagged.about_client['id']}/hide"
    assert (await client.post(url, json=REASON, headers=boss.headers)).status_code == 200
    after = await find_user(client, boss, flagged.owner.email)
    assert (after["client_rating"], after["client_review_count"]) == ("0.00", 0)
    assert await queue_ids(client, boss) == [flagged.harsh["id"]]
    for bad in ({"reason": "no"}, {}):
        assert (await client.post(url, json=bad, headers=boss.headers)).status_code == 422
    missing = f"{ADMIN_API}/reviews/{uuid.uuid4()}/hide"
    r = await client.post(missing, json=REASON, headers=boss.headers)
    expect_problem(r, 404, "review_not_found")
