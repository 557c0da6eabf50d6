"""What a stream sends first: the live badge's starting counts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable

from fastapi import Request

from fixia.conversations import service
from fixia.notifications import service as notifications_service


def counts_hello(request: Request, user_id: uuid.UUID) -> Callable[[], Awaitable[list[str]]]:
    """The live badge's starting point: current unread counts, sent without an id (it is
    no stored event, so it never moves Last-Event-ID)."""

    async def hello() -> list[str]:
        async with request.app.state.sessions() as session:
            messages = await service.unread_total(session=session, user_id=user_id)
            notes = await notifications_service.unread_count_of(session=session, user_id=user_id)
        data = json.dumps({"messages": messages, "notifications": notes})
        return [f"event: unread\ndata: {data}\n\n"]

    return hello
