"""The catalog over HTTP: categories, services, search, views and favorites.

Every test runs twice, on SQLite and on a real PostgreSQL (see the `database_url` fixture).
"""

from __future__ import annotations

import base64
import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from fixia.catalog import taxonomy
from fixia.config import Settings
from fixia.platform.pagination import encode_cursor
from tests.factories.accounts import Account, register
from tests.factories.catalog import (
    LIMPIEZA,
    OFICIOS,
    PLOMERIA,
    DbExec,
    create_service,
    search_ids,
    service_body,
    set_active,
    sql_update,
)

API = "/api/v1"
ELECTRICIDAD = str(taxonomy.subcategory_id("oficios-y-reparaciones", "electricidad"))
HOGAR = str(taxonomy.subcategory_id("limpieza", "limpieza-de-hogar"))
LIMPIEZA_BODY = {
    "category_id": LIMPIEZA, "subcategory_id": HOGAR, "title": "Limpieza profunda de casas",
    "description": "Limpieza completa de casas y departamentos con productos propios, "
                   "por hora o por jornada.", "tags": ["limpieza"], "price": "5000",
}


async def pro(client: httpx.AsyncClient, outbox: Path, **overrides: Any) -> Account:
    return await register(client, outbox, role="professional", **overrides)


async def unlimited(db_exec: DbExec, settings: Settings, account: Account) -> Account:
    await sql_update(db_exec, settings, "users", "id", account.id, plan="professional")
    return account


