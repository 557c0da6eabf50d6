from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from fixia.projects.scoring import Candidate, ProjectFacts, match_score

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def facts(**overrides: object) -> ProjectFacts:
    base: dict[str, object] = {
        "location": "Trelew, Chubut",
        "skills": [],
        "category_slug": "limpieza",
        "category_name": "Limpieza",
        "budget_min": Decimal(1000),
        "budget_max": Decimal(1000),
        "proposal_count": 0,
        "created_at": NOW - timedelta(days=30),
    }
    base.update(overrides)
    return ProjectFacts(**base)  # type: ignore[arg-type]


PRO = Candidate(location="Rawson, Chubut", specialties=["plomeria", "gas"])


def test_baseline_is_fifty_plus_province() -> None:
    assert match_score(PRO, facts(), NOW) == 60  # 50 + both in Chubut (10)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"location": "Rawson"}, 70),
        ({"location": "Buenos Aires"}, 50),
        ({"skills": ["plomeria", "gas"]}, 90),
        ({"skills": ["plomeria", "pintura"]}, 75),
        ({"category_slug": "gas"}, 75),
        ({"budget_min": Decimal(40000), "budget_max": Decimal(60000)}, 70),
        ({"budget_min": Decimal(20000), "budget_max": Decimal(20000)}, 65),
        ({"proposal_count": 1}, 55),
        ({"proposal_count": 3}, 50),
        ({"proposal_count": 6}, 45),
        ({"proposal_count": 11}, 40),
        ({"created_at": NOW - timedelta(days=2)}, 65),
    ],
)
def test_each_rule(overrides: dict[str, object], expected: int) -> None:
    assert match_score(PRO, facts(**overrides), NOW) == expected


def test_clamped_to_100_and_0() -> None:
    best = facts(
        location="Rawson",
        skills=["gas"],
        category_slug="gas",
        budget_min=Decimal(90000),
        budget_max=Decimal(90000),
        created_at=NOW,
    )
    assert match_score(PRO, best, NOW) == 100
    nobody = Candidate(location=None, specialties=[])
    assert match_score(nobody, facts(location="Madrid", proposal_count=50), NOW) == 30
