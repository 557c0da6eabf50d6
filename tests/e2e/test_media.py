"""Issue #21 in Chromium, on a desktop and at 360 px: a professional uploads an avatar and
gallery photos (with JavaScript, so through the progress bar's XHR), the worker makes the
variants, and the public service page shows them. axe checks the media pages; no page logs
a console error."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.e2e import flows
from tests.e2e.conftest import Server
from tests.e2e.test_journey import VIEWPORTS


def photo(color: str) -> dict[str, object]:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), color).save(out, "JPEG", quality=85)
    return {"name": f"{color}.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def upload(form: Locator, color: str, alt: str) -> None:
    form.get_by_label("Archivo").set_input_files(photo(color))  # type: ignore[arg-type]
    form.get_by_label("Descripción de la foto").fill(alt)
    form.locator("button[type=submit]").click()


def reload_until(
    page: Page, url: str, locator: Callable[[], Locator], budget_s: float = 30
) -> None:
    """The worker makes the variants just after the upload's commit: reload (bounded)."""
    deadline = time.monotonic() + budget_s
    while True:
        page.goto(url)
        if locator().count() or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    expect(locator().first).to_be_visible()


def loaded(image: Locator) -> None:
    """The browser fetched and decoded the file (a broken image has no natural width)."""
    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_a_professional_uploads_photos_and_they_show_on_the_service_page(
    axe_available: None,
    contexts: Callable[..., BrowserContext],
    server: Server,
    unique: str,
    device: str,
) -> None:
    page = contexts(bypass_csp=True, **VIEWPORTS[device]).new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    beto = flows.person("professional", f"media{unique}{device}")
    flows.signed_up(page, beto, server.outbox)
    assert errors == [], errors  # the first pages (sign-up, login, account) log nothing

    # The avatar, from the account's media page.
    page.goto("/account/media")
    section = page.locator("section", has=page.get_by_role("heading", name="Foto de perfil"))
    upload(section, "navy", "Beto sonriendo con casco")
    expect(page.get_by_role("status")).to_contain_text("Recibimos la foto")
    avatar = lambda: page.locator(".avatar.large img")  # noqa: E731
    reload_until(page, "/account/media", avatar)
    loaded(avatar())
    assert flows.axe(page) == []

    # A service with a cover and one more photo, from its gallery page.
    title = f"Plomería con fotos {unique}{device}"
    flows.publish_service(page, title)
    page.get_by_role("link", name=f"Fotos {title}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    gallery_url = page.url.split("?")[0]
    form = page.locator("form.upload")
    upload(form, "teal", "Baño terminado con cerámicos")
    expect(page.get_by_role("status")).to_contain_text("Recibimos la foto")
    upload(page.locator("form.upload"), "maroon", "Cocina con grifería nueva")
    expect(page.get_by_role("status")).to_contain_text("Recibimos la foto")
    thumbs = lambda: page.locator(".gallery.manage picture img")  # noqa: E731
    deadline = time.monotonic() + 30
    while thumbs().count() < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
        page.goto(gallery_url)
    expect(thumbs()).to_have_count(2)
    assert flows.axe(page) == []

    # The public page, as anyone sees it: the cover, the gallery, the professional's face.
    page.get_by_role("link", name="Ver la publicación").click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    cover = page.get_by_role("img", name="Baño terminado con cerámicos")
    expect(cover).to_be_visible()
    loaded(cover)
    assert cover.get_attribute("loading") is None  # the cover is not lazy; the rest are
    second = page.get_by_role("img", name="Cocina con grifería nueva")
    assert second.get_attribute("loading") == "lazy"
    loaded(second)
    webp = page.locator("picture source[type='image/webp']").first.get_attribute("srcset")
    assert webp is not None and ".webp" in webp
    loaded(page.locator(".byline img.avatar"))
    assert flows.axe(page) == []
    if device == "mobile":
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page scrolls sideways at 360 px ({width} px)"
        box = cover.bounding_box()
        assert box is not None and box["width"] <= 360

    # The search card carries the cover and the avatar too.
    page.goto(f"/search?q={unique}{device}")
    card = page.get_by_role("article").filter(has_text=title)
    loaded(card.locator("img.card-cover"))
    loaded(card.locator("img.avatar"))
    assert errors == [], errors
