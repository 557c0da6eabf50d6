"""SQL statements per write request (issue #25 item 4, issue #23's send path): counted, not
timed. Each count is what the request needs; a new statement on these paths (a reload, a
second query for the caller's profile, one cursor row per event) fails here first, so the
change that adds it says why. The answers still carry what the reloads used to supply."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from fixia.config import Settings
from tests.factories.catalog import DbExec, sql_value
from tests.factories.conversations import proposal_conversation
from tests.factories.projects import API, OFICIOS, post_project, project_body, proposal_body

pytestmark = pytest.mark.inprocess

# auth (user LEFT JOIN profile), category, INSERT project
CREATE_PROJECT = 3
# auth, project, active proposals on it, INSERT proposal, INSERT notification, unread
# notifications, stream cursor upsert, INSERT stream event
APPLY = 8
# auth, conversation, reveal, UPDATE conversation, INSERT message, stream cursors upsert
# (both users), unread messages (under the cursor lock), INSERT the three stream events
SEND_MESSAGE = 8


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        seen.append(" ".join(statement.split())[:120])

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", count)


async def _unlimited_plans(db_exec: DbExec, settings: Settings) -> None:
    # The bench's accounts: a paid plan, so no monthly quota query (the free plan adds one).
    until = "'2099-01-01 00:00:00'" if settings.is_sqlite else "now() + interval '1 day'"
    await db_exec(f"update users set plan = 'professional', plan_expires_at = {until}")  # noqa: S608


async def test_create_project_apply_and_send_count_their_statements(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec, settings: Settings
) -> None:
    owner, pro, _, conv = await proposal_conversation(client, outbox)
    await _unlimited_plans(db_exec, settings)
    # Warm: the first request of a process loads what later ones find cached.
    await post_project(client, owner)

    with statements() as seen:
        r = await client.post(f"{API}/projects", json=project_body(), headers=owner.headers)
    assert r.status_code == 201, r.text
    assert len(seen) == CREATE_PROJECT, seen
    project = r.json()
    assert project["client"] == {"id": owner.id, "name": owner.data["name"]}
    assert project["category"]["id"] == OFICIOS
    assert project["proposal_count"] == 0

    with statements() as seen:
        r = await client.post(
            f"{API}/opportunities/{project['id']}/apply",
            json=proposal_body(),
            headers=pro.headers,
        )
    assert r.status_code == 201, r.text
    assert len(seen) == APPLY, seen
    proposal = r.json()
    assert proposal["project_title"] == project["title"]
    assert proposal["professional"]["id"] == pro.id
    assert proposal["professional"]["name"] == pro.data["name"]
    assert proposal["status"] == "pending"

    with statements() as seen:
        r = await client.post(
            f"{API}/conversations/{conv['id']}/messages",
            json={"body": "¿Le viene bien el jueves?"},
            headers=pro.headers,
        )
    assert r.status_code == 201, r.text
    assert len(seen) == SEND_MESSAGE, seen


async def test_the_free_plan_adds_only_its_quota_query(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner, _, _, _ = await proposal_conversation(client, outbox)
    with statements() as seen:
        r = await client.post(f"{API}/projects", json=project_body(), headers=owner.headers)
    assert r.status_code == 201, r.text
    assert len(seen) == CREATE_PROJECT + 1, seen
    assert any("count(*)" in s and "projects" in s for s in seen), seen


async def test_messages_both_ways_at_once_keep_each_stream_in_sequence(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec, settings: Settings
) -> None:
    """Both parties' stream events are stored by one cursor upsert and one INSERT: with
    messages sent both ways at once, each user's events still take consecutive seqs, one per
    event, and every message reaches both parties' streams once."""
    owner, pro, _, conv = await proposal_conversation(client, outbox)
    rounds = 8

    async def say(who: Any, i: int) -> int:
        r = await client.post(
            f"{API}/conversations/{conv['id']}/messages",
            json={"body": f"mensaje {i}"},
            headers=who.headers,
        )
        return r.status_code

    codes = await asyncio.gather(*(say(owner if i % 2 else pro, i) for i in range(2 * rounds)))
    assert codes == [201] * (2 * rounds)
    for user in (owner, pro):
        rows = await db_exec(
            "select seq, type from stream_events where user_id = :u order by seq",
            u=sql_value(settings, uuid.UUID(user.id)),
        )
        seqs = [int(str(s)) for s, _ in rows]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        messages = [t for _, t in rows if t == "message"]
        # Every message reaches both parties' streams once; the recipient also gets its count.
        assert len(messages) == 2 * rounds
