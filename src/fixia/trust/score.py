"""The trust score: a pure function of a professional's record, so it can be tested by
properties (hypothesis) and explained component by component on the public profile.

score = reviews 30 % + completion 25 % + reliability 20 % + communication 15 %
        + verification 10 %, every component on 0-100.

- reviews: the average rating shrunk toward 3.5 by five phantom reviews (a Bayesian
  average), so one 5-star review is not a perfect record; mapped 1..5 -> 0..100.
- completion: completed / (completed + cancelled), with one phantom of each (Laplace), so a
  newcomer starts at 50, not at 0 or 100.
- reliability: on-time / jobs-with-a-deadline, with the same phantoms.
- communication: 100 answering within an hour, falling linearly to 0 at 72 hours; 50 when
  nothing is known yet.
- verification: the approved, unexpired verifications' weights, capped at 100.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from fixia.trust.models import VerificationType

WEIGHTS = {
    "reviews": Decimal("0.30"),
    "completion": Decimal("0.25"),
    "reliability": Decimal("0.20"),
    "communication": Decimal("0.15"),
    "verification": Decimal("0.10"),
}
VERIFICATION_WEIGHTS = {
    VerificationType.identity: 25,
    VerificationType.skills: 20,
    VerificationType.business: 20,
    VerificationType.background_check: 25,
    VerificationType.phone: 5,
    VerificationType.email: 3,
    VerificationType.address: 2,
}
PRIOR_RATING, PRIOR_WEIGHT = Decimal("3.5"), 5
FAST_REPLY_H, SLOW_REPLY_H = 1.0, 72.0


@dataclass(frozen=True)
class Record:
    rating_avg: float | None = None
    review_count: int = 0
    completed: int = 0
    cancelled: int = 0
    on_time: int = 0
    with_deadline: int = 0
    response_time_hours: float | None = None
    verified: frozenset[VerificationType] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Score:
    total: Decimal
    components: dict[str, Decimal]

    def explained(self) -> dict[str, object]:
        return {
            "total": str(self.total),
            "components": {k: str(v) for k, v in self.components.items()},
            "weights": {k: str(v) for k, v in WEIGHTS.items()},
        }


def _pct(value: Decimal) -> Decimal:
    bounded = min(Decimal(100), max(Decimal(0), value))
    return bounded.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def reviews(record: Record) -> Decimal:
    n = record.review_count if record.rating_avg is not None else 0
    average = Decimal(str(record.rating_avg or 0))
    shrunk = (average * n + PRIOR_RATING * PRIOR_WEIGHT) / (n + PRIOR_WEIGHT)
    return _pct((shrunk - 1) * 25)


def completion(record: Record) -> Decimal:
    done = Decimal(record.completed + 1)
    return _pct(done / (record.completed + record.cancelled + 2) * 100)


def reliability(record: Record) -> Decimal:
    on_time = Decimal(min(record.on_time, record.with_deadline) + 1)
    return _pct(on_time / (record.with_deadline + 2) * 100)


def communication(record: Record) -> Decimal:
    hours = record.response_time_hours
    if hours is None:
        return Decimal("50.00")
    span = SLOW_REPLY_H - FAST_REPLY_H
    return _pct(Decimal(str((SLOW_REPLY_H - max(hours, FAST_REPLY_H)) / span * 100)))


def verification(record: Record) -> Decimal:
    return _pct(Decimal(sum(VERIFICATION_WEIGHTS[v] for v in record.verified)))


def compute(record: Record) -> Score:
    components = {
        "reviews": reviews(record),
        "completion": completion(record),
        "reliability": reliability(record),
        "communication": communication(record),
        "verification": verification(record),
    }
    total = sum((components[k] * w for k, w in WEIGHTS.items()), Decimal(0))
    return Score(total=_pct(total), components=components)


def record_as_dict(record: Record) -> dict[str, object]:
    data = asdict(record)
    data["verified"] = sorted(v.value for v in record.verified)
    return data
