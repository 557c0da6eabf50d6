"""The marketplace journey in a real browser, on a desktop and on a 360 px phone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e import flows
from tests.e2e.conftest import Server

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "mobile": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
}


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_the_whole_journey(
    contexts: Callable[..., BrowserContext], server: Server, unique: str, device: str
) -> None:
    options = VIEWPORTS[device]
    if True:
        client, pro = contexts(**options).new_page(), contexts(**options).new_page()
        ana, beto = flows.person("client", unique), flows.person("professional", unique)
        word = f"caño{unique}"

        # 1. Both register and verify their e-mail from the dev outbox, then log in.
        flows.signed_up(client, ana, server.outbox)
        flows.signed_up(pro, beto, server.outbox)

        # 2. The professional publishes a service; the client finds it with a filter.
        service_title = f"Plomería urgente {word}"
        flows.publish_service(pro, service_title)
        flows.find_service(client, word, service_title)
        expect(client.get_by_role("link", name=beto.name)).to_be_visible()

        # 3. The client posts a project; the professional applies; the client accepts.
        project_title = f"Arreglar calefón {word}"
        flows.post_project(client, project_title)
        flows.apply_to(pro, word, project_title)
        job_url = flows.accept_proposal(client, project_title)
        assert "/jobs/" in job_url

        # 4. Completion is requested and confirmed; both review.
        flows.press(pro, job_url, "Iniciar trabajo")
        flows.press(pro, job_url, "Pedir confirmación de finalización")
        flows.press(client, job_url, "Confirmar finalización")
        expect(client.locator(".job-status")).to_have_text("Terminado")
        flows.review(client, job_url, 5, "Impecable, vino rápido y dejó todo limpio.")
        flows.review(pro, job_url, 4, "Muy buena comunicación.")

        # The rating shows on the professional's public profile.
        client.goto(job_url)
        client.get_by_role("link", name=beto.name).click()
        expect(client.get_by_role("heading", name=beto.name)).to_be_visible()
        expect(client.locator(".rating")).to_contain_text("★ 5.00")
        expect(client.get_by_test_id("review-count")).to_have_text("1 reseña")
        expect(client.get_by_text("Impecable, vino rápido")).to_be_visible()

        # The contact reveal works once the two are matched.
        client.goto(job_url)
        client.get_by_role("button", name="Ver datos de contacto").click()
        expect(client.get_by_role("link", name="+54 280 455-1234")).to_be_visible()
        if device == "mobile":
            width = client.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"the page scrolls sideways at 360 px ({width} px)"
