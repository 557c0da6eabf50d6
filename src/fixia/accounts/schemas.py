from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from fixia.accounts.models import Availability, ProfessionalLevel, Role
from fixia.catalog import localities
from fixia.platform.passwords import password_problems

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{6,20}$")]
Location = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)]
Specialty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60)]
Password = Annotated[str, Field(max_length=128)]
ExperienceBucket = Literal["menos-1", "1-3", "3-5", "5-10", "mas-10"]
EXPERIENCE_YEARS = {"menos-1": 0, "1-3": 2, "3-5": 4, "5-10": 7, "mas-10": 15}


class Strict(BaseModel):
    # Unknown fields are an error, never silently ignored (mass-assignment protection).
    model_config = ConfigDict(extra="forbid")


def _check_policy(value: str) -> str:
    problems = password_problems(value)
    if problems:
        raise ValueError("password " + "; ".join(problems))
    return value


class RegisterIn(Strict):
    email: EmailStr
    password: Password
    name: Name
    role: Literal["client", "professional"]
    dni: Annotated[str, StringConstraints(pattern=r"^[0-9]{7,8}$")]
    birthdate: date
    phone: Phone
    gender: Literal["masculino", "femenino", "prefiero_no_decirlo"] | None = None
    location: Location | None = None
    # Professionals only
    description: Annotated[str, Field(max_length=2000)] | None = None
    specialties: Annotated[list[Specialty], Field(max_length=10)] = []
    experience: ExperienceBucket | None = None

    _policy = field_validator("password")(_check_policy)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 scheme name
    expires_in: int


class LoginIn(Strict):
    email: EmailStr
    password: Password


class RefreshIn(Strict):
    refresh_token: Annotated[str, Field(min_length=10, max_length=200)]


class EmailIn(Strict):
    email: EmailStr


class TokenIn(Strict):
    token: Annotated[str, Field(min_length=10, max_length=200)]


class ResetPasswordIn(TokenIn):
    new_password: Password

    _policy = field_validator("new_password")(_check_policy)


class ChangePasswordIn(Strict):
    current_password: Password
    new_password: Password

    _policy = field_validator("new_password")(_check_policy)


class ProfileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    bio: str | None
    specialties: list[str]
    years_experience: int
    level: ProfessionalLevel
    rating: Decimal
    review_count: int
    availability: Availability
    response_time_hours: int
    service_radius_km: int | None = None
    service_localities: list[str] = []


class MeOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    role: Role
    location: str | None
    phone_masked: str | None
    bio: str | None
    avatar_url: str | None
    timezone: str
    email_verified: bool
    verified: bool
    plan: str
    plan_expires_at: datetime | None
    is_professional_active: bool
    created_at: datetime
    profile: ProfileOut | None


class MeUpdate(Strict):
    name: Name | None = None
    location: Location | None = None
    phone: Phone | None = None
    bio: Annotated[str, Field(max_length=2000)] | None = None
    avatar_url: Annotated[str, Field(max_length=500, pattern=r"^https://")] | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z_]+(/[A-Za-z_]+){0,2}", value):
            raise ValueError("not an IANA time zone name")
        return value


class ProfileUpdate(Strict):
    bio: Annotated[str, Field(max_length=2000)] | None = None
    specialties: Annotated[list[Specialty], Field(min_length=1, max_length=10)] | None = None
    years_experience: Annotated[int, Field(ge=0, le=50)] | None = None
    availability: Availability | None = None
    response_time_hours: Annotated[int, Field(ge=1, le=168)] | None = None
    # The area served (search): a radius around one's own locality (null: the default) and
    # localities served beyond it, by slug ("trelew", "puerto-madryn"; see GET /localities).
    service_radius_km: Annotated[int, Field(ge=0, le=500)] | None = None
    service_localities: Annotated[list[str], Field(max_length=30)] | None = None

    @field_validator("service_localities")
    @classmethod
    def _known_localities(cls, slugs: list[str] | None) -> list[str] | None:
        if slugs is None:
            return None
        known = localities.all_localities()
        unknown = [s for s in slugs if s not in known]
        if unknown:
            raise ValueError(f"unknown localities: {', '.join(unknown[:5])}")
        return list(dict.fromkeys(slugs))


class PublicProfessional(BaseModel):
    id: uuid.UUID
    name: str
    location: str | None
    avatar_url: str | None
    verified: bool
    member_since: datetime
    profile: ProfileOut


class Message(BaseModel):
    detail: str
