from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from fixia.catalog.localities import slug_of
from fixia.db import Base, IdMixin, TimestampMixin, str_enum, utcnow


class Role(enum.StrEnum):
    client = "client"
    professional = "professional"
    dual = "dual"
    admin = "admin"


class ProfessionalLevel(enum.StrEnum):
    nuevo = "Nuevo"
    verificado = "ProfesionalVerificado"
    top_rated_plus = "TopRatedPlus"
    certificado = "TecnicoCertificado"


class Availability(enum.StrEnum):
    available = "available"
    busy = "busy"
    unavailable = "unavailable"


def _locality(context: DefaultExecutionContext) -> str | None:
    # A column default, so bulk inserts (seed, benchmarks) get it as well.
    return slug_of(context.get_current_parameters().get("location"))  # type: ignore[no-untyped-call]


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    dni: Mapped[str | None] = mapped_column(String(8), unique=True)
    birthdate: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(32))
    location: Mapped[str | None] = mapped_column(String(120))
    # The known locality `location` names (catalog/localities.py): search by area compares
    # this slug instead of parsing text on every row. Follows `location` (_follow_location).
    locality: Mapped[str | None] = mapped_column(String(40), default=_locality, index=True)
    phone_encrypted: Mapped[str | None] = mapped_column(Text)
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    bio: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64), default="America/Argentina/Catamarca")
    email_verified_at: Mapped[datetime | None]
    verified: Mapped[bool] = mapped_column(default=False)
    failed_login_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    # Bumped on password change and logout-everywhere so outstanding access tokens die at once.
    token_version: Mapped[int] = mapped_column(default=0)
    is_professional_active: Mapped[bool] = mapped_column(default=False)
    plan: Mapped[str] = mapped_column(String(32), default="free")
    plan_expires_at: Mapped[datetime | None]
    suspended_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    # What professionals say about this user as a client.
    # Server defaults: added after launch, existing rows need a value (expand-safe).
    client_rating: Mapped[Decimal] = mapped_column(default=Decimal("0.00"), server_default="0")
    client_review_count: Mapped[int] = mapped_column(default=0, server_default="0")

    profile: Mapped[ProfessionalProfile | None] = relationship(
        back_populates="user", uselist=False, lazy="raise"
    )

    @validates("location")
    def _follow_location(self, _key: str, value: str | None) -> str | None:
        self.locality = slug_of(value)
        return value

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None and self.suspended_at is None


class ProfessionalProfile(IdMixin, TimestampMixin, Base):
    __tablename__ = "professional_profiles"
    __table_args__ = (Index("ix_professional_profiles_rating", "rating", "review_count"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    bio: Mapped[str | None] = mapped_column(Text)
    specialties: Mapped[list[str]] = mapped_column(JSON, default=list)
    years_experience: Mapped[int] = mapped_column(default=0)
    level: Mapped[ProfessionalLevel] = mapped_column(
        str_enum(ProfessionalLevel, "professional_level"), default=ProfessionalLevel.nuevo
    )
    rating: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    review_count: Mapped[int] = mapped_column(default=0)
    availability: Mapped[Availability] = mapped_column(
        str_enum(Availability, "availability"), default=Availability.available
    )
    response_time_hours: Mapped[int] = mapped_column(default=24)
    # The area served: every locality within the radius of the professional's own (NULL: the
    # default radius in settings), plus the localities listed by slug (data/localidades.toml).
    service_radius_km: Mapped[int | None]
    service_localities: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")

    user: Mapped[User] = relationship(back_populates="profile", lazy="raise")


class RefreshToken(IdMixin, Base):
    """One link of a rotation chain. A family is every token descended from one login."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_family_id", "family_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[uuid.UUID]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # The log-in's absolute end, inherited by every rotation (NULL: created before 0007).
    session_expires_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(255))


class OneTimeToken(IdMixin, Base):
    """E-mail verification and password reset links: stored hashed, single use, expiring."""

    __tablename__ = "one_time_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class PasswordHistory(IdMixin, Base):
    __tablename__ = "password_history"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
