"""Issue #27, item 8: every per-user ("mine") list is paginated by a keyset cursor, with the
same page-size cap as the rest of the API, instead of returning all of a user's rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.factories.accounts import Account, register
from tests.factories.catalog import create_service, expect_problem
from tests.factories.projects import API, apply, job_between, post_project
from tests.functional.test_admin import disputed_jobs

REQUEST = {"message": "Hola, ¿podés venir el sábado a la mañana?", "budget": "20000.00"}


async def walk(client: httpx.AsyncClient, path: str, who: Account) -> list[str]:
    """Every page at limit=1; returns the ids in order (bounded: 20 pages)."""
    ids: list[str] = []
    cursor: str | None = None
    for _ in range(20):
        params: dict[str, Any] = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        r = await client.get(API + path, params=params, headers=who.headers)
        assert r.status_code == 200, (path, r.text)
        page = r.json()
        assert isinstance(page, dict) and page["limit"] == 1, (path, page)
        assert len(page["items"]) <= 1
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError(f"{path}: more than 20 pages")


async def test_every_mine_list_is_paginated(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await register(client, outbox)
    pro = await register(client, outbox, role="professional")
    services = [(await create_service(client, pro))["id"] for _ in range(2)]
    jobs = [await job_between(client, owner, pro) for _ in range(2)]
    extra = await post_project(client, owner)
    proposal = await apply(client, pro, extra["id"])
    requests = []
    for sid in services:
        r = await client.post(f"{API}/services/{sid}/requests", json=REQUEST, headers=owner.headers)
        assert r.status_code == 201, r.text
        requests.append(r.json()["id"])
    for sid in services:
        r = await client.put(f"{API}/me/favorites/services/{sid}", headers=owner.headers)
        assert r.status_code == 201

    assert sorted(await walk(client, "/services/mine", pro)) == sorted(services)
    projects = [j["project_id"] for j in jobs] + [extra["id"]]
    assert sorted(await walk(client, "/projects/mine", owner)) == sorted(projects)
    proposals = await walk(client, "/proposals/mine", pro)
    assert len(proposals) == 3 and proposal["id"] in proposals
    assert sorted(await walk(client, "/jobs/mine", owner)) == sorted(j["job_id"] for j in jobs)
    assert sorted(await walk(client, "/jobs/mine", pro)) == sorted(j["job_id"] for j in jobs)
    assert sorted(await walk(client, "/service-requests/sent", owner)) == sorted(requests)
    assert sorted(await walk(client, "/service-requests/received", pro)) == sorted(requests)
    assert len(await walk(client, "/me/favorites", owner)) == 2

    for path, who in (("/services/mine", pro), ("/jobs/mine", owner), ("/me/favorites", owner)):
        r = await client.get(API + path, params={"limit": 101}, headers=who.headers)
        expect_problem(r, 422, "validation_error")


async def test_shared_lists_are_paginated_too(
    client: httpx.AsyncClient, outbox: Path, boss: Account
) -> None:
    """A popular project's proposals and the admins' dispute queue grow without bound too:
    pages in arrival order (the queue's longest-waiting first), never one unbounded list."""
    owner = await register(client, outbox)
    project = await post_project(client, owner)
    sent = []
    for _ in range(3):
        pro = await register(client, outbox, role="professional")
        sent.append((await apply(client, pro, project["id"]))["id"])
    assert await walk(client, f"/projects/{project['id']}/proposals", owner) == sent

    _, jobs = await disputed_jobs(client, outbox, 3)
    queue = await walk(client, "/admin/disputes", boss)
    assert len(queue) == len(set(queue)) and [j for j in queue if j in jobs] == jobs
    for path, who in ((f"/projects/{project['id']}/proposals", owner), ("/admin/disputes", boss)):
        r = await client.get(API + path, params={"limit": 101}, headers=who.headers)
        expect_problem(r, 422, "validation_error")
