"""The request-body limit, on every route: API, web forms, webhooks, anything mounted later.

A Content-Length over the limit is refused before anything is read. A body without one
(chunked) is counted as the app reads it: the moment the count passes the limit, reading
stops and the client gets 413, so a form parser never spools more than the limit to memory
or disk. The answer is problem+json on machine routes and a page on web routes, through the
same mapper as every other error (fixia.errors). Pure ASGI: nothing is buffered here.

Upload routes declare their own, larger limit (`RouteLimit`, from the media package); the
match is marked in the scope (`UPLOAD_LIMIT_KEY`) so the form reader accepts a file there
and nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fixia.errors import MACHINE_PREFIXES, HtmlRenderer, problem

UPLOAD_LIMIT_KEY = "fixia.upload_limit"


@dataclass(frozen=True)
class RouteLimit:
    """A body limit for requests whose method and path match (the first match wins)."""

    methods: frozenset[str]
    path: re.Pattern[str]
    limit: int


class BodyTooLarge(Exception):
    """Raised from `receive` inside the app once the body passed the limit."""


class _CountingChannel:
    """Wraps one request's receive/send: counts body bytes and, once over the limit, keeps
    whatever the app tries to answer from reaching the client (the 413 goes instead)."""

    def __init__(self, limit: int, receive: Receive, send: Send) -> None:
        self.limit = limit
        self._receive = receive
        self._send = send
        self.seen = 0
        self.exceeded = False
        self.started = False

    async def receive(self) -> Message:
        if self.exceeded:
            raise BodyTooLarge()
        message = await self._receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                self.exceeded = True
                raise BodyTooLarge()
        return message

    async def send(self, message: Message) -> None:
        if self.exceeded:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: int, routes: Sequence[RouteLimit] = ()) -> None:
        self.app = app
        self.limit = limit
        self.routes = tuple(routes)

    def _limit_for(self, scope: Scope) -> int:
        for route in self.routes:
            if scope["method"] in route.methods and route.path.fullmatch(scope["path"]):
                scope[UPLOAD_LIMIT_KEY] = route.limit
                return route.limit
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope)
        if _content_length(scope["headers"]) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        channel = _CountingChannel(limit, receive, send)
        try:
            await self.app(scope, channel.receive, channel.send)
        except Exception:
            # Whatever the app made of BodyTooLarge (a parser error, an exception group from
            # a task group) is the same event; anything else is a real error.
            if not channel.exceeded:
                raise
        if channel.exceeded and not channel.started:
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        path: str = scope["path"]
        response = problem(
            413,
            "Content Too Large",
            f"The request body is larger than {limit} bytes.",
            "payload_too_large",
            path,
            # The rest of the body is never read: the connection cannot be reused.
            headers={"Connection": "close"},
        )
        app = scope.get("app")
        html: HtmlRenderer | None = getattr(getattr(app, "state", None), "html_errors", None)
        if html is not None and not path.startswith(MACHINE_PREFIXES):
            page = await html(Request(scope), response)
            page.headers["Connection"] = "close"
            await page(scope, receive, send)
            return
        await response(scope, receive, send)


def _content_length(headers: list[tuple[bytes, bytes]]) -> int:
    for key, value in headers:
        if key == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0
