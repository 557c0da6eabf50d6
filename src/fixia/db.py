"""Engine, sessions and the declarative base shared by every domain."""

from __future__ import annotations

import enum
import logging
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Enum, MetaData, Numeric, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, ORMExecuteState, Session, mapped_column
from sqlalchemy.types import TypeDecorator

from fixia.config import Settings

# Stable constraint names: migrations can drop and rename them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 v7), so new rows append to the primary-key index."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(secrets.token_bytes(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64
    value |= 0b10 << 62 | rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC everywhere; SQLite stores naive values, so re-attach UTC on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Money(TypeDecorator[Decimal]):
    """NUMERIC(12,2) in ARS. SQLite keeps it as text so no float ever touches a price."""

    impl = Numeric(12, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            # Stored as an integer number of centavos: exact, and it sorts correctly.
            from sqlalchemy import BigInteger

            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(12, 2))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = Decimal(value).quantize(Decimal("0.01"))
        return int(value * 100) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))
        return Decimal(value).quantize(Decimal("0.01"))


def str_enum(cls: type[enum.Enum], name: str) -> Enum:
    """Enums stored as plain strings with a CHECK constraint: portable and easy to extend."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, Decimal: Money}  # noqa: RUF012


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL lets `make run` read while a write is in flight; foreign keys are off by default.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def create_engine(settings: Settings) -> AsyncEngine:
    url = settings.db.url
    if settings.is_sqlite:
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        engine = create_async_engine(url, echo=settings.db.echo, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    server_settings = {"application_name": f"fixia-{settings.release}"}
    if not settings.db.via_pgbouncer:
        server_settings["statement_timeout"] = str(settings.db.statement_timeout_ms)
    return create_async_engine(
        url,
        echo=settings.db.echo,
        # Bound values (e-mails, password hashes, phones) never appear in an exception's
        # text, so no handler or traceback can log them (issue #27).
        hide_parameters=True,
        pool_size=settings.db.pool_size,
        max_overflow=settings.db.max_overflow,
        pool_timeout=settings.db.pool_timeout_s,
        pool_pre_ping=True,
        connect_args={
            # PgBouncer in transaction mode cannot keep server-side prepared statements: no
            # caches, and unique names so two clients never collide on one server connection.
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": lambda: f"__fixia_{uuid.uuid4().hex}__",
            "server_settings": server_settings,
        },
    )


def session_factory(
    engine: AsyncEngine, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """`info` reaches every session (SQLAlchemy copies it into each `Session.info`): the
    process's cache and job queue, which writes use after their commit."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True, info=info)


AfterCommit = Callable[[], Awaitable[None]]


def after_commit(session: AsyncSession, action: AfterCommit) -> None:
    """Run `action` once the transaction has committed (e.g. cache invalidation): doing it
    earlier would let a concurrent reader re-cache the old row before the commit lands."""
    session.info.setdefault("after_commit", []).append(action)


def discard_after_commit(session: AsyncSession) -> None:
    """A rolled-back unit of work leaves no trace outside the database."""
    session.info.pop("after_commit", None)
    session.info.pop("events", None)


async def run_after_commit(session: AsyncSession) -> None:
    from fixia import events  # events sits beside db on the lowest floor; imported late

    events.dispatch_committed(session)
    actions: list[AfterCommit] = session.info.pop("after_commit", [])
    for action in actions:
        try:
            await action()
        except Exception:  # a failed invalidation must not turn a committed write into a 500
            logging.getLogger("fixia.db").exception("after-commit action failed")


@asynccontextmanager
async def transactional(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One transaction per unit of work: commit on success, roll back on any error."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
            await run_after_commit(session)
        except BaseException:
            await session.rollback()
            discard_after_commit(session)
            raise


# --- leaving the building between transactions -------------------------------------------

WROTE = "fixia.wrote"


def _mark_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        session.info[WROTE] = True


def _mark_statement(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info[WROTE] = True


def _forget_writes(session: Session) -> None:
    session.info.pop(WROTE, None)


event.listen(Session, "before_flush", _mark_flush)
event.listen(Session, "do_orm_execute", _mark_statement)
event.listen(Session, "after_commit", _forget_writes)
event.listen(Session, "after_soft_rollback", lambda session, _tx: _forget_writes(session))


class WritesBeforeExternalCall(RuntimeError):
    """A unit of work wrote before calling out: ending its transaction early would commit half
    of it. The call belongs before the writes, or after the commit (a job)."""


@asynccontextmanager
async def released(session: AsyncSession) -> AsyncIterator[None]:
    """No transaction and no pooled connection for the duration of the block: for a call that
    leaves the building (a payment provider) in the middle of a unit of work that has only
    read so far. The read-only transaction ends (nothing to commit, loaded objects stay
    loaded); the session starts a new one at its next statement, which the owner (the request
    or the job) commits as usual. Refuses if anything was written: that would commit it."""
    if session.new or session.dirty or session.deleted or session.info.get(WROTE):
        raise WritesBeforeExternalCall("writes are pending before an external call")
    if session.in_transaction():
        # Nothing was written, so this commit only ends the reads' snapshot and returns the
        # connection to the pool; expire_on_commit=False keeps the loaded rows usable.
        await session.commit()
    yield
