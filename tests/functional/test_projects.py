"""Projects, opportunities with matchScore, and proposals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.factories.accounts import Account, register
from tests.factories.projects import API, apply, post_project, project_body, proposal_body


@pytest.fixture
async def people(client: httpx.AsyncClient, outbox: Path) -> tuple[Account, Account, Account]:
    owner = await register(client, outbox, role="client")
    pro = await register(client, outbox, role="professional")
    other = await register(client, outbox, role="professional")
    return owner, pro, other


async def test_create_and_read_project(client: httpx.AsyncClient, people) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _ = people
    project = await post_project(client, owner)
    assert project["status"] == "open" and project["proposal_count"] == 0
    assert project["client"]["id"] == owner.id
    r = await client.get(f"{API}/projects/{project['id']}", headers=pro.headers)
    assert r.status_code == 200
    mine = (await client.get(f"{API}/projects/mine", headers=owner.headers)).json()["items"]
    assert [p["id"] for p in mine] == [project["id"]]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"title": "corto"}, "title"),
        ({"description": "muy corta"}, "description"),
        ({"budget_min": "999"}, "budget_min"),
        ({"budget_max": "10000001"}, "budget_max"),
        ({"budget_min": "50000", "budget_max": "40000"}, "body"),
        ({"deadline": "2001-01-01T00:00:00+00:00"}, "deadline"),
        ({"deadline": "2030-01-01T00:00:00"}, "deadline"),
        ({"category_id": "00000000-0000-0000-0000-000000000000"}, "category_id"),
        ({"location": "x"}, "location"),
        ({"skills": ["a"]}, "skills.0"),
        ({"status": "completed"}, "status"),
    ],
)
async def test_project_validation(
    client: httpx.AsyncClient, outbox: Path, override: dict[str, str], field: str
) -> None:
    owner = await register(client, outbox)
    r = await client.post(f"{API}/projects", json=project_body(**override), headers=owner.headers)
    assert r.status_code == 422, r.text
    assert any(e["field"] == field for e in r.json()["errors"]), r.json()


async def test_monthly_project_cap_on_free_plan(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await register(client, outbox)
    for _ in range(3):
        await post_project(client, owner)
    r = await client.post(f"{API}/projects", json=project_body(), headers=owner.headers)
    assert r.status_code == 403
    body = r.json()
    assert body["code"] == "projects_per_month_limit" and body["allowed"] == 3


async def test_owner_only_update_cancel_delete(client: httpx.AsyncClient, people) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _ = people
    project = await post_project(client, owner)
    url = f"{API}/projects/{project['id']}"
    assert (
        await client.patch(url, json={"title": "Otro título largo"}, headers=pro.headers)
    ).status_code == 403
    r = await client.patch(url, json={"title": "Otro título largo"}, headers=owner.headers)
    assert r.status_code == 200 and r.json()["title"] == "Otro título largo"
    r = await client.patch(url, json={"budget_min": "90000"}, headers=owner.headers)
    assert r.status_code == 422
    assert (await client.post(f"{url}/cancel", headers=pro.headers)).status_code == 403
    r = await client.post(f"{url}/cancel", headers=owner.headers)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    # Closed projects are invisible to others and cannot change.
    assert (await client.get(url, headers=pro.headers)).status_code == 404
    assert (
        await client.patch(url, json={"title": "Otro título más"}, headers=owner.headers)
    ).status_code == 409
    second = await post_project(client, owner)
    r = await client.delete(f"{API}/projects/{second['id']}", headers=owner.headers)
    assert r.status_code == 204
    assert (
        await client.get(f"{API}/projects/{second['id']}", headers=owner.headers)
    ).status_code == 404


async def test_anonymous_gets_401(client: httpx.AsyncClient, people) -> None:  # type: ignore[no-untyped-def]
    owner, _, _ = people
    project = await post_project(client, owner)
    assert (await client.get(f"{API}/projects/{project['id']}")).status_code == 401
    assert (await client.get(f"{API}/opportunities")).status_code == 401
    assert (await client.post(f"{API}/projects", json=project_body())).status_code == 401


async def test_opportunities_exclude_own_and_score(client: httpx.AsyncClient, people) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _ = people
    project = await post_project(client, owner)
    r = await client.get(f"{API}/opportunities", headers=pro.headers)
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["id"] for i in items] == [project["id"]]
    # Same city (+20), 1 of 2 skills (+15), budget avg 45k (+5), new (+5): 95.
    assert items[0]["match_score"] == 95 and items[0]["is_applied"] is False
    await apply(client, pro, project["id"])
    item = (await client.get(f"{API}/opportunities", headers=pro.headers)).json()["items"][0]
    assert item["is_applied"] is True and len(item["my_proposals"]) == 1
    # A client cannot browse opportunities; a professional does not see their own projects.
    assert (await client.get(f"{API}/opportunities", headers=owner.headers)).status_code == 403
    await post_project(client, pro)
    ids = [
        i["id"]
        for i in (await client.get(f"{API}/opportunities", headers=pro.headers)).json()["items"]
    ]
    assert ids == [project["id"]]


async def test_opportunity_filters(client: httpx.AsyncClient, people) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _ = people
    cheap = await post_project(
        client,
        owner,
        budget_min="1000",
        budget_max="5000",
        location="Esquel, Chubut",
        title="Arreglo de canilla en Esquel",
    )
    rich = await post_project(
        client, owner, budget_min="200000", budget_max="400000", is_remote=True
    )

    async def ids(**params: str) -> list[str]:
        r = await client.get(f"{API}/opportunities", params=params, headers=pro.headers)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert await ids(budget_min="100000") == [rich["id"]]
    assert await ids(budget_max="10000") == [cheap["id"]]
    assert await ids(remote="true") == [rich["id"]]
    assert await ids(location="esquel") == [cheap["id"]]
    assert await ids(q="canilla") == [cheap["id"]]
    assert await ids(sort="budget_desc", limit="1") == [rich["id"]]


async def test_apply_rules(client: httpx.AsyncClient, people) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _ = people
    project = await post_project(client, owner)
    url = f"{API}/opportunities/{project['id']}/apply"
    await apply(client, pro, project["id"])
    await apply(client, pro, project["id"], quoted_price="40000")
    r = await client.post(url, json=proposal_body(), headers=pro.headers)
    assert r.status_code == 409 and r.json()["code"] == "too_many_active_proposals"
    own = await post_project(client, pro)
    r = await client.post(
        f"{API}/opportunities/{own['id']}/apply", json=proposal_body(), headers=pro.headers
    )
    assert r.status_code == 403 and r.json()["code"] == "own_project"
    r = await client.post(url, json=proposal_body(), headers=owner.headers)
    assert r.status_code == 403
    r = await client.post(
        f"{API}/opportunities/00000000-0000-0000-0000-000000000000/apply",
        json=proposal_body(),
        headers=pro.headers,
    )
    assert r.status_code == 404
    for bad in ({"message": "corto"}, {"quoted_price": "-5"}, {"delivery_time_days": 0}):
        r = await client.post(url, json=proposal_body(**bad), headers=pro.headers)
        assert r.status_code == 422


async def test_withdraw_frees_a_slot(client: httpx.AsyncClient, people) -> None:  # type: ignore[no-untyped-def]
    owner, pro, other = people
    project = await post_project(client, owner)
    first = await apply(client, pro, project["id"])
    await apply(client, pro, project["id"])
    url = f"{API}/proposals/{first['id']}/withdraw"
    assert (await client.post(url, headers=other.headers)).status_code == 404
    r = await client.post(url, headers=pro.headers)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert (await client.post(url, headers=pro.headers)).status_code == 409
    await apply(client, pro, project["id"])


async def test_accept_creates_job_and_rejects_others(client: httpx.AsyncClient, people) -> None:  # type: ignore[no-untyped-def]
    owner, pro, other = people
    project = await post_project(client, owner)
    winner = await apply(client, pro, project["id"])
    loser = await apply(client, other, project["id"])
    proposals = (
        await client.get(f"{API}/projects/{project['id']}/proposals", headers=owner.headers)
    ).json()["items"]
    assert [p["id"] for p in proposals] == [winner["id"], loser["id"]]  # in arrival order
    assert (
        await client.get(f"{API}/projects/{project['id']}/proposals", headers=pro.headers)
    ).status_code == 403
    assert (
        await client.post(f"{API}/proposals/{winner['id']}/accept", headers=pro.headers)
    ).status_code == 404
    r = await client.post(f"{API}/proposals/{winner['id']}/accept", headers=owner.headers)
    assert r.status_code == 200, r.text
    job_id = r.json()["job_id"]
    job = (await client.get(f"{API}/jobs/{job_id}", headers=pro.headers)).json()
    assert job["status"] == "not_started" and job["agreed_price"] == "45000.00"
    project_now = (
        await client.get(f"{API}/projects/{project['id']}", headers=owner.headers)
    ).json()
    assert project_now["status"] == "in_progress"
    # The matched professional still sees the project; the other one does not.
    assert (
        await client.get(f"{API}/projects/{project['id']}", headers=pro.headers)
    ).status_code == 200
    assert (
        await client.get(f"{API}/projects/{project['id']}", headers=other.headers)
    ).status_code == 404
    mine = (await client.get(f"{API}/proposals/mine", headers=other.headers)).json()["items"]
    assert mine[0]["status"] == "rejected"
    r = await client.post(f"{API}/proposals/{loser['id']}/accept", headers=owner.headers)
    assert r.status_code == 409
    notes = (await client.get(f"{API}/notifications", headers=pro.headers)).json()["items"]
    assert "proposal_accepted" in {n["type"] for n in notes}


async def test_reject_proposal(client: httpx.AsyncClient, people) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _ = people
    project = await post_project(client, owner)
    proposal = await apply(client, pro, project["id"])
    r = await client.post(f"{API}/proposals/{proposal['id']}/reject", headers=owner.headers)
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert (
        await client.post(f"{API}/proposals/{proposal['id']}/accept", headers=owner.headers)
    ).status_code == 409


async def test_proposal_list_has_no_contact_data(client: httpx.AsyncClient, people) -> None:  # type: ignore[no-untyped-def]
    owner, pro, _ = people
    project = await post_project(client, owner)
    await apply(client, pro, project["id"])
    r = await client.get(f"{API}/projects/{project['id']}/proposals", headers=owner.headers)
    for leak in (pro.email, "455-1234", "4551234", "phone", "dni"):  # not "455": ids are hex
        assert leak not in r.text


async def test_deadline_must_be_future_on_update(client: httpx.AsyncClient, people) -> None:  # type: ignore[no-untyped-def]
    owner, _, _ = people
    project = await post_project(client, owner)
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    r = await client.patch(
        f"{API}/projects/{project['id']}", json={"deadline": past}, headers=owner.headers
    )
    assert r.status_code == 422
