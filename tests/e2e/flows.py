"""What a person does in the browser, step by step, written once for every viewport."""

from __future__ import annotations

import email
import random
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

PASSWORD = "Fixia-Pass-2026"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CATEGORY = "Oficios y Reparaciones"
LINK = re.compile(r"https?://\S+/verify-email\?token=\S+")


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    role: str


def person(role: str, tag: str) -> Person:
    first = "Ana" if role == "client" else "Beto"
    return Person(f"{first} Prueba {tag}", f"{role}-{tag}@example.com", role)


def mail_link(outbox: Path, to: str, pattern: re.Pattern[str] = LINK) -> str:
    """The link in the newest e-mail sent to `to` (polls briefly: the outbox is a directory)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for path in sorted(outbox.glob("*.eml"), reverse=True):
            message = email.message_from_bytes(path.read_bytes())
            if message["To"] == to:
                body = message.get_payload(decode=True)
                assert isinstance(body, bytes)
                found = pattern.search(body.decode())
                if found:
                    return found.group(0)
        time.sleep(0.1)
    raise AssertionError(f"no e-mail with a link for {to} in {outbox}")


def register(page: Page, who: Person, outbox: Path, locality: str = "Trelew, Chubut") -> None:
    page.goto("/register")
    page.get_by_label(
        "Ofrezco mis servicios" if who.role == "professional" else "Busco profesionales"
    ).check()
    page.get_by_label("Nombre y apellido").fill(who.name)
    page.get_by_label("Correo electrónico").fill(who.email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_label("DNI").fill(str(random.randint(10_000_000, 99_999_999)))
    page.get_by_label("Fecha de nacimiento").fill(
        (date.today() - timedelta(days=30 * 365)).isoformat()
    )
    page.get_by_label("Teléfono").fill("+54 280 455-1234")
    page.get_by_label("Localidad").fill(locality)
    if who.role == "professional":
        page.get_by_label("Especialidades").fill("plomería, gas")
        page.get_by_label("Experiencia").select_option("5-10")
    page.get_by_role("button", name="Crear cuenta").click()
    expect(page.get_by_role("status")).to_contain_text("Te enviamos un correo")
    # The link from the dev outbox, as the person would click it in their mail.
    page.goto(mail_link(outbox, who.email))
    expect(page.get_by_role("status")).to_contain_text("Tu correo está confirmado")


def login(page: Page, who: Person, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(who.email)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Ingresar").click()


def signed_up(page: Page, who: Person, outbox: Path, locality: str = "Trelew, Chubut") -> None:
    register(page, who, outbox, locality)
    login(page, who)
    expect(page.get_by_role("heading", name="Mi cuenta")).to_be_visible()


def publish_service(page: Page, title: str) -> None:
    page.goto("/my/services")
    page.get_by_role("link", name="Publicar un servicio").click()
    page.get_by_label("Categoría").select_option(label=CATEGORY)
    page.get_by_label("Título").fill(title)
    page.get_by_label("Descripción").fill(
        "Arreglo pérdidas, destapo cañerías y cambio griferías en el día. " * 2
    )
    page.get_by_label("Precio (ARS)").fill("25000")
    page.get_by_label("Etiquetas").fill("plomería, urgencias")
    page.get_by_role("button", name="Publicar").click()
    expect(page.get_by_role("status")).to_contain_text("Publicaste tu servicio")
    expect(page.get_by_role("link", name=title, exact=True)).to_be_visible()


def find_service(page: Page, word: str, title: str) -> None:
    page.goto("/")
    page.get_by_role("searchbox").fill(word)
    page.get_by_role("button", name="Buscar").click()
    # Narrow it with a filter, as a person would.
    page.get_by_label("Categoría").select_option(label=CATEGORY)
    page.get_by_label("Precio máximo").fill("30000")
    page.get_by_role("button", name="Aplicar filtros").click()
    expect(page).to_have_url(re.compile(r"category=oficios"))
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()


def post_project(page: Page, title: str) -> None:
    page.get_by_role("link", name="Publicar proyecto").first.click()
    page.get_by_label("Categoría").select_option(label=CATEGORY)
    page.get_by_label("Título").fill(title)
    page.get_by_label("Descripción").fill(
        "Se rompió el calefón y pierde agua por la conexión de abajo. "
        "Necesito arreglarlo esta semana."
    )
    page.get_by_label("Presupuesto mínimo (ARS)").fill("30000")
    page.get_by_label("Presupuesto máximo (ARS)").fill("60000")
    page.get_by_label("Fecha límite").fill((date.today() + timedelta(days=20)).isoformat())
    page.get_by_label("Localidad").fill("Trelew")
    page.get_by_role("button", name="Publicar proyecto").click()
    expect(page.get_by_role("status")).to_contain_text("Publicaste tu proyecto")


def apply_to(page: Page, word: str, title: str) -> None:
    page.goto("/opportunities")
    page.get_by_role("searchbox").fill(word)
    page.get_by_role("button", name="Buscar").click()
    card = page.get_by_role("article").filter(has_text=title)
    expect(card.locator(".match-score")).to_have_text(re.compile(r"^\d{1,3}%$"))
    card.get_by_role("link", name=title).click()
    page.get_by_label("Mensaje").fill("Puedo ir mañana a la mañana con los repuestos necesarios.")
    page.get_by_label("Tu precio (ARS)").fill("48000")
    page.get_by_label("Días de entrega").fill("3")
    page.get_by_role("button", name="Enviar propuesta").click()
    expect(page.get_by_role("status")).to_contain_text("Enviaste tu propuesta")


def accept_proposal(page: Page, title: str) -> str:
    page.goto("/my/projects")
    page.get_by_role("link", name=title, exact=True).click()
    page.get_by_role("button", name="Aceptar propuesta").click()
    expect(page.get_by_role("status")).to_contain_text("Aceptaste la propuesta")
    return page.url.split("?")[0]


def press(page: Page, job_url: str, button: str) -> None:
    page.goto(job_url)
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("status")).to_contain_text("Actualizamos el trabajo")


def review(page: Page, job_url: str, stars: int, comment: str) -> None:
    page.goto(job_url)
    page.get_by_role("link", name="Dejar una reseña").click()
    page.get_by_label(f"{'★' * stars} {stars}").check()
    page.get_by_label("Comentario").fill(comment)
    page.get_by_role("button", name="Publicar reseña").click()
    expect(page.get_by_role("status")).to_contain_text("Gracias por tu reseña")


def axe(page: Page) -> list[dict[str, object]]:
    """axe-core's serious and critical violations on the page (the context must bypass CSP:
    the script is injected inline)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def my_id(page: Page) -> str:
    page.goto("/account")
    href = page.get_by_role("link", name="Ver mi perfil público").get_attribute("href")
    assert href is not None
    return href.rsplit("/", 1)[-1]


def promote_to_admin(database: Path, email_address: str) -> None:
    """What `fixia` admin tooling does to make an admin: the role, on the server's database."""
    with sqlite3.connect(database) as db:
        db.execute("UPDATE users SET role = 'admin' WHERE email = ?", (email_address,))
