"""The e-mail delivery log: one row per message sent, by its idempotency key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from fixia.db import Base, utcnow


class EmailDelivery(Base):
    __tablename__ = "email_deliveries"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
