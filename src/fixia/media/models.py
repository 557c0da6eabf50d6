from __future__ import annotations

import enum
import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fixia.db import Base, IdMixin, TimestampMixin, str_enum


class MediaKind(enum.StrEnum):
    avatar = "avatar"
    service_photo = "service_photo"
    project_photo = "project_photo"
    portfolio = "portfolio"
    document = "document"
    # Sent in a conversation from the web form; the API attaches any of the sender's images.
    message_photo = "message_photo"


class MediaStatus(enum.StrEnum):
    pending = "pending"  # stored as uploaded, waiting for the worker's variants
    ready = "ready"
    failed = "failed"  # the worker could not decode it; the owner sees why and deletes it


class MediaAsset(IdMixin, TimestampMixin, Base):
    """One uploaded file and what the worker made of it. Exactly one target at most: a
    service's gallery, a project's photos or a portfolio item; avatars and documents belong
    to the owner alone. Objects in storage are named after the id (docs/media.md), which is
    how the orphan sweep tells whose an object is."""

    __tablename__ = "media_assets"
    __table_args__ = (
        Index("ix_media_assets_owner_kind", "owner_id", "kind"),
        Index("ix_media_assets_service_position", "service_id", "position"),
    )

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[MediaKind] = mapped_column(str_enum(MediaKind, "media_kind"))
    status: Mapped[MediaStatus] = mapped_column(
        str_enum(MediaStatus, "media_status"), default=MediaStatus.pending
    )
    service_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE")
    )
    project_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    portfolio_item_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("portfolio_items.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    alt: Mapped[str] = mapped_column(String(200), default="")
    # What decoding found, never what the client claimed.
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    # Bytes of every stored variant: what the plan's quota counts once ready.
    stored_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    width: Mapped[int | None]
    height: Mapped[int | None]
    # {"card": {"webp": key, "jpeg": key, "width": w, "height": h}, ...}; documents: {"file": key}
    variants: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    label: Mapped[str] = mapped_column(String(50), default="")  # documents: dni_front...
    error: Mapped[str | None] = mapped_column(String(200))


class PortfolioItem(IdMixin, TimestampMixin, Base):
    """A piece of past work on the professional's page; its image is a MediaAsset."""

    __tablename__ = "portfolio_items"
    __table_args__ = (Index("ix_portfolio_items_owner_position", "owner_id", "position"),)

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    project_url: Mapped[str | None] = mapped_column(String(500))
    category_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("categories.id"))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    featured: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
