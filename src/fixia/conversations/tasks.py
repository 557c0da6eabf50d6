"""Scheduled work: the unread-message digest and pruning old stream events."""

from __future__ import annotations

import procrastinate

from fixia.conversations import digest
from fixia.db import transactional
from fixia.queue.core import TaskSpec, runtime_of
from fixia.streams import store


async def send_digests(context: procrastinate.JobContext, timestamp: int) -> int:
    runtime = runtime_of(context)
    async with transactional(runtime.sessions) as session:
        return await digest.send_due(session=session, settings=runtime.settings)


async def prune_stream_events(context: procrastinate.JobContext, timestamp: int) -> int:
    runtime = runtime_of(context)
    async with transactional(runtime.sessions) as session:
        return await store.prune(session, keep_days=runtime.settings.streams.keep_days)


TASKS = [
    TaskSpec(
        "conversations.send_digests",
        send_digests,
        cron=lambda q: q.conversation_digest_cron,
    ),
    TaskSpec("streams.prune", prune_stream_events, cron=lambda q: q.stream_prune_cron),
]
