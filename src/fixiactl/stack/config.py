"""Where an environment's stack lives, which ports it uses and its generated secrets."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import socket
import stat
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fixiactl.errors import FixiactlError
from fixiactl.files import write_private

ROOT = Path(os.environ.get("FIXIACTL_ROOT", Path(__file__).resolve().parents[3]))
DEPLOY = ROOT / "deploy"
PGBIN = Path(os.environ.get("FIXIA_PGBIN", "/usr/lib/postgresql/15/bin"))
OFFSETS = {
    "postgres": 0,
    "pgbouncer": 1,
    "redis": 2,
    "http": 3,
    "metrics": 4,
    "blue": 10,
    "green": 11,
    # --monitoring (fixiactl.monitoring)
    "prometheus": 5,
    "alertmanager": 6,
    "node_exporter": 7,
    "postgres_exporter": 8,
    "redis_exporter": 9,
    "alert_receiver": 12,
    # The rate limiter's own Redis (noeviction): the cache's LRU must not evict its windows.
    "redis_limiter": 13,
    # Each slot's job-queue worker: /healthz and /metrics (fixia worker --health-port).
    "worker-blue": 14,
    "worker-green": 15,
    # --monitoring: redis_exporter for the limiter's instance (filling means logins refused).
    "redis_limiter_exporter": 16,
    # media_s3: the S3 API server media is stored in (fixiactl.stack.media).
    "s3": 17,
}

APP_SERVERS = ("uvicorn", "granian")


@dataclass
class EnvConfig:
    name: str
    fixia_env: str = "staging"
    base_port: int = 7400
    http_port: int | None = None
    app_workers: int = 2
    # `fixia serve`'s HTTP server in the slots (FIXIA_SERVE__SERVER; docs/performance.md).
    # FIXIACTL_APP_SERVER overrides it for one run (e.g. a test suite on the other server).
    app_server: str = "uvicorn"
    db_pool_size: int = 5
    db_max_overflow: int = 5
    pgbouncer_pool_size: int = 20
    pgbouncer_max_client_conn: int = 500
    redis_maxmemory: str = "256mb"
    # Rate-limit windows are small (a list per client and rule); full means refuse writes,
    # never evict: login then fails closed (fixia.platform.ratelimit).
    redis_limiter_maxmemory: str = "64mb"
    seed_demo: bool = False
    # Slots `up` starts and HAProxy weights. Normally blue only (green waits for a deploy);
    # chaos drills run both so that losing one leaves the other serving.
    active_slots: list[str] = field(default_factory=lambda: ["blue"])
    app_env: dict[str, str] = field(default_factory=dict)
    # --monitoring: a test profile shortens these so alerts fire within seconds.
    scrape_interval: str = "15s"
    alert_for: str = ""  # overrides every rule's `for:` when set
    alert_group_wait: str = "30s"
    app_scrape_interval: str = ""  # the app slots' job alone ("": scrape_interval)
    # Where `fixiactl deploy` reads canary metrics: "slots" (their own /metrics) or
    # "prometheus" (needs --monitoring; adds up to a scrape interval of detection latency).
    metrics_source: str = "slots"
    # The error-budget policy of `fixiactl deploy` (fixiactl.deploy.budget): a deploy that is
    # no hotfix is refused while an SLO has less than this share of its budget left. No data
    # (no Prometheus, no series) refuses too, unless "warn": then the deploy proceeds, warned.
    error_budget_floor: float = 0.10
    error_budget_no_data: str = "refuse"
    backup: dict[str, Any] = field(default_factory=dict)  # [backup] table: fixiactl.backup
    # Media on a local S3 API server (moto) instead of the slots' filesystem store.
    media_s3: bool = False
    # `stack up --ha`: PostgreSQL under Patroni, 3 members on 3 etcd (fixiactl.stack.ha).
    ha: bool = False


@dataclass
class StackState:
    """Persisted at the first `up`, so later commands (and a re-run of `up`) agree on it."""

    ports: dict[str, int]
    db_password: str
    jwt_key: str
    encryption_key: str
    webhook_secret: str
    release: str = "dev"
    # JWT keyring after `fixiactl secrets rotate-jwt` (empty: the single key above, "k1").
    jwt_keys: dict[str, str] = field(default_factory=dict)
    jwt_active_kid: str = "k1"
    jwt_retire_at: dict[str, float] = field(default_factory=dict)
    # requirepass of both Redis instances ("" in a state file from before it existed).
    redis_password: str = ""
    # The media S3 server's keys (media_s3; "" until a stack turns it on).
    s3_access_key: str = ""
    s3_secret_key: str = ""


def load_env(name: str, base_port: int | None = None) -> EnvConfig:
    path = DEPLOY / "environments" / f"{name}.toml"
    data: dict[str, Any] = {}
    if path.exists():
        data = tomllib.loads(path.read_text())
        # A promotion pipeline stage's `[pipeline]` is read by fixiactl promote, not the stack.
        data.pop("pipeline", None)
    elif not name.startswith("test"):
        known = sorted(p.stem for p in (DEPLOY / "environments").glob("*.toml"))
        raise FixiactlError(
            f"unknown environment {name!r}", hint=f"use one of {', '.join(known)} or add {path}"
        )
    else:
        # test-<suite>-<random> uses test-<suite>.toml when a suite ships one, else test.toml.
        suite = DEPLOY / "environments" / f"{name.rsplit('-', 1)[0]}.toml"
        base = suite if suite.exists() else DEPLOY / "environments" / "test.toml"
        data = tomllib.loads(base.read_text())
    config = EnvConfig(name=name, **data)
    config.app_server = os.environ.get("FIXIACTL_APP_SERVER") or config.app_server
    if config.app_server not in APP_SERVERS:
        raise FixiactlError(f"app_server must be one of {', '.join(APP_SERVERS)}")
    if base_port is not None:
        config.base_port = base_port
    return config


def _traversable_by_others(path: Path) -> bool:
    """Can a non-root user (postgres) reach `path`? Every existing ancestor needs o+x."""
    for part in [path, *path.parents]:
        if part.exists() and not part.stat().st_mode & stat.S_IXOTH:
            return False
    return True


def stack_root() -> Path:
    """Where stacks keep their state: var/stack in the checkout, unless PostgreSQL (run as the
    postgres user when we are root) could not reach it there, e.g. a checkout in a mode-700
    temporary directory. Then a per-checkout directory under /var/tmp is used instead."""
    override = os.environ.get("FIXIACTL_STATE_ROOT")
    if override:
        return Path(override)
    default = ROOT / "var" / "stack"
    if os.geteuid() != 0 or _traversable_by_others(ROOT):
        return default
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    return Path("/var/tmp") / f"fixia-stack-{digest}"  # noqa: S108 - root-owned, per checkout


def state_dir(name: str) -> Path:
    return stack_root() / name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port(config: EnvConfig, name: str) -> int:
    return _free_port() if config.base_port == 0 else config.base_port + OFFSETS[name]


def _ports(config: EnvConfig) -> dict[str, int]:
    if config.base_port == 0:
        return {name: _free_port() for name in OFFSETS}
    ports = {name: config.base_port + off for name, off in OFFSETS.items()}
    if config.http_port:
        ports["http"] = config.http_port
    return ports


def load_or_create_state(config: EnvConfig) -> StackState:
    path = state_dir(config.name) / "stack.json"
    if path.exists():
        state = StackState(**json.loads(path.read_text()))
        changed = _ensure_media_s3(config, state)
        if state.redis_password and "redis_limiter" in state.ports and not changed:
            return state
        # A stack from before Redis had a password and the limiter its own instance.
        state.redis_password = state.redis_password or secrets.token_urlsafe(24)
        state.ports.setdefault("redis_limiter", _port(config, "redis_limiter"))
    else:
        state = StackState(
            ports=_ports(config),
            db_password=secrets.token_urlsafe(24),
            jwt_key=secrets.token_urlsafe(48),
            encryption_key=secrets.token_urlsafe(48),
            webhook_secret=secrets.token_urlsafe(32),
            redis_password=secrets.token_urlsafe(24),
        )
        _ensure_media_s3(config, state)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, json.dumps(asdict(state), indent=2))
    return state


def add_ports(config: EnvConfig, stack: StackState, offsets: dict[str, int]) -> None:
    """Ports a component added later needs (monitoring, --ha): added once, persisted."""
    missing = [n for n in offsets if n not in stack.ports]
    if not missing:
        return
    for name in missing:
        base = config.base_port
        stack.ports[name] = _free_port() if base == 0 else base + offsets[name]
    write_private(state_dir(config.name) / "stack.json", json.dumps(asdict(stack), indent=2))


def _ensure_media_s3(config: EnvConfig, state: StackState) -> bool:
    """media_s3 on: the S3 server's port and keys, added once; True if anything changed."""
    if not config.media_s3 or ("s3" in state.ports and state.s3_access_key):
        return False
    state.ports.setdefault("s3", _port(config, "s3"))
    state.s3_access_key = state.s3_access_key or f"fixia-{secrets.token_hex(6)}"
    state.s3_secret_key = state.s3_secret_key or secrets.token_urlsafe(30)
    return True


def read_state(name: str) -> StackState:
    path = state_dir(name) / "stack.json"
    if not path.exists():
        raise FixiactlError(
            f"no stack for environment {name!r}",
            hint=f"start it with: fixiactl stack up --env {name}",
        )
    return StackState(**json.loads(path.read_text()))


def flag_file(env: str) -> Path:
    """The environment's live feature-flag file (`fixiactl flags` edits it, the slots read it),
    seeded from deploy/flags/flags.json on first use."""
    path = state_dir(env) / "flags" / "flags.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DEPLOY / "flags" / "flags.json", path)
    return path
