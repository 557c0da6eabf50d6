"""Every task the queue runs, from every domain: the edge that binds them (floors: the queue
below cannot import the domains that declare tasks)."""

from __future__ import annotations

from fixia.queue.core import TaskSpec


def all_tasks() -> list[TaskSpec]:
    from fixia.accounts.tasks import TASKS as ACCOUNTS
    from fixia.conversations.tasks import TASKS as CONVERSATIONS
    from fixia.media.tasks import TASKS as MEDIA
    from fixia.money.tasks import TASKS as MONEY
    from fixia.payments.tasks import TASKS as PAYMENTS
    from fixia.queue.tasks import TASKS as QUEUE
    from fixia.trust.tasks import TASKS as TRUST

    return [*QUEUE, *ACCOUNTS, *PAYMENTS, *TRUST, *MEDIA, *MONEY, *CONVERSATIONS]
