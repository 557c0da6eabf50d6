"""Work after the commit, on the real stack: SMTP outages, a worker killed mid-job, an app
killed right after its commit, and the periodic expiry with two workers.

Every assertion is a count: requests answered, messages received, jobs run.
"""

from __future__ import annotations

import asyncio
import os
import signal
import textwrap
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx

from tests import stack as stack_module
from tests.acceptance.queue.conftest import run_script, wait_for, worker_pid
from tests.factories.accounts import Account, register
from tests.factories.catalog import create_service, search_ids
from tests.factories.projects import apply, post_project
from tests.smtp_server import SmtpServer

API = "/api/v1"
ROOT = Path(__file__).resolve().parents[3]
Sql = Callable[..., list[tuple[object, ...]]]


def _email_jobs(sql: Sql) -> int:
    rows = sql("SELECT coalesce(max(id), 0) FROM procrastinate_jobs WHERE task_name = 'email.send'")
    return int(rows[0][0])  # type: ignore[call-overload]


def _ids(messages: list[object]) -> list[str]:
    return [str(m["Message-ID"]) for m in messages]  # type: ignore[index]


async def test_smtp_outage_answers_2xx_and_every_mail_arrives_once(
    running: stack_module.RunningStack, smtp: SmtpServer, client: httpx.AsyncClient, sql: Sql
) -> None:
    outbox = smtp.mailbox.directory
    owner = await register(client, outbox)
    pro = await register(client, outbox, role="professional")
    proposal = await apply(client, pro, (await post_project(client, owner))["id"])
    before_jobs, before_mail = _email_jobs(sql), len(smtp.mailbox.snapshot())

    smtp.stop()
    statuses = []
    newcomer = f"nuevo-{uuid.uuid4().hex[:8]}@example.com"
    r = await client.post(f"{API}/auth/register", json=_registration(newcomer))
    statuses.append(r.status_code)
    r = await client.post(f"{API}/proposals/{proposal['id']}/accept", headers=owner.headers)
    statuses.append(r.status_code)
    r = await client.post(f"{API}/auth/forgot-password", json={"email": owner.email})
    statuses.append(r.status_code)
    assert statuses == [201, 200, 202]
    queued = sql(
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'email.send' AND id > %(b)s",
        b=before_jobs,
    )[0][0]
    assert queued >= 3  # verification, the accepted proposal's notice, the reset link
    # While SMTP is down nothing is delivered, and the jobs wait for their retry.
    assert len(smtp.mailbox.snapshot()) == before_mail

    smtp.start()
    wait_for(
        lambda: len(smtp.mailbox.snapshot()) - before_mail >= queued,
        f"{queued} e-mails after SMTP came back",
        120,
    )
    arrived = smtp.mailbox.snapshot()[before_mail:]
    assert len(arrived) == queued, "no e-mail is lost or duplicated"
    assert all(count == 1 for count in Counter(_ids(arrived)).values())
    recipients = {m["To"] for m in arrived}
    assert {newcomer, owner.email, pro.email} <= recipients
    failed = sql("SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'")[0][0]
    assert failed == 0


def _registration(email: str) -> dict[str, object]:
    from tests.factories.accounts import registration

    body = registration("client")
    body["email"] = email
    return body


async def _reset_held_mid_delivery(
    client: httpx.AsyncClient, smtp: SmtpServer, sql: Sql
) -> tuple[Account, object]:
    """A password-reset e-mail whose worker is stuck inside the SMTP transaction (the server
    holds it at RCPT until `release`): the user and the job being delivered."""
    user = await register(client, smtp.mailbox.directory)
    smtp.mailbox.release.clear()
    smtp.mailbox.hold.set()
    r = await client.post(f"{API}/auth/forgot-password", json={"email": user.email})
    assert r.status_code == 202
    wait_for(smtp.mailbox.held.is_set, "the worker to be mid-delivery", 30)
    smtp.mailbox.held.clear()
    doing = sql(
        "SELECT id FROM procrastinate_jobs WHERE status = 'doing' AND task_name = 'email.send'"
    )
    assert len(doing) == 1, doing
    return user, doing[0][0]


async def test_worker_killed_mid_job_retries_and_sends_once(
    running: stack_module.RunningStack, smtp: SmtpServer, client: httpx.AsyncClient, sql: Sql
) -> None:
    user, job_id = await _reset_held_mid_delivery(client, smtp, sql)
    # procrastinate does not record which process holds a job: both workers die, so the
    # one mid-delivery surely does. supervisord restarts them.
    for slot in ("blue", "green"):
        os.kill(worker_pid(running, slot), signal.SIGKILL)
    smtp.mailbox.release.set()  # the dead worker's connection is gone: nothing is delivered

    def succeeded() -> bool:
        rows = sql("SELECT status, attempts FROM procrastinate_jobs WHERE id = %(i)s", i=job_id)
        return rows[0][0] == "succeeded"

    wait_for(succeeded, "the killed worker's job to run again", 90)
    resets = [m for m in smtp.mailbox.to(user.email) if "reset-password" in str(m.get_payload())]
    assert len(resets) == 1, "the reset e-mail arrives exactly once"
    attempts = sql("SELECT attempts FROM procrastinate_jobs WHERE id = %(i)s", i=job_id)[0][0]
    assert attempts >= 2  # the killed attempt, then the one that sent it


