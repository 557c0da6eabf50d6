from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from fixia.media.models import MediaKind, MediaStatus

Alt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
ProjectUrl = Annotated[str, Field(max_length=500, pattern=r"^https?://[^\s]+$")]


class VariantOut(BaseModel):
    name: str
    width: int
    height: int
    webp: str
    jpeg: str


class MediaOut(BaseModel):
    id: uuid.UUID
    kind: MediaKind
    status: MediaStatus
    alt: str
    position: int
    content_type: str
    width: int | None
    height: int | None
    # Empty while pending: show a placeholder until the worker has made them.
    variants: list[VariantOut]
    url: str | None
    srcset_webp: str | None
    srcset_jpeg: str | None
    error: str | None
    created_at: datetime


class DocumentOut(BaseModel):
    id: uuid.UUID
    status: MediaStatus
    label: str
    content_type: str
    created_at: datetime
    # A short-lived signed link (owner and admins only), once processed.
    url: str | None
    expires_in_s: int | None


class OrderIn(BaseModel):
    ids: Annotated[list[uuid.UUID], Field(max_length=200)]


class AltIn(BaseModel):
    alt: Alt


class PortfolioItemIn(BaseModel):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
    description: Annotated[str, Field(max_length=2000)] = ""
    project_url: ProjectUrl | None = None
    category_id: uuid.UUID | None = None
    tags: Annotated[list[Tag], Field(max_length=10)] = Field(default_factory=list)
    featured: bool = False


class PortfolioItemUpdate(BaseModel):
    title: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
        | None
    ) = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    project_url: ProjectUrl | None = None
    category_id: uuid.UUID | None = None
    tags: Annotated[list[Tag], Field(max_length=10)] | None = None
    featured: bool | None = None


class PortfolioItemOut(BaseModel):
    id: uuid.UUID
    title: str
    description: str
    project_url: str | None
    category_id: uuid.UUID | None
    tags: list[str]
    featured: bool
    position: int
    image: MediaOut | None
