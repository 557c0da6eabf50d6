"""The trust bench reads the slot's cache counters: only the trust cache's, summed over the
workers' samples, and its note says what was measured."""

from __future__ import annotations

import httpx

from fixiactl.bench import trust

METRICS = """# HELP fixia_cache_requests_total Cache lookups by cache and result
# TYPE fixia_cache_requests_total counter
fixia_cache_requests_total{cache="trust",result="hit"} 7.0
fixia_cache_requests_total{cache="trust",result="miss"} 2.0
fixia_cache_requests_total{cache="categories",result="hit"} 100.0
"""


def test_trust_lookups_count_only_the_trust_cache() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text=METRICS))
    with httpx.Client(transport=transport, base_url="http://slot") as client:
        assert trust.trust_lookups(client) == {"hit": 7.0, "miss": 2.0}


def test_the_notes_state_the_time_and_the_hits() -> None:
    result = {
        "recompute": {"professionals": 25000, "seconds": 50.0, "batch": 500},
        "profile": {
            "reads": 200,
            "first_read_p50_ms": 4.1,
            "repeat_read_p50_ms": 1.2,
            "repeat_hits": 200,
            "repeat_misses": 0,
        },
    }
    recompute, profile = trust.notes(result)
    assert "25000 professionals in 50.0 s (500/s" in recompute
    assert "200 cache hits and 0 misses" in profile