async def test_app_killed_right_after_commit_keeps_its_job(
    running: stack_module.RunningStack, smtp: SmtpServer, client: httpx.AsyncClient
) -> None:
    """The job row commits with the business change: a process that dies right after its
    commit (no after-commit hook ran) still gets its e-mail sent by the workers."""
    user = await register(client, smtp.mailbox.directory)
    script = textwrap.dedent(
        f"""
        import asyncio, os, signal
        from fixia.accounts import service
        from fixia.config import Settings
        from fixia.db import create_engine, session_factory

        async def main():
            settings = Settings()
            sessions = session_factory(create_engine(settings))
            async with sessions() as session:
                await service.forgot_password(session=session, settings=settings,
                                              email={user.email!r})
                await session.commit()
                os.kill(os.getpid(), signal.SIGKILL)  # before anything after the commit

        asyncio.run(main())
        """
    )
    env = {"FIXIA_DATABASE_URL": running.database_url, "FIXIA_ENV": "test"}
    result = run_script(script, env, ROOT)
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]

    def reset_sent() -> bool:
        return any("reset-password" in str(m.get_payload()) for m in smtp.mailbox.to(user.email))

    wait_for(reset_sent, "the killed process's reset e-mail", 60)
    resets = [m for m in smtp.mailbox.to(user.email) if "reset-password" in str(m.get_payload())]
    assert len(resets) == 1


async def test_periodic_expiry_with_two_workers_unlists_without_stale_reads(
    running: stack_module.RunningStack, smtp: SmtpServer, client: httpx.AsyncClient, sql: Sql
) -> None:
    pro = await register(client, smtp.mailbox.directory, role="professional")
    sql(
        "UPDATE users SET plan = 'premium', plan_expires_at = now() + interval '1 day'"
        " WHERE id = %(u)s",
        u=pro.id,
    )
    sql(
        "INSERT INTO subscriptions (id, user_id, plan, status, started_at, expires_at,"
        " created_at, updated_at) VALUES (%(i)s, %(u)s, 'premium', 'active', now(),"
        " now() + interval '1 day', now(), now())",
        i=str(uuid.uuid4()),
        u=pro.id,
    )
    word = f"zq{uuid.uuid4().hex[:8]}"
    created = [await create_service(client, pro, title=f"Servicio {word} {n}") for n in range(6)]
    newest = created[-1]["id"]
    # Anonymous searches are cached: warm the page the expiry must invalidate.
    assert newest in await search_ids(client, q=word)
    assert newest in await search_ids(client, q=word)

    sql("UPDATE subscriptions SET expires_at = now() WHERE user_id = %(u)s", u=pro.id)

    def expired() -> bool:
        rows = sql("SELECT status FROM subscriptions WHERE user_id = %(u)s", u=pro.id)
        return rows[0][0] == "expired"

    wait_for(expired, "the scheduled expiry", 60)
    found = await search_ids(client, q=word)
    assert newest not in found, "the unlisted service is gone from search: no stale cache"
    assert len(found) == 5  # the free plan keeps the oldest five
    assert (await client.get(f"{API}/services/{newest}")).status_code == 404
    # Both workers run the scheduler; each period's expiry was deferred once.
    periods = sql(
        "SELECT args->>'timestamp', count(*) FROM procrastinate_jobs"
        " WHERE task_name = 'payments.expire_subscriptions' GROUP BY 1"
    )
    assert len(periods) >= 2 and all(count == 1 for _, count in periods)
    assert worker_pid(running, "blue") and worker_pid(running, "green")


async def test_sigterm_lets_the_running_job_finish(
    running: stack_module.RunningStack, smtp: SmtpServer, client: httpx.AsyncClient, sql: Sql
) -> None:
    """A deploy stops a slot's worker with SIGTERM while it delivers: the delivery finishes
    (within FIXIA_QUEUE__SHUTDOWN_GRACE_S), once, and the job is not run again."""
    user, job_id = await _reset_held_mid_delivery(client, smtp, sql)
    stops = [
        threading.Thread(target=running.ctl, args=("stop", f"worker-{slot}"))
        for slot in ("blue", "green")
    ]
    for stop in stops:
        stop.start()
    await asyncio.sleep(2)  # both have their SIGTERM; the one delivering waits for its job
    smtp.mailbox.release.set()
    for stop in stops:
        stop.join(60)
    try:
        status, attempts = sql(
            "SELECT status, attempts FROM procrastinate_jobs WHERE id = %(i)s", i=job_id
        )[0]
        assert (status, attempts) == ("succeeded", 1)
        resets = [
            m for m in smtp.mailbox.to(user.email) if "reset-password" in str(m.get_payload())
        ]
        assert len(resets) == 1
    finally:
        for slot in ("blue", "green"):
            running.ctl("start", f"worker-{slot}")
