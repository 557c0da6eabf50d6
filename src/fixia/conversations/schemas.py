from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field, model_validator

from fixia.conversations.models import ContextType


class ConversationOpen(BaseModel):
    context_type: ContextType
    context_id: uuid.UUID


class MessageIn(BaseModel):
    # The limit is enforced again by the service with the configured maximum.
    body: str = Field(default="", max_length=2000)
    attachment_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _not_empty(self) -> MessageIn:
        if not self.body.strip() and not self.attachment_ids:
            raise ValueError("a message needs text or an attachment")
        return self


class ReportIn(BaseModel):
    reason: str = Field(min_length=5, max_length=500)


class ArchiveIn(BaseModel):
    archived: bool = True


class AttachmentOut(BaseModel):
    id: uuid.UUID
    url: str | None


class MessageOut(BaseModel):
    id: uuid.UUID
    conversation_id: uuid.UUID
    sender_id: uuid.UUID
    body: str
    masked: list[str]
    attachments: list[AttachmentOut]
    created_at: datetime
    read_at: datetime | None


class SentOut(MessageOut):
    # Why the text changed, for the sender only.
    notice: str | None = None


class ConversationOut(BaseModel):
    id: uuid.UUID
    context_type: ContextType
    context_id: uuid.UUID
    title: str
    client_id: uuid.UUID
    professional_id: uuid.UUID
    other_party_name: str
    last_message_at: datetime
    archived: bool
    unread: int
    reported: bool


class UnreadOut(BaseModel):
    total: int
    by_conversation: dict[uuid.UUID, int]


class ReportOut(BaseModel):
    id: uuid.UUID
    conversation_id: uuid.UUID
    message_id: uuid.UUID | None
    reason: str
    automatic: bool
    created_at: datetime
