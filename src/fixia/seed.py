"""Demo data for `make run` and bulk data for benchmarks."""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import (
    PasswordHistory,
    ProfessionalLevel,
    ProfessionalProfile,
    Role,
    User,
)
from fixia.catalog import taxonomy
from fixia.catalog.localities import all_localities
from fixia.catalog.models import Service
from fixia.config import Settings
from fixia.db import create_engine, session_factory, transactional, utcnow, uuid7
from fixia.models import import_all
from fixia.platform import security
from fixia.seed_data import CITIES, FIRST_NAMES, LAST_NAMES, SERVICES

DEMO_PASSWORD = "Chubut-Demo-2026!"  # noqa: S105 - documented demo login, demo data only
DEMO_PROFESSIONALS, DEMO_CLIENTS, DEMO_SERVICES = 50, 20, 200
LEVELS = list(ProfessionalLevel)
import_all()


def _user_row(
    rng: random.Random, i: int, role: Role, pw_hash: str, cipher: security.FieldCipher, prefix: str
) -> dict[str, Any]:
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    now = utcnow()
    return {
        "id": uuid7(),
        "email": f"{prefix}{i}@demo.fixia.com.ar",
        "password_hash": pw_hash,
        "name": name,
        "role": role,
        "dni": None,
        "birthdate": date(1970 + rng.randrange(30), rng.randrange(1, 13), rng.randrange(1, 28)),
        "location": f"{rng.choice(CITIES)}, Chubut",
        "phone_encrypted": cipher.encrypt(f"+54 9 280 {rng.randrange(4000000, 4999999)}"),
        "email_verified_at": now,
        "verified": rng.random() < 0.4,
        "is_professional_active": role is Role.professional,
        "timezone": "America/Argentina/Catamarca",
        "failed_login_attempts": 0,
        "token_version": 0,
        "plan": "free",
        "created_at": now,
        "updated_at": now,
    }


def _service_area(rng: random.Random) -> dict[str, Any]:
    """Most keep the default radius; some cover more, some name towns they travel to."""
    roll = rng.random()
    if roll < 0.6:
        return {"service_radius_km": None, "service_localities": []}
    if roll < 0.85:
        return {"service_radius_km": rng.choice([10, 50, 100]), "service_localities": []}
    slugs = sorted(all_localities())
    return {"service_radius_km": None, "service_localities": rng.sample(slugs, 2)}


def _profile_row(
    rng: random.Random, user_id: uuid.UUID, specialties: list[str], area: dict[str, Any]
) -> dict[str, Any]:
    now = utcnow()
    return {
        **area,
        "id": uuid7(),
        "user_id": user_id,
        "bio": "Trabajo con responsabilidad y garantía.",
        "specialties": specialties,
        "years_experience": rng.randrange(0, 25),
        "level": rng.choice(LEVELS),
        "availability": "available",
        "rating": Decimal(rng.randrange(300, 501)) / 100,
        "review_count": rng.randrange(0, 120),
        "response_time_hours": rng.choice([1, 2, 4, 12, 24]),
        "created_at": now,
        "updated_at": now,
    }


