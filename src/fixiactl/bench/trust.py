"""Trust at the bench's scale (issue #22): how long `fixia trust recompute-all` takes over
every professional of the dataset, and whether the profile's trust block is then served from
the cache. The recompute runs as the CLI in a subprocess, as an operator would run it; the
reads go straight to a slot, whose /metrics counts the trust cache's hits and misses.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from fixiactl.bench.dataset import run_fixia
from fixiactl.stack.config import EnvConfig, StackState

RECOMPUTE_TIMEOUT_S = 900
BATCH = 500
READS = 200


def recompute_all(config: EnvConfig, stack: StackState) -> dict[str, Any]:
    args = ["trust", "recompute-all", "--json", "--batch", str(BATCH)]
    printed = run_fixia(config, stack, args, RECOMPUTE_TIMEOUT_S)
    out: dict[str, Any] = json.loads(printed.strip().splitlines()[-1])
    return out


def trust_lookups(client: httpx.Client) -> dict[str, float]:
    """The slot's trust-cache counters, summed over its workers."""
    found = {"hit": 0.0, "miss": 0.0}
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "fixia_cache_requests_total" and sample.labels["cache"] == "trust":
                found[sample.labels["result"]] += sample.value
    return found


def _pass(client: httpx.Client, pros: list[str]) -> list[float]:
    took = []
    for pro in pros:
        started = time.perf_counter()
        client.get(f"/api/v1/users/{pro}/trust").raise_for_status()
        took.append((time.perf_counter() - started) * 1000)
    return took


def profile_reads(slot_port: int, pros: list[str]) -> dict[str, Any]:
    """Each sampled professional read twice, serially: the first read fills the cache the
    recompute invalidated, the second must be a hit."""
    sample = pros[:READS]
    with httpx.Client(base_url=f"http://127.0.0.1:{slot_port}", timeout=30) as client:
        first = _pass(client, sample)
        before = trust_lookups(client)
        repeat = _pass(client, sample)
        after = trust_lookups(client)
    hits, misses = after["hit"] - before["hit"], after["miss"] - before["miss"]
    return {
        "reads": len(sample),
        "first_read_p50_ms": round(statistics.median(first), 2),
        "repeat_read_p50_ms": round(statistics.median(repeat), 2),
        "repeat_hits": int(hits),
        "repeat_misses": int(misses),
    }


def measure(config: EnvConfig, stack: StackState, pros: list[str]) -> dict[str, Any]:
    result = {"recompute": recompute_all(config, stack)}
    result["profile"] = profile_reads(stack.ports[config.active_slots[0]], pros)
    return result


def notes(result: dict[str, Any]) -> list[str]:
    r, p = result["recompute"], result["profile"]
    per_s = round(r["professionals"] / r["seconds"]) if r["seconds"] else 0
    return [
        f"Trust, recompute: `fixia trust recompute-all` scored {r['professionals']} "
        f"professionals in {r['seconds']} s ({per_s}/s, batches of {r['batch']}, one "
        "transaction each, straight to PostgreSQL).",
        f"Trust, profile read: {p['reads']} professionals read twice after the recompute; "
        f"the repeat pass had {p['repeat_hits']} cache hits and {p['repeat_misses']} misses "
        f"(p50 {p['first_read_p50_ms']} ms first, {p['repeat_read_p50_ms']} ms repeat, serial, "
        "straight to a slot).",
    ]
