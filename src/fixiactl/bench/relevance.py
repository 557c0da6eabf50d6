"""Judged relevance for search: zero-result rate, nDCG@10 and latency over a judged set.

The judged set (tests/data/search_judgments.txt) names, for each query as people type it,
the demo listings it should find. Like the floor (floor.py) this imports the service on
purpose: the answers must be the exact ones the API gives, so it calls
`fixia.catalog.service.search`. The imports stay inside the functions.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

JUDGMENTS = Path(__file__).resolve().parents[3] / "tests" / "data" / "search_judgments.txt"
TOP = 10
# Judged-set keys -> the demo listing titles (fixia/seed_data.py) they stand for.
LISTINGS = {
    "plomero": "Plomero matriculado: pérdidas, destapaciones y termotanques",
    "electricista": "Electricista a domicilio, instalaciones y tableros",
    "gasista": "Gasista matriculado: estufas, calefactores y pruebas de hermeticidad",
    "carpintero": "Carpintero: muebles a medida y reparaciones",
    "pintor": "Pintor de interiores y exteriores, trabajos prolijos",
    "albanil": "Albañil: ampliaciones, revoques y contrapisos",
    "cerrajero": "Cerrajero 24 horas: aperturas y cambio de cerraduras",
    "refrigeracion": "Técnico en refrigeración: instalación de aire acondicionado",
    "limpieza-hogar": "Limpieza profunda de casas y departamentos",
    "limpieza-oficinas": "Limpieza de oficinas y locales comerciales",
    "alfombras": "Lavado de alfombras y tapizados a domicilio",
    "pc": "Reparación de PC y notebooks a domicilio",
    "redes": "Instalación de redes WiFi y cámaras de seguridad",
    "web": "Desarrollo de páginas web para emprendedores",
    "mudanzas": "Mudanzas y fletes en toda la provincia",
    "fletes": "Fletes chicos y envíos en el día",
    "jardineria": "Jardinería y mantenimiento de parques",
    "fumigacion": "Fumigación y control de plagas",
    "cuidado-mayores": "Cuidado de adultos mayores por hora",
    "apoyo-escolar": "Clases de apoyo escolar de matemática y física",
    "ingles": "Clases de inglés para chicos y adultos",
    "peluqueria": "Peluquería a domicilio: cortes, color y peinados",
    "manicura": "Manicura y esmaltado semipermanente",
    "catering": "Catering para eventos y reuniones",
    "torta-galesa": "Torta galesa y pastelería regional por encargo",
    "logos": "Diseño de logos e identidad para emprendimientos",
    "redes-sociales": "Manejo de redes sociales para comercios",
    "costura": "Arreglos de ropa y confección a medida",
    "perros": "Paseo y cuidado de perros",
    "dj": "DJ y sonido para fiestas y casamientos",
    "contador": "Contador público: monotributo y liquidaciones",
}


@dataclass(frozen=True)
class Judgment:
    q: str
    keys: tuple[str, ...]

    @property
    def titles(self) -> list[str]:
        return [LISTINGS[k] for k in self.keys]


@dataclass
class Outcome:
    q: str
    top: list[str]
    ndcg: float
    ms: float


@dataclass
class RelevanceReport:
    engine: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def zero_result_rate(self) -> float:
        return sum(1 for o in self.outcomes if not o.top) / max(1, len(self.outcomes))

    @property
    def ndcg_at_10(self) -> float:
        return sum(o.ndcg for o in self.outcomes) / max(1, len(self.outcomes))

    def percentile_ms(self, pct: float) -> float:
        ordered = sorted(o.ms for o in self.outcomes)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered), max(1, math.ceil(pct / 100 * len(ordered)))) - 1]

    def summary(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "queries": len(self.outcomes),
            "zero_result_rate": round(self.zero_result_rate, 4),
            "ndcg_at_10": round(self.ndcg_at_10, 4),
            "p50_ms": round(self.percentile_ms(50), 2),
            "p95_ms": round(self.percentile_ms(95), 2),
        }


def load_judgments(path: Path = JUDGMENTS) -> list[Judgment]:
    judgments = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        query, _, keys = line.partition("=>")
        unknown = [k for k in keys.split() if k not in LISTINGS]
        if unknown or not keys.split():
            raise ValueError(f"bad judgment line: {line!r}")
        judgments.append(Judgment(query.strip(), tuple(keys.split())))
    return judgments


def ndcg(gains: list[int], relevant: int) -> float:
    """nDCG@10 with binary gains; the ideal ranking puts min(10, relevant) hits first."""
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains[:TOP]))
    ideal = sum(1 / math.log2(i + 2) for i in range(min(TOP, relevant)))
    return dcg / ideal if ideal else (1.0 if not gains else 0.0)


async def _relevant_ids(session: Any, settings: Any, judgment: Judgment) -> set[uuid.UUID]:
    """The judged listings; in the query's locality when somebody there serves it."""

    from fixia.catalog import geo
    from fixia.catalog.localities import resolve
    from fixia.catalog.models import Service
    from fixia.catalog.query import correct
    from fixia.catalog.search import visible_services
    from fixia.catalog.vocabulary import load

    stmt = visible_services().with_only_columns(Service.id)
    stmt = stmt.where(Service.title.in_(judgment.titles))
    everywhere = set((await session.execute(stmt)).scalars())
    locality = resolve(judgment.q) or resolve(correct(judgment.q, load()) or "")
    if locality is None:
        return everywhere
    radius = settings.search.default_service_radius_km
    local = set((await session.execute(stmt.where(geo.serves(locality, radius)))).scalars())
    return local or everywhere


