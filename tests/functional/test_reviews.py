"""Reviews after a confirmed job: both directions, averages, edit rules, listings, flags."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from fixia import events
from fixia.config import Settings
from tests.factories.accounts import Account, register
from tests.factories.admin import ADMIN_API, admin
from tests.factories.catalog import DbExec, expect_problem, sql_value
from tests.factories.projects import API, completed_job, job_between
from tests.factories.reviews import post_review, review_body, write_review

Trio = tuple[Account, Account, Account]


@pytest.fixture
async def trio(client: httpx.AsyncClient, outbox: Path) -> Trio:
    owner = await register(client, outbox, role="client")
    pro = await register(client, outbox, role="professional")
    stranger = await register(client, outbox, role="client")
    return owner, pro, stranger


async def pro_standing(client: httpx.AsyncClient, pro: Account) -> tuple[str, int]:
    r = await client.get(f"{API}/professionals/{pro.id}")
    assert r.status_code == 200, r.text
    profile = r.json()["profile"]
    return profile["rating"], profile["review_count"]


async def client_standing(
    db_exec: DbExec, settings: Settings, user: Account
) -> tuple[Decimal, int]:
    rows = await db_exec(
        "SELECT client_rating, client_review_count FROM users WHERE id = :id",
        id=sql_value(settings, uuid.UUID(user.id)),
    )
    rating, count = rows[0]
    # SQLite keeps money-like decimals as integer hundredths.
    value = Decimal(int(str(rating))) / 100 if settings.is_sqlite else Decimal(str(rating))
    return value.quantize(Decimal("0.01")), int(str(count))


async def set_review_age(
    db_exec: DbExec, settings: Settings, review_id: str, age: timedelta
) -> None:
    await db_exec(
        "UPDATE reviews SET created_at = :t WHERE id = :id",
        t=datetime.now(UTC) - age,
        id=sql_value(settings, uuid.UUID(review_id)),
    )


@pytest.mark.inprocess  # watches in-process domain events
async def test_both_parties_review_each_other(
    client: httpx.AsyncClient, trio: Trio, db_exec: DbExec, settings: Settings
) -> None:
    owner, pro, _ = trio
    job = (await completed_job(client, owner, pro))["job_id"]
    assert await pro_standing(client, pro) == ("0.00", 0)  # cached until the review lands
    seen: list[events.DomainEvent] = []
    unsubscribe = events.subscribe("review.created", seen.append)
    try:
        about_pro = await write_review(client, owner, job, rating=4)
        about_client = await write_review(client, pro, job, rating=3, comment=None, quality=None)
    finally:
        unsubscribe()
    assert about_pro["reviewed_id"] == pro.id and about_pro["reviewed_role"] == "professional"
    assert about_pro["reviewer"] == {"id": owner.id, "name": owner.data["name"]}
    assert about_pro["rating"] == 4 and about_pro["quality"] == 4 and not about_pro["hidden"]
    assert about_client["reviewed_id"] == owner.id and about_client["reviewed_role"] == "client"
    assert about_client["comment"] is None and about_client["quality"] is None
    assert await pro_standing(client, pro) == ("4.00", 1)
    assert await client_standing(db_exec, settings, owner) == (Decimal("3.00"), 1)
    assert [e.data["review_id"] for e in seen] == [about_pro["id"], about_client["id"]]
    for reviewed in (pro, owner):
        r = await client.get(f"{API}/notifications", headers=reviewed.headers)
        assert "review_received" in [n["type"] for n in r.json()["items"]]


async def test_averages_for_both_roles_are_rounded_to_cents(
    client: httpx.AsyncClient, outbox: Path, trio: Trio, db_exec: DbExec, settings: Settings
) -> None:
    owner, pro, _ = trio
    pro2 = await register(client, outbox, role="professional")
    others = [await register(client, outbox) for _ in range(2)]
    # The professional gets 5, 4 and 4 (4.333…); the client gets 5 and 2 (3.5).
    for author, rating in ((owner, 5), (others[0], 4), (others[1], 4)):
        job = (await completed_job(client, author, pro))["job_id"]
        await write_review(client, author, job, rating=rating)
        if author is owner:
            await write_review(client, pro, job, rating=5)
    job = (await completed_job(client, owner, pro2))["job_id"]
    await write_review(client, pro2, job, rating=2)
    assert await pro_standing(client, pro) == ("4.33", 3)
    assert await client_standing(db_exec, settings, owner) == (Decimal("3.50"), 2)
    assert await pro_standing(client, pro2) == ("0.00", 0)


async def test_public_list_is_newest_first_paginated_and_filtered(
    client: httpx.AsyncClient, outbox: Path, trio: Trio
) -> None:
    owner, pro, stranger = trio
    ids = []
    for author in (owner, stranger, await register(client, outbox)):
        job = (await completed_job(client, author, pro))["job_id"]
        ids.append((await write_review(client, author, job))["id"])
        if author is owner:
            await write_review(client, pro, job, rating=2)
    url = f"{API}/users/{pro.id}/reviews"
    first = (await client.get(url, params={"limit": 2})).json()
    assert [i["id"] for i in first["items"]] == ids[::-1][:2]
    second = (await client.get(url, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [i["id"] for i in second["items"]] == [ids[0]] and second["next_cursor"] is None
    received = (await client.get(f"{API}/users/{owner.id}/reviews")).json()["items"]
    assert [(i["reviewed_role"], i["rating"]) for i in received] == [("client", 2)]
    as_pro = await client.get(f"{API}/users/{owner.id}/reviews", params={"role": "professional"})
    assert as_pro.json()["items"] == []
    assert (await client.get(url, params={"role": "admin"})).status_code == 422
    assert (await client.get(url, params={"limit": 0})).status_code == 422
    expect_problem(await client.get(url, params={"cursor": "nonsense!"}), 422, "validation_error")
    expect_problem(await client.get(f"{API}/users/{uuid.uuid4()}/reviews"), 404, "user_not_found")


async def test_review_validation(client: httpx.AsyncClient, trio: Trio) -> None:
    owner, pro, _ = trio
    job = (await completed_job(client, owner, pro))["job_id"]
    invalid: list[tuple[dict[str, Any], str]] = [
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": 4.5}, "rating"),
        ({"rating": "4"}, "rating"),
        ({"rating": None}, "rating"),
        ({"communication": 0}, "communication"),
        ({"quality": 6}, "quality"),
        ({"professionalism": 9}, "professionalism"),
        ({"timeliness": -1}, "timeliness"),
        ({"comment": "x" * 2001}, "comment"),
        ({"comment": "   "}, "comment"),
        ({"reviewed_id": owner.id}, "reviewed_id"),
    ]
    for override, field in invalid:
        r = await post_review(client, owner, job, **override)
        assert r.status_code == 422, (override, r.text)
        assert any(e["field"] == field for e in r.json()["errors"]), (override, r.json())
    missing = await client.post(
        f"{API}/jobs/{job}/reviews", json={"comment": "Excelente"}, headers=owner.headers
    )
    assert missing.status_code == 422
    review = await write_review(client, owner, job, comment="y" * 2000, communication=None)
    assert len(review["comment"]) == 2000 and review["communication"] is None


async def test_who_may_review_and_when(client: httpx.AsyncClient, trio: Trio) -> None:
    owner, pro, stranger = trio
    accepted = await job_between(client, owner, pro)
    job = accepted["job_id"]
    expect_problem(await post_review(client, owner, job), 409, "job_not_completed")
    await client.post(f"{API}/jobs/{job}/start", headers=pro.headers)
    expect_problem(await post_review(client, pro, job), 409, "job_not_completed")
    for who, step in ((pro, "completion/request"), (owner, "completion/confirm")):
        assert (
            await client.post(f"{API}/jobs/{job}/{step}", headers=who.headers)
        ).status_code == 200
    expect_problem(await post_review(client, stranger, job), 404, "job_not_found")
    r = await client.post(f"{API}/jobs/{job}/reviews", json=review_body())
    expect_problem(r, 401, "invalid_token")
    expect_problem(await post_review(client, owner, str(uuid.uuid4())), 404, "job_not_found")
    await write_review(client, owner, job)
    expect_problem(await post_review(client, owner, job, rating=1), 409, "already_reviewed")
    await write_review(client, pro, job)
    expect_problem(await post_review(client, pro, job), 409, "already_reviewed")


async def test_edit_own_review_until_the_other_party_reviews(
    client: httpx.AsyncClient, trio: Trio
) -> None:
    owner, pro, stranger = trio
    job = (await completed_job(client, owner, pro))["job_id"]
    review = await write_review(client, owner, job, rating=2)
    assert await pro_standing(client, pro) == ("2.00", 1)
    url = f"{API}/reviews/{review['id']}"
    r = await client.patch(
        url,
        json={"rating": 4, "comment": "Al final quedó perfecto.", "timeliness": None},
        headers=owner.headers,
    )
    assert r.status_code == 200, r.text
    edited = r.json()
    assert (edited["rating"], edited["timeliness"], edited["quality"]) == (4, None, 4)
    assert edited["comment"] == "Al final quedó perfecto."
    assert edited["updated_at"] > review["updated_at"]
    assert await pro_standing(client, pro) == ("4.00", 1)
    expect_problem(
        await client.patch(url, json={"rating": 1}, headers=pro.headers), 403, "not_review_author"
    )
    expect_problem(
        await client.patch(url, json={"rating": 1}, headers=stranger.headers),
        403,
        "not_review_author",
    )
    expect_problem(await client.patch(url, json={"rating": 1}), 401, "invalid_token")
    for bad in ({"rating": None}, {"rating": 7}, {"quality": 0}, {"job_id": job}):
        assert (await client.patch(url, json=bad, headers=owner.headers)).status_code == 422
    expect_problem(
        await client.patch(
            f"{API}/reviews/{uuid.uuid4()}", json={"rating": 3}, headers=owner.headers
        ),
        404,
        "review_not_found",
    )
    theirs = await write_review(client, pro, job, rating=5)
    for author, review_id in ((owner, review["id"]), (pro, theirs["id"])):
        r = await client.patch(
            f"{API}/reviews/{review_id}", json={"rating": 1}, headers=author.headers
        )
        expect_problem(r, 409, "other_party_reviewed")
    assert await pro_standing(client, pro) == ("4.00", 1)


async def test_edit_window(
    client: httpx.AsyncClient, trio: Trio, db_exec: DbExec, settings: Settings
) -> None:
    owner, pro, _ = trio
    job = (await completed_job(client, owner, pro))["job_id"]
    review = await write_review(client, owner, job, rating=3)
    url = f"{API}/reviews/{review['id']}"
    await set_review_age(db_exec, settings, review["id"], timedelta(hours=23, minutes=50))
    r = await client.patch(url, json={"rating": 5}, headers=owner.headers)
    assert r.status_code == 200 and r.json()["rating"] == 5
    await set_review_age(db_exec, settings, review["id"], timedelta(hours=24, minutes=1))
    r = await client.patch(url, json={"rating": 1}, headers=owner.headers)
    expect_problem(r, 409, "review_edit_window_closed")
    assert await pro_standing(client, pro) == ("5.00", 1)


async def test_job_reviews_for_parties_only(
    client: httpx.AsyncClient, trio: Trio, outbox: Path, db_exec: DbExec
) -> None:
    owner, pro, stranger = trio
    job = (await completed_job(client, owner, pro))["job_id"]
    url = f"{API}/jobs/{job}/reviews"
    assert (await client.get(url, headers=owner.headers)).json() == []
    mine = await write_review(client, owner, job)
    theirs = await write_review(client, pro, job, rating=2)
    for party in (owner, pro):
        r = await client.get(url, headers=party.headers)
        assert [i["id"] for i in r.json()] == [mine["id"], theirs["id"]]
    expect_problem(await client.get(url, headers=stranger.headers), 404, "job_not_found")
    expect_problem(await client.get(url), 401, "invalid_token")
    # A hidden review stays visible to its author (with the flag) and to nobody else.
    moderator = await admin(client, outbox, db_exec)
    r = await client.post(
        f"{ADMIN_API}/reviews/{theirs['id']}/hide",
        json={"reason": "Lenguaje ofensivo"},
        headers=moderator.headers,
    )
    assert r.status_code == 200, r.text
    assert [i["id"] for i in (await client.get(url, headers=owner.headers)).json()] == [mine["id"]]
    seen_by_author = (await client.get(url, headers=pro.headers)).json()
    assert [(i["id"], i["hidden"]) for i in seen_by_author] == [
        (mine["id"], False),
        (theirs["id"], True),
    ]


async def test_flagging(client: httpx.AsyncClient, trio: Trio) -> None:
    owner, pro, stranger = trio
    job = (await completed_job(client, owner, pro))["job_id"]
    review = await write_review(client, owner, job, rating=1)
    url = f"{API}/reviews/{review['id']}/flags"
    reason = {"reason": "Insultos y datos personales"}
    r = await client.post(url, json=reason, headers=stranger.headers)
    assert r.status_code == 201, r.text
    flag = r.json()
    assert flag["review_id"] == review["id"] and flag["user_id"] == stranger.id
    assert flag["reason"] == reason["reason"] and flag["resolved_at"] is None
    expect_problem(
        await client.post(url, json=reason, headers=stranger.headers), 409, "already_flagged"
    )
    expect_problem(
        await client.post(url, json=reason, headers=owner.headers), 403, "own_review_flag"
    )
    assert (await client.post(url, json=reason, headers=pro.headers)).status_code == 201
    for bad in ({"reason": "mal"}, {"reason": "x" * 1001}, {}, {**reason, "extra": 1}):
        assert (await client.post(url, json=bad, headers=stranger.headers)).status_code == 422
    expect_problem(await client.post(url, json=reason), 401, "invalid_token")
    expect_problem(
        await client.post(
            f"{API}/reviews/{uuid.uuid4()}/flags", json=reason, headers=stranger.headers
        ),
        404,
        "review_not_found",
    )


async def test_hidden_review_leaves_lists_and_averages(
    client: httpx.AsyncClient, outbox: Path, trio: Trio, db_exec: DbExec, settings: Settings
) -> None:
    owner, pro, stranger = trio
    moderator = await admin(client, outbox, db_exec)
    job = (await completed_job(client, owner, pro))["job_id"]
    bad = await write_review(client, owner, job, rating=1)
    about_client = await write_review(client, pro, job, rating=2)
    job2 = (await completed_job(client, stranger, pro))["job_id"]
    good = await write_review(client, stranger, job2, rating=5)
    assert await pro_standing(client, pro) == ("3.00", 2)

    async def moderate(review_id: str, action: str) -> None:
        r = await client.post(
            f"{ADMIN_API}/reviews/{review_id}/{action}",
            json={"reason": "Revisión de moderación"},
            headers=moderator.headers,
        )
        assert r.status_code == 200, r.text

    await moderate(bad["id"], "hide")
    await moderate(about_client["id"], "hide")
    assert await pro_standing(client, pro) == ("5.00", 1)
    assert await client_standing(db_exec, settings, owner) == (Decimal("0.00"), 0)
    public = (await client.get(f"{API}/users/{pro.id}/reviews")).json()["items"]
    assert [i["id"] for i in public] == [good["id"]]
    assert (await client.get(f"{API}/users/{owner.id}/reviews")).json()["items"] == []
    expect_problem(
        await client.post(
            f"{API}/reviews/{bad['id']}/flags",
            json={"reason": "Sigue siendo ofensiva"},
            headers=stranger.headers,
        ),
        404,
        "review_not_found",
    )
    expect_problem(
        await client.patch(f"{API}/reviews/{bad['id']}", json={"rating": 2}, headers=owner.headers),
        404,
        "review_not_found",
    )
    await moderate(bad["id"], "restore")
    await moderate(about_client["id"], "restore")
    assert await pro_standing(client, pro) == ("3.00", 2)
    assert await client_standing(db_exec, settings, owner) == (Decimal("2.00"), 1)
    public = (await client.get(f"{API}/users/{pro.id}/reviews")).json()["items"]
    assert {i["id"] for i in public} == {good["id"], bad["id"]}


async def test_concurrent_reviews_keep_the_average_exact(
    client: httpx.AsyncClient, outbox: Path, trio: Trio, settings: Settings
) -> None:
    _, pro, _ = trio
    authors = [await register(client, outbox) for _ in range(3)]
    jobs = [(await completed_job(client, author, pro))["job_id"] for author in authors]
    ratings = [5, 4, 2]
    responses = await asyncio.gather(
        *[
            post_review(client, a, j, rating=n)
            for a, j, n in zip(authors, jobs, ratings, strict=True)
        ]
    )
    # PostgreSQL serialises on the profile row lock; SQLite may refuse a concurrent writer.
    allowed = {201} if not settings.is_sqlite else {201, 503}
    assert {r.status_code for r in responses} <= allowed, [r.text for r in responses]
    saved = [r.json()["rating"] for r in responses if r.status_code == 201]
    expected = (Decimal(sum(saved)) / len(saved)).quantize(Decimal("0.01"))
    assert await pro_standing(client, pro) == (str(expected), len(saved))
