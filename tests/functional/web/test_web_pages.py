"""Pages, error pages, form errors, assets and languages, in process."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import httpx

from tests.factories.accounts import register
from tests.functional.web.helpers import post_form, web_login

ASSET = re.compile(r'href="(/static/app\.[0-9a-f]{12}\.css)"')


async def test_unknown_page_is_a_friendly_html_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/no-such-page")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "No encontramos esta página" in r.text and 'href="/"' in r.text


async def test_the_api_keeps_problem_json_for_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


async def test_unknown_service_is_a_404_page(client: httpx.AsyncClient) -> None:
    r = await client.get("/services/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404 and "No encontramos esta página" in r.text


async def test_assets_are_fingerprinted_immutable_and_gzipped(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.headers["cache-control"] == "no-store"
    url = ASSET.search(page.text)
    assert url, "the stylesheet link is not fingerprinted"
    raw = await client.get(url.group(1), headers={"accept-encoding": "identity"})
    assert raw.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "content-encoding" not in raw.headers
    zipped = await client.get(url.group(1), headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.content == raw.content  # httpx decoded it: same bytes
    assert len(gzip.compress(raw.content)) < len(raw.content)
    again = await client.get(url.group(1), headers={"if-none-match": raw.headers["etag"]})
    assert again.status_code == 304


async def test_a_changed_or_unknown_asset_name_is_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/static/app.000000000000.css")
    assert r.status_code == 404


async def test_spanish_by_default_english_by_header_or_cookie(client: httpx.AsyncClient) -> None:
    spanish = await client.get("/login")
    assert "<h1>Ingresar</h1>" in spanish.text and 'lang="es-AR"' in spanish.text
    english = await client.get("/login", headers={"accept-language": "en-US,en;q=0.9"})
    assert "<h1>Log in</h1>" in english.text and 'lang="en"' in english.text
    r = await post_form(client, "/lang", {"lang": "en", "next": "/register"})
    assert r.status_code == 303 and r.headers["location"] == "/register"
    chosen = await client.get("/register", headers={"accept-language": "es-AR"})
    assert "<h1>Sign up</h1>" in chosen.text


async def test_form_errors_sit_next_to_their_fields_and_input_is_kept(
    client: httpx.AsyncClient,
) -> None:
    data = {"name": "Ana Prueba", "email": "no-es-un-correo", "dni": "12", "role": "client"}
    r = await post_form(client, "/register", data, from_page="/register")
    assert r.status_code == 422
    assert 'value="no-es-un-correo"' in r.text and 'value="Ana Prueba"' in r.text
    assert 'id="f-email" name="email" type="email" value="no-es-un-correo"' in r.text
    assert 'aria-invalid="true" aria-describedby="e-email"' in r.text
    assert '<p class="error" id="e-dni">El formato no es válido.</p>' in r.text
    assert 'id="e-name"' not in r.text  # a valid field carries no error


async def test_business_rule_errors_show_as_a_form_message(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    account = await register(client, outbox, login=False)
    r = await post_form(client, "/login", {"email": account.email, "password": "Wrong-Pass-1"})
    assert r.status_code == 400
    assert "El correo o la contraseña no son correctos." in r.text
    assert f'value="{account.email}"' in r.text  # the e-mail is kept, the password is not


async def test_a_signed_in_professional_can_publish_and_delete_a_service(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    pro = await register(client, outbox, role="professional", login=False)
    await web_login(client, pro)
    page = await client.get("/my/services/new")
    category = re.search(r'<option value="([0-9a-f-]{36})"', page.text)
    assert category
    form = {
        "category_id": category.group(1),
        "title": "Instalación de termotanques",
        "description": "Instalo y reparo termotanques a gas y eléctricos en todo el valle. " * 2,
        "price": "30000",
        "delivery_time_days": "3",
        "tags": "gas, agua",
    }
    r = await post_form(client, "/my/services/new", form, from_page="/my/services/new")
    assert r.status_code == 303 and r.headers["location"] == "/my/services?ok=service_created"
    mine = await client.get("/my/services")
    assert "Instalación de termotanques" in mine.text
    service_id = re.search(r'href="/services/([0-9a-f-]{36})"', mine.text)
    assert service_id
    r = await post_form(client, f"/my/services/{service_id.group(1)}/delete", {}, "/my/services")
    assert r.status_code == 303
    assert "Instalación de termotanques" not in (await client.get("/my/services")).text


async def test_home_and_search_render(client: httpx.AsyncClient) -> None:
    home = await client.get("/")
    assert home.status_code == 200 and "Categorías" in home.text
    r = await client.get("/search", params={"q": "plomero", "category": "oficios-y-reparaciones"})
    assert r.status_code == 200 and "selected>Oficios y Reparaciones" in r.text.replace('"', "")
    bad = await client.get("/search", params={"min_price": "mucho"})
    assert bad.status_code == 422 and 'id="e-min_price"' in bad.text
