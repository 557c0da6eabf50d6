"""Media pages without JavaScript: multipart forms with CSRF, galleries, icons, rate limits."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from fixia.config import RateLimitSettings, Settings
from fixia.main import create_app
from tests.factories.catalog import create_service
from tests.factories.catalog import professional as pro
from tests.factories.media import jpeg, pdf, upload
from tests.functional.web.helpers import csrf_token, web_login

# In process: pages are checked right after an upload, which the eager queue has processed.
pytestmark = pytest.mark.inprocess


async def test_professional_uploads_a_photo_and_it_shows_on_the_service_page(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner = await pro(client, outbox)
    listing = await create_service(client, owner)
    await web_login(client, owner)
    page = f"/my/services/{listing['id']}/photos"
    token = await csrf_token(client, page)
    files = {"file": ("obra.jpg", jpeg(900, 600), "image/jpeg")}
    # Alt text is required: refused without it, nothing stored.
    r = await client.post(page, data={"csrf_token": token}, files=files)
    assert r.status_code == 422 and 'aria-invalid="true"' in r.text
    r = await client.post(page, data={"csrf_token": token, "alt": "Baño terminado"}, files=files)
    assert r.status_code == 303, r.text[:500]
    shown = await client.get(f"/services/{listing['id']}")
    assert 'alt="Baño terminado"' in shown.text and "srcset=" in shown.text
    assert 'type="image/webp"' in shown.text
    second = {"file": ("obra2.jpg", jpeg(900, 600, color="red"), "image/jpeg")}
    await client.post(page, data={"csrf_token": token, "alt": "Cocina nueva"}, files=second)
    shown = await client.get(f"/services/{listing['id']}")
    assert 'loading="lazy"' in shown.text  # every photo but the cover


async def test_a_file_without_csrf_or_on_a_non_upload_form_is_refused(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner = await pro(client, outbox)
    await web_login(client, owner)
    files = {"file": ("a.jpg", jpeg(40, 40), "image/jpeg")}
    assert (
        await client.post("/account/avatar", data={"alt": "Yo"}, files=files)
    ).status_code == 403
    token = await csrf_token(client, "/account")
    r = await client.post("/account/password", data={"csrf_token": token}, files=files)
    assert r.status_code in (400, 403, 413, 422)


async def test_account_media_page_avatar_and_document(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner = await pro(client, outbox)
    await web_login(client, owner)
    token = await csrf_token(client, "/account/media")
    r = await client.post(
        "/account/avatar",
        data={"csrf_token": token, "alt": "Mi cara"},
        files={"file": ("yo.png", jpeg(300, 300), "image/png")},
    )
    assert r.status_code == 303
    r = await client.post(
        "/account/documents",
        data={"csrf_token": token, "label": "dni_front"},
        files={"file": ("dni.pdf", pdf(), "application/pdf")},
    )
    assert r.status_code == 303
    page = await client.get("/account/media")
    assert "/media/d/" in page.text and 'alt="Mi cara"' in page.text
    r = await client.post(
        "/account/portfolio",
        data={"csrf_token": token, "title": "Quincho en Puerto Madryn", "alt": "El quincho"},
        files={"file": ("q.jpg", jpeg(300, 200), "image/jpeg")},
    )
    assert r.status_code == 303
    assert "Quincho en Puerto Madryn" in (await client.get(f"/professionals/{owner.id}")).text


async def test_favicon_and_app_icons_exist(client: httpx.AsyncClient) -> None:
    r = await client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"] == "image/vnd.microsoft.icon"
    home = await client.get("/")
    assert 'rel="icon"' in home.text and 'rel="apple-touch-icon"' in home.text


async def test_upload_rate_limits(settings: Settings, outbox: Path) -> None:
    limited = settings.model_copy(update={"ratelimit": RateLimitSettings(enabled=True)})
    app = create_app(limited)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        # Registration is limited to 3/minute: one account does all the uploading.
        owner = await pro(c, outbox)
        codes = [(await upload(c, owner, "/me/avatar", jpeg(20, 20))).status_code for _ in range(6)]
        assert codes == [202] * 5 + [429]
        listing = await create_service(c, owner)
        path = f"/services/{listing['id']}/photos"
        codes = [(await upload(c, owner, path, jpeg(20, 20))).status_code for _ in range(10)]
        assert codes[-1] == 429 or codes.count(202) <= 9  # 10/minute across image uploads
    await app.state.engine.dispose()


async def test_client_adds_photos_to_a_project_and_professionals_see_them(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    from tests.factories.accounts import register
    from tests.factories.projects import post_project

    owner = await register(client, outbox, role="client")
    project = await post_project(client, owner)
    await web_login(client, owner)
    page = f"/my/projects/{project['id']}"
    token = await csrf_token(client, page)
    files = {"file": ("p.jpg", jpeg(400, 300), "image/jpeg")}
    r = await client.post(
        f"{page}/photos", data={"csrf_token": token, "alt": "La pared"}, files=files
    )
    assert r.status_code == 303 and "photo_uploaded" in r.headers["location"]
    r = await client.post(
        f"{page}/photos",
        data={"csrf_token": token, "alt": "Nada"},
        files={"file": ("x.jpg", b"<svg/>", "image/jpeg")},
    )
    assert r.status_code == 303 and "photo_refused" in r.headers["location"]
    assert 'alt="La pared"' in (await client.get(page)).text
    client.cookies.clear()
    professional = await pro(client, outbox)
    await web_login(client, professional)
    assert 'alt="La pared"' in (await client.get(f"/opportunities/{project['id']}")).text


async def test_the_professionals_avatar_shows_on_cards_and_proposals(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    from tests.factories.accounts import register
    from tests.factories.media import API
    from tests.factories.projects import apply, post_project

    owner = await pro(client, outbox)
    listing = await create_service(client, owner, title="Plomería a domicilio con garantía")
    customer = await register(client, outbox, role="client")
    project = await post_project(client, customer)
    await apply(client, owner, project["id"])
    # Before a photo: the initial stands in, and no image is shown for the person.
    await web_login(client, customer)
    before = (await client.get(f"/my/projects/{project['id']}")).text
    assert 'class="avatar initial small"' in before
    r = await upload(client, owner, "/me/avatar", jpeg(300, 300))
    assert r.status_code == 202, r.text
    avatar = (await client.get(f"{API}/me", headers=owner.headers)).json()["avatar_url"]
    assert avatar and avatar.startswith("/media/p/")
    served = await client.get(f"{API}/services/{listing['id']}")
    assert served.json()["professional"]["avatar_url"] == avatar
    for page in (
        "/search?q=Plomería",
        f"/services/{listing['id']}",
        f"/my/projects/{project['id']}",
    ):
        text = (await client.get(page)).text
        assert f'src="{avatar}"' in text, page
    proposals = await client.get(
        f"{API}/projects/{project['id']}/proposals", headers=customer.headers
    )
    assert proposals.status_code == 200, proposals.text
    listed = proposals.json()
    items = listed["items"] if isinstance(listed, dict) else listed
    assert items[0]["professional"]["avatar_url"] == avatar


async def test_portfolio_items_are_reordered_without_javascript(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    from tests.factories.media import API

    owner = await pro(client, outbox)
    stranger = await pro(client, outbox)
    await web_login(client, owner)
    token = await csrf_token(client, "/account/media")
    for title in ("Primer trabajo", "Segundo trabajo", "Tercer trabajo"):
        r = await client.post("/account/portfolio", data={"csrf_token": token, "title": title})
        assert r.status_code == 303, r.text[:300]

    def titles(items: list[dict[str, object]]) -> list[object]:
        return [i["title"] for i in items]

    listed = (await client.get(f"{API}/professionals/{owner.id}/portfolio")).json()
    assert titles(listed) == ["Primer trabajo", "Segundo trabajo", "Tercer trabajo"]
    third = listed[2]["id"]
    r = await client.post(
        f"/account/portfolio/{third}/move", data={"csrf_token": token, "direction": "up"}
    )
    assert r.status_code == 303
    listed = (await client.get(f"{API}/professionals/{owner.id}/portfolio")).json()
    assert titles(listed) == ["Primer trabajo", "Tercer trabajo", "Segundo trabajo"]
    page = (await client.get("/account/media")).text
    assert f"/account/portfolio/{third}/move" in page
    # Another professional cannot move it.
    await web_login(client, stranger)
    token = await csrf_token(client, "/account/media")
    r = await client.post(
        f"/account/portfolio/{third}/move", data={"csrf_token": token, "direction": "down"}
    )
    assert r.status_code == 404
    listed = (await client.get(f"{API}/professionals/{owner.id}/portfolio")).json()
    assert titles(listed) == ["Primer trabajo", "Tercer trabajo", "Segundo trabajo"]


async def test_portfolio_items_are_edited_on_the_web(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    from tests.factories.media import API

    owner = await pro(client, outbox)
    stranger = await pro(client, outbox)
    await web_login(client, owner)
    token = await csrf_token(client, "/account/media")
    r = await client.post("/account/portfolio", data={"csrf_token": token, "title": "Baño nuevo"})
    assert r.status_code == 303
    [item] = (await client.get(f"{API}/professionals/{owner.id}/portfolio")).json()
    edit = f"/account/portfolio/{item['id']}/edit"
    assert edit in (await client.get("/account/media")).text
    page = await client.get(edit)
    assert page.status_code == 200 and 'value="Baño nuevo"' in page.text
    changes = {"title": "Baño completo", "tags": "azulejos, grifería", "featured": "on"}
    r = await client.post(edit, data={"csrf_token": token, **changes})
    assert r.status_code == 303, r.text[:300]
    [item] = (await client.get(f"{API}/professionals/{owner.id}/portfolio")).json()
    assert (item["title"], item["tags"], item["featured"]) == (
        "Baño completo",
        ["azulejos", "grifería"],
        True,
    )
    bad = await client.post(edit, data={"csrf_token": token, "title": "x"})
    assert bad.status_code == 422 and 'value="x"' in bad.text  # the page keeps what was typed
    # Another professional gets a 404 for the page and the post, and nothing changes.
    await web_login(client, stranger)
    token = await csrf_token(client, "/account/media")
    assert (await client.get(edit)).status_code == 404
    r = await client.post(edit, data={"csrf_token": token, "title": "Ajeno"})
    assert r.status_code == 404
    [item] = (await client.get(f"{API}/professionals/{owner.id}/portfolio")).json()
    assert item["title"] == "Baño completo"
