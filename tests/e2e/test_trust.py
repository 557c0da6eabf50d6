"""Issue #22 in Chromium: a professional asks for an identity check, an admin approves it
from the queue, and the public profile then shows the badge and explains the score. axe
checks the two new pages."""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e import flows
from tests.e2e.conftest import Server


def _eventually_visible(page: Page, url: str, test_id: str, budget_s: float = 15) -> None:
    """The score (and its badges) is recomputed by the queue just after the approval's
    commit: reload until the badge shows (bounded)."""
    deadline = time.monotonic() + budget_s
    while True:
        page.goto(url)
        if page.get_by_test_id(test_id).count() or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    expect(page.get_by_test_id(test_id)).to_be_visible()


def test_an_approved_identity_shows_on_the_public_profile(
    axe_available: None, contexts: Callable[..., BrowserContext], server: Server, unique: str
) -> None:
    pro_page = contexts(bypass_csp=True).new_page()
    pro = flows.person("professional", f"trust{unique}")
    flows.signed_up(pro_page, pro, server.outbox)
    pro_page.goto("/account/verifications")
    pro_page.get_by_label("Qué querés verificar").select_option("identity")
    pro_page.get_by_label("Información adicional").fill("DNI vigente, frente y dorso")
    pro_page.get_by_role("button", name="Pedir verificación").click()
    expect(pro_page.get_by_role("status")).to_contain_text("Recibimos tu pedido")
    expect(pro_page.get_by_test_id("verification-identity")).to_contain_text("Pendiente")
    assert flows.axe(pro_page) == []
    profile = f"/professionals/{flows.my_id(pro_page)}"

    boss_page = contexts(bypass_csp=True).new_page()
    boss = flows.person("client", f"boss{unique}")
    flows.register(boss_page, boss, server.outbox)
    flows.promote_to_admin(server.root / "fixia.db", boss.email)
    flows.login(boss_page, boss)
    boss_page.goto("/admin/verifications")
    card = boss_page.locator("article", has_text=pro.name)
    expect(card).to_contain_text("Identidad")
    assert flows.axe(boss_page) == []
    card.get_by_role("button", name="Aprobar").click()
    expect(boss_page.get_by_role("status")).to_contain_text("Decisión registrada")

    _eventually_visible(pro_page, profile, "badge-identidad_verificada")
    pro_page.get_by_text("¿Por qué este puntaje?").click()
    expect(pro_page.get_by_role("table")).to_contain_text("Verificaciones")
    assert flows.axe(pro_page) == []
