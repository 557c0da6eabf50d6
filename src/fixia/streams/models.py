from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fixia.db import Base, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY.
_BIGID = BigInteger().with_variant(Integer(), "sqlite")


class StreamCursor(Base):
    """The last sequence number given to a user's events. Taking the next one locks this
    row until the commit, so a user's events commit in sequence order: a reader that saw
    seq N may resume after N and never skip an N-1 that committed later."""

    __tablename__ = "stream_cursors"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, default=0)


class StreamEvent(Base):
    """One event for one user, kept (keep_days) so a stream resumes with Last-Event-ID."""

    __tablename__ = "stream_events"
    __table_args__ = (UniqueConstraint("user_id", "seq"),)

    id: Mapped[int] = mapped_column(_BIGID, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
