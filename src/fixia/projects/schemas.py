from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from fixia.accounts.models import ProfessionalLevel
from fixia.catalog.schemas import CategoryRef
from fixia.projects.models import ProjectStatus, ProposalStatus

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=100)]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=50, max_length=2000)
]
Budget = Annotated[Decimal, Field(ge=1_000, le=10_000_000, max_digits=10, decimal_places=2)]
Skill = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=2, max_length=40)
]
Location = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectCreate(_Strict):
    category_id: uuid.UUID
    title: Title
    description: Description
    budget_min: Budget
    budget_max: Budget
    deadline: AwareDatetime
    location: Location
    is_remote: bool = False
    skills: Annotated[list[Skill], Field(max_length=15)] = []

    @model_validator(mode="after")
    def _budget_range(self) -> ProjectCreate:
        if self.budget_min > self.budget_max:
            raise ValueError("budget_min must not exceed budget_max")
        return self


class ProjectUpdate(_Strict):
    category_id: uuid.UUID | None = None
    title: Title | None = None
    description: Description | None = None
    budget_min: Budget | None = None
    budget_max: Budget | None = None
    deadline: AwareDatetime | None = None
    location: Location | None = None
    is_remote: bool | None = None
    skills: Annotated[list[Skill], Field(max_length=15)] | None = None


class PersonRef(BaseModel):
    id: uuid.UUID
    name: str


class ProjectOut(BaseModel):
    id: uuid.UUID
    client: PersonRef
    category: CategoryRef
    title: str
    description: str
    budget_min: Decimal
    budget_max: Decimal
    deadline: datetime
    location: str
    is_remote: bool
    skills: list[str]
    status: ProjectStatus
    proposal_count: int
    created_at: datetime
    updated_at: datetime


class OpportunitySort(enum.StrEnum):
    newest = "newest"
    budget_desc = "budget_desc"


class OpportunityOut(ProjectOut):
    match_score: int
    is_applied: bool
    my_proposals: list[uuid.UUID]


class ProposalCreate(_Strict):
    message: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=20, max_length=2000)
    ]
    quoted_price: Annotated[Decimal, Field(ge=100, le=10_000_000, max_digits=10, decimal_places=2)]
    delivery_time_days: Annotated[int, Field(ge=1, le=365)]


class ProfessionalRef(BaseModel):
    id: uuid.UUID
    name: str
    level: ProfessionalLevel | None
    rating: Decimal | None
    review_count: int | None
    avatar_url: str | None = None


class ProposalOut(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    project_title: str
    professional: ProfessionalRef
    message: str
    quoted_price: Decimal
    delivery_time_days: int
    status: ProposalStatus
    created_at: datetime
    decided_at: datetime | None


class AcceptOut(BaseModel):
    proposal: ProposalOut
    match_id: uuid.UUID
    job_id: uuid.UUID
