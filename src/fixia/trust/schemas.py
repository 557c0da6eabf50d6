from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from fixia.accounts.models import ProfessionalLevel
from fixia.media.schemas import DocumentOut
from fixia.trust.models import VerificationStatus, VerificationType

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class VerificationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: VerificationType
    additional_info: Text | None = None
    # Private documents uploaded first (media): at most five per request.
    document_ids: list[uuid.UUID] = Field(default_factory=list, max_length=5)
    cuit: Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)] | None = None

    @model_validator(mode="after")
    def _business_needs_a_cuit(self) -> VerificationCreate:
        if self.type is VerificationType.business and not self.cuit:
            raise ValueError("a business verification needs the CUIT")
        return self


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approved: bool
    reason: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=500)]
        | None
    ) = None
    notes: Text | None = None

    @model_validator(mode="after")
    def _rejection_says_why(self) -> Decision:
        if not self.approved and not self.reason:
            raise ValueError("a rejection needs a reason the user will read")
        return self


class PhoneConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]


class VerificationOut(BaseModel):
    id: uuid.UUID
    type: VerificationType
    status: VerificationStatus
    additional_info: str | None
    document_ids: list[str]
    rejection_reason: str | None
    created_at: datetime
    decided_at: datetime | None
    expires_at: datetime | None


class AdminVerificationOut(VerificationOut):
    user_id: uuid.UUID
    user_name: str
    cuit: str | None
    notes: str | None
    # The private documents, each with a short-lived signed link (admins only).
    documents: list[DocumentOut] = Field(default_factory=list)


class TrustOut(BaseModel):
    user_id: uuid.UUID
    score: str | None
    level: ProfessionalLevel | None
    badges: list[str]
    components: dict[str, str]
    weights: dict[str, str]
    computed_at: datetime | None


class UserStats(BaseModel):
    user_id: uuid.UUID
    jobs_completed: int
    on_time_rate: float | None
    response_time_hours: int | None
    member_since: datetime


class TopRated(BaseModel):
    id: uuid.UUID
    name: str
    location: str | None
    level: ProfessionalLevel
    score: str
    rating: str
    review_count: int
