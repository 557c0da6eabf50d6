"""Browser checks beyond the journey: lockout, validation errors, 404, CSRF, accessibility."""

from __future__ import annotations

import json
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e import flows
from tests.e2e.conftest import Server

PUBLIC_PAGES = ["/", "/search?q=plomero", "/login", "/register", "/forgot-password", "/nope"]


def test_repeated_wrong_passwords_get_the_same_message_as_any_failure(
    page: Page, server: Server, unique: str
) -> None:
    """FIXIA_AUTH__MAX_FAILED_LOGINS=3 in the e2e server. Once this browser's address is
    throttled even the right password gets the wrong-password message: nothing tells a
    guesser that the account exists or that it hit a limit."""
    who = flows.person("client", f"lock{unique}")
    flows.register(page, who, server.outbox)
    for _ in range(3):
        flows.login(page, who, password="Wrong-Pass-2026")
        expect(page.get_by_role("alert")).to_contain_text("no son correctos")
    flows.login(page, who)
    expect(page.get_by_role("alert")).to_contain_text("no son correctos")


def test_form_errors_show_next_to_their_field_and_keep_the_input(page: Page) -> None:
    page.goto("/register")
    page.get_by_label("Nombre y apellido").fill("Ana Prueba")
    page.get_by_label("Correo electrónico").fill("no-es-un-correo")
    page.get_by_label("DNI").fill("12")
    page.get_by_role("button", name="Crear cuenta").click()
    expect(page.get_by_role("alert")).to_contain_text("Revisá los campos marcados")
    email = page.get_by_label("Correo electrónico")
    expect(email).to_have_value("no-es-un-correo")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#e-email")).to_be_visible()
    expect(page.locator("#e-dni")).to_contain_text("formato")
    expect(page.get_by_label("Nombre y apellido")).to_have_value("Ana Prueba")


def test_unknown_page_is_a_friendly_404(page: Page) -> None:
    response = page.goto("/no-existe")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("No encontramos esta página")
    page.get_by_role("link", name="Volver al inicio").click()
    expect(page.get_by_role("searchbox")).to_be_visible()


def test_pages_that_need_a_session_send_to_login_and_back(
    page: Page, server: Server, unique: str
) -> None:
    who = flows.person("client", f"next{unique}")
    flows.register(page, who, server.outbox)
    page.goto("/my/projects")
    expect(page).to_have_url(f"{server.url}/login?next=/my/projects")
    page.get_by_label("Correo electrónico").fill(who.email)
    page.get_by_label("Contraseña").fill(flows.PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("heading", name="Mis proyectos")).to_be_visible()


def test_language_switch_to_english(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Idioma").select_option("en")
    page.get_by_role("button", name="Cambiar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_main_pages_have_no_serious_accessibility_violations(
    axe_available: None, contexts: Callable[..., BrowserContext], server: Server, unique: str
) -> None:
    # axe is injected as an inline script, which our own CSP rightly blocks: bypass it here.
    page = contexts(bypass_csp=True).new_page()
    found: dict[str, object] = {}
    for path in PUBLIC_PAGES:
        page.goto(path)
        found[path] = flows.axe(page)
    pro = flows.person("professional", f"axe{unique}")
    flows.signed_up(page, pro, server.outbox)
    flows.publish_service(page, f"Servicio de prueba axe{unique}")
    for path in [
        "/account",
        "/my/services",
        "/my/services/new",
        "/opportunities",
        "/jobs",
        "/notifications",
        "/subscription",
        "/projects/new",
        f"/professionals/{flows.my_id(page)}",
    ]:
        page.goto(path)
        found[path] = flows.axe(page)
    violations = {path: v for path, v in found.items() if v}
    assert not violations, json.dumps(violations, indent=1)[:4000]


def test_a_form_posted_without_its_csrf_token_is_refused(page: Page, server: Server) -> None:
    page.goto("/login")
    status = page.evaluate(
        """async () => (await fetch('/login', {method: 'POST', body: new URLSearchParams(
            {email: 'a@example.com', password: 'x'})})).status"""
    )
    assert status == 403
