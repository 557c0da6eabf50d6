from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fixia.accounts.models import User
from fixia.catalog.analysis import index_document
from fixia.db import Base, IdMixin, TimestampMixin, utcnow


class Category(IdMixin, Base):
    __tablename__ = "categories"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    icon: Mapped[str | None] = mapped_column(String(50))
    popular: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    subcategories: Mapped[list[Subcategory]] = relationship(
        back_populates="category", lazy="raise", order_by="Subcategory.position"
    )


class Subcategory(IdMixin, Base):
    __tablename__ = "subcategories"
    __table_args__ = (UniqueConstraint("category_id", "slug"),)

    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)

    category: Mapped[Category] = relationship(back_populates="subcategories", lazy="raise")


def _search_document(context: DefaultExecutionContext) -> str:
    # A column default, so bulk inserts (seed, benchmarks) index their rows as well.
    row = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return index_document(row.get("title"), row.get("tags_text"), row.get("description"))


class Service(IdMixin, TimestampMixin, Base):
    """A professional's listing."""

    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_non_negative"),
        Index("ix_services_active_created", "active", "created_at"),
        Index("ix_services_price", "price"),
        Index("ix_services_view_count_id", "view_count", "id"),
    )

    professional_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("categories.id"), index=True)
    subcategory_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subcategories.id"))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    price: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3), default="ARS")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The tags as plain text: what the full-text indexes read.
    tags_text: Mapped[str] = mapped_column(Text, default="")
    # Title, tags and description analysed by catalog.analysis: the only text either engine's
    # full-text index reads (migration 0010_search). Rewritten by every change to them.
    search_document: Mapped[str] = mapped_column(Text, default=_search_document, server_default="")
    main_image_url: Mapped[str | None] = mapped_column(String(500))
    delivery_time_days: Mapped[int] = mapped_column(default=7)
    revisions_included: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    featured: Mapped[bool] = mapped_column(default=False)
    view_count: Mapped[int] = mapped_column(default=0)
    deleted_at: Mapped[datetime | None]

    professional: Mapped[User] = relationship(lazy="raise")
    category: Mapped[Category] = relationship(lazy="raise")


class ServiceView(IdMixin, Base):
    """One viewer's view of a listing on one UTC day; repeats are not stored or counted."""

    __tablename__ = "service_views"
    __table_args__ = (
        Index("ux_service_views_viewer_day", "service_id", "viewer_key", "view_day", unique=True),
    )

    service_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    viewer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # "u:<user id>" or "a:<keyed hash of IP and user agent>" (catalog.service.viewer_key).
    viewer_key: Mapped[str | None] = mapped_column(String(64))
    view_day: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Favorite(IdMixin, Base):
    """A user saves a service or a professional: exactly one of the two targets is set."""

    __tablename__ = "favorites"
    __table_args__ = (
        UniqueConstraint("user_id", "service_id"),
        UniqueConstraint("user_id", "professional_id"),
        CheckConstraint(
            "(service_id IS NULL) <> (professional_id IS NULL)", name="exactly_one_target"
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE")
    )
    professional_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchTerm(Base):
    """A word typo correction may offer (catalog/spelling.py): the vocabulary's words, folded,
    with their written form. PostgreSQL finds candidates by trigram similarity (pg_trgm GIN
    index, migration 0015_trgm); `fixia db reindex-search` refreshes the rows."""

    __tablename__ = "search_terms"

    word: Mapped[str] = mapped_column(String(60), primary_key=True)
    display: Mapped[str] = mapped_column(String(60))
