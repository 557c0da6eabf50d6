"""Where an environment's stack lives, which ports it uses and its generated secrets."""

from __future__ import annotations

import json
import os
import secrets
import socket
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fixiactl.errors import FixiactlError

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
}


@dataclass
class EnvConfig:
    name: str
    fixia_env: str = "staging"
    base_port: int = 7400
    http_port: int | None = None
    app_workers: int = 2
    db_pool_size: int = 5
    db_max_overflow: int = 5
    pgbouncer_pool_size: int = 20
    pgbouncer_max_client_conn: int = 500
    redis_maxmemory: str = "256mb"
    seed_demo: bool = False
    app_env: dict[str, str] = field(default_factory=dict)


@dataclass
class StackState:
    """Persisted at the first `up`, so later commands (and a re-run of `up`) agree on it."""

    ports: dict[str, int]
    db_password: str
    jwt_key: str
    encryption_key: str
    webhook_secret: str
    release: str = "dev"


def load_env(name: str, base_port: int | None = None) -> EnvConfig:
    path = DEPLOY / "environments" / f"{name}.toml"
    data: dict[str, Any] = {}
    if path.exists():
        data = tomllib.loads(path.read_text())
    elif not name.startswith("test"):
        known = sorted(p.stem for p in (DEPLOY / "environments").glob("*.toml"))
        raise FixiactlError(
            f"unknown environment {name!r}", hint=f"use one of {', '.join(known)} or add {path}"
        )
    else:
        data = tomllib.loads((DEPLOY / "environments" / "test.toml").read_text())
    config = EnvConfig(name=name, **data)
    if base_port is not None:
        config.base_port = base_port
    return config


def state_dir(name: str) -> Path:
    return ROOT / "var" / "stack" / name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
        return StackState(**json.loads(path.read_text()))
    state = StackState(
        ports=_ports(config),
        db_password=secrets.token_urlsafe(24),
        jwt_key=secrets.token_urlsafe(48),
        encryption_key=secrets.token_urlsafe(48),
        webhook_secret=secrets.token_urlsafe(32),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(state), indent=2))
    path.chmod(0o600)
    return state


def read_state(name: str) -> StackState:
    path = state_dir(name) / "stack.json"
    if not path.exists():
        raise FixiactlError(
            f"no stack for environment {name!r}",
            hint=f"start it with: fixiactl stack up --env {name}",
        )
    return StackState(**json.loads(path.read_text()))
