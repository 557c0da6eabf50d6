from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fixia.db import Base, IdMixin, str_enum, utcnow


class ContextType(enum.StrEnum):
    proposal = "proposal"
    service_request = "service_request"
    job = "job"


class Conversation(IdMixin, Base):
    """One per pair of people and context. Each party archives it for themselves."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("context_type", "context_id", "client_id", "professional_id"),
        Index("ix_conversations_client_last", "client_id", "last_message_at"),
        Index("ix_conversations_professional_last", "professional_id", "last_message_at"),
    )

    context_type: Mapped[ContextType] = mapped_column(str_enum(ContextType, "conversation_context"))
    # Points at a proposal, a service request or a job, by context_type: no foreign key.
    context_id: Mapped[uuid.UUID]
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    professional_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    client_archived_at: Mapped[datetime | None]
    professional_archived_at: Mapped[datetime | None]
    # Set by the first report: from then on admins may read it (each read is audited).
    reported_at: Mapped[datetime | None] = mapped_column(index=True)
    # Masked contact details so far (repeated attempts are flagged).
    masked_count: Mapped[int] = mapped_column(default=0)


class Message(IdMixin, Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_created", "conversation_id", "created_at", "id"),
        # Unread counts and the digest: a recipient's unread messages.
        Index("ix_messages_recipient_read", "recipient_id", "read_at"),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    sender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    # What masking hid: kinds only ("phone", "email", "link"), never the values.
    masked: Mapped[list[str]] = mapped_column(JSON, default=list)
    attachment_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    digested_at: Mapped[datetime | None]


class MessageReport(IdMixin, Base):
    """A party's report of a message, or the system's flag (reporter_id None)."""

    __tablename__ = "message_reports"

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE")
    )
    reporter_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
