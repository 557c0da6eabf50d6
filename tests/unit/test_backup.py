"""Pure parts of fixiactl.backup: restore targets, pgBackRest verify output, schedules."""

from __future__ import annotations

import pytest

from fixiactl.backup.proof import compare, invariants_sql, parse_invariants
from fixiactl.backup.restore import parse_target
from fixiactl.backup.schedule import FORMATS, render
from fixiactl.backup.service import parse_verify
from fixiactl.errors import FixiactlError

# Captured from pgBackRest 2.45 on this machine: a healthy repository, then one byte flipped.
VERIFY_OK = """stanza: main
status: ok
  archiveId: 15-1, total WAL checked: 5, total valid WAL: 5
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
  backup: 20261125-160711F, status: valid, total files checked: 1404, total valid files: 1404
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
"""
VERIFY_CORRUPT = """stanza: main
status: error
  archiveId: 15-1, total WAL checked: 5, total valid WAL: 5
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
  backup: 20261125-160711F, status: invalid, total files checked: 1404, total valid files: 1403
    missing: 0, checksum invalid: 1, size invalid: 0, other: 0
"""


def test_verify_ok_output_is_ok() -> None:
    report = parse_verify(0, VERIFY_OK)
    assert report.ok and report.problems == []


def test_verify_exit_zero_with_a_corrupt_file_is_a_failure() -> None:
    report = parse_verify(0, VERIFY_CORRUPT)
    assert not report.ok
    assert any("checksum invalid: 1" in p for p in report.problems)
    assert any("status: invalid" in p for p in report.problems)


def test_verify_without_a_status_is_not_trusted() -> None:
    assert not parse_verify(0, "").ok
    assert not parse_verify(0, "ERROR: [055]: unable to open missing file").ok


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("latest", "latest", ""),
        ("0/3000028", "lsn", "0/3000028"),
        ("lsn:1A/FF00", "lsn", "1A/FF00"),
        ("2026-11-25T16:00:00Z", "time", "2026-11-25 16:00:00+00:00"),
        ("2026-11-25T13:00:00-03:00", "time", "2026-11-25 16:00:00+00:00"),
        ("before-migration-0005", "name", "before-migration-0005"),
        ("name:2026", "name", "2026"),
    ],
)
def test_restore_targets(text: str, kind: str, value: str) -> None:
    target = parse_target(text)
    assert (target.kind, target.value) == (kind, value)


@pytest.mark.parametrize("text", ["2026-11-25T16:00:00", "time:yesterday"])
def test_ambiguous_times_are_refused(text: str) -> None:
    with pytest.raises(FixiactlError):
        parse_target(text)


def test_schedules_cover_full_diff_incr_and_drills() -> None:
    for fmt in FORMATS:
        text = render(fmt, "prod").replace('"', "").replace(", ", " ")  # k8s args list
        for needle in ("--type full", "--type diff", "--type incr", "dr drill", "--env prod"):
            assert needle in text, (fmt, needle)
    cron = render("cron", "prod")
    assert "15 * * * *" in cron and "30 1 * * 0" in cron
    assert "OnCalendar=*-*-* *:15:00" in render("systemd", "prod")
    assert "kind: CronJob" in render("k8s", "prod")


def test_a_restore_proof_compares_every_invariant() -> None:
    """Issue #29, item 4: any table whose count, sum or status tally differs fails the
    proof, as does a table present on one side only."""
    sql = invariants_sql(["jobs", "users"])
    assert 'from public."jobs"' in sql and "sum(agreed_price)" in sql and "union all" in sql
    source = parse_invariants("jobs|3|45000.00/1\nusers|12\n")
    assert source == {"jobs": "3|45000.00/1", "users": "12"}
    assert compare(source, dict(source)) == []
    assert compare(source, {**source, "jobs": "3|44000.00/1"}) == ["jobs"]
    assert compare(source, {"jobs": source["jobs"]}) == ["users"]
    assert compare(source, {**source, "reviews": "0|0/0"}) == ["reviews"]
