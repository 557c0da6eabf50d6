"""The per-request hot paths, measured in process: the performance gate compares their means
with benchmarks/baseline.json and fails at more than 25 % slower (fixiactl gates --only
performance). Machine variance: the baseline is per machine class; refresh it with
`fixiactl gates --only performance --update-baseline` on the machine that runs the gate."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.dialects import postgresql

from fixia.accounts.models import ProfessionalLevel
from fixia.catalog.schemas import CategoryRef, ProfessionalSummary, ServiceOut, ServiceQuery
from fixia.catalog.search import build_search
from fixia.config import AuthSettings
from fixia.models import import_all
from fixia.platform.security import decode_access_token, issue_access_token

import_all()
NOW = datetime(2026, 1, 1, tzinfo=UTC)
PAGE = TypeAdapter(list[ServiceOut])


def _service(i: int) -> ServiceOut:
    return ServiceOut(
        id=uuid.UUID(int=i),
        title=f"Plomería urgente {i}",
        description="Arreglo de pérdidas, destapaciones y calefones en Trelew y Rawson. " * 3,
        price=Decimal("15000.00"),
        currency="ARS",
        category=CategoryRef(id=uuid.UUID(int=10_000 + i), name="Hogar", slug="hogar"),
        subcategory_id=None,
        tags=["plomería", "urgencias", "calefones"],
        main_image_url=None,
        delivery_time_days=2,
        revisions_included=1,
        active=True,
        featured=i % 5 == 0,
        view_count=i * 7,
        created_at=NOW,
        updated_at=NOW,
        professional=ProfessionalSummary(
            id=uuid.UUID(int=20_000 + i),
            name="Ana Pérez",
            location="Trelew, Chubut",
            verified=True,
            level=ProfessionalLevel.verificado,
            rating=Decimal("4.80"),
            review_count=31,
        ),
    )


def test_serialize_service_page(benchmark: Any) -> None:
    page = [_service(i) for i in range(20)]
    body = benchmark(PAGE.dump_json, page)
    assert body.startswith(b"[{")


def test_build_search_query(benchmark: Any) -> None:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]

    def build() -> str:
        query = ServiceQuery(q="plomero urgente trelew", category="hogar", sort="relevance")
        return str(build_search(query, "postgresql").compile(dialect=dialect))

    sql = benchmark(build)
    assert "services" in sql


def test_access_token_round_trip(benchmark: Any) -> None:
    auth = AuthSettings()
    user_id = uuid.UUID(int=42)

    def round_trip() -> str:
        now = datetime.now(UTC)
        token = issue_access_token(auth, user_id=user_id, role="client", token_version=0, now=now)
        return decode_access_token(auth, token).role

    assert benchmark(round_trip) == "client"
