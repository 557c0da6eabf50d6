"""Every log line's `time`: RFC 3339 UTC with microseconds, right across second boundaries."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from fixia.observability.logging import UtcTimestamp

FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def _stamp(stamper: UtcTimestamp) -> str:
    value: str = stamper(None, "info", {})["time"]
    return value


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (1_795_000_000.25, "2026-11-18T11:06:40.250000Z"),
        (1_795_000_000.0, "2026-11-18T11:06:40.000000Z"),
        (1_795_000_000.75, "2026-11-18T11:06:40.750000Z"),
        (1_795_000_001.5, "2026-11-18T11:06:41.500000Z"),
        (1_795_000_000.5, "2026-11-18T11:06:40.500000Z"),  # time may step back
    ],
)
def test_each_line_gets_the_utc_time_of_its_own_second(
    monkeypatch: pytest.MonkeyPatch, now: float, expected: str
) -> None:
    stamper = UtcTimestamp()
    monkeypatch.setattr("fixia.observability.logging.time.time", lambda: 1_795_000_001.1)
    _stamp(stamper)  # an earlier second's text is cached and must not leak
    monkeypatch.setattr("fixia.observability.logging.time.time", lambda: now)
    assert _stamp(stamper) == expected


def test_the_stamp_is_now_in_rfc3339() -> None:
    stamp = _stamp(UtcTimestamp())
    assert FORMAT.match(stamp)
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - parsed).total_seconds()) < 5
