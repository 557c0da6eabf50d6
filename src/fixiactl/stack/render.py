"""Render deploy/ templates into an environment's state directory."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from fixiactl.backup.hooks import ensure_ports as backup_ensure_ports
from fixiactl.backup.hooks import render_context as backup_context
from fixiactl.files import write_private
from fixiactl.stack import ha, media, monitoring
from fixiactl.stack.config import DEPLOY, PGBIN, ROOT, EnvConfig, StackState, flag_file, state_dir

SLOTS = ("blue", "green")


def redis_url(state: StackState, instance: str) -> str:
    """`instance`: "redis" (the cache) or "redis_limiter"; with the stack's password."""
    auth = f":{state.redis_password}@" if state.redis_password else ""
    return f"redis://{auth}127.0.0.1:{state.ports[instance]}/0"


def app_environment(config: EnvConfig, state: StackState, slot: str) -> dict[str, str]:
    ports = state.ports
    env = {
        "FIXIA_ENV": config.fixia_env,
        "FIXIA_SLOT": slot,
        "FIXIA_RELEASE": state.release,
        "FIXIA_DATABASE_URL": (
            f"postgresql+asyncpg://fixia:{state.db_password}@127.0.0.1:{ports['pgbouncer']}/fixia"
        ),
        "FIXIA_DB__VIA_PGBOUNCER": "true",
        "FIXIA_SERVE__SERVER": config.app_server,
        "FIXIA_DB__POOL_SIZE": str(config.db_pool_size),
        "FIXIA_DB__MAX_OVERFLOW": str(config.db_max_overflow),
        "FIXIA_REDIS_URL": redis_url(state, "redis"),
        "FIXIA_PUBLIC_URL": f"http://127.0.0.1:{ports['http']}",
        "FIXIA_EMAIL__OUTBOX_DIR": str(state_dir(config.name) / "outbox"),
        "FIXIA_SMS__OUTBOX_DIR": str(state_dir(config.name) / "sms-outbox"),
        "FIXIA_ENCRYPTION_KEY": state.encryption_key,
        "FIXIA_AUTH__JWT_KEYS": json.dumps(state.jwt_keys or {"k1": state.jwt_key}),
        "FIXIA_AUTH__JWT_ACTIVE_KID": state.jwt_active_kid if state.jwt_keys else "k1",
        "FIXIA_PAYMENTS__WEBHOOK_SECRET": state.webhook_secret,
        # Feature flags: the environment's own copy, edited by `fixiactl flags`.
        "FIXIA_FLAGS__FILE": str(flag_file(config.name)),
        # One directory per slot: its server's workers share their metrics there.
        "PROMETHEUS_MULTIPROC_DIR": str(state_dir(config.name) / "metrics" / f"app-{slot}"),
    }
    if "postgres" in ports:
        # The queue's worker LISTENs for new jobs: straight to PostgreSQL, not PgBouncer.
        env["FIXIA_QUEUE__DATABASE_URL"] = (
            f"postgresql://fixia:{state.db_password}@127.0.0.1:{ports['postgres']}/fixia"
        )
    if "redis_limiter" in ports:
        # The limiter's own instance: the cache's LRU must not evict login windows. A stack
        # whose state predates it keeps the shared one until its next `up` adds it.
        env["FIXIA_RATELIMIT__REDIS_URL"] = redis_url(state, "redis_limiter")
    if media.enabled(config, state):
        env.update(media.app_env(state))
    env.update(config.app_env)
    return env


def oneshot_environment(config: EnvConfig, state: StackState) -> dict[str, str]:
    """The environment for one-shot `fixia` commands (migrate, seed, audit): the process's own
    plus blue's settings, straight to PostgreSQL, since a migration's advisory lock and a long
    bulk transaction need a session that transaction pooling would not keep. A one-shot command
    is no uvicorn worker, so it gets no metrics directory: only `fixia serve` creates that."""
    env = {**os.environ, **app_environment(config, state, "blue")}
    env["FIXIA_DATABASE_URL"] = (
        f"postgresql+asyncpg://fixia:{state.db_password}@127.0.0.1:{state.ports['postgres']}/fixia"
    )
    env.pop("FIXIA_DB__VIA_PGBOUNCER", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def write_env_file(path: Path, env: dict[str, str]) -> Path:
    """KEY=VALUE lines, owner-only: secrets stay out of supervisord's config and `ps`."""
    return write_private(path, "".join(f"{k}={v}\n" for k, v in sorted(env.items())))


def slot_bin(state_path: Path, slot: str) -> Path:
    """Each slot runs `fixia` from the venv its symlink points at: the checkout's venv until a
    deploy points it at a release (fixiactl deploy), so no config change is needed to switch."""
    link = state_path / "slots" / slot
    if not link.is_symlink():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(Path(sys.executable).parent.parent)
    return link / "bin"


def slot_release_env(state_path: Path, slot: str) -> dict[str, str]:
    """What the release deployed on `slot` adds (FIXIA_RELEASE...), kept across re-renders."""
    path = state_path / "slots" / f"{slot}.release.env"
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k: v for k, v in pairs}


