"""The spec's matchScore: how well an open project suits a professional (0-100)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

CHUBUT = "chubut"


@dataclass(frozen=True)
class Candidate:
    location: str | None
    specialties: list[str]


@dataclass(frozen=True)
class ProjectFacts:
    location: str
    skills: list[str]
    category_slug: str
    category_name: str
    budget_min: Decimal
    budget_max: Decimal
    proposal_count: int
    created_at: datetime


def _location_points(pro: str | None, project: str) -> int:
    if not pro:
        return 0
    a, b = pro.lower().strip(), project.lower().strip()
    # "Trelew, Chubut" vs "Trelew": the city matches either way round.
    city_a, city_b = a.split(",")[0].strip(), b.split(",")[0].strip()
    if a in b or b in a or (city_a and city_a == city_b):
        return 20
    return 10 if CHUBUT in a and CHUBUT in b else 0


def _crowding_penalty(proposals: int) -> int:
    for threshold, penalty in ((10, 20), (5, 15), (2, 10), (0, 5)):
        if proposals > threshold:
            return penalty
    return 0


def match_score(candidate: Candidate, project: ProjectFacts, now: datetime) -> int:
    score = 50.0 + _location_points(candidate.location, project.location)
    specialties = {s.lower() for s in candidate.specialties}
    if project.skills:
        matched = sum(1 for s in project.skills if s.lower() in specialties)
        score += 30 * matched / len(project.skills)
    if specialties & {project.category_slug.lower(), project.category_name.lower()}:
        score += 15
    average_budget = (project.budget_min + project.budget_max) / 2
    if average_budget >= 50_000:
        score += 10
    elif average_budget >= 20_000:
        score += 5
    score -= _crowding_penalty(project.proposal_count)
    if now - project.created_at <= timedelta(days=7):
        score += 5
    return max(0, min(100, round(score)))
