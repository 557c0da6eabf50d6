"""Conversations through the public API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.factories.accounts import Account, register
from tests.factories.projects import API, apply, post_project


async def open_conversation(
    client: httpx.AsyncClient, who: Account, context_type: str, context_id: str
) -> dict[str, Any]:
    r = await client.post(
        f"{API}/conversations",
        json={"context_type": context_type, "context_id": context_id},
        headers=who.headers,
    )
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def send(
    client: httpx.AsyncClient, who: Account, conversation_id: str, body: str, **extra: Any
) -> dict[str, Any]:
    r = await client.post(
        f"{API}/conversations/{conversation_id}/messages",
        json={"body": body, **extra},
        headers=who.headers,
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def unread(client: httpx.AsyncClient, who: Account) -> dict[str, Any]:
    r = await client.get(f"{API}/conversations/unread", headers=who.headers)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def proposal_conversation(
    client: httpx.AsyncClient, outbox: Path, opener: str = "professional"
) -> tuple[Account, Account, dict[str, Any], dict[str, Any]]:
    """A client's project, a professional's proposal and their conversation about it:
    (client, professional, proposal, conversation)."""
    owner = await register(client, outbox)
    pro = await register(client, outbox, role="professional")
    proposal = await apply(client, pro, (await post_project(client, owner))["id"])
    who = pro if opener == "professional" else owner
    conv = await open_conversation(client, who, "proposal", proposal["id"])
    return owner, pro, proposal, conv