def write_slot_env(config: EnvConfig, state: StackState, slot: str) -> Path:
    """The slot's environment file: the stack's settings and secrets as they are now, plus
    what the release deployed on it adds. Every writer of the file goes through here, so a
    re-render (a secret rotation, a deploy) never drops the other half."""
    state_path = state_dir(config.name)
    return write_env_file(
        state_path / f"app-{slot}.env",
        app_environment(config, state, slot) | slot_release_env(state_path, slot),
    )


def render_all(config: EnvConfig, state: StackState, *, as_root: bool) -> dict[str, Path]:
    state_path = state_dir(config.name)
    jinja = Environment(
        loader=FileSystemLoader(DEPLOY),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    # Stacks created before a component existed lack its port: added once, persisted.
    monitoring.ensure_ports(config, state)
    backup_ensure_ports(config, state)  # repo2 on S3: on this object too, or a later add drops them
    ha.remember(config)
    if config.ha:  # before the backup context: it names each member's port
        ha.ensure_ports(config, state)
    backup = backup_context(config, state.ports["postgres"])
    context = {
        "env": config.name,
        "state": state_path,
        "root": ROOT,
        "pgbin": PGBIN,
        "venv": Path(sys.executable).parent.parent,
        "as_root": as_root,
        "cfg": config,
        "ports": state.ports,
        "redis_password": state.redis_password,
        "workers": config.app_workers,
        "server_maxconn": config.app_workers * config.db_pool_size,
        # Idle SSE streams hold no database connection: their cap is memory, not the pool.
        "stream_maxconn": 5000,
        "weights": {s: 100 if s in config.active_slots else 0 for s in SLOTS},
        "backup": backup,
        "slots": [
            {
                "name": s,
                "port": state.ports[s],
                "worker_port": state.ports[f"worker-{s}"],
                "bin": slot_bin(state_path, s),
                "env_file": write_slot_env(config, state, s),
            }
            for s in SLOTS
        ],
    }
    # The media S3 server's program (media_s3): moto from this venv, no keys on its argv.
    context["media_s3"] = (
        {"binary": media.server_binary(), "port": state.ports["s3"]}
        if media.enabled(config, state)
        else None
    )
    context["monitoring"] = monitoring.enabled(config.name)
    context["monitoring_programs"] = (
        monitoring.programs(config, state) if context["monitoring"] else []
    )
    if config.ha:
        ha.render(config, state, backup["ha_parameters"])
    context["ha"] = config.ha
    context["ha_programs"] = ha.programs(config, state, backup["environment"]) if config.ha else []
    targets = {
        "supervisor/supervisord.conf.j2": state_path / "supervisord.conf",
        "postgres/postgresql.conf.j2": state_path / "pg" / "postgresql.conf",
        "pgbouncer/pgbouncer.ini.j2": state_path / "pgbouncer" / "pgbouncer.ini",
        "redis/redis.conf.j2": state_path / "redis" / "redis.conf",
        "haproxy/haproxy.cfg.j2": state_path / "haproxy" / "haproxy.cfg",
        "haproxy/routing.map.j2": state_path / "haproxy" / "routing.map",
    }
    if config.ha:
        targets["haproxy/haproxy-db.cfg.j2"] = state_path / "haproxy" / "haproxy-db.cfg"
    if "redis_limiter" in state.ports:  # a state from before it: until its next `up`
        targets["redis/redis-limiter.conf.j2"] = state_path / "redis-limiter" / "redis.conf"
    for template, target in targets.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        # Configs hold secrets (the app environment): owner-only from the first byte.
        mode = 0o640 if "pgbouncer" in template or "postgres" in template else 0o600
        write_private(target, jinja.get_template(template).render(**context), mode)
    if context["monitoring"]:
        monitoring.render(config, state, jinja, DEPLOY)
    return targets
