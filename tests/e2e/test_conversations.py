"""Issue #23 in Chromium: a client and a professional, in two browser contexts, chat about a
proposal. Each sees the other's messages and the unread badge change without reloading
(SSE); the contact detail typed before the reveal is masked. The professional reports a
message and an admin reads and resolves it on the admin pages. axe checks every page."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, expect

from tests.e2e import flows
from tests.e2e.conftest import Server


def test_two_people_chat_live(
    axe_available: None, contexts: Callable[..., BrowserContext], server: Server, unique: str
) -> None:
    client_page = contexts(bypass_csp=True).new_page()
    client = flows.person("client", f"chat{unique}")
    flows.signed_up(client_page, client, server.outbox)
    pro_page = contexts(bypass_csp=True).new_page()
    pro = flows.person("professional", f"chat{unique}")
    flows.signed_up(pro_page, pro, server.outbox)

    title = f"Calefón {unique}"
    flows.post_project(client_page, title)
    flows.apply_to(pro_page, unique, title)

    # The client opens the conversation from the proposal; the professional waits in the
    # inbox, whose nav badge is live.
    client_page.goto("/my/projects")
    client_page.get_by_role("link", name=title, exact=True).click()
    client_page.get_by_role("button", name="Enviar mensaje").click()
    expect(client_page.get_by_role("heading", level=1)).to_have_text(title)
    assert flows.axe(client_page) == []
    pro_page.goto("/messages")
    badge = pro_page.locator("[data-unread-badge]")
    expect(badge).to_be_hidden()

    client_page.get_by_label("Tu mensaje").fill("Hola, ¿podés venir el martes?")
    client_page.get_by_role("button", name="Enviar", exact=True).click()
    expect(client_page.locator(".messages")).to_contain_text("¿podés venir el martes?")
    expect(badge).to_be_visible()  # no reload: the stream moved it
    expect(badge.locator("[data-unread-number]")).to_have_text("1")

    pro_page.get_by_role("link", name=title).click()
    expect(pro_page.locator(".messages")).to_contain_text("¿podés venir el martes?")
    assert flows.axe(pro_page) == []
    conversation_url = pro_page.url

    # Now both pages are open: each sees the other's message appear without reloading.
    client_page.get_by_label("Tu mensaje").fill("Te dejo mi cel: 0280-15-455-1234")
    client_page.get_by_role("button", name="Enviar", exact=True).click()
    expect(client_page.get_by_role("alert")).to_contain_text("Ocultamos datos de contacto")
    expect(pro_page.locator(".messages")).to_contain_text("[dato de contacto oculto]")
    expect(pro_page.locator(".messages")).not_to_contain_text("455-1234")
    assert pro_page.url == conversation_url

    pro_page.get_by_label("Tu mensaje").fill("Sí, el martes a las 10 estoy ahí.")
    pro_page.get_by_role("button", name="Enviar", exact=True).click()
    expect(client_page.locator(".messages")).to_contain_text("el martes a las 10 estoy ahí")
    # The professional's page read the live message: nothing unread is left for them.
    pro_page.goto("/messages")
    expect(pro_page.locator("[data-unread-badge]")).to_be_hidden()

    # The professional reports the masked message; an admin reads it and closes the report.
    reported = pro_page.locator("li.message", has_text="[dato de contacto oculto]")
    pro_page.goto(conversation_url)
    reported.get_by_text("Denunciar").click()
    reason = f"Insiste con pasarme su número ({unique})"
    reported.get_by_label("Motivo").fill(reason)
    reported.get_by_role("button", name="Enviar denuncia").click()
    expect(pro_page.get_by_role("status")).to_contain_text("Recibimos tu denuncia")

    boss_page = contexts(bypass_csp=True).new_page()
    boss = flows.person("client", f"boss{unique}")
    flows.register(boss_page, boss, server.outbox)
    flows.promote(server.root / "fixia.db", boss.email)
    flows.login(boss_page, boss)
    boss_page.goto("/admin/conversations")
    card = boss_page.locator("article", has_text=reason)
    expect(card).to_contain_text(title)
    assert flows.axe(boss_page) == []
    card.get_by_role("link", name=title).click()
    expect(boss_page.locator("li.message", has_text="Mensaje denunciado")).to_contain_text(
        "[dato de contacto oculto]"
    )
    assert flows.axe(boss_page) == []
    boss_page.get_by_label("Decisión y motivo").fill("Advertencia por datos de contacto")
    boss_page.get_by_role("button", name="Cerrar denuncias").click()
    expect(boss_page.get_by_role("status")).to_contain_text("Moderación registrada")
    expect(boss_page.locator("article", has_text=reason)).to_have_count(0)
