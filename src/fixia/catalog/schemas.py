from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from fixia.accounts.models import ProfessionalLevel
from fixia.platform.pagination import Page

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=100)]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=50, max_length=2000)
]
Price = Annotated[Decimal, Field(ge=100, le=1_000_000, max_digits=9, decimal_places=2)]
Tag = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=2, max_length=30, pattern=r"^[\w\- ]+$"
    ),
]
ImageUrl = Annotated[str, StringConstraints(max_length=500, pattern=r"^https://\S+$")]


class SortBy(enum.StrEnum):
    relevance = "relevance"
    price_asc = "price_asc"
    price_desc = "price_desc"
    rating = "rating"
    reviews = "reviews"
    popular = "popular"
    newest = "newest"
    distance = "distance"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _ServiceFields(_Strict):
    @field_validator("tags", check_fields=False)
    @classmethod
    def _unique_tags(cls, tags: list[str] | None) -> list[str] | None:
        return list(dict.fromkeys(tags)) if tags is not None else None


class ServiceCreate(_ServiceFields):
    category_id: uuid.UUID
    subcategory_id: uuid.UUID | None = None
    title: Title
    description: Description
    price: Price
    tags: Annotated[list[Tag], Field(max_length=10)] = []
    main_image_url: ImageUrl | None = None
    delivery_time_days: Annotated[int, Field(ge=1, le=365)] = 7
    revisions_included: Annotated[int, Field(ge=0, le=10)] = 0


class ServiceUpdate(_ServiceFields):
    category_id: uuid.UUID | None = None
    subcategory_id: uuid.UUID | None = None
    title: Title | None = None
    description: Description | None = None
    price: Price | None = None
    tags: Annotated[list[Tag], Field(max_length=10)] | None = None
    main_image_url: ImageUrl | None = None
    delivery_time_days: Annotated[int, Field(ge=1, le=365)] | None = None
    revisions_included: Annotated[int, Field(ge=0, le=10)] | None = None


class ActiveIn(_Strict):
    active: bool


class SubcategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    slug: str


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    slug: str
    icon: str | None
    popular: bool
    service_count: int = 0
    subcategories: list[SubcategoryOut] = []


class CategoryRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    slug: str


class ProfessionalSummary(BaseModel):
    id: uuid.UUID
    name: str
    location: str | None
    verified: bool
    level: ProfessionalLevel
    rating: Decimal
    review_count: int
    avatar_url: str | None = None


class ServiceOut(BaseModel):
    id: uuid.UUID
    title: str
    description: str
    price: Decimal
    currency: str
    category: CategoryRef
    subcategory_id: uuid.UUID | None
    tags: list[str]
    main_image_url: str | None
    delivery_time_days: int
    revisions_included: int
    active: bool
    featured: bool
    view_count: int
    created_at: datetime
    updated_at: datetime
    professional: ProfessionalSummary


class ServiceQuery(BaseModel):
    """Public search parameters, validated at the edge."""

    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    category: Annotated[str, StringConstraints(max_length=100)] | None = None
    subcategory: Annotated[str, StringConstraints(max_length=100)] | None = None
    location: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] | None = None
    min_price: Annotated[Decimal, Field(ge=0, le=100_000_000)] | None = None
    max_price: Annotated[Decimal, Field(ge=0, le=100_000_000)] | None = None
    min_rating: Annotated[Decimal, Field(ge=0, le=5)] | None = None
    level: ProfessionalLevel | None = None
    verified: bool | None = None
    featured: bool | None = None
    # Only professionals living within this many km of the location (data/localidades.toml).
    radius_km: Annotated[int, Field(ge=1, le=500)] | None = None
    sort: SortBy = SortBy.relevance
    cursor: Annotated[str, StringConstraints(max_length=500)] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20


class SearchInfo(BaseModel):
    """What the search understood and did, for the page to say so."""

    locality: str | None = None
    did_you_mean: str | None = None
    # "corrected", "any_term", "wider_area": each relaxation tried after finding nothing.
    relaxed: list[str] = []
    related_categories: list[CategoryRef] = []
    messages: list[str] = []


class SearchPage(Page[ServiceOut]):
    search: SearchInfo = SearchInfo()


class Suggestion(BaseModel):
    value: str
    kind: str  # "trade", "category", "locality"


class LocalityOut(BaseModel):
    slug: str
    name: str
    lat: float
    lon: float


class FavoriteOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    service: ServiceOut | None = None
    professional_id: uuid.UUID | None = None
    professional_name: str | None = None
