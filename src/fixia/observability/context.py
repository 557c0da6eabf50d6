"""Who the request is for, for the access log and every log line of the request."""

from __future__ import annotations

import structlog
from starlette.requests import Request


def bind_user(request: Request, user_id: object) -> None:
    value = str(user_id)
    # The scope's state outlives the handler: the access-log middleware reads it afterwards.
    request.state.user_id = value
    structlog.contextvars.bind_contextvars(user_id=value)
