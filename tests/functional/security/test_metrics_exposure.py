"""Issue #27, item 2, in the app: `/metrics` answers only direct scrapes. A request that
came through a proxy (HAProxy adds X-Forwarded-For) gets 404, whatever HAProxy let through."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.inprocess


@pytest.mark.parametrize(
    "header", [("X-Forwarded-For", "203.0.113.9"), ("Forwarded", "for=203.0.113.9")]
)
async def test_metrics_refuse_proxied_requests(
    client: httpx.AsyncClient, header: tuple[str, str]
) -> None:
    r = await client.get("/metrics", headers=[header])
    assert r.status_code == 404
    assert "# TYPE" not in r.text


async def test_metrics_answer_a_direct_scrape(client: httpx.AsyncClient) -> None:
    r = await client.get("/metrics")
    assert r.status_code == 200 and "# TYPE" in r.text
