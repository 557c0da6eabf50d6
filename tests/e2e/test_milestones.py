"""Issue #24 in Chromium: the professional proposes a milestone plan, the client accepts it,
funds the first milestone through the sandbox checkout, the professional marks it done and
the client approves it. The amounts held and the states show on the page at every step,
the released money shows in the professional's payout report, and axe finds nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.e2e import flows
from tests.e2e.conftest import Server


def _row(page: Page, title: str) -> Locator:
    return page.locator("tr[data-milestone]", has_text=title)


def _shows(page: Page, title: str, status: str, held: str) -> None:
    row = _row(page, title)
    expect(row.locator("[data-field=status]")).to_have_text(status)
    expect(row.locator("[data-field=held]")).to_have_text(held)


def _eventually(page: Page, url: str, selector: str, text: str, budget_s: float = 20) -> None:
    """The payout is a queue job that runs just after the approval's commit: reload until
    it shows (bounded)."""
    deadline = time.monotonic() + budget_s
    while True:
        page.goto(url)
        if text in (page.locator(selector).text_content() or "") or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    expect(page.locator(selector)).to_contain_text(text)


def _agreed_job(
    contexts: Callable[..., BrowserContext], server: Server, word: str
) -> tuple[Page, Page, str]:
    """A client and a professional, signed up, with a job agreed at $ 48.000,00 (the
    proposal's price in flows.apply_to). The client's page, the professional's, the job's URL."""
    client = contexts(bypass_csp=True).new_page()
    pro = contexts(bypass_csp=True).new_page()
    flows.signed_up(client, flows.person("client", word), server.outbox)
    flows.signed_up(pro, flows.person("professional", word), server.outbox)
    title = f"Arreglar calefón {word}"
    flows.post_project(client, title)
    flows.apply_to(pro, word, title)
    return client, pro, flows.accept_proposal(client, title)


def test_a_client_funds_and_approves_a_milestone(
    axe_available: None, contexts: Callable[..., BrowserContext], server: Server, unique: str
) -> None:
    client, pro, job_url = _agreed_job(contexts, server, f"etapas{unique}")  # $ 48.000,00

    # The professional proposes two milestones that add up to the price.
    pro.goto(job_url)
    pro.get_by_role("link", name="Etapas y pagos").click()
    pro.get_by_label("Descripción").nth(0).fill("Materiales")
    pro.get_by_label("Monto").nth(0).fill("18000")
    pro.get_by_label("Descripción").nth(1).fill("Mano de obra")
    pro.get_by_label("Monto").nth(1).fill("29000")
    pro.get_by_role("button", name="Proponer plan").click()
    expect(pro.get_by_role("alert")).to_be_visible()  # 47.000 is not 48.000
    expect(pro.get_by_text("tienen que sumar el precio acordado").first).to_be_visible()
    assert flows.axe(pro) == []
    pro.get_by_label("Monto").nth(1).fill("30000")
    pro.get_by_role("button", name="Proponer plan").click()
    expect(pro.get_by_role("status")).to_contain_text("Propusiste el plan")
    milestones_url = pro.url.split("?")[0]

    # The client accepts it and pays the first milestone in the sandbox checkout.
    client.goto(milestones_url)
    client.get_by_role("button", name="Aceptar el plan").click()
    expect(client.get_by_role("status")).to_contain_text("Aceptaste el plan")
    _shows(client, "Materiales", "agreed", "$ 0,00")
    client.get_by_role("button", name="Pagar etapa Materiales").click()
    client.get_by_role("button", name="Aprobar pago").click()
    expect(client).to_have_url(re.compile(re.escape(milestones_url)))
    _shows(client, "Materiales", "funded", "$ 18.000,00")
    _shows(client, "Mano de obra", "agreed", "$ 0,00")
    assert flows.axe(client) == []

    # The professional marks it done; the client approves and the money is released.
    pro.goto(milestones_url)
    _shows(pro, "Materiales", "funded", "$ 18.000,00")
    pro.get_by_role("button", name="Marcar como terminada Materiales").click()
    expect(pro.get_by_role("status")).to_contain_text("Marcaste la etapa como terminada")
    client.goto(milestones_url)
    _shows(client, "Materiales", "done", "$ 18.000,00")
    client.get_by_role("button", name="Aprobar y liberar Materiales").click()
    expect(client.get_by_role("status")).to_contain_text("Aprobaste la etapa")
    _shows(client, "Materiales", "released", "$ 0,00")
    expect(client.get_by_role("button", name="Pagar etapa Mano de obra")).to_be_visible()
    assert flows.axe(client) == []

    # 10 % fee: $ 16.200,00 owed; linking the sandbox account pays it out.
    pro.goto("/payouts")
    expect(pro.locator("[data-total=payable]")).to_have_text("$ 16.200,00")
    assert flows.axe(pro) == []
    pro.get_by_role("button", name="Vincular mi cuenta de MercadoPago").click()
    expect(pro.get_by_role("status")).to_contain_text("Vinculaste tu cuenta")
    _eventually(pro, "/payouts", "[data-total=paid]", "$ 16.200,00")
    expect(pro.locator("[data-total=payable]")).to_have_text("$ 0,00")
    assert flows.axe(pro) == []


def test_an_admin_refunds_part_of_a_disputed_milestone(
    axe_available: None, contexts: Callable[..., BrowserContext], server: Server, unique: str
) -> None:
    client, pro, job_url = _agreed_job(contexts, server, f"disputa{unique}")
    title = f"Arreglar calefón disputa{unique}"
    client.goto(f"{job_url}/milestones")
    client.get_by_label("Descripción").nth(0).fill("Todo el trabajo")
    client.get_by_label("Monto").nth(0).fill("48000")
    client.get_by_role("button", name="Proponer plan").click()
    pro.goto(f"{job_url}/milestones")
    pro.get_by_role("button", name="Aceptar el plan").click()
    client.goto(f"{job_url}/milestones")
    client.get_by_role("button", name="Pagar etapa Todo el trabajo").click()
    client.get_by_role("button", name="Aprobar pago").click()
    client.get_by_label("Motivo").fill("Quedó goteando la canilla nueva")
    client.get_by_role("button", name="Abrir disputa Todo el trabajo").click()
    expect(client.get_by_role("status")).to_contain_text("Abriste una disputa")
    _shows(client, "Todo el trabajo", "disputed", "$ 48.000,00")

    boss_page = contexts(bypass_csp=True).new_page()
    boss = flows.person("client", f"boss{unique}")
    flows.register(boss_page, boss, server.outbox)
    flows.promote(server.root / "fixia.db", boss.email)
    flows.login(boss_page, boss)
    boss_page.goto("/admin/milestones")
    card = boss_page.locator("article", has_text=title)
    expect(card).to_contain_text("Quedó goteando")
    assert flows.axe(boss_page) == []
    card.get_by_label("Devolución parcial (el resto se libera)").check()
    card.get_by_label("Monto a devolver (solo devolución parcial)").fill("60000")
    card.get_by_role("button", name="Resolver").click()
    expect(boss_page.get_by_role("alert")).to_be_visible()  # more than was held
    assert flows.axe(boss_page) == []
    card = boss_page.locator("article", has_text=title)
    card.get_by_label("Devolución parcial (el resto se libera)").check()
    card.get_by_label("Monto a devolver (solo devolución parcial)").fill("8000")
    card.get_by_role("button", name="Resolver").click()
    expect(boss_page.get_by_role("status")).to_contain_text("Disputa resuelta")
    expect(boss_page.get_by_text("No hay etapas en disputa.")).to_be_visible()
    client.goto(f"{job_url}/milestones")
    _shows(client, "Todo el trabajo", "released", "$ 0,00")
