"""The job queue in process, on SQLite and on a real PostgreSQL: jobs exist exactly when
their transaction commits, an e-mail job that runs twice sends once, and an SMTP outage is no
error for the user. (The stack scenarios are in tests/acceptance/queue.)"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from fixia.config import EmailSettings, QueueSettings, Settings
from fixia.db import transactional
from fixia.main import create_app
from fixia.queue.runner import JobQueue
from fixia.queue.tasks import queue_email
from tests.factories.accounts import last_mails, register, registration
from tests.factories.catalog import DbExec, sql_value
from tests.smtp_server import free_port

# The app's state (its queue and sessions): in process only.
pytestmark = pytest.mark.inprocess


@pytest.fixture
async def app(settings: Settings) -> FastAPI:
    built = create_app(settings)
    yield built
    await built.state.queue.close()
    await built.state.engine.dispose()


async def _jobs(app: FastAPI) -> int:
    queue: JobQueue = app.state.queue
    if app.state.settings.is_sqlite:
        return len(queue.app.connector.jobs)  # type: ignore[attr-defined]
    async with app.state.sessions() as session:
        return int(
            (await session.execute(text("SELECT count(*) FROM procrastinate_jobs"))).scalar_one()
        )


async def test_a_rolled_back_transaction_enqueues_nothing(app: FastAPI, outbox: Path) -> None:
    async def failing_request() -> None:
        async with transactional(app.state.sessions) as session:
            await queue_email(session, key="k-rollback", to="a@example.com", subject="s", body="b")
            raise RuntimeError("the request failed after deferring")

    before = await _jobs(app)
    with pytest.raises(RuntimeError):
        await failing_request()
    assert await _jobs(app) == before
    assert not list(outbox.glob("*.eml"))


async def test_a_committed_transaction_enqueues_and_runs(app: FastAPI, outbox: Path) -> None:
    before = await _jobs(app)
    async with transactional(app.state.sessions) as session:
        await queue_email(session, key="k-commit", to="a@example.com", subject="s", body="b")
    assert await _jobs(app) == before + 1
    assert len(list(outbox.glob("*.eml"))) == 1


async def test_an_email_job_run_twice_sends_once(app: FastAPI, outbox: Path) -> None:
    for _ in range(2):  # a retry, an operator's re-run: the same key
        async with transactional(app.state.sessions) as session:
            await queue_email(session, key="k-twice", to="a@example.com", subject="s", body="b")
    assert len(list(outbox.glob("*.eml"))) == 1
    async with transactional(app.state.sessions) as session:
        await queue_email(session, key="k-other", to="a@example.com", subject="s", body="b")
    assert len(list(outbox.glob("*.eml"))) == 2


async def test_smtp_down_is_no_error_for_the_user(settings: Settings) -> None:
    """Nothing listens on the SMTP port: registration still answers 201, and the mail job
    waits for its retry instead of failing the request (it used to be a 503)."""
    down = settings.model_copy(
        update={
            "email": EmailSettings(backend="smtp", smtp_port=free_port(), smtp_timeout_s=1),
            "queue": QueueSettings(eager=True),
        }
    )
    app = create_app(down)
    body = registration("client")
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            r = await c.post("/api/v1/auth/register", json=body)
        assert r.status_code == 201, r.text
        async with app.state.sessions() as session:
            if down.is_sqlite:
                jobs = list(app.state.queue.app.connector.jobs.values())
                statuses = [(j["status"], j["attempts"]) for j in jobs]
            else:
                rows = await session.execute(
                    text(
                        "SELECT status, attempts FROM procrastinate_jobs"
                        " WHERE task_name = 'email.send' AND args->>'to' = :to"
                    ),
                    {"to": body["email"]},
                )
                statuses = [tuple(r) for r in rows]
        assert statuses == [("todo", 1)], "failed once, waiting for its retry"
    finally:
        await app.state.queue.close()
        await app.state.engine.dispose()


async def _run_task(app: FastAPI, task: str) -> None:
    """What the scheduler does at a tick: defer the periodic task (eager: it runs now)."""
    queue: JobQueue = app.state.queue
    await queue.defer_now(task, {"timestamp": 0}, lock=None, scheduled_at=None)


async def test_renewal_reminders_go_once_per_subscription_and_end_date(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, outbox: Path, db_exec: DbExec
) -> None:
    soon, later = await register(client, outbox), await register(client, outbox)
    now = datetime.now(UTC).replace(tzinfo=None)
    for user, ends in ((soon, now + timedelta(days=2)), (later, now + timedelta(days=9))):
        await db_exec(
            "INSERT INTO subscriptions (id, user_id, plan, status, started_at, expires_at, "
            "created_at, updated_at) VALUES (:id, :user, 'premium', 'active', :now, :ends, "
            ":now, :now)",
            id=sql_value(settings, uuid.uuid4()),
            user=sql_value(settings, uuid.UUID(user.id)),
            now=now,
            ends=ends,
        )
    for _ in range(2):  # two ticks (or a retry): one reminder
        await _run_task(app, "payments.renewal_reminders")
    reminders = [b for b in last_mails(outbox, soon.email) if "vence el" in b]
    assert len(reminders) == 1
    assert not [b for b in last_mails(outbox, later.email) if "vence el" in b]


async def test_expired_tokens_are_purged(
    app: FastAPI, client: httpx.AsyncClient, outbox: Path, db_exec: DbExec
) -> None:
    user = await register(client, outbox)  # a live session and a used verification link
    await db_exec("UPDATE one_time_tokens SET expires_at = created_at")
    await _run_task(app, "accounts.purge_expired_tokens")
    assert await db_exec("SELECT count(*) FROM one_time_tokens") == [(0,)]
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    assert r.status_code == 200, "live sessions stay"
