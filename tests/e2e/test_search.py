"""Issue #30 in Chromium: a client types "plomeros en trelew" with two typos and gets the
plumbers who serve Trelew, nearest first, with a "¿Quisiste decir …?" to follow; the search
box completes from plain datalists as they type. axe checks the results page."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e import flows
from tests.e2e.conftest import Server

# Trelew itself, Rawson 17 km away (inside the default 30 km service area), Puerto Madryn
# about 60 km away (outside it).
TOWNS = ("Trelew, Chubut", "Rawson, Chubut", "Puerto Madryn, Chubut")


def _plumber(make: Callable[..., BrowserContext], server: Server, tag: str, town: str) -> str:
    page = make().new_page()
    flows.signed_up(page, flows.person("professional", tag), server.outbox, locality=town)
    title = f"Plomero matriculado {tag}"
    flows.publish_service(page, title)
    page.close()
    return title


def _titles(page: Page) -> list[str]:
    return page.locator("section .card h3").all_text_contents()


def test_a_client_finds_the_plumbers_serving_trelew_despite_two_typos(
    axe_available: None, contexts: Callable[..., BrowserContext], server: Server, unique: str
) -> None:
    trelew, rawson, madryn = (
        _plumber(contexts, server, f"{town[:3].lower()}{unique}", town) for town in TOWNS
    )
    page = contexts(bypass_csp=True).new_page()
    page.goto("/search")
    box = page.get_by_label("¿Qué necesitás?")
    # As they type, the browser offers the datalist's words (a combobox, not a plain
    # searchbox): trades, categories, towns.
    assert box.get_attribute("list") == "search-suggestions"
    suggestions = page.locator("#search-suggestions option")
    offered = set(suggestions.evaluate_all("options => options.map(o => o.value)"))
    assert {"Plomería", "plomero", "Trelew"} <= offered
    localities = page.locator("#search-localities option")
    assert "Trelew" in localities.evaluate_all("options => options.map(o => o.value)")

    box.press_sequentially("plomeors en trelw")
    box.press("Enter")
    results = page.get_by_role("region", name="Resultados")
    notice = results.get_by_text("¿Quisiste decir")
    expect(notice).to_be_visible()
    expect(notice.get_by_role("link")).to_have_text("plomeros en trelew")
    expect(results).to_contain_text("Profesionales que atienden en Trelew, los más cercanos")
    found = _titles(page)
    assert trelew in found and rawson in found and madryn not in found, found
    assert found.index(trelew) < found.index(rawson), found
    assert flows.axe(page) == []

    notice.get_by_role("link").click()
    expect(page.get_by_label("¿Qué necesitás?")).to_have_value("plomeros en trelew")
    expect(results.get_by_text("¿Quisiste decir")).to_have_count(0)
    again = _titles(page)
    assert again.index(trelew) < again.index(rawson) and madryn not in again, again

    # A prefix, as if the client pressed Enter half-way through the word.
    box = page.get_by_label("¿Qué necesitás?")
    box.fill("plome")
    box.press("Enter")
    partial = _titles(page)
    assert {trelew, rawson, madryn} <= set(partial), partial
