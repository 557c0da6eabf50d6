"""The catalog over HTTP: categories, services, search, views and favorites.

Every test runs twice, on SQLite and on a real PostgreSQL (see the `database_url` fixture).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from fixia.catalog import taxonomy
from fixia.config import Settings
from fixia.platform.pagination import encode_cursor
from tests.factories.accounts import register
from tests.factories.catalog import (
    LIMPIEZA,
    OFICIOS,
    PLOMERIA,
    DbExec,
    create_service,
    raw_cursor,
    search_ids,
    service_body,
    set_active,
    set_profile,
    sql_update,
    walk_pages,
)
from tests.factories.catalog import expect_problem as problem
from tests.factories.catalog import professional as pro

API = "/api/v1"
ELECTRICIDAD = str(taxonomy.subcategory_id("oficios-y-reparaciones", "electricidad"))
HOGAR = str(taxonomy.subcategory_id("limpieza", "limpieza-de-hogar"))
LIMPIEZA_BODY = {
    "category_id": LIMPIEZA, "subcategory_id": HOGAR, "title": "Limpieza profunda de casas",
    "description": "Limpieza completa de casas y departamentos, por hora o por jornada.",
    "tags": ["limpieza"], "price": "5000",
}  # fmt: skip


async def counts(client: httpx.AsyncClient) -> dict[str, int]:
    r = await client.get(f"{API}/categories")
    return {c["slug"]: c["service_count"] for c in r.json()}


async def test_categories_with_subcategories_and_visible_counts(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    r = await client.get(f"{API}/categories")
    assert r.status_code == 200 and len(r.json()) == 14
    for cat, (name, icon, popular, subs) in zip(r.json(), taxonomy.CATEGORIES, strict=True):
        assert (cat["name"], cat["icon"], cat["popular"]) == (name, icon, popular)
        assert [s["name"] for s in cat["subcategories"]] == subs
        assert cat["service_count"] == 0 and cat["slug"] == taxonomy.slugify(name)
    owner = await pro(client, outbox)
    first = await create_service(client, owner)
    await create_service(client, owner)
    await create_service(client, owner, **LIMPIEZA_BODY)
    hidden, deleted = await create_service(client, owner), await create_service(client, owner)
    assert (await set_active(client, owner, hidden["id"], False)).status_code == 200
    r = await client.delete(f"{API}/services/{deleted['id']}", headers=owner.headers)
    assert r.status_code == 204
    nonzero = {slug: n for slug, n in (await counts(client)).items() if n}
    assert nonzero == {"oficios-y-reparaciones": 2, "limpieza": 1}
    await client.delete(f"{API}/services/{first['id']}", headers=owner.headers)
    assert (await counts(client))["oficios-y-reparaciones"] == 1


async def test_create_service_happy_path_and_boundaries(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner = await pro(client, outbox, name="Juan Pérez", location="Trelew, Chubut")
    svc = await create_service(client, owner, tags=["Plomero", "gas", "plomero"])
    assert (svc["title"], svc["subcategory_id"]) == ("Plomero matriculado en Trelew", PLOMERIA)
    assert (svc["price"], svc["currency"], svc["tags"]) == ("15000.00", "ARS", ["plomero", "gas"])
    assert svc["category"] == {"id": OFICIOS, "name": "Oficios y Reparaciones",
                               "slug": "oficios-y-reparaciones"}  # fmt: skip
    assert (svc["active"], svc["featured"], svc["view_count"]) == (True, False, 0)
    assert svc["professional"] == {
        "id": owner.id, "name": "Juan Pérez", "location": "Trelew, Chubut", "verified": False,
        "level": "Nuevo", "rating": "0.00", "review_count": 0, "avatar_url": None}  # fmt: skip
    minimal = {"category_id": LIMPIEZA, "title": f"  {'a' * 10}  ", "description": "d" * 50,
               "price": 100}  # fmt: skip
    low = (await client.post(f"{API}/services", json=minimal, headers=owner.headers)).json()
    assert (low["title"], low["price"], low["subcategory_id"]) == ("a" * 10, "100.00", None)
    assert (low["delivery_time_days"], low["revisions_included"], low["tags"]) == (7, 0, [])
    high = await create_service(
        client, owner, title="t" * 100, description="d" * 2000, price="1000000",
        delivery_time_days=365, revisions_included=10, tags=[f"tag{i}" for i in range(10)],
        main_image_url="https://cdn.fixia.com.ar/a.jpg")  # fmt: skip
    assert (high["price"], high["delivery_time_days"], len(high["tags"])) == ("1000000.00", 365, 10)
    r = await client.get(f"{API}/services/{svc['id']}")
    assert r.status_code == 200 and r.json() == svc


# field -> values that must each be refused with a 422 naming that field
INVALID: dict[str, list[Any]] = {
    "title": ["Plomero 9", "t" * 101, "   Plomero    ", 1234567890123, None],
    "description": ["d" * 49, "d" * 2001],
    "price": ["99.99", "1000000.01", -5, "100.001", "abc", [100], 10**40, "1e400", "NaN", "-Inf"],
    "delivery_time_days": [0, 366, 10**40, 1.5, "one"],
    "revisions_included": [-1, 11],
    "tags": [[f"tag{i}" for i in range(11)], ["a"], ["<script>"], "plomero"],
    "main_image_url": ["http://insecure.example/a.jpg", "javascript:alert(1)"],
    "category_id": [str(uuid.uuid4()), "oficios", 7],
    "subcategory_id": [str(uuid.uuid4()), HOGAR],
    # Unknown fields are refused, never ignored: no mass assignment.
    "featured": [True], "active": [False], "view_count": [1000], "professional_id": [OFICIOS],
}  # fmt: skip


async def test_create_service_rejects_every_invalid_field(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner = await pro(client, outbox)
    cases = [({field: v}, field) for field, values in INVALID.items() for v in values]
    cases.append(({"category_id": LIMPIEZA}, "subcategory_id"))  # plomería is not in limpieza
    for overrides, field in cases:
        body = service_body(**overrides)
        r = await client.post(f"{API}/services", json=body, headers=owner.headers)
        fields = [e["field"] for e in problem(r, 422, "validation_error")["errors"]]
        assert any(f == field or f.startswith(f"{field}.") for f in fields), (overrides, fields)
    untitled = {k: v for k, v in service_body().items() if k != "title"}
    bad_bodies: list[object] = [untitled, [], "x", None]
    for bad in bad_bodies:
        r = await client.post(f"{API}/services", json=bad, headers=owner.headers)
        problem(r, 422, "validation_error")
    assert (await client.get(f"{API}/services/mine", headers=owner.headers)).json()["items"] == []


async def test_only_professionals_create_services(client: httpx.AsyncClient, outbox: Path) -> None:
    customer = await register(client, outbox)
    r = await client.post(f"{API}/services", json=service_body(), headers=customer.headers)
    problem(r, 403, "role_required")
    r = await client.post(f"{API}/services", json=service_body())
    assert problem(r, 401, "invalid_token") and r.headers["www-authenticate"] == "Bearer"
    bogus = {"Authorization": "Bearer not-a-token"}
    r = await client.post(f"{API}/services", json=service_body(), headers=bogus)
    problem(r, 401, "invalid_token")
    assert await search_ids(client) == []


async def test_free_plan_allows_five_active_services(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner = await pro(client, outbox)
    ids = [(await create_service(client, owner))["id"] for _ in range(5)]
    r = await client.post(f"{API}/services", json=service_body(), headers=owner.headers)
    body = problem(r, 403, "active_services_limit")
    assert (body["allowed"], body["current"]) == (5, 5)
    assert (await set_active(client, owner, ids[0], False)).json()["active"] is False
    sixth = await create_service(client, owner)
    problem(await set_active(client, owner, ids[0], True), 403, "active_services_limit")
    assert (await set_active(client, owner, sixth["id"], True)).status_code == 200  # no change
    await client.delete(f"{API}/services/{ids[1]}", headers=owner.headers)
    assert (await set_active(client, owner, ids[0], True)).json()["active"] is True
    mine = (await client.get(f"{API}/services/mine", headers=owner.headers)).json()["items"]
    assert len(mine) == 5 and all(s["active"] for s in mine)


async def test_text_search(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await pro(client, outbox)
    plumber = (await create_service(client, owner))["id"]
    cleaner = (await create_service(client, owner, **LIMPIEZA_BODY))["id"]
    for q in ("plomero", "PLOMERO", "plom", "cañerías", "termotanques trelew", 'plomero* -":^'):
        assert await search_ids(client, q=q) == [plumber], q
    assert await search_ids(client, q="limpieza") == [cleaner]
    # No listing has both: the search relaxes to either, and says so.
    r = await client.get(f"{API}/services", params={"q": "plomero limpieza"})
    assert {i["id"] for i in r.json()["items"]} == {plumber, cleaner}
    assert r.json()["search"]["relaxed"] == ["any_term"]
    assert set(await search_ids(client, q="*** ")) == {plumber, cleaner}
    hostile = ["_", "__init__", "'", "\\", '":*', "a|b&c", "!!(", "NEAR(x", "ñandú", "x" * 100]
    for q in [*hostile, " ".join(f"w{i}" for i in range(20))]:
        r = await client.get(f"{API}/services", params={"q": q})
        assert r.status_code == 200, (q, r.text)
    problem(await client.get(f"{API}/services", params={"q": "x" * 101}), 422, "validation_error")


async def test_search_filters(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec, settings: Settings
) -> None:
    trelew = await pro(client, outbox, location="Trelew, Chubut")
    madryn = await pro(client, outbox, location="Puerto Madryn, Chubut")
    plumber = (await create_service(client, trelew, price="15000"))["id"]
    electric = await create_service(client, trelew, subcategory_id=ELECTRICIDAD, price="30000")
    cleaner = (await create_service(client, madryn, **LIMPIEZA_BODY))["id"]
    electric = electric["id"]
    await sql_update(db_exec, settings, "users", "id", madryn.id, verified=True)
    await set_profile(db_exec, settings, madryn.id, rating=Decimal("4.8"), level="TopRatedPlus")
    await set_profile(db_exec, settings, trelew.id, rating=Decimal("4.2"))
    await sql_update(db_exec, settings, "services", "id", electric, featured=True)
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"category": "oficios-y-reparaciones"}, {plumber, electric}),
        ({"category": OFICIOS}, {plumber, electric}), ({"category": "LIMPIEZA"}, {cleaner}),
        ({"category": "no-such-category"}, set()), ({"category": str(uuid.uuid4())}, set()),
        ({"subcategory": "plomeria"}, {plumber}), ({"subcategory": ELECTRICIDAD}, {electric}),
        ({"location": "madryn"}, {cleaner}), ({"location": "PUERTO MADRYN"}, {cleaner}),
        ({"location": "chubut"}, {plumber, electric, cleaner}),
        ({"location": "%"}, set()), ({"location": "_"}, set()),
        ({"min_price": "15000"}, {plumber, electric}), ({"max_price": "15000"}, {plumber, cleaner}),
        ({"min_price": "10000", "max_price": "20000"}, {plumber}),
        ({"min_rating": "4.5"}, {cleaner}), ({"min_rating": "4.2"}, {plumber, electric, cleaner}),
        ({"level": "TopRatedPlus"}, {cleaner}), ({"level": "Nuevo"}, {plumber, electric}),
        ({"verified": True}, {cleaner}), ({"verified": False}, {plumber, electric}),
        ({"featured": True}, {electric}), ({"featured": False}, {plumber, cleaner}),
        ({"q": "plomero", "location": "trelew", "max_price": "20000"}, {plumber}),
    ]  # fmt: skip
    for params, expected in cases:
        assert set(await search_ids(client, **params)) == expected, params
    invalid = [{"min_price": "20000", "max_price": "10000"}, {"min_rating": "5.1"},
               {"level": "Experto"}, {"sort": "cheapest"}, {"min_price": "-1"},
               {"max_price": "1e400"}, {"min_price": "NaN"}, {"verified": "maybe"}]  # fmt: skip
    for params in invalid:
        problem(await client.get(f"{API}/services", params=params), 422, "validation_error")


async def test_every_sort_order(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec, settings: Settings
) -> None:
    ids = []  # created in this order, by three professionals: newest is the last
    for price, rating, reviews, views in (("20000", "4.00", 50, 1), ("5000", "4.90", 3, 0),
                                          ("12000", "3.00", 20, 5)):  # fmt: skip
        owner = await pro(client, outbox)
        ids.append((await create_service(client, owner, price=price))["id"])
        await set_profile(db_exec, settings, owner.id, rating=Decimal(rating), review_count=reviews)
        await sql_update(db_exec, settings, "services", "id", ids[-1], view_count=views)
    s1, s2, s3 = ids
    expected = {"relevance": [s3, s2, s1], "newest": [s3, s2, s1], "price_asc": [s2, s3, s1],
                "price_desc": [s1, s3, s2], "rating": [s2, s1, s3], "reviews": [s1, s3, s2],
                "popular": [s3, s1, s2]}  # fmt: skip
    for sort, order in expected.items():
        assert await search_ids(client, sort=sort) == order, sort
    assert await search_ids(client) == [s3, s2, s1]
    r = await client.get(f"{API}/services", params={"sort": "rating"})
    assert [i["professional"]["rating"] for i in r.json()["items"]] == ["4.90", "4.00", "3.00"]


async def test_relevance_ranks_the_better_match_first(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner = await pro(client, outbox)
    bodies: list[dict[str, Any]] = [
        {"title": "Gasista matriculado, gasista de guardia", "tags": ["gasista", "gas"],
         "description": "Gasista para estufas, calefones y cocinas: el gasista que buscás."},
        {"title": "Arreglos generales en el hogar",
         "description": "Arreglos de todo tipo en casas y comercios; conozco un gasista."},
    ]  # fmt: skip
    strong, weak = [await create_service(client, owner, **body) for body in bodies]
    await create_service(client, owner, **LIMPIEZA_BODY)
    assert await search_ids(client, q="gasista") == [strong["id"], weak["id"]]
    assert await search_ids(client, q="gasista", sort="newest") == [weak["id"], strong["id"]]


async def test_cursor_pagination_walks_every_page(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec, settings: Settings
) -> None:
    owner, other = await pro(client, outbox), await pro(client, outbox)
    await sql_update(db_exec, settings, "users", "id", owner.id, plan="professional")
    await set_profile(db_exec, settings, other.id, rating=Decimal("4.5"), review_count=7)
    created = []
    for i, price in enumerate(("9000", "9000", "12000", "9000", "15000", "12000", "30000")):
        body = {"title": f"Plomero de guardia número {i}", "price": price}
        created.append((await create_service(client, owner, **body))["id"])
        await sql_update(db_exec, settings, "services", "id", created[-1], view_count=i % 3)
    created += [(await create_service(client, other, price="9000"))["id"] for _ in range(2)]
    for sort in ("relevance", "newest", "price_asc", "price_desc", "rating", "reviews", "popular"):
        for params in ({"sort": sort}, {"sort": sort, "q": "plomero"}):
            full = await search_ids(client, **params, limit=100)
            assert sorted(full) == sorted(created), params
            for limit in (1, 2, 4):
                assert await walk_pages(client, {**params, "limit": limit}) == full, (params, limit)
    cheap = await walk_pages(client, {"sort": "price_asc", "limit": 2, "max_price": "9000"})
    assert len(cheap) == len(set(cheap)) == 5


async def test_bad_pagination_input_is_422(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await pro(client, outbox)
    for _ in range(3):
        await create_service(client, owner)
    r = await client.get(f"{API}/services", params={"sort": "price_asc", "limit": 1})
    by_price, sid = r.json()["next_cursor"], str(uuid.uuid4())
    assert by_price
    forged = [
        "not a cursor!", "e30", "x" * 501, encode_cursor(["abc", sid]),
        encode_cursor([Decimal(1), "not-a-uuid"]), encode_cursor([Decimal("NaN"), uuid.UUID(sid)]),
        encode_cursor([None, uuid.UUID(sid)]), raw_cursor([["d", "abc"], ["u", sid]]),
        raw_cursor([["d", "1"], ["u", 1]]), raw_cursor({"d": 1, "u": 2}),
    ]  # fmt: skip
    bad: list[dict[str, Any]] = [{"limit": 101}, {"limit": 0}, {"limit": "ten"}]
    bad += [{"sort": "price_asc", "cursor": c} for c in forged]
    bad += [{"sort": s, "cursor": by_price} for s in ("rating", "newest", "popular", "relevance")]
    naive = raw_cursor([["t", "2024-01-01T00:00:00"], ["u", sid]])
    bad += [{"sort": "newest", "cursor": c} for c in (naive, encode_cursor([1.5, sid]))]
    for params in bad:
        problem(await client.get(f"{API}/services", params=params), 422, "validation_error")
    r = await client.get(f"{API}/services", params={"sort": "price_asc", "cursor": by_price})
    assert r.status_code == 200 and len(r.json()["items"]) == 2


async def test_hidden_services_are_not_listed(client: httpx.AsyncClient, outbox: Path) -> None:
    owner, leaving = await pro(client, outbox), await pro(client, outbox)
    shown = (await create_service(client, owner))["id"]
    inactive = (await create_service(client, owner))["id"]
    deleted = (await create_service(client, owner))["id"]
    orphan = (await create_service(client, leaving))["id"]
    assert len(await search_ids(client)) == 4
    await set_active(client, owner, inactive, False)
    await client.delete(f"{API}/services/{deleted}", headers=owner.headers)
    assert (await client.delete(f"{API}/me", headers=leaving.headers)).status_code == 204
    for params in ({}, {"q": "plomero"}, {"sort": "price_asc"}, {"category": OFICIOS}):
        assert await search_ids(client, **params) == [shown], params
    for sid in (inactive, deleted, orphan):
        problem(await client.get(f"{API}/services/{sid}"), 404, "service_not_found")
    assert (await counts(client))["oficios-y-reparaciones"] == 1


async def test_detail_never_reveals_contact_data(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await pro(client, outbox, dni="31987654", phone="+54 9 2965 77-8899")
    sid = (await create_service(client, owner))["id"]
    viewer = await register(client, outbox)
    await client.put(f"{API}/me/favorites/services/{sid}", headers=viewer.headers)
    responses = [await client.get(f"{API}/services/{sid}"),
                 await client.get(f"{API}/services/{sid}", headers=viewer.headers),
                 await client.get(f"{API}/services", params={"q": "plomero"}),
                 await client.get(f"{API}/me/favorites", headers=viewer.headers)]  # fmt: skip
    for r in responses:
        assert r.status_code == 200 and sid in r.text
        for secret in (owner.email, "31987654", "2965", "778899", "8899", "phone", "dni", "email"):
            assert secret not in r.text.lower(), (secret, r.text)


async def test_detail_visibility(client: httpx.AsyncClient, outbox: Path) -> None:
    owner, rival = await pro(client, outbox), await pro(client, outbox)
    sid = (await create_service(client, owner))["id"]
    await set_active(client, owner, sid, False)
    for headers in ({}, rival.headers):
        r = await client.get(f"{API}/services/{sid}", headers=headers)
        problem(r, 404, "service_not_found")
    r = await client.get(f"{API}/services/{sid}", headers=owner.headers)
    assert r.status_code == 200 and r.json()["active"] is False
    problem(await client.get(f"{API}/services/not-a-uuid"), 422, "validation_error")
    body = problem(await client.get(f"{API}/services/{uuid.uuid4()}"), 404, "service_not_found")
    assert (body["status"], body["title"]) == (404, "Service not found")
    await client.delete(f"{API}/services/{sid}", headers=owner.headers)
    r = await client.get(f"{API}/services/{sid}", headers=owner.headers)
    problem(r, 404, "service_not_found")


async def test_owner_updates_service(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await pro(client, outbox)
    svc = await create_service(client, owner)
    url = f"{API}/services/{svc['id']}"
    patch = {"title": "Electricista con matrícula", "price": "18000.50", "tags": ["Luz", "luz"],
             "subcategory_id": ELECTRICIDAD, "main_image_url": "https://f.ar/x.png"}  # fmt: skip
    r = await client.patch(url, json=patch, headers=owner.headers)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["title"], out["price"], out["tags"]) == (patch["title"], "18000.50", ["luz"])
    assert out["subcategory_id"] == ELECTRICIDAD and out["description"] == svc["description"]
    assert out["updated_at"] > svc["updated_at"] and out["created_at"] == svc["created_at"]
    assert (await client.get(url)).json() == out
    assert await search_ids(client, q="electricista") == [svc["id"]]
    assert await search_ids(client, q="luz") == [svc["id"]]
    # Every word of the old title still describes the kept description (cañerías, matrícula),
    # so only the new words can show that the index followed the update.
    change = {"category_id": LIMPIEZA, "subcategory_id": None, "main_image_url": None}
    r = await client.patch(url, headers=owner.headers, json=change)
    assert r.status_code == 200, r.text
    assert (r.json()["category"]["slug"], r.json()["subcategory_id"]) == ("limpieza", None)
    assert r.json()["main_image_url"] is None


async def test_update_is_for_the_owner_only(client: httpx.AsyncClient, outbox: Path) -> None:
    owner, rival = await pro(client, outbox), await pro(client, outbox)
    customer = await register(client, outbox)
    svc = await create_service(client, owner)
    url, body = f"{API}/services/{svc['id']}", {"title": "Título robado por otro"}
    problem(await client.patch(url, json=body, headers=rival.headers), 403, "not_service_owner")
    problem(await client.patch(url, json=body, headers=customer.headers), 403, "role_required")
    problem(await client.patch(url, json=body), 401, "invalid_token")
    problem(await set_active(client, rival, svc["id"], False), 403, "not_service_owner")
    problem(await client.delete(url, headers=rival.headers), 403, "not_service_owner")
    assert (await client.get(url)).json() == svc
    r = await client.patch(f"{API}/services/{uuid.uuid4()}", json=body, headers=owner.headers)
    problem(r, 404, "service_not_found")


async def test_update_validation(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await pro(client, outbox)
    svc = await create_service(client, owner)
    url = f"{API}/services/{svc['id']}"
    required = ("title", "description", "price", "category_id", "tags", "delivery_time_days",
                "revisions_included")  # fmt: skip
    bad: list[tuple[dict[str, Any], str]] = [({field: None}, field) for field in required]
    bad += [({"featured": True}, "featured"), ({"view_count": 9}, "view_count"),
            ({"active": False}, "active"), ({"title": "Corto"}, "title"), ({"price": 99}, "price"),
            ({"category_id": LIMPIEZA}, "subcategory_id"), ({"price": 10**40}, "price"),
            ({"subcategory_id": HOGAR}, "subcategory_id")]  # fmt: skip
    for body, field in bad:
        r = await client.patch(url, json=body, headers=owner.headers)
        errors = problem(r, 422, "validation_error")["errors"]
        assert field in [e["field"] for e in errors], (body, r.text)
    assert (await client.get(url)).json() == svc


async def test_activate_delete_and_mine(client: httpx.AsyncClient, outbox: Path) -> None:
    owner, rival = await pro(client, outbox), await pro(client, outbox)
    customer = await register(client, outbox)
    first = (await create_service(client, owner))["id"]
    second = (await create_service(client, owner, **LIMPIEZA_BODY))["id"]
    await create_service(client, rival)

    async def mine() -> list[tuple[str, bool]]:
        r = await client.get(f"{API}/services/mine", headers=owner.headers)
        return [(s["id"], s["active"]) for s in r.json()["items"]]

    assert await mine() == [(second, True), (first, True)]
    r = await set_active(client, owner, first, False)
    assert r.status_code == 200 and r.json()["active"] is False
    assert await mine() == [(second, True), (first, False)]
    assert (await set_active(client, owner, first, True)).json()["active"] is True
    for body in ({"active": "sometimes"}, {}, {"active": True, "featured": True}):
        r = await client.put(f"{API}/services/{first}/active", json=body, headers=owner.headers)
        problem(r, 422, "validation_error")
    r = await client.delete(f"{API}/services/{first}", headers=owner.headers)
    assert r.status_code == 204 and r.content == b""
    assert await mine() == [(second, True)]
    r = await client.delete(f"{API}/services/{first}", headers=owner.headers)
    problem(r, 404, "service_not_found")
    problem(await set_active(client, owner, first, True), 404, "service_not_found")
    r = await client.get(f"{API}/services/mine", headers=customer.headers)
    problem(r, 403, "role_required")
    problem(await client.get(f"{API}/services/mine"), 401, "invalid_token")
    problem(await client.delete(f"{API}/services/{second}"), 401, "invalid_token")


async def test_views_count_everyone_but_the_owner(client: httpx.AsyncClient, outbox: Path) -> None:
    owner, rival = await pro(client, outbox), await pro(client, outbox)
    customer = await register(client, outbox)
    sid = (await create_service(client, owner))["id"]
    url = f"{API}/services/{sid}/views"
    viewers: list[dict[str, str]] = [{}, customer.headers, owner.headers, rival.headers, {}]
    seen = [(await client.post(url, headers=h)).json()["view_count"] for h in viewers]
    # The second anonymous view comes from the same address and browser: once a day.
    assert seen == [1, 2, 2, 3, 3]
    assert (await client.get(f"{API}/services/{sid}")).json()["view_count"] == 3
    problem(await client.post(f"{API}/services/{uuid.uuid4()}/views"), 404, "service_not_found")
    await set_active(client, owner, sid, False)
    problem(await client.post(url), 404, "service_not_found")
    assert (await client.post(url, headers=owner.headers)).json() == {"view_count": 3}


async def test_favorite_services(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await pro(client, outbox)
    customer = await register(client, outbox)
    sid = (await create_service(client, owner))["id"]
    url, favorites = f"{API}/me/favorites/services/{sid}", f"{API}/me/favorites"
    r = await client.put(url, headers=customer.headers)
    assert r.status_code == 201 and r.json()["service"]["id"] == sid
    problem(await client.put(url, headers=customer.headers), 409, "already_favorite")
    favs = (await client.get(favorites, headers=customer.headers)).json()["items"]
    assert [(f["id"], f["service"]["id"]) for f in favs] == [(r.json()["id"], sid)]
    assert (await client.get(favorites, headers=owner.headers)).json()["items"] == []
    assert (await client.delete(url, headers=customer.headers)).status_code == 204
    problem(await client.delete(url, headers=customer.headers), 404, "favorite_not_found")
    assert (await client.get(favorites, headers=customer.headers)).json()["items"] == []
    missing = f"{API}/me/favorites/services/{uuid.uuid4()}"
    problem(await client.put(missing, headers=customer.headers), 404, "service_not_found")
    for method, target in (("PUT", url), ("DELETE", url), ("GET", favorites)):
        problem(await client.request(method, target), 401, "invalid_token")


async def test_favorite_professionals(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await pro(client, outbox, name="Marta Gómez")
    customer, other_client = await register(client, outbox), await register(client, outbox)
    sid = (await create_service(client, owner))["id"]
    url = f"{API}/me/favorites/professionals/{owner.id}"
    r = await client.put(url, headers=customer.headers)
    assert r.status_code == 201, r.text
    assert (r.json()["professional_id"], r.json()["professional_name"]) == (owner.id, "Marta Gómez")
    problem(await client.put(url, headers=customer.headers), 409, "already_favorite")
    await client.put(f"{API}/me/favorites/services/{sid}", headers=customer.headers)
    favs = (await client.get(f"{API}/me/favorites", headers=customer.headers)).json()["items"]
    pairs = [((f["service"] or {}).get("id"), f["professional_id"]) for f in favs]
    assert pairs == [(sid, None), (None, owner.id)]  # newest first
    for target in (other_client.id, str(uuid.uuid4())):
        r = await client.put(f"{API}/me/favorites/professionals/{target}", headers=customer.headers)
        problem(r, 404, "user_not_found")
    problem(await client.put(url), 401, "invalid_token")
    assert (await client.delete(url, headers=customer.headers)).status_code == 204
    problem(await client.delete(url, headers=customer.headers), 404, "favorite_not_found")
    assert (await client.delete(f"{API}/me", headers=owner.headers)).status_code == 204
    problem(await client.put(url, headers=customer.headers), 404, "user_not_found")
