"""`fixiactl bench --compare-images`: is the read mix slower when its responses carry image
URLs (issue #21: it must not be)?

The same session, dataset and load as `--compare-observability` (fixiactl.bench.overhead):
one uncounted run, then the read mix with and without images in the order with, without,
without, with (repeated). A side sets or clears every listing's cover and every
professional's avatar (card URLs of the worker's shape) in one statement each, vacuums, and
flushes the cache's Redis so that no cached response of the other side is served; the run
then warms the cache with every path it sends.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from redis import Redis

from fixiactl.bench import overhead
from fixiactl.bench.dataset import Db
from fixiactl.bench.report import Scenario
from fixiactl.bench.runner import BenchOptions, Progress
from fixiactl.stack.render import redis_url

# Responses may be at most this much slower with image URLs than without.
GOAL_MAX_COST = 0.05
_CARD = "'/media/p/' || md5(id::text)::uuid || '/' || substr(md5('{salt}' || id::text), 1, 20)"
_URL = _CARD + " || '-card.jpeg'"


def set_images(db: Db, on: bool) -> None:
    cover = _URL.format(salt="c") if on else "null"
    avatar = _URL.format(salt="a") if on else "null"
    db.rows(f"update services set main_image_url = {cover}")  # noqa: S608 - constants only
    db.rows(f"update users set avatar_url = {avatar} where role = 'professional'")  # noqa: S608
    db.rows("vacuum analyze services")
    db.rows("vacuum analyze users")


def compare(options: BenchOptions, progress: Progress) -> dict[str, Any]:
    session = overhead.prepare(options, progress)
    config, stack = session.config, session.stack
    # Observability stays on (as deployed); the long TTLs keep both sides on a warm cache.
    overhead.switch(config, stack, enabled=True, progress=progress)
    cache = Redis.from_url(redis_url(stack, "redis"))

    def side(name: str, on: bool, note: str) -> Scenario:
        progress(f"{'setting' if on else 'clearing'} covers and avatars")
        set_images(session.db, on)
        cache.flushdb()
        label = f"read mix, {'with' if on else 'without'} image URLs ({note})"
        return overhead.measure(session.ctx, name, label, session.data, session.paths.everything)

    try:
        discarded, runs = overhead.sequence(side, prefix="images")
    finally:
        set_images(session.db, True)  # the seed's state: every listing with a cover
        cache.flushdb()
        cache.close()
        overhead.switch(
            config, stack, enabled=True, progress=progress, cache=session.configured_cache
        )
    report = {
        "environment": options.env,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": options.duration_s,
        "warmup_s": overhead.WARMUP_S,
        "connections": options.connections,
        **overhead.summarise(runs, GOAL_MAX_COST, side="images"),
        "discarded_run": {"images": overhead.ORDER[0], **asdict(discarded)},
    }
    options.out_dir.mkdir(parents=True, exist_ok=True)
    path = options.out_dir / "images-read-mix.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    report["files"] = {"json": str(path)}
    return report
