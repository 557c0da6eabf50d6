"""`fixiactl stack up|down|status`: the single-host production topology."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from fixiactl.backup import hooks as backup_hooks
from fixiactl.errors import FixiactlError
from fixiactl.stack import ha, media, monitoring, postgres
from fixiactl.stack.config import (
    PGBIN,
    ROOT,
    EnvConfig,
    StackState,
    load_or_create_state,
    read_state,
    state_dir,
)
from fixiactl.stack.health import http_ok, redis_ok, tcp_ok, wait_for
from fixiactl.stack.render import oneshot_environment, render_all
from fixiactl.stack.supervisor import Supervisor

BINARIES = {
    "postgres": (PGBIN / "postgres", "postgresql-15"),
    "pgbouncer": (Path("/usr/sbin/pgbouncer"), "pgbouncer"),
    "redis-server": (Path("/usr/bin/redis-server"), "redis-server"),
    "haproxy": (Path("/usr/sbin/haproxy"), "haproxy"),
}
STATEMENT_TIMEOUT_MS = 15_000
Progress = Callable[[str], None]


@dataclass
class Component:
    name: str
    port: int | None
    pid: int | None
    state: str
    healthy: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "port": self.port,
            "pid": self.pid,
            "state": self.state,
            "healthy": self.healthy,
        }


def check_binaries() -> None:
    missing = [pkg for path, pkg in BINARIES.values() if not path.exists()]
    if missing:
        raise FixiactlError(
            f"missing programs for the stack: {', '.join(missing)}",
            hint="install them with: sudo scripts/install-system-deps --stack  "
            f"(apt-get install -y {' '.join(missing)})",
        )


def _prepare_dirs(state: Path) -> None:
    for sub in ("log", "pg", "pgbouncer", "redis", "redis-limiter", "haproxy", "outbox"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    # The supervisor writes every program's log here; postgres and pgbouncer run as postgres
    # and write their own files, so those directories are theirs.
    postgres.chown_postgres(state / "pgbouncer")
    log = state / "log" / "pgbouncer-internal.log"
    log.touch(exist_ok=True)
    postgres.chown_postgres(log)


def _migrate(config: EnvConfig, stack: StackState, progress: Progress) -> None:
    env = oneshot_environment(config, stack)
    fixia = shutil.which("fixia", path=str(Path(sys.executable).parent)) or "fixia"
    progress("migrating the database")
    _run([fixia, "db", "upgrade"], env)
    if config.seed_demo:
        progress("seeding demo data (first run only)")
        _run([fixia, "seed", "--demo", "--if-empty"], env)


def _run(cmd: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        cmd,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise FixiactlError(f"{' '.join(cmd[1:])} failed:\n{result.stderr.strip()[-2000:]}")


def up(config: EnvConfig, progress: Progress, *, with_monitoring: bool = False) -> list[Component]:
    check_binaries()
    media.check_binary(config)
    stack = load_or_create_state(config)
    state = state_dir(config.name)
    ha.remember(config)
    if with_monitoring:
        monitoring.enable(config.name)
    as_root = os.geteuid() == 0
    _prepare_dirs(state)
    progress("rendering configuration")
    render_all(config, stack, as_root=as_root)
    supervisor = Supervisor(state)
    if config.ha:
        _start_ha_database(config, stack, supervisor, progress)
    else:
        _start_database(config, stack, supervisor, progress)
    supervisor.start("pgbouncer")
    wait_for(
        "PgBouncer", lambda: tcp_ok(stack.ports["pgbouncer"]), 15, f"see {state}/log/pgbouncer.log"
    )
    for name, port in (("redis", "redis"), ("redis-limiter", "redis_limiter")):
        wait_for(
            name,
            partial(redis_ok, stack.ports[port], stack.redis_password),
            15,
            f"see {state}/log/{name}.log",
        )
    if media.enabled(config, stack):
        _start_media_s3(stack, supervisor, state, progress)
    _migrate(config, stack, progress)
    progress(f"starting the {' and '.join(config.active_slots)} app slot(s) and HAProxy")
    for slot in config.active_slots:
        supervisor.start(f"app-{slot}")
        supervisor.start(f"worker-{slot}")
    supervisor.start("haproxy")
    wait_for(
        "the app through HAProxy",
        lambda: http_ok(f"http://127.0.0.1:{stack.ports['http']}/readyz"),
        # A cold slot (every worker imports the app) took 40-60 s on a loaded 2-core host.
        120,
        f"see {state}/log/app-blue.log and haproxy.log",
    )
    if monitoring.enabled(config.name):
        progress("starting Prometheus, Alertmanager and the exporters")
        monitoring.start(config, stack, supervisor)
    return status(config.name)


def _start_database(
    config: EnvConfig, stack: StackState, supervisor: Supervisor, progress: Progress
) -> None:
    state = state_dir(config.name)
    backup_hooks.prepare(config, stack.ports["postgres"])
    if postgres.init_cluster(state / "pg"):
        progress("created the PostgreSQL cluster")
    postgres.chown_postgres(state / "pg", state / "pgbouncer")
    (state / "pg" / "data").chmod(0o700)
    progress("starting supervisord")
    supervisor.start_daemon()
    backup_hooks.start_s3(config, stack.ports["postgres"], supervisor, progress)
    supervisor.start("postgres")
    supervisor.start("redis")
    supervisor.start("redis-limiter")
    postgres.wait_ready(state / "pg", stack.ports["postgres"])
    backup_hooks.start_walstream(config, stack.ports["postgres"], supervisor, progress)
    postgres.ensure_app_database(
        state / "pg", stack.ports["postgres"], stack.db_password, STATEMENT_TIMEOUT_MS
    )
    backup_hooks.ensure_stanza(config, stack.ports["postgres"], progress)
    postgres.write_userlist(
        state / "pg", stack.ports["postgres"], state / "pgbouncer" / "userlist.txt"
    )


def _start_ha_database(
    config: EnvConfig, stack: StackState, supervisor: Supervisor, progress: Progress
) -> None:
    """etcd, then Patroni's members, then HAProxy's database frontends (fixiactl.stack.ha)."""
    ha.check_binaries()
    backup_hooks.prepare(config, stack.ports["postgres"])  # pgBackRest's config, all members
    postgres.chown_postgres(state_dir(config.name) / "pgbouncer")
    progress("starting supervisord")
    supervisor.start_daemon()
    backup_hooks.start_s3(config, stack.ports["postgres"], supervisor, progress)
    supervisor.start("redis")
    supervisor.start("redis-limiter")
    progress("starting etcd (3 members) and Patroni (3 PostgreSQL members)")
    for i in range(ha.MEMBERS):
        supervisor.start(f"etcd{i}")
    for i in range(ha.MEMBERS):
        supervisor.start(f"patroni{i}")
    supervisor.start("haproxy-db")
    supervisor.start("ha-reaper")
    leader = ha.wait_leader(stack)
    progress(f"Patroni leader: pg{leader}; waiting for the synchronous standby")
    ha.wait_sync_standby(stack)
    ha.prepare_database(config, stack, STATEMENT_TIMEOUT_MS)
    # pgBackRest checks every member: once a standby streams (backups come from it).
    backup_hooks.ensure_stanza(config, stack.ports["postgres"], progress)
    wait_for(
        "PostgreSQL through HAProxy's primary frontend",
        lambda: postgres.login_ok(stack.ports["postgres"], stack.db_password),
        30,
        "see log/haproxy-db.log",
    )


def _start_media_s3(
    stack: StackState, supervisor: Supervisor, state: Path, progress: Progress
) -> None:
    supervisor.start("s3")
    wait_for(
        "the media S3 server",
        lambda: http_ok(f"{media.endpoint(stack)}/moto-api/"),
        30,
        f"see {state}/log/s3.log",
    )
    progress(f"media storage: bucket {media.BUCKET} on {media.endpoint(stack)}")
    media.ensure_bucket(stack)


def _health(name: str, stack: StackState) -> bool:
    ports = stack.ports
    checks: dict[str, Callable[[], bool]] = {
        "postgres": lambda: tcp_ok(ports["postgres"]),
        "pgbouncer": lambda: tcp_ok(ports["pgbouncer"]),
        "redis": lambda: redis_ok(ports["redis"], stack.redis_password),
        "redis-limiter": lambda: redis_ok(ports["redis_limiter"], stack.redis_password),
        "haproxy": lambda: http_ok(f"http://127.0.0.1:{ports['metrics']}/metrics"),
        "app-blue": lambda: http_ok(f"http://127.0.0.1:{ports['blue']}/readyz"),
        "app-green": lambda: http_ok(f"http://127.0.0.1:{ports['green']}/readyz"),
        "worker-blue": lambda: http_ok(f"http://127.0.0.1:{ports['worker-blue']}/healthz"),
        "worker-green": lambda: http_ok(f"http://127.0.0.1:{ports['worker-green']}/healthz"),
        "s3": lambda: http_ok(f"http://127.0.0.1:{ports['s3']}/moto-api/"),
        # repo2 on S3 (backup/s3repo.py): its own moto and the TLS front pgBackRest needs.
        "backup-s3": lambda: http_ok(f"http://127.0.0.1:{ports['backup_s3']}/moto-api/"),
        "backup-s3-tls": lambda: tcp_ok(ports["backup_s3_tls"]),
        # pg_receivewal listens on nothing: supervisord's RUNNING is its health here; whether
        # it is connected is `backup list`'s fixia_walstream_connected, with an alert.
        "walreceiver": lambda: True,
    }
    checks.update(monitoring.health_checks(ports))
    if "patroni0" in ports:
        checks.update(ha.health_checks(stack))
    return checks.get(name, lambda: False)()


PORT_OF = {
    "postgres": "postgres",
    "pgbouncer": "pgbouncer",
    "redis": "redis",
    "redis-limiter": "redis_limiter",
    "haproxy": "http",
    "app-blue": "blue",
    "app-green": "green",
    "worker-blue": "worker-blue",
    "worker-green": "worker-green",
    "s3": "s3",
}


def status(name: str) -> list[Component]:
    stack = read_state(name)
    state = state_dir(name)
    result = []
    for info in Supervisor(state).all_info():
        proc = info["name"]
        running = info["statename"] == "RUNNING"
        result.append(
            Component(
                name=proc,
                port=stack.ports.get(PORT_OF.get(proc, ha.PORT_OF.get(proc, ""))),
                pid=info["pid"] or None,
                state=info["statename"],
                healthy=running and _health(proc, stack),
            )
        )
    return result


def down(name: str, progress: Progress) -> None:
    state = state_dir(name)
    supervisor = Supervisor(state)
    if not supervisor.running():
        progress("the stack is not running")
        return
    ha_stack = (state / "ha.enabled").exists()
    if ha_stack:
        progress("stopping Patroni, replicas first (the leader must not fail over)")
        ha.stop_members(read_state(name), supervisor)
    progress("stopping every component")
    supervisor.shutdown()
    if ha_stack and (left := ha.stop_leftovers(state)):
        progress(f"stopped PostgreSQL left running by Patroni: {', '.join(f'pg{i}' for i in left)}")


def control(name: str, component: str, *, start: bool) -> None:
    supervisor = Supervisor(state_dir(name))
    if not supervisor.running():
        raise FixiactlError(
            f"the {name} stack is not running",
            hint=f"start it with: fixiactl stack up --env {name}",
        )
    known = {info["name"] for info in supervisor.all_info()}
    if component not in known:
        raise FixiactlError(
            f"no component {component!r}", hint=f"one of {', '.join(sorted(known))}"
        )
    if start:
        supervisor.start(component)
    else:
        supervisor.stop(component)
