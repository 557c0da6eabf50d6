"""Trust work after the commit: recompute a score, expire approvals, send a code."""

from __future__ import annotations

import uuid

import procrastinate

from fixia.db import transactional
from fixia.platform.security import FieldCipher
from fixia.platform.sms import Sms, build_sms_sender
from fixia.queue.core import TaskSpec, runtime_of
from fixia.trust import service, verifications
from fixia.trust.phone import SEND
from fixia.trust.public import trust_namespace
from fixia.trust.signals import RECOMPUTE


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


async def send_code(context: procrastinate.JobContext, to: str, body: str) -> None:
    settings = runtime_of(context).settings
    cipher = FieldCipher(settings.encryption_key.get_secret_value())
    sms = Sms(to=cipher.decrypt(to), body=cipher.decrypt(body))
    await build_sms_sender(settings.sms).send(sms)


TASKS = [
    TaskSpec(RECOMPUTE, recompute),
    TaskSpec(
        "trust.expire_verifications",
        expire_verifications,
        cron=lambda q: q.expire_verifications_cron,
    ),
    TaskSpec(SEND, send_code),
]
