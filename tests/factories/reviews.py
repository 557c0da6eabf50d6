"""Review factories through the public API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories.accounts import Account

API = "/api/v1"


def review_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "rating": 5,
        "communication": 5,
        "quality": 4,
        "professionalism": 5,
        "timeliness": 4,
        "comment": "Muy prolijo y puntual, dejó todo funcionando.",
    }
    body.update(overrides)
    return body


async def post_review(
    client: httpx.AsyncClient, author: Account, job_id: str, **overrides: Any
) -> httpx.Response:
    return await client.post(
        f"{API}/jobs/{job_id}/reviews", json=review_body(**overrides), headers=author.headers
    )


async def write_review(
    client: httpx.AsyncClient, author: Account, job_id: str, **overrides: Any
) -> dict[str, Any]:
    r = await post_review(client, author, job_id, **overrides)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data
