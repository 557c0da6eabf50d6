"""Domain errors and the ONE place that turns any error into an RFC 9457 problem response."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

log = logging.getLogger("fixia.errors")

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """Base of every business rule violation. Subclasses set status, code and title."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str | None = None, *, persist: bool = False, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra
        self.headers: dict[str, str] = {}
        # Some refusals must still save state, e.g. a failed login's attempt counter. The
        # request's transaction commits instead of rolling back when this is set.
        self.persist = persist


class NotFound(DomainError):
    """The resource does not exist, or the caller may not know it exists."""

    status, code, title = 404, "not_found", "Not found"


class Unauthorized(DomainError):
    """No valid credentials were presented."""

    status, code, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, *, persist: bool = False, **extra: Any) -> None:
        super().__init__(detail, persist=persist, **extra)
        self.headers["WWW-Authenticate"] = "Bearer"


class Forbidden(DomainError):
    """The caller is known but not allowed to do this."""

    status, code, title = 403, "forbidden", "Forbidden"


class Conflict(DomainError):
    """The request conflicts with the current state, e.g. a duplicate."""

    status, code, title = 409, "conflict", "Conflict"


class InvalidInput(DomainError):
    """Input that passed schema validation but breaks a business rule on a field."""

    status, code, title = 422, "validation_error", "Invalid input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, errors=[{"field": field, "message": message}])


class LimitExceeded(Forbidden):
    """The caller's plan does not allow more of this."""

    code, title = "plan_limit_exceeded", "Plan limit reached"


def problem(
    status: int,
    title: str,
    detail: str,
    code: str,
    instance: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://fixia.com.ar/problems/{code.replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
    }
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[0] if loc else "body")


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem(
        exc.status, exc.title, exc.detail, exc.code, request.url.path, exc.extra, exc.headers
    )


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": _field_name(tuple(e.get("loc", ()))),
            "message": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in exc.errors()
    ]
    return problem(
        422,
        "Invalid input",
        "The request has invalid fields.",
        "validation_error",
        request.url.path,
        {"errors": errors},
    )


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
        exc.status_code, f"http_{exc.status_code}"
    )
    detail = exc.detail if isinstance(exc.detail, str) else "HTTP error"
    headers = dict(exc.headers) if exc.headers else None
    return problem(exc.status_code, detail, detail, code, request.url.path, headers=headers)


async def _integrity(request: Request, exc: Exception) -> JSONResponse:
    # Services check uniqueness first; this is the race-condition backstop. Only the
    # driver's first line (which constraint), never its DETAIL: that repeats the row's values.
    assert isinstance(exc, IntegrityError)
    log.info("integrity error: %s", str(exc.orig).strip().split("\n", 1)[0][:300])
    return problem(
        409,
        "Conflict",
        "The resource already exists or conflicts with another one.",
        "conflict",
        request.url.path,
    )


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable: %s", exc)
    return problem(
        503,
        "Service unavailable",
        "The database is unavailable; try again shortly.",
        "database_unavailable",
        request.url.path,
        headers={"Retry-After": "5"},
    )


# SQLSTATE classes that mean "the database is not reachable right now", not "this request is
# wrong": connection exceptions (PgBouncer reports its own failures as 08P01), operator
# intervention (shutdown, starting up) and insufficient resources (too many connections).
# 25006 (read-only transaction): on the HA stack a write can reach a leader Patroni is
# demoting before HAProxy's check moves the route; nothing was applied, so it is a 503 the
# client may retry, not a bug.
UNAVAILABLE_SQLSTATES = ("08", "57P", "53", "25006")


def database_down(exc: DBAPIError) -> bool:
    if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
        return True
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return isinstance(state, str) and state.startswith(UNAVAILABLE_SQLSTATES)


async def _dbapi(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if database_down(exc):
        return await _unavailable(request, exc)
    return await _unexpected(request, exc)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(
        500,
        "Internal server error",
        "An unexpected error occurred.",
        "internal_error",
        request.url.path,
    )


# Renders a problem as a page for browser routes (set by fixia.web); the API keeps JSON.
HtmlRenderer = Callable[[Request, JSONResponse], Awaitable[Response]]
MACHINE_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics", "/docs")


def _negotiated(
    handler: Callable[[Request, Exception], Awaitable[JSONResponse]],
) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        response = await handler(request, exc)
        html: HtmlRenderer | None = getattr(request.app.state, "html_errors", None)
        if html is None or request.url.path.startswith(MACHINE_PREFIXES):
            return response
        return await html(request, response)

    return handle


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _negotiated(_domain))
    app.add_exception_handler(RequestValidationError, _negotiated(_validation))
    app.add_exception_handler(StarletteHTTPException, _negotiated(_http))
    app.add_exception_handler(IntegrityError, _negotiated(_integrity))
    app.add_exception_handler(OperationalError, _negotiated(_unavailable))
    app.add_exception_handler(DBAPIError, _negotiated(_dbapi))
    # The driver's own connect errors (refused, reset, timed out) and an exhausted pool: the
    # database is out of reach for now, so 503 + Retry-After rather than a 500.
    app.add_exception_handler(ConnectionError, _negotiated(_unavailable))
    app.add_exception_handler(TimeoutError, _negotiated(_unavailable))
    app.add_exception_handler(PoolTimeout, _negotiated(_unavailable))
    app.add_exception_handler(Exception, _negotiated(_unexpected))
