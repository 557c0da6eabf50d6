"""Search as people in Chubut ask (issue #30): plurals, typos, everyday words, localities.

Every test runs on SQLite and on a real PostgreSQL: the answers must be the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from fixia.catalog import service, spelling, taxonomy
from fixia.catalog.vocabulary import load
from fixia.config import RateLimitSettings, Settings
from fixia.db import create_engine, session_factory, transactional
from fixia.main import create_app
from fixia.platform.email import OutboxEmailSender
from tests.factories.accounts import Account
from tests.factories.catalog import DbExec, create_service, search_ids, sql_update
from tests.factories.catalog import expect_problem as problem
from tests.factories.catalog import professional as pro

API = "/api/v1"
ELECTRICIDAD = str(taxonomy.subcategory_id("oficios-y-reparaciones", "electricidad"))
ELECTRICIAN = {
    "subcategory_id": ELECTRICIDAD,
    "title": "Electricista matriculado a domicilio",
    "description": "Instalaciones eléctricas, cambio de tableros y disyuntores, tomas y cableado.",
    "tags": ["electricista", "tableros"],
}


async def search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    r = await client.get(f"{API}/services", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def ids(body: dict[str, Any]) -> list[str]:
    return [i["id"] for i in body["items"]]


async def plumber_in(client: httpx.AsyncClient, outbox: Path, town: str) -> tuple[Account, str]:
    owner = await pro(client, outbox, location=f"{town}, Chubut")
    return owner, (await create_service(client, owner))["id"]


async def test_plurals_typos_and_everyday_words(client: httpx.AsyncClient, outbox: Path) -> None:
    owner, plumber = await plumber_in(client, outbox, "Trelew")
    electrician = (await create_service(client, owner, **ELECTRICIAN))["id"]
    for q in ("electricista", "electricistas", "ELECTRICISTAS", "disyuntor", "se me corta la luz"):
        assert await search_ids(client, q=q) == [electrician], q
    for q in ("plomeros", "destapar cañería", "arreglo de caños", "pérdida de agua", "caño"):
        assert await search_ids(client, q=q) == [plumber], q
    typo = await search(client, q="electrisista")
    assert ids(typo) == [electrician]
    assert typo["search"]["did_you_mean"] == "electricista"
    assert typo["search"]["relaxed"] == ["corrected"]
    exact = await search(client, q="electricista")
    assert exact["search"]["did_you_mean"] is None and exact["search"]["relaxed"] == []


async def test_a_locality_in_the_query_filters_by_service_area_nearest_first(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    _, trelew = await plumber_in(client, outbox, "Trelew")
    _, rawson = await plumber_in(client, outbox, "Rawson")  # 17 km: inside the default 30 km
    madryn_pro, madryn = await plumber_in(client, outbox, "Puerto Madryn")  # 60 km away
    for q in ("plomeros en trelew", "plomero Trelew", "TRELEW plomería"):
        body = await search(client, q=q)
        assert ids(body) == [trelew, rawson], q
        assert body["search"]["locality"] == "Trelew"
    typos = await search(client, q="plomeors en trelw")
    assert ids(typos) == [trelew, rawson]
    assert typos["search"]["did_you_mean"] == "plomeros en trelew"
    # The Madryn plumber declares that they also travel to Trelew: listed, farthest last.
    r = await client.put(
        f"{API}/me/professional-profile",
        json={"service_localities": ["trelew"]},
        headers=madryn_pro.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["profile"]["service_localities"] == ["trelew"]
    assert await search_ids(client, q="plomeros en trelew") == [trelew, rawson, madryn]
    # A radius is about where professionals are, whatever they declare.
    assert await search_ids(client, q="plomero", location="Trelew", radius_km=5) == [trelew]
    near_rawson = await search_ids(client, q="plomero", location="Rawson", sort="distance")
    assert near_rawson == [rawson, trelew]
    # A radius of 0 km: only their own town.
    r = await client.put(
        f"{API}/me/professional-profile",
        json={"service_localities": [], "service_radius_km": 100},
        headers=madryn_pro.headers,
    )
    assert r.status_code == 200, r.text
    assert await search_ids(client, q="plomero en rawson") == [rawson, trelew, madryn]


async def test_nobody_there_then_the_nearest_and_the_page_says_so(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    _, madryn = await plumber_in(client, outbox, "Puerto Madryn")
    body = await search(client, q="plomero en Esquel")
    assert ids(body) == [madryn]
    assert body["search"]["relaxed"] == ["wider_area"]
    assert "Esquel" in body["search"]["messages"][0]
    nothing = await search(client, q="guitarra")
    assert nothing["items"] == [] and nothing["search"]["messages"]
    assert [c["slug"] for c in nothing["search"]["related_categories"]] == ["educacion"]
    assert (await search(client, q="trelew"))["search"]["locality"] == "Trelew"


async def test_service_area_is_validated(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await pro(client, outbox)
    url = f"{API}/me/professional-profile"
    for bad in (
        {"service_localities": ["atlantida"]},
        {"service_radius_km": 501},
        {"service_radius_km": -1},
        {"service_localities": "trelew"},
    ):
        r = await client.put(url, json=bad, headers=owner.headers)
        problem(r, 422, "validation_error")
    r = await client.put(url, json={"service_radius_km": None}, headers=owner.headers)
    assert r.status_code == 200 and r.json()["profile"]["service_radius_km"] is None
    problem(
        await client.get(f"{API}/services", params={"sort": "distance"}), 422, "validation_error"
    )
    bad_radius = await client.get(f"{API}/services", params={"radius_km": 0, "location": "Rawson"})
    problem(bad_radius, 422, "validation_error")


async def test_suggest_completes_trades_categories_and_localities(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get(f"{API}/search/suggest", params={"q": "plo"})
    assert r.status_code == 200
    assert r.headers["cache-control"].startswith("public, max-age=")
    values = [s["value"] for s in r.json()]
    assert values[0] == "Plomería" and "plomero" in values
    r = await client.get(f"{API}/search/suggest", params={"q": "plomero en tre"})
    assert r.json() == [
        {"value": "plomero en Trelew", "kind": "locality"},
        {"value": "plomero en Trevelin", "kind": "locality"},
    ]
    for q in ("", "p", "zzzz", "'; --", "%_"):
        r = await client.get(f"{API}/search/suggest", params={"q": q})
        assert r.status_code == 200 and r.json() == [], q
    problem(
        await client.get(f"{API}/search/suggest", params={"q": "x" * 101}), 422, "validation_error"
    )
    r = await client.get(f"{API}/localities")
    towns = {loc["slug"]: loc for loc in r.json()}
    assert towns["trelew"]["name"] == "Trelew" and -44 < towns["trelew"]["lat"] < -43


async def test_suggest_is_rate_limited(settings: Settings) -> None:
    limited = settings.model_copy(
        update={"ratelimit": RateLimitSettings(enabled=True, rules={"suggest": "3/minute"})}
    )
    app = create_app(limited, mailer=OutboxEmailSender(limited.email.outbox_dir, "t@fixia"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        codes = [
            (await c.get(f"{API}/search/suggest", params={"q": "plo"})).status_code
            for _ in range(4)
        ]
    await app.state.engine.dispose()
    assert codes == [200, 200, 200, 429]


async def test_the_search_page_says_what_it_understood(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    await plumber_in(client, outbox, "Trelew")
    page = (await client.get("/search", params={"q": "plomeors en trelw"})).text
    assert "¿Quisiste decir" in page and "plomeros en trelew</a>" in page
    assert "Plomero matriculado en Trelew" in page
    assert "Profesionales que atienden en Trelew, los más cercanos primero." in page
    # Autocomplete without script: datalists the browser filters as the client types.
    assert 'list="search-suggestions"' in page and '<option value="Plomería">' in page
    assert '<datalist id="search-localities">' in page and '<option value="Trelew">' in page
    none = (await client.get("/search", params={"q": "guitarra"})).text
    assert "Probá en estas categorías:" in none and "category=educacion" in none


async def test_reindex_analyses_listings_written_without_a_document(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec, settings: Settings
) -> None:
    _, plumber = await plumber_in(client, outbox, "Trelew")
    # As the release before 0010_search writes them during a rolling deploy.
    await sql_update(db_exec, settings, "services", "id", plumber, search_document="")
    assert await search_ids(client, q="plomero") == []
    engine = create_engine(settings)
    try:
        async with transactional(session_factory(engine)) as session:
            assert await service.reindex_search(session=session) == 1
        async with transactional(session_factory(engine)) as session:
            assert await service.reindex_search(session=session) == 0
            assert await service.reindex_search(session=session, everything=True) == 1
    finally:
        await engine.dispose()
    # Another page size: not the empty answer cached above (the CLI has no cache to bump).
    assert await search_ids(client, q="plomero", limit=5) == [plumber]


async def test_typo_correction_offers_the_words_in_search_terms(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec, settings: Settings
) -> None:
    """PostgreSQL takes its candidates from search_terms by trigram similarity (pg_trgm);
    SQLite compares the vocabulary in memory. `reindex-search` puts a missing word back."""
    owner, _ = await plumber_in(client, outbox, "Trelew")
    electrician = (await create_service(client, owner, **ELECTRICIAN))["id"]
    await db_exec("DELETE FROM search_terms WHERE word = 'electricista'")
    typo = await search(client, q="electrisista")
    if settings.is_sqlite:
        assert typo["search"]["did_you_mean"] == "electricista"
    else:
        assert typo["search"]["did_you_mean"] != "electricista"
    engine = create_engine(settings)
    try:
        async with transactional(session_factory(engine)) as session:
            assert await spelling.refresh_terms(session=session) == len(load().terms())
            assert await spelling.correct(session=session, text="electrisista") == "electricista"
            if not settings.is_sqlite:
                found = await spelling.trigram_candidates(session, "plomeors")
                # The edit-distance rule picks among the candidates; the near word must be
                # one of them (its rank among equally similar words is not the point).
                assert "plomeros" in found and len(found) <= spelling.TRIGRAM_CANDIDATES
    finally:
        await engine.dispose()
    # Another page size: not the answer cached above.
    again = await search(client, q="electrisista", limit=5)
    assert ids(again) == [electrician] and again["search"]["did_you_mean"] == "electricista"
