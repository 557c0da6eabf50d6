from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from fixia.matches.models import JobStatus, MatchStatus, ServiceRequestStatus

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=2000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServiceRequestCreate(_Strict):
    message: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=10, max_length=1000)
    ]
    budget: (
        Annotated[Decimal, Field(ge=100, le=10_000_000, max_digits=10, decimal_places=2)] | None
    ) = None
    deadline: AwareDatetime | None = None


class AnswerIn(_Strict):
    message: Note | None = None


class PartyRef(BaseModel):
    id: uuid.UUID
    name: str


class ServiceRequestOut(BaseModel):
    id: uuid.UUID
    service_id: uuid.UUID
    service_title: str
    client: PartyRef
    professional_id: uuid.UUID
    message: str
    budget: Decimal | None
    deadline: datetime | None
    status: ServiceRequestStatus
    response_message: str | None
    created_at: datetime


class ProgressIn(_Strict):
    progress: Annotated[int, Field(ge=0, le=100)]
    message: Note | None = None


class ReasonIn(_Strict):
    reason: Reason


class DeclineIn(_Strict):
    message: Note | None = None


class ResolveIn(_Strict):
    outcome: Literal["completed", "cancelled", "in_progress"]
    resolution: Reason


class StatusUpdateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    message: str | None
    actor_id: uuid.UUID | None
    created_at: datetime


class JobOut(BaseModel):
    id: uuid.UUID
    match_id: uuid.UUID
    title: str
    client: PartyRef
    professional: PartyRef
    agreed_price: Decimal
    currency: str
    delivery_date: datetime
    status: JobStatus
    progress: int
    started_at: datetime | None
    completion_requested_by: uuid.UUID | None
    completion_requested_at: datetime | None
    completed_at: datetime | None
    dispute_reason: str | None
    resolution: str | None
    created_at: datetime


class JobDetail(JobOut):
    history: list[StatusUpdateOut]


class MatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: uuid.UUID
    professional_id: uuid.UUID
    project_id: uuid.UUID | None
    service_request_id: uuid.UUID | None
    status: MatchStatus
    created_at: datetime


class RevealTokenOut(BaseModel):
    token: str
    expires_at: datetime


class RevealIn(_Strict):
    token: Annotated[str, StringConstraints(min_length=10, max_length=200)]


class ContactOut(BaseModel):
    name: str
    phone: str
