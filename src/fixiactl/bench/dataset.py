"""The scale dataset the benchmark runs on, and what the load scripts sample from it.

The seed runs as `fixia seed --scale N` in a subprocess; everything read back is plain SQL
through psql as the postgres superuser over the stack's Unix socket.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from fixiactl.errors import FixiactlError
from fixiactl.stack import postgres
from fixiactl.stack.config import ROOT, EnvConfig, StackState
from fixiactl.stack.render import oneshot_environment

SEED_TIMEOUT_S = 1800
# Weights of the read mix (per 10 requests): search dominates a marketplace's traffic.
READ_MIX = {"search": 4, "service": 3, "professional": 2, "categories": 1}
WRITE_MIX = {"register": 1, "project": 1, "apply": 1}
# The same random() sequence each run: two runs on the same data sample the same rows.
SEEDED = "select setseed(0.42); "
_WORD = re.compile(r"[^\W\d_]{5,}", re.UNICODE)


@dataclass(frozen=True)
class Db:
    """psql -At against the stack's fixia database: rows of '|'-separated columns."""

    pg_dir: Path
    port: int

    def rows(self, sql: str) -> list[list[str]]:
        out = postgres.psql(self.pg_dir, self.port, sql, database="fixia")
        return [line.split("|") for line in out.splitlines() if line]

    def column(self, sql: str) -> list[str]:
        return [row[0] for row in self.rows(sql)]

    def scalar(self, sql: str) -> str:
        rows = self.rows(sql)
        return rows[0][0] if rows else ""


@dataclass
class Sample:
    services: list[str]
    professionals: list[str]
    category_ids: list[str]
    category_slugs: list[str]
    cities: list[str]
    words: dict[str, str]  # search word -> the category of a service whose title has it


def counts(db: Db) -> dict[str, int]:
    row = db.rows(
        "select (select count(*) from services), (select count(*) from professional_profiles),"
        " (select count(*) from users), (select count(*) from projects),"
        " (select count(*) from proposals), (select count(*) from reviews),"
        # Image URLs in the read mix's responses (the scale seed's covers and avatars).
        " (select count(*) from services where main_image_url is not null),"
        " (select count(*) from users where avatar_url is not null)"
    )[0]
    names = (
        *("services", "professionals", "users", "projects", "proposals", "reviews"),
        *("services_with_cover", "users_with_avatar"),
    )
    return dict(zip(names, (int(v) for v in row), strict=True))


def run_fixia(config: EnvConfig, stack: StackState, args: list[str], timeout_s: float) -> str:
    """`fixia ARGS` in a subprocess with the stack's one-shot environment (straight to
    PostgreSQL, not through PgBouncer's pool); returns its stdout."""
    fixia = shutil.which("fixia", path=str(Path(sys.executable).parent)) or "fixia"
    command = " ".join(["fixia", *args])
    try:
        result = subprocess.run(
            [fixia, *args],
            env=oneshot_environment(config, stack),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise FixiactlError(f"`{command}` took over {timeout_s} s") from exc
    if result.returncode != 0:
        raise FixiactlError(f"`{command}` failed:\n{result.stderr.strip()[-2000:]}")
    return result.stdout


def ensure_seeded(config: EnvConfig, stack: StackState, db: Db, target: int) -> float | None:
    """Seed `target` services once; returns the seconds it took, None when already there."""
    if int(db.scalar("select count(*) from services")) >= target:
        return None
    started = time.monotonic()
    # One bulk transaction.
    run_fixia(config, stack, ["seed", "--scale", str(target)], SEED_TIMEOUT_S)
    # Fresh statistics, or the planner judges 100k rows by the estimates of an empty table.
    db.rows("analyze")
    return round(time.monotonic() - started, 1)


def sample(db: Db, size: int) -> Sample:
    """Ids of rows the public API serves, so no request of the load is a cheap 404."""
    visible = "u.deleted_at is null and u.suspended_at is null"
    # S608: size is an int and visible a constant; nothing here comes from input.
    services = db.column(
        SEEDED + "select s.id from services s join users u on u.id = s.professional_id"  # noqa: S608
        f" where s.active and s.deleted_at is null and {visible} order by random() limit {size}"
    )
    pros = db.column(
        SEEDED + "select p.user_id from professional_profiles p"  # noqa: S608
        f" join users u on u.id = p.user_id where {visible} order by random() limit {size}"
    )
    categories = db.rows("select id, slug from categories order by slug")
    cities = db.column(
        "select distinct split_part(location, ',', 1) from users"
        " where location like '%,%' order by 1 limit 40"
    )
    titled = db.rows(
        SEEDED + "select s.title, c.slug from services s"  # noqa: S608
        " join categories c on c.id = s.category_id order by random() limit 80"
    )
    if not services or not pros or not categories:
        raise FixiactlError("the bench database has no services to sample", hint="re-run the seed")
    return Sample(
        services=services,
        professionals=pros,
        category_ids=[c[0] for c in categories],
        category_slugs=[c[1] for c in categories],
        cities=cities or ["Trelew"],
        words=title_words([(row[0], row[1]) for row in titled]),
    )


def title_words(titled: list[tuple[str, str]], limit: int = 30) -> dict[str, str]:
    """Words of five letters or more from titles (what people type into the search box),
    each with the category of the listing it came from."""
    words: dict[str, str] = {}
    for title, category in titled:
        for word in _WORD.findall(title):
            words.setdefault(word.lower(), category)
    return dict(list(words.items())[:limit]) or {"plomero": "oficios-y-reparaciones"}


def search_queries(s: Sample, n: int, seed: int = 7) -> list[dict[str, str]]:
    """A fixed, seeded set of filter combinations, shared by the load and the floor."""
    rng = random.Random(seed)  # noqa: S311 - reproducible load, not security
    queries = []
    for _ in range(n):
        params: dict[str, str] = {}
        if rng.random() < 0.6:
            params["q"] = rng.choice(list(s.words))
        if rng.random() < 0.4:
            # A word narrowed to its own category, as a user would: mismatched pairs would
            # make most searches empty, which real traffic is not.
            params["category"] = s.words.get(params.get("q", ""), rng.choice(s.category_slugs))
        if rng.random() < 0.3:
            params["location"] = rng.choice(s.cities)
        if rng.random() < 0.3:
            params["max_price"] = str(rng.choice([20_000, 50_000, 100_000]))
        if rng.random() < 0.15:
            params["verified"] = "true"
        sorts = ["newest", "price_asc", "rating", "popular"]
        params["sort"] = rng.choice(sorts + ["relevance"] * 2 if "q" in params else sorts)
        params["limit"] = "20"
        queries.append(params)
    return queries


def search_url(params: dict[str, str]) -> str:
    return "/api/v1/services?" + urlencode(params)


def expand_mix(weights: dict[str, int]) -> list[str]:
    """The weighted list the Lua scripts pick from uniformly."""
    return [name for name, weight in weights.items() for _ in range(weight)]
