"""Issue #22: properties of the trust score (hypothesis). It always lies in 0-100, and it
never falls when one input improves: a higher average rating, one more job completed on
time, one cancellation fewer, a late job that was on time after all, a faster reply, one
more verification."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from fixia.trust import cuit
from fixia.trust.models import VerificationType
from fixia.trust.score import Record, compute

records = st.builds(
    lambda rating, reviews, done, cancelled, on_time, hours, verified: Record(
        rating_avg=rating,
        review_count=reviews if rating is not None else 0,
        completed=done,
        cancelled=cancelled,
        on_time=min(on_time, done),
        with_deadline=done,
        response_time_hours=hours,
        verified=frozenset(verified),
    ),
    st.none() | st.floats(min_value=1, max_value=5),
    st.integers(min_value=1, max_value=500),
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=0, max_value=500),
    st.none() | st.floats(min_value=0, max_value=500),
    st.sets(st.sampled_from(list(VerificationType))),
)


@given(records)
def test_the_score_lies_between_0_and_100(record: Record) -> None:
    score = compute(record)
    assert Decimal(0) <= score.total <= Decimal(100)
    assert all(Decimal(0) <= c <= Decimal(100) for c in score.components.values())


def _improvements(r: Record, better_rating: float, faster: float) -> list[Record]:
    # One more completed job counts as an improvement when it was on time: a late one
    # rightly lowers reliability.
    improved = [
        replace(
            r, completed=r.completed + 1, with_deadline=r.with_deadline + 1, on_time=r.on_time + 1
        ),
        replace(r, cancelled=max(0, r.cancelled - 1)),
        replace(r, verified=r.verified | {VerificationType.identity}),
    ]
    if r.on_time < r.with_deadline:
        improved.append(replace(r, on_time=r.on_time + 1))
    if r.rating_avg is not None:
        improved.append(replace(r, rating_avg=max(r.rating_avg, better_rating)))
    hours = r.response_time_hours
    improved.append(replace(r, response_time_hours=faster if hours is None else min(hours, faster)))
    return improved


@given(records, st.floats(min_value=1, max_value=5), st.floats(min_value=0, max_value=1))
def test_the_score_never_falls_when_an_input_improves(
    record: Record, better_rating: float, faster: float
) -> None:
    before = compute(record).total
    for improved in _improvements(record, better_rating, faster):
        assert compute(improved).total >= before, improved


def test_each_verification_weighs_as_documented() -> None:
    base = compute(Record()).components["verification"]
    assert base == Decimal("0.00")
    weights = {
        VerificationType.identity: 25,
        VerificationType.skills: 20,
        VerificationType.business: 20,
        VerificationType.background_check: 25,
        VerificationType.phone: 5,
        VerificationType.email: 3,
        VerificationType.address: 2,
    }
    for kind, weight in weights.items():
        got = compute(Record(verified=frozenset({kind}))).components["verification"]
        assert got == Decimal(weight), kind
    assert compute(Record(verified=frozenset(VerificationType))).components["verification"] == 100


def test_cuit_check_digits() -> None:
    assert cuit.is_valid("20-12345678-6") and cuit.is_valid("20123456786")
    # 3·5+0·4+7·3+1·2+2·7+3·6+4·5+5·4+6·3+7·2 = 142; 142 mod 11 = 10; 11 - 10 = 1.
    assert cuit.check_digit("3071234567") == 1 and cuit.is_valid("30-71234567-1")
    assert not cuit.is_valid("30-71234567-2")
    assert not cuit.is_valid("20-12345678-0")
    assert not cuit.is_valid("99-12345678-6")  # no such prefix
    assert not cuit.is_valid("2012345678")  # ten digits