async def evaluate(
    session: Any, settings: Any, judgments: list[Judgment], engine: str
) -> RelevanceReport:
    """Run each judged query through the service's search, first page of ten."""
    from fixia.catalog import service
    from fixia.catalog.schemas import ServiceQuery

    report = RelevanceReport(engine)
    for judgment in judgments:
        relevant = await _relevant_ids(session, settings, judgment)
        started = time.perf_counter()
        items, _, _ = await service.search(
            session=session, settings=settings, query=ServiceQuery(q=judgment.q, limit=TOP)
        )
        ms = (time.perf_counter() - started) * 1000
        gains = [1 if s.id in relevant else 0 for s in items]
        top = [str(s.id) for s in items]
        report.outcomes.append(Outcome(judgment.q, top, ndcg(gains, len(relevant)), ms))
    return report


def corpus_rows() -> dict[str, list[dict[str, Any]]]:
    """A small deterministic marketplace: in every demo town, one professional per category
    with each of its demo listings. Fixed ids and times, so two engines can be compared."""
    from fixia.accounts.models import Role
    from fixia.catalog import taxonomy
    from fixia.seed_data import CITIES, SERVICES

    ns = uuid.UUID("0b7c6a55-3f39-4c8e-9a51-5e0f1d2c3b4a")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    users: list[dict[str, Any]] = []
    profiles: list[dict[str, Any]] = []
    services: list[dict[str, Any]] = []
    for city in CITIES:
        for slug, templates in SERVICES.items():
            pro_id = uuid.uuid5(ns, f"pro:{city}:{slug}")
            users.append(
                {
                    "id": pro_id,
                    "email": f"{pro_id.hex[:12]}@corpus.fixia.invalid",
                    "password_hash": "!",
                    "name": f"Profesional {slug} {city}",
                    "role": Role.professional,
                    "location": f"{city}, Chubut",
                    "email_verified_at": start,
                    "is_professional_active": True,
                }
            )
            profiles.append({"id": uuid.uuid5(ns, f"profile:{pro_id}"), "user_id": pro_id})
            for title, description, low, _high, tags in templates:
                n = len(services)
                services.append(
                    {
                        "id": uuid.uuid5(ns, f"svc:{city}:{title}"),
                        "professional_id": pro_id,
                        "category_id": taxonomy.category_id(slug),
                        "title": title,
                        "description": description.format(city=city),
                        "price": low,
                        "tags": tags,
                        "tags_text": " ".join(tags),
                        "created_at": start + timedelta(minutes=n),
                        "updated_at": start + timedelta(minutes=n),
                    }
                )
    return {"users": users, "profiles": profiles, "services": services}


async def insert_corpus(session: Any) -> int:
    from sqlalchemy import insert

    from fixia.accounts.models import ProfessionalProfile, User
    from fixia.catalog.models import Service

    rows = corpus_rows()
    await session.execute(insert(User), rows["users"])
    await session.execute(insert(ProfessionalProfile), rows["profiles"])
    await session.execute(insert(Service), rows["services"])
    return len(rows["services"])


async def _evaluate_url(url: str, engine: str, *, with_corpus: bool) -> RelevanceReport:
    from fixia.config import Settings
    from fixia.db import create_engine, session_factory
    from fixia.models import import_all

    import_all()  # every mapper must be known before SQLAlchemy compiles a join
    settings = Settings(env="test", database_url=url)
    db = create_engine(settings)
    try:
        async with session_factory(db)() as session:
            if with_corpus:
                await insert_corpus(session)
                await session.commit()
            return await evaluate(session, settings, load_judgments(), engine)
    finally:
        await db.dispose()


def measure(pg_url: str, work_dir: Path) -> list[dict[str, Any]]:
    """The judged set on the bench's PostgreSQL data, and on the embedded default (SQLite)
    with the test corpus: `make bench` has no SQLite dataset of its size."""
    import asyncio

    from fixia import migrate
    from fixia.config import Settings

    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / "relevance.db"
    path.unlink(missing_ok=True)
    lite_url = f"sqlite+aiosqlite:///{path}"
    migrate.upgrade(Settings(env="test", database_url=lite_url))
    lite = asyncio.run(_evaluate_url(lite_url, "sqlite", with_corpus=True))
    postgres = asyncio.run(_evaluate_url(pg_url, "postgresql", with_corpus=False))
    return [
        {**lite.summary(), "data": f"test corpus ({len(corpus_rows()['services'])} services)"},
        {**postgres.summary(), "data": "bench dataset"},
    ]


def markdown_lines(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "Search relevance (judged set, tests/data/search_judgments.txt; service.search in "
        "process, so the times are without HTTP):",
        "",
        "| engine | data | queries | zero results | nDCG@10 | p50 ms | p95 ms |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['engine']} | {r['data']} | {r['queries']} | "
            f"{r['zero_result_rate'] * 100:.1f} % | {r['ndcg_at_10']:.3f} | "
            f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} |"
        )
    return lines
