"""Chat load for the streams benchmark and the deploy acceptance test: pairs of people with
a conversation each, and messages sent between them through the public API at a bounded rate.

The people and conversations are written straight into the stack's database (thousands of
registrations would measure argon2, not streams) with the app's own tables, and their access
tokens are signed with the stack's JWT key, as a login would sign them. Messages go through
`POST /api/v1/conversations/{id}/messages`: the real path (store, commit, publish).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from sqlalchemy import create_engine, insert

from fixiactl.bench.sse import Stream
from fixiactl.stack.config import StackState

# Longer than any bounded run, so no stream's reconnect meets an expired token.
TOKEN_TTL_S = 4 * 3600
# Sends in flight at once: the rate is the pace; this only bounds a stall's pile-up.
IN_FLIGHT = 32
# No digits: masking must leave it as it is (a number could read as a phone).
BODY = "Hola, ¿a qué hora le queda bien mañana?"


@dataclass(frozen=True)
class Pair:
    conversation_id: str
    client: Stream
    professional: Stream


@dataclass
class Sent:
    message_id: str
    recipient: Stream
    sent_at: float  # when it was due (the latency the goal names counts from here)
    acked_at: float = 0.0  # when the app answered 201: from here on it is delivery alone


@dataclass
class Traffic:
    sent: list[Sent] = field(default_factory=list)
    failed: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    # The first few failures: (time.monotonic() of the send, what came back), to tell an
    # answer of the app from one of HAProxy's.
    samples: list[tuple[float, str]] = field(default_factory=list)

    def fail(self, why: str, at: float, detail: str = "") -> None:
        self.failed[why] = self.failed.get(why, 0) + 1
        if len(self.samples) < 5:
            self.samples.append((at, f"{why} {detail[:300]}"))


def _tokens(stack: StackState, users: list[tuple[uuid.UUID, str]]) -> list[str]:
    from fixia.config import AuthSettings
    from fixia.platform.security import issue_access_token

    keys = stack.jwt_keys or {"k1": stack.jwt_key}
    kid = stack.jwt_active_kid if stack.jwt_keys else "k1"
    auth = AuthSettings(jwt_keys=keys, jwt_active_kid=kid, access_ttl_s=TOKEN_TTL_S)
    now = datetime.now(UTC)
    return [
        issue_access_token(auth, user_id=uid, role=role, token_version=0, now=now)
        for uid, role in users
    ]


def create_pairs(stack: StackState, count: int) -> list[Pair]:
    """`count` client/professional pairs, each with one conversation (context: a job id
    that exists nowhere; the context is only checked when a conversation is opened)."""
    from fixia.accounts.models import Role, User
    from fixia.conversations.models import ContextType, Conversation
    from fixia.models import import_all

    import_all()
    run = uuid.uuid4().hex[:8]
    people: list[tuple[uuid.UUID, str]] = []
    rows, conversations = [], []
    for n in range(count):
        ids = uuid.uuid4(), uuid.uuid4()
        for uid, role in zip(ids, (Role.client, Role.professional), strict=True):
            people.append((uid, role.value))
            rows.append(
                {
                    "id": uid,
                    "email": f"sse-{run}-{n}-{role.value}@bench.fixia.invalid",
                    "password_hash": "!",  # no password logs in
                    "name": f"Bench {n}",
                    "role": role,
                    "is_professional_active": role is Role.professional,
                }
            )
        conversations.append(
            {
                "id": uuid.uuid4(),
                "context_type": ContextType.job,
                "context_id": uuid.uuid4(),
                "client_id": ids[0],
                "professional_id": ids[1],
                "title": f"Bench chat {n}",
            }
        )
    url = (
        f"postgresql+psycopg://fixia:{stack.db_password}@127.0.0.1:{stack.ports['postgres']}/fixia"
    )
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(User), rows)
            conn.execute(insert(Conversation), conversations)
    finally:
        engine.dispose()
    tokens = _tokens(stack, people)
    streams = [Stream(str(uid), token) for (uid, _), token in zip(people, tokens, strict=True)]
    return [
        Pair(str(c["id"]), streams[2 * n], streams[2 * n + 1]) for n, c in enumerate(conversations)
    ]


async def _send(
    http: httpx.AsyncClient, pair: Pair, forward: bool, t: Traffic, started: float
) -> None:
    sender, recipient = (
        (pair.client, pair.professional) if forward else (pair.professional, pair.client)
    )
    try:
        response = await http.post(
            f"/api/v1/conversations/{pair.conversation_id}/messages",
            json={"body": BODY},
            headers={"Authorization": f"Bearer {sender.token}"},
        )
    except httpx.HTTPError as exc:
        t.fail(type(exc).__name__, started, str(exc))
        return
    if response.status_code != 201:
        t.fail(str(response.status_code), started, response.text)
        return
    t.sent.append(Sent(str(response.json()["id"]), recipient, started, time.monotonic()))


async def send_paced(
    base: str,
    pairs: list[Pair],
    rate: float,
    stop: asyncio.Event,
    max_messages: int,
    *,
    max_s: float = 600,
    drain_s: float = 60,
) -> Traffic:
    """Messages at `rate` per second, round-robin over the pairs, alternating direction,
    until `stop`, max_messages or max_s; then at most drain_s for those in flight. Sends the
    app could not take by then are cancelled and counted as failed ("backlog")."""
    assert base.startswith("http://127.0.0.1:"), "load only ever goes to loopback"
    traffic = Traffic()
    gate = asyncio.Semaphore(IN_FLIGHT)
    pending: set[asyncio.Task[None]] = set()
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:

        async def one(n: int) -> None:
            # From when it was due: a send that waits for a free slot is late, and counts so.
            due = time.monotonic()
            async with gate:
                pair = pairs[n % len(pairs)]
                await _send(http, pair, (n // len(pairs)) % 2 == 0, traffic, due)

        started = time.monotonic()
        for n in range(max_messages):
            if stop.is_set() or time.monotonic() - started > max_s:
                break
            task = asyncio.create_task(one(n))
            pending.add(task)
            task.add_done_callback(pending.discard)
            delay = started + (n + 1) / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        if pending:
            _, late = await asyncio.wait(set(pending), timeout=drain_s)
            for task in late:
                task.cancel()
                traffic.fail("backlog", time.monotonic())
            await asyncio.gather(*late, return_exceptions=True)
        traffic.seconds = time.monotonic() - started
    return traffic
