"""Trust work after the commit: recompute a score, expire approvals, send a code."""

from __future__ import annotations

import uuid
from datetime import timedelta

import procrastinate

from fixia.db import transactional, utcnow
from fixia.platform.security import FieldCipher
from fixia.platform.sms import Sms, build_sms_sender
from fixia.queue.core import TaskSpec, runtime_of
from fixia.queue.signals import TRUST_RECOMPUTE
from fixia.trust import service, verifications
from fixia.trust.phone import SEND
from fixia.trust.public import trust_namespace

BATCH = 500


async def recompute(context: procrastinate.JobContext, user_id: str) -> str | None:
    runtime = runtime_of(context)
    async with transactional(runtime.sessions) as session:
        stored = await service.recompute(session, uuid.UUID(user_id))
    await runtime.cache.bump(trust_namespace(uuid.UUID(user_id)))  # after the commit, never inside
    return str(stored.score) if stored else None


async def expire_verifications(context: procrastinate.JobContext, timestamp: int) -> int:
    runtime = runtime_of(context)
    async with transactional(runtime.sessions) as session:
        return await verifications.expire_due(session=session)


async def refresh_replies(context: procrastinate.JobContext, timestamp: int) -> int:
    """Reply times move with every message, too often for a recompute per message: this
    cron scores again the professionals who wrote since its lookback, so the communication
    component is at most one run behind (docs/trust.md)."""
    runtime = runtime_of(context)
    since = utcnow() - timedelta(seconds=runtime.settings.queue.trust_replies_lookback_s)
    async with transactional(runtime.sessions) as session:
        ids = await service.repliers_since(session, since)
        for start in range(0, len(ids), BATCH):
            await service.recompute_many(session, ids[start : start + BATCH])
    for user_id in ids:  # after the commit, never inside
        await runtime.cache.bump(trust_namespace(user_id))
    return len(ids)


async def send_code(context: procrastinate.JobContext, to: str, body: str) -> None:
    settings = runtime_of(context).settings
    cipher = FieldCipher(settings.encryption_key.get_secret_value())
    sms = Sms(to=cipher.decrypt(to), body=cipher.decrypt(body))
    await build_sms_sender(settings.sms).send(sms)


TASKS = [
    TaskSpec(TRUST_RECOMPUTE, recompute),
    TaskSpec(
        "trust.expire_verifications",
        expire_verifications,
        cron=lambda q: q.expire_verifications_cron,
    ),
    TaskSpec(SEND, send_code),
    TaskSpec("trust.refresh_replies", refresh_replies, cron=lambda q: q.trust_replies_cron),
]