def raw_cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def problem_code(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    code: str = r.json()["code"]
    return code


# --- categories ------------------------------------------------------------------------------


async def test_categories_with_subcategories_and_visible_counts(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    r = await client.get(f"{API}/categories")
    assert r.status_code == 200
    cats = r.json()
    assert [c["name"] for c in cats] == [name for name, *_ in taxonomy.CATEGORIES]
    assert len(cats) == 14 and all(c["service_count"] == 0 for c in cats)
    for cat, (_name, icon, popular, subs) in zip(cats, taxonomy.CATEGORIES, strict=True):
        assert (cat["icon"], cat["popular"]) == (icon, popular)
        assert [s["name"] for s in cat["subcategories"]] == subs
    owner = await pro(client, outbox)
    a = await create_service(client, owner)
    await create_service(client, owner)
    await create_service(client, owner, **LIMPIEZA_BODY)
    hidden = await create_service(client, owner)
    assert (await set_active(client, owner, hidden["id"], False)).status_code == 200
    deleted = await create_service(client, owner)
    assert (await client.delete(f"{API}/services/{deleted['id']}",
                                headers=owner.headers)).status_code == 204
    counts = {c["slug"]: c["service_count"] for c in (await client.get(f"{API}/categories")).json()}
    assert counts["oficios-y-reparaciones"] == 2 and counts["limpieza"] == 1
    assert sum(counts.values()) == 3
    await client.delete(f"{API}/services/{a['id']}", headers=owner.headers)
    counts = {c["slug"]: c["service_count"] for c in (await client.get(f"{API}/categories")).json()}
    assert counts["oficios-y-reparaciones"] == 1


# --- create ----------------------------------------------------------------------------------


async def test_create_service_happy_path_and_boundaries(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner = await pro(client, outbox, name="Juan Pérez", location="Trelew, Chubut")
    svc = await create_service(client, owner, tags=["Plomero", "gas", "plomero"])
    assert svc["title"] == "Plomero matriculado en Trelew"
    assert (svc["price"], svc["currency"], svc["tags"]) == ("15000.00", "ARS", ["plomero", "gas"])
    assert svc["category"] == {"id": OFICIOS, "name": "Oficios y Reparaciones",
                               "slug": "oficios-y-reparaciones"}
    assert svc["subcategory_id"] == PLOMERIA
    assert (svc["active"], svc["featured"], svc["view_count"]) == (True, False, 0)
    assert svc["professional"] == {"id": owner.id, "name": "Juan Pérez",
                                   "location": "Trelew, Chubut", "verified": False,
                                   "level": "Nuevo", "rating": "0.00", "review_count": 0}
    minimal = {"category_id": LIMPIEZA, "title": "  " + "a" * 10 + "  ", "description": "d" * 50,
               "price": 100}
    low = (await client.post(f"{API}/services", json=minimal, headers=owner.headers)).json()
    assert (low["title"], low["price"], low["subcategory_id"]) == ("a" * 10, "100.00", None)
    assert (low["delivery_time_days"], low["revisions_included"], low["tags"]) == (7, 0, [])
    high = await create_service(client, owner, title="t" * 100, description="d" * 2000,
                                price="1000000", delivery_time_days=365, revisions_included=10,
                                tags=[f"tag{i}" for i in range(10)],
                                main_image_url="https://cdn.fixia.com.ar/a.jpg")
    assert (high["price"], high["delivery_time_days"], len(high["tags"])) == ("1000000.00", 365, 10)
    r = await client.get(f"{API}/services/{svc['id']}")
    assert r.status_code == 200 and r.json() == svc


INVALID: list[tuple[dict[str, Any], str]] = [
    ({"title": "Plomero 9"}, "title"), ({"title": "t" * 101}, "title"),
    ({"title": "   Plomero    "}, "title"), ({"title": 1234567890123}, "title"),
    ({"description": "d" * 49}, "description"), ({"description": "d" * 2001}, "description"),
    ({"price": "99.99"}, "price"), ({"price": "1000000.01"}, "price"), ({"price": -5}, "price"),
    ({"price": "100.001"}, "price"), ({"price": "abc"}, "price"), ({"price": [100]}, "price"),
    ({"price": 10**40}, "price"), ({"price": "1e400"}, "price"), ({"price": "NaN"}, "price"),
    ({"price": "Infinity"}, "price"),
    ({"delivery_time_days": 0}, "delivery_time_days"),
    ({"delivery_time_days": 366}, "delivery_time_days"),
    ({"delivery_time_days": 10**40}, "delivery_time_days"),
    ({"delivery_time_days": 1.5}, "delivery_time_days"),
    ({"revisions_included": -1}, "revisions_included"),
    ({"revisions_included": 11}, "revisions_included"),
    ({"tags": [f"tag{i}" for i in range(11)]}, "tags"), ({"tags": ["a"]}, "tags"),
    ({"tags": ["<script>"]}, "tags"), ({"tags": "plomero"}, "tags"),
    ({"main_image_url": "http://insecure.example/a.jpg"}, "main_image_url"),
    ({"category_id": str(uuid.uuid4())}, "category_id"), ({"category_id": "oficios"}, "category_id"),
    ({"category_id": LIMPIEZA}, "subcategory_id"),  # plomería belongs to another category
    ({"subcategory_id": str(uuid.uuid4())}, "subcategory_id"),
    ({"featured": True}, "featured"), ({"active": False}, "active"),
    ({"view_count": 1000}, "view_count"), ({"professional_id": str(uuid.uuid4())},
                                           "professional_id"),
]


async def test_create_service_rejects_every_invalid_field(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner = await pro(client, outbox)
    for overrides, field in INVALID:
        r = await client.post(f"{API}/services", json=service_body(**overrides),
                              headers=owner.headers)
        assert problem_code(r, 422) == "validation_error", overrides
        fields = [e["field"] for e in r.json()["errors"]]
        assert any(f == field or f.startswith(f"{field}.") for f in fields), (overrides, fields)
    body = service_body()
    del body["title"]
    for bad in (body, [], "x"):
        r = await client.post(f"{API}/services", json=bad, headers=owner.headers)
        assert r.status_code == 422, r.text
    assert (await client.get(f"{API}/services/mine", headers=owner.headers)).json() == []


async def test_only_professionals_create_services(client: httpx.AsyncClient, outbox: Path) -> None:
    customer = await register(client, outbox)
    r = await client.post(f"{API}/services", json=service_body(), headers=customer.headers)
    assert problem_code(r, 403) == "role_required"
    r = await client.post(f"{API}/services", json=service_body())
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = await client.post(f"{API}/services", json=service_body(),
                          headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    assert await search_ids(client) == []


async def test_free_plan_allows_five_active_services(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner = await pro(client, outbox)
    ids = [(await create_service(client, owner))["id"] for _ in range(5)]
    r = await client.post(f"{API}/services", json=service_body(), headers=owner.headers)
    assert problem_code(r, 403) == "active_services_limit"
    assert (r.json()["allowed"], r.json()["current"]) == (5, 5)
    assert (await set_active(client, owner, ids[0], False)).json()["active"] is False
    sixth = await create_service(client, owner)
    r = await set_active(client, owner, ids[0], True)
    assert problem_code(r, 403) == "active_services_limit"
    assert (await set_active(client, owner, sixth["id"], True)).status_code == 200  # no-op
    await client.delete(f"{API}/services/{ids[1]}", headers=owner.headers)
    assert (await set_active(client, owner, ids[0], True)).json()["active"] is True
    mine = (await client.get(f"{API}/services/mine", headers=owner.headers)).json()
    assert len(mine) == 5 and all(s["active"] for s in mine)


# --- search ----------------------------------------------------------------------------------


async def test_text_search(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await pro(client, outbox)
    plumber = (await create_service(client, owner))["id"]
    cleaner = (await create_service(client, owner, **LIMPIEZA_BODY))["id"]
    for q in ("plomero", "PLOMERO", "plom", "cañerías", "termotanques trelew", 'plomero* -":^'):
        assert await search_ids(client, q=q) == [plumber], q
    assert await search_ids(client, q="limpieza") == [cleaner]
    assert await search_ids(client, q="plomero limpieza") == []
    assert set(await search_ids(client, q="*** ")) == {plumber, cleaner}
    for hostile in ("_", "__init__", "'", "\\", '":*', "a|b&c", "!!(", "NEAR(x", "ñandú", "x" * 100,
                    " ".join(f"w{i}" for i in range(20))):
        r = await client.get(f"{API}/services", params={"q": hostile})
        assert r.status_code == 200, (hostile, r.text)
    assert (await client.get(f"{API}/services", params={"q": "x" * 101})).status_code == 422


async def test_search_filters(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec, settings: Settings
) -> None:
    trelew = await pro(client, outbox, location="Trelew, Chubut")
    madryn = await pro(client, outbox, location="Puerto Madryn, Chubut")
    plumber = (await create_service(client, trelew, price="15000"))["id"]
    electric = (await create_service(client, trelew, subcategory_id=ELECTRICIDAD,
                                     price="30000"))["id"]
    cleaner = (await create_service(client, madryn, **LIMPIEZA_BODY))["id"]
    await sql_update(db_exec, settings, "users", "id", madryn.id, verified=True)
    await sql_update(db_exec, settings, "professional_profiles", "user_id", madryn.id,
                     rating=Decimal("4.80"), level="TopRatedPlus")
    await sql_update(db_exec, settings, "professional_profiles", "user_id", trelew.id,
                     rating=Decimal("4.20"))
    await sql_update(db_exec, settings, "services", "id", electric, featured=True)
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"category": "oficios-y-reparaciones"}, {plumber, electric}),
        ({"category": OFICIOS}, {plumber, electric}), ({"category": "LIMPIEZA"}, {cleaner}),
        ({"category": "no-such-category"}, set()),
        ({"subcategory": "plomeria"}, {plumber}), ({"subcategory": ELECTRICIDAD}, {electric}),
        ({"location": "madryn"}, {cleaner}), ({"location": "PUERTO MADRYN"}, {cleaner}),
        ({"location": "chubut"}, {plumber, electric, cleaner}), ({"location": "%"}, set()),
        ({"location": "_"}, set()), ({"min_price": "15000"}, {plumber, electric}),
        ({"max_price": "15000"}, {plumber, cleaner}),
        ({"min_price": "10000", "max_price": "20000"}, {plumber}),
        ({"min_rating": "4.5"}, {cleaner}), ({"min_rating": "4.2"}, {plumber, electric, cleaner}),
        ({"level": "TopRatedPlus"}, {cleaner}), ({"level": "Nuevo"}, {plumber, electric}),
        ({"verified": True}, {cleaner}), ({"verified": False}, {plumber, electric}),
        ({"featured": True}, {electric}), ({"featured": False}, {plumber, cleaner}),
        ({"q": "plomero", "location": "trelew", "max_price": "20000"}, {plumber}),
    ]
    for params, expected in cases:
        assert set(await search_ids(client, **params)) == expected, params
    for params in ({"min_price": "20000", "max_price": "10000"}, {"min_rating": "5.1"},
                   {"level": "Experto"}, {"sort": "cheapest"}, {"min_price": "-1"},
                   {"max_price": "1e400"}, {"min_price": "NaN"}, {"verified": "maybe"}):
        r = await client.get(f"{API}/services", params=params)
        assert problem_code(r, 422) == "validation_error", params


async def sort_fixture(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec, settings: Settings
) -> list[str]:
    """Three services by three professionals, each order distinct (created s1, s2, s3)."""
    ids = []
    for price, rating, reviews, views in (("20000", "4.00", 50, 1), ("5000", "4.90", 3, 0),
                                          ("12000", "3.00", 20, 5)):
        owner = await pro(client, outbox)
        sid = (await create_service(client, owner, price=price))["id"]
        await sql_update(db_exec, settings, "professional_profiles", "user_id", owner.id,
                         rating=Decimal(rating), review_count=reviews)
        await sql_update(db_exec, settings, "services", "id", sid, view_count=views)
        ids.append(sid)
    return ids


async def test_every_sort_order(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec, settings: Settings
) -> None:
    s1, s2, s3 = await sort_fixture(client, outbox, db_exec, settings)
    expected = {"relevance": [s3, s2, s1], "newest": [s3, s2, s1], "price_asc": [s2, s3, s1],
                "price_desc": [s1, s3, s2], "rating": [s2, s1, s3], "reviews": [s1, s3, s2],
                "popular": [s3, s1, s2]}
    for sort, order in expected.items():
        assert await search_ids(client, sort=sort) == order, sort
    assert await search_ids(client) == [s3, s2, s1]
    r = await client.get(f"{API}/services", params={"sort": "rating"})
    assert [i["professional"]["rating"] for i in r.json()["items"]] == ["4.90", "4.00", "3.00"]


async def test_relevance_ranks_the_better_match_first(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner = await pro(client, outbox)
    strong = await create_service(client, owner, title="Gasista matriculado, gasista de guardia",
                                  tags=["gasista", "gas"], description="Gasista para estufas, "
                                  "calefones y cocinas: el gasista que necesitás en Trelew.")
    weak = await create_service(client, owner, title="Arreglos generales en el hogar",
                                description="Hago arreglos de todo tipo en casas y comercios; "
                                "también puedo recomendar un gasista de confianza.")
    await create_service(client, owner, **LIMPIEZA_BODY)
    assert await search_ids(client, q="gasista") == [strong["id"], weak["id"]]
    assert await search_ids(client, q="gasista", sort="newest") == [weak["id"], strong["id"]]


async def walk(client: httpx.AsyncClient, params: dict[str, Any]) -> list[str]:
    ids: list[str] = []
    cursor = None
    for _ in range(50):
        r = await client.get(f"{API}/services", params={**params, "cursor": cursor} if cursor
                             else params)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= params["limit"] == page["limit"]
        ids += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("pagination never ended")


async def test_cursor_pagination_walks_every_page(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec, settings: Settings
) -> None:
    owner = await unlimited(db_exec, settings, await pro(client, outbox))
    other = await pro(client, outbox)
    await sql_update(db_exec, settings, "professional_profiles", "user_id", other.id,
                     rating=Decimal("4.50"), review_count=7)
    created = []
    for i, price in enumerate(("9000", "9000", "12000", "9000", "15000", "12000", "30000")):
        body = {"title": f"Plomero de guardia número {i}", "price": price}
        created.append((await create_service(client, owner, **body))["id"])
        await sql_update(db_exec, settings, "services", "id", created[-1], view_count=i % 3)
    created += [(await create_service(client, other, price="9000"))["id"] for _ in range(2)]
    for sort in ("relevance", "newest", "price_asc", "price_desc", "rating", "reviews",
                 "popular"):
        for params in ({"sort": sort}, {"sort": sort, "q": "plomero"}):
            full = await search_ids(client, **params, limit=100)
            assert sorted(full) == sorted(created), params
            for limit in (1, 2, 4):
                assert await walk(client, {**params, "limit": limit}) == full, (params, limit)
    cheap = await walk(client, {"sort": "price_asc", "limit": 2, "max_price": "9000"})
    assert len(cheap) == 5


async def test_bad_pagination_input_is_422(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await pro(client, outbox)
    for _ in range(3):
        await create_service(client, owner)
    r = await client.get(f"{API}/services", params={"sort": "price_asc", "limit": 1})
    price_cursor = r.json()["next_cursor"]
    assert price_cursor
    sid = str(uuid.uuid4())
    bad: list[dict[str, Any]] = [
        {"limit": 101}, {"limit": 0}, {"limit": "ten"}, {"cursor": "not a cursor!"},
        {"cursor": "e30"}, {"cursor": "x" * 501}, {"cursor": price_cursor, "sort": "rating"},
        {"cursor": price_cursor, "sort": "newest"}, {"cursor": price_cursor, "sort": "popular"},
        {"sort": "price_asc", "cursor": encode_cursor(["abc", sid])},
        {"sort": "price_asc", "cursor": encode_cursor([Decimal(1), "not-a-uuid"])},
        {"sort": "price_asc", "cursor": encode_cursor([Decimal("NaN"), uuid.UUID(sid)])},
        {"sort": "price_asc", "cursor": encode_cursor([None, uuid.UUID(sid)])},
        {"sort": "newest", "cursor": raw_cursor([["t", "2024-01-01T00:00:00"], ["u", sid]])},
        {"sort": "newest", "cursor": raw_cursor([["t", "2024-01-01T00:00:00Z"], ["u", 1]])},
        {"sort": "price_asc", "cursor": raw_cursor([["d", "abc"], ["u", sid]])},
        {"sort": "price_asc", "cursor": raw_cursor({"d": 1, "u": 2})},
    ]
    for params in bad:
        r = await client.get(f"{API}/services", params=params)
        assert problem_code(r, 422) == "validation_error", (params, r.text)
    r = await client.get(f"{API}/services", params={"sort": "price_asc", "cursor": price_cursor})
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
        assert problem_code(await client.get(f"{API}/services/{sid}"), 404) == "service_not_found"


# --- detail, update, activation, deletion ------------------------------------------------------


async def test_detail_never_reveals_contact_data(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await pro(client, outbox, dni="31987654", phone="+54 9 2965 77-8899")
    sid = (await create_service(client, owner))["id"]
    viewer = await register(client, outbox)
    await client.put(f"{API}/me/favorites/services/{sid}", headers=viewer.headers)
    responses = [await client.get(f"{API}/services/{sid}"),
                 await client.get(f"{API}/services/{sid}", headers=viewer.headers),
                 await client.get(f"{API}/services", params={"q": "plomero"}),
                 await client.get(f"{API}/me/favorites", headers=viewer.headers)]
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
        assert problem_code(r, 404) == "service_not_found"
    r = await client.get(f"{API}/services/{sid}", headers=owner.headers)
    assert r.status_code == 200 and r.json()["active"] is False
    assert (await client.get(f"{API}/services/not-a-uuid")).status_code == 422
    r = await client.get(f"{API}/services/{uuid.uuid4()}")
    assert problem_code(r, 404) == "service_not_found"
    assert r.json()["status"] == 404 and r.json()["title"] == "Service not found"
    await client.delete(f"{API}/services/{sid}", headers=owner.headers)
    r = await client.get(f"{API}/services/{sid}", headers=owner.headers)
    assert problem_code(r, 404) == "service_not_found"


async def test_owner_updates_service(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await pro(client, outbox)
    svc = await create_service(client, owner)
    patch = {"title": "Electricista con matrícula", "price": "18000.50", "tags": ["Luz", "luz"],
             "subcategory_id": ELECTRICIDAD, "main_image_url": "https://cdn.fixia.com.ar/x.png"}
    r = await client.patch(f"{API}/services/{svc['id']}", json=patch, headers=owner.headers)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["title"], out["price"], out["tags"]) == (patch["title"], "18000.50", ["luz"])
    assert out["subcategory_id"] == ELECTRICIDAD and out["description"] == svc["description"]
    assert out["updated_at"] > svc["updated_at"] and out["created_at"] == svc["created_at"]
    assert (await client.get(f"{API}/services/{svc['id']}")).json() == out
    assert await search_ids(client, q="electricista") == [svc["id"]]
    assert await search_ids(client, q="luz") == [svc["id"]]
    assert await search_ids(client, q="plomero") == []
    r = await client.patch(f"{API}/services/{svc['id']}", headers=owner.headers,
                           json={"category_id": LIMPIEZA, "subcategory_id": None,
                                 "main_image_url": None})
    assert r.status_code == 200, r.text
    assert (r.json()["category"]["slug"], r.json()["subcategory_id"]) == ("limpieza", None)
    assert r.json()["main_image_url"] is None


async def test_update_is_for_the_owner_only(client: httpx.AsyncClient, outbox: Path) -> None:
    owner, rival = await pro(client, outbox), await pro(client, outbox)
    customer = await register(client, outbox)
    svc = await create_service(client, owner)
    url, body = f"{API}/services/{svc['id']}", {"title": "Título robado por otro"}
    assert problem_code(await client.patch(url, json=body, headers=rival.headers),
                        403) == "not_service_owner"
    assert problem_code(await client.patch(url, json=body, headers=customer.headers),
                        403) == "role_required"
    assert problem_code(await client.patch(url, json=body), 401) == "invalid_token"
    for call in (set_active(client, rival, svc["id"], False),
                 client.delete(url, headers=rival.headers)):
        assert problem_code(await call, 403) == "not_service_owner"
    assert (await client.get(url)).json() == svc
    r = await client.patch(f"{API}/services/{uuid.uuid4()}", json=body, headers=owner.headers)
    assert problem_code(r, 404) == "service_not_found"


async def test_update_validation(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await pro(client, outbox)
    svc = await create_service(client, owner)
    url = f"{API}/services/{svc['id']}"
    bad: list[tuple[dict[str, Any], str]] = [
        *(({field: None}, field) for field in ("title", "description", "price", "category_id",
                                               "tags", "delivery_time_days",
                                               "revisions_included")),
        ({"featured": True}, "featured"), ({"view_count": 9}, "view_count"),
        ({"active": False}, "active"), ({"title": "Corto"}, "title"), ({"price": 99}, "price"),
        ({"category_id": LIMPIEZA}, "subcategory_id"),
        ({"subcategory_id": HOGAR}, "subcategory_id"), ({"price": 10**40}, "price"),
    ]
    for body, field in bad:
        r = await client.patch(url, json=body, headers=owner.headers)
        assert problem_code(r, 422) == "validation_error", body
        assert field in [e["field"] for e in r.json()["errors"]], (body, r.text)
    assert (await client.get(url)).json() == svc


async def test_activate_delete_and_mine(client: httpx.AsyncClient, outbox: Path) -> None:
    owner, rival = await pro(client, outbox), await pro(client, outbox)
    customer = await register(client, outbox)
    first = (await create_service(client, owner))["id"]
    second = (await create_service(client, owner, **LIMPIEZA_BODY))["id"]
    await create_service(client, rival)
    mine = f"{API}/services/mine"
    assert [s["id"] for s in (await client.get(mine, headers=owner.headers)).json()] == [
        second, first]
    r = await set_active(client, owner, first, False)
    assert r.status_code == 200 and r.json()["active"] is False
    assert [s["active"] for s in (await client.get(mine, headers=owner.headers)).json()] == [
        True, False]
    assert (await set_active(client, owner, first, True)).json()["active"] is True
    for body in ({"active": "sometimes"}, {}, {"active": True, "featured": True}):
        r = await client.put(f"{API}/services/{first}/active", json=body, headers=owner.headers)
        assert r.status_code == 422, body
    r = await client.delete(f"{API}/services/{first}", headers=owner.headers)
    assert r.status_code == 204 and r.content == b""
    assert [s["id"] for s in (await client.get(mine, headers=owner.headers)).json()] == [second]
    assert (await client.delete(f"{API}/services/{first}", headers=owner.headers)).status_code \
        == 404
    assert (await set_active(client, owner, first, True)).status_code == 404
    assert problem_code(await client.get(mine, headers=customer.headers), 403) == "role_required"
    assert (await client.get(mine)).status_code == 401
    assert (await client.delete(f"{API}/services/{second}")).status_code == 401


async def test_views_count_everyone_but_the_owner(client: httpx.AsyncClient, outbox: Path) -> None:
    owner, rival = await pro(client, outbox), await pro(client, outbox)
    customer = await register(client, outbox)
    sid = (await create_service(client, owner))["id"]
    url = f"{API}/services/{sid}/views"
    counts = [(await client.post(url, headers=h)).json()["view_count"]
              for h in ({}, customer.headers, owner.headers, rival.headers, {})]
    assert counts == [1, 2, 2, 3, 4]
    assert (await client.get(f"{API}/services/{sid}")).json()["view_count"] == 4
    assert (await client.post(f"{API}/services/{uuid.uuid4()}/views")).status_code == 404
    await set_active(client, owner, sid, False)
    assert (await client.post(url)).status_code == 404
    assert (await client.post(url, headers=owner.headers)).json() == {"view_count": 4}


# --- favorites -------------------------------------------------------------------------------


async def test_favorite_services(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await pro(client, outbox)
    customer = await register(client, outbox)
    sid = (await create_service(client, owner))["id"]
    url = f"{API}/me/favorites/services/{sid}"
    r = await client.put(url, headers=customer.headers)
    assert r.status_code == 201 and r.json()["service"]["id"] == sid
    assert problem_code(await client.put(url, headers=customer.headers), 409) == "already_favorite"
    favs = (await client.get(f"{API}/me/favorites", headers=customer.headers)).json()
    assert [(f["id"], f["service"]["id"]) for f in favs] == [(r.json()["id"], sid)]
    assert (await client.get(f"{API}/me/favorites", headers=owner.headers)).json() == []
    assert (await client.delete(url, headers=customer.headers)).status_code == 204
    assert problem_code(await client.delete(url, headers=customer.headers),
                        404) == "favorite_not_found"
    assert (await client.get(f"{API}/me/favorites", headers=customer.headers)).json() == []
    missing = f"{API}/me/favorites/services/{uuid.uuid4()}"
    assert problem_code(await client.put(missing, headers=customer.headers),
                        404) == "service_not_found"
    for method in ("PUT", "DELETE"):
        assert (await client.request(method, url)).status_code == 401
    assert (await client.get(f"{API}/me/favorites")).status_code == 401


async def test_favorite_professionals(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await pro(client, outbox, name="Marta Gómez")
    customer, other_client = await register(client, outbox), await register(client, outbox)
    sid = (await create_service(client, owner))["id"]
    url = f"{API}/me/favorites/professionals/{owner.id}"
    r = await client.put(url, headers=customer.headers)
    assert r.status_code == 201, r.text
    assert (r.json()["professional_id"], r.json()["professional_name"]) == (owner.id,
                                                                           "Marta Gómez")
    assert problem_code(await client.put(url, headers=customer.headers), 409) == "already_favorite"
    await client.put(f"{API}/me/favorites/services/{sid}", headers=customer.headers)
    favs = (await client.get(f"{API}/me/favorites", headers=customer.headers)).json()
    assert [(f["service"] or {}).get("id") for f in favs] == [sid, None]
    assert favs[1]["professional_id"] == owner.id
    for target in (other_client.id, str(uuid.uuid4())):
        r = await client.put(f"{API}/me/favorites/professionals/{target}",
                             headers=customer.headers)
        assert problem_code(r, 404) == "user_not_found"
    assert (await client.put(url)).status_code == 401
    assert (await client.delete(url, headers=customer.headers)).status_code == 204
    assert problem_code(await client.delete(url, headers=customer.headers),
                        404) == "favorite_not_found"
    await client.put(url, headers=other_client.headers)
    assert (await client.delete(f"{API}/me", headers=owner.headers)).status_code == 204
    assert (await client.put(url, headers=customer.headers)).status_code == 404