def _service_row(
    rng: random.Random, pro_id: uuid.UUID, cat_slug: str, city: str, created_ago_s: int
) -> dict[str, Any]:
    title, desc, low, high, tags = rng.choice(SERVICES[cat_slug])
    price = Decimal(rng.randrange(low // 100, high // 100 + 1) * 100)
    created = utcnow() - timedelta(seconds=created_ago_s)
    return {
        "id": uuid7(),
        "professional_id": pro_id,
        "category_id": taxonomy.category_id(cat_slug),
        "title": title,
        "description": desc.format(city=city),
        "price": price,
        "currency": "ARS",
        "tags": tags,
        "tags_text": " ".join(tags),
        "delivery_time_days": rng.choice([1, 2, 3, 7, 14]),
        "revisions_included": rng.randrange(0, 4),
        "active": True,
        "featured": rng.random() < 0.08,
        "view_count": rng.randrange(0, 900),
        "created_at": created,
        "updated_at": created,
    }


async def _insert(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(model), rows)


async def _populate(
    session: AsyncSession,
    settings: Settings,
    rng: random.Random,
    *,
    professionals: int,
    clients: int,
    services: int,
    prefix: str,
    progress: Progress | None = None,
    images: bool = False,
) -> dict[str, int]:
    pw_hash = security.hash_password(DEMO_PASSWORD)
    cipher = security.FieldCipher(settings.encryption_key.get_secret_value())
    slugs = list(SERVICES)
    pros = [
        _user_row(rng, i, Role.professional, pw_hash, cipher, f"{prefix}pro")
        for i in range(professionals)
    ]
    cls = [
        _user_row(rng, i, Role.client, pw_hash, cipher, f"{prefix}cliente") for i in range(clients)
    ]
    home = {p["id"]: rng.choice(slugs) for p in pros}
    if images:
        for p in pros:
            p["avatar_url"] = _card_url(p["id"])
    for chunk in _chunks(pros + cls, 2000):
        await _insert(session, User, chunk)
        await _insert(
            session,
            PasswordHistory,
            [
                {
                    "id": uuid7(),
                    "user_id": u["id"],
                    "password_hash": pw_hash,
                    "created_at": utcnow(),
                }
                for u in chunk
            ],
        )
    # Its own generator: the service areas do not shift the rest of the demo data.
    area_rng = random.Random(f"service-areas-{len(pros)}")
    profiles = [_profile_row(rng, p["id"], [home[p["id"]]], _service_area(area_rng)) for p in pros]
    await _insert(session, ProfessionalProfile, profiles)
    task = progress.add_task("services", total=services) if progress else None
    for start in range(0, services, 2000):
        rows = []
        for _ in range(min(2000, services - start)):
            pro = rng.choice(pros)
            slug = home[pro["id"]] if rng.random() < 0.8 else rng.choice(slugs)
            row = _service_row(
                rng, pro["id"], slug, pro["location"].split(",")[0], rng.randrange(0, 180 * 86400)
            )
            if images:
                row["main_image_url"] = _card_url(row["id"])
            rows.append(row)
        await _insert(session, Service, rows)
        if progress and task is not None:
            progress.advance(task, len(rows))
    return {"professionals": professionals, "clients": clients, "services": services}


def _card_url(owner: uuid.UUID) -> str:
    """A ready photo's card URL as the worker sets it (`/media/p/<asset>/<digest>-card.jpeg`),
    derived from the row's id so that the random streams, and the demo data, stay as they were.
    No object stands behind it: the read mix measures responses that carry image URLs."""
    digest = hashlib.sha256(owner.bytes).hexdigest()
    return f"/media/p/{uuid.UUID(digest[:32])}/{digest[32:52]}-card.jpeg"


def _chunks(rows: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


# The demo accounts share one published password (DEMO_PASSWORD): never where real people
# sign in. "test" is the suite's and the benchmarks' throw-away databases.
DEMO_ENVIRONMENTS = frozenset({"development", "test"})


class DemoSeedRefused(Exception):
    """Demo data was asked for in staging or production."""


def _refuse_outside_development(settings: Settings) -> None:
    if settings.env not in DEMO_ENVIRONMENTS:
        raise DemoSeedRefused(
            f"demo data (accounts with a published password) is refused in {settings.env}; "
            "it is for development only"
        )


async def _demo_trust(session: AsyncSession) -> int:
    """The demo's `verified` users get the approved identity verification that stands behind
    the flag in real data, and every professional a trust score, level and badges computed as
    the app computes them (docs/trust.md); no level is made up."""
    from fixia.trust import service as trust
    from fixia.trust.models import VerificationRequest, VerificationStatus, VerificationType
    from fixia.trust.verifications import VALID_FOR

    verified = list(await session.scalars(select(User.id).where(User.verified.is_(True))))
    now, kind = utcnow(), VerificationType.identity
    rows = [
        {
            "id": uuid7(),
            "user_id": user_id,
            "type": kind,
            "status": VerificationStatus.approved,
            "document_ids": [],
            "additional_info": "demo",
            "decided_at": now,
            "expires_at": now + VALID_FOR[kind],
            "created_at": now,
            "updated_at": now,
        }
        for user_id in verified
    ]
    for chunk in _chunks(rows, 2000):
        await _insert(session, VerificationRequest, chunk)
    pros = list(await session.scalars(select(ProfessionalProfile.user_id)))
    for start in range(0, len(pros), 500):
        await trust.recompute_many(session, pros[start : start + 500])
    return len(pros)


async def seed_demo(settings: Settings, *, random_seed: int = 42) -> dict[str, int]:
    _refuse_outside_development(settings)
    engine = create_engine(settings)
    try:
        async with transactional(session_factory(engine)) as session:
            counts = await _populate(
                session,
                settings,
                random.Random(random_seed),
                professionals=DEMO_PROFESSIONALS,
                clients=DEMO_CLIENTS,
                services=DEMO_SERVICES,
                prefix="",
            )
            counts["trust_scores"] = await _demo_trust(session)
            return counts
    finally:
        await engine.dispose()


async def seed_demo_if_empty(settings: Settings) -> dict[str, int] | None:
    _refuse_outside_development(settings)
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            count = (await conn.execute(select(func.count()).select_from(User))).scalar_one()
    finally:
        await engine.dispose()
    return None if count else await seed_demo(settings)


async def seed_scale(
    settings: Settings,
    n: int,
    *,
    random_seed: int = 42,
    console: Console | None = None,
    images: bool = True,
) -> dict[str, Any]:
    """N services with one professional per 4 services and one client per 10; with `images`,
    every listing has a cover and every professional an avatar (their card URLs)."""
    engine = create_engine(settings)
    started = time.perf_counter()
    prefix = f"s{uuid.uuid4().hex[:6]}"  # repeated runs add more data instead of colliding
    try:
        with Progress(console=console, transient=True) as progress:
            async with transactional(session_factory(engine)) as session:
                counts: dict[str, Any] = await _populate(
                    session,
                    settings,
                    random.Random(random_seed),
                    professionals=max(n // 4, 1),
                    clients=max(n // 10, 1),
                    services=n,
                    prefix=prefix,
                    progress=progress,
                    images=images,
                )
    finally:
        await engine.dispose()
    counts["images"] = images
    counts["seconds"] = round(time.perf_counter() - started, 2)
    return counts
