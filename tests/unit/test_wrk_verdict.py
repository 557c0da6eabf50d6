"""The CI load smoke's verdict (scripts/wrk-verdict) on wrk reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "wrk-verdict"

CLEAN = """Running 20s test @ http://127.0.0.1:8080/api/v1/services
  2 threads and 16 connections
  12040 requests in 20.01s, 25.10MB read
Requests/sec:    601.70
"""
TIMEOUTS = CLEAN.replace(
    "Requests/sec", "  Socket errors: connect 0, read 2, write 0, timeout 31\nRequests/sec"
)
NON_2XX = CLEAN.replace("Requests/sec", "  Non-2xx or 3xx responses: 7\nRequests/sec")


def _run(report: str, minimum: int) -> tuple[int, dict[str, object]]:
    done = subprocess.run(
        [sys.executable, SCRIPT, "--min-requests", str(minimum)],
        input=report,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, json.loads(done.stdout)


def test_a_clean_run_with_enough_requests_passes() -> None:
    code, counts = _run(CLEAN, 1000)
    assert (code, counts["requests"], counts["problems"]) == (0, 12040, [])


def test_socket_errors_and_timeouts_fail_the_smoke() -> None:
    code, counts = _run(TIMEOUTS, 1000)
    assert code == 1
    assert (counts["socket_errors"], counts["timeouts"]) == (33, 31)


def test_non_2xx_answers_fail_the_smoke() -> None:
    code, counts = _run(NON_2XX, 1000)
    assert (code, counts["non_2xx"]) == (1, 7)


def test_too_few_requests_or_no_report_fail_the_smoke() -> None:
    assert _run(CLEAN, 20000)[0] == 1
    code, counts = _run("unable to connect to 127.0.0.1:8080 Connection refused\n", 1)
    assert (code, counts["requests"]) == (1, 0)
