"""`stack up --ha`: PostgreSQL under Patroni (3 members, synchronous_mode) on a 3-member etcd.

Additive to the single-host stack: the stack's `postgres` port becomes an HAProxy frontend
(`haproxy-db`) whose backend follows Patroni's REST check `GET /primary`, so PgBouncer, the
migrations and the queue's LISTEN connection reach whichever member leads, unchanged. A
second frontend (`postgres_replica`) checks `GET /replica`. Routing never follows a fixed
list: a member whose Patroni died keeps its PostgreSQL running as a primary, but answers no
REST check, so HAProxy takes it out (and cuts its sessions) within two checks.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import yaml

from fixiactl.errors import FixiactlError
from fixiactl.files import write_private
from fixiactl.stack import postgres
from fixiactl.stack.config import PGBIN, EnvConfig, StackState, add_ports, state_dir
from fixiactl.stack.supervisor import Supervisor

MEMBERS = 3
ETCD = Path("/usr/bin/etcd")
# Patroni runs as postgres: its venv is built with Debian's python3 where postgres can
# execute it (make patroni-venv), never under root's home.
PATRONI_VENV = Path(os.environ.get("FIXIA_PATRONI_VENV", "/opt/fixia/patroni-venv"))
# Offsets after the single-host ones (config.OFFSETS ends below 20).
HA_OFFSETS = {
    **{f"etcd{i}": 40 + i for i in range(MEMBERS)},
    **{f"etcd{i}_peer": 43 + i for i in range(MEMBERS)},
    **{f"patroni{i}": 46 + i for i in range(MEMBERS)},
    **{f"pg{i}": 49 + i for i in range(MEMBERS)},
    "postgres_replica": 52,
    "haproxy_db_stats": 53,
}
SECRETS_FILE = "ha-secrets.json"  # pragma: allowlist secret (a file name)


def remember(config: EnvConfig) -> None:
    """HA on (from the environment's file or `--ha`): kept in the state directory, so every
    later render (a deploy, a secret rotation) renders the HA topology too."""
    marker = state_dir(config.name) / "ha.enabled"
    if config.ha:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch(exist_ok=True)
    elif marker.exists():
        config.ha = True


def check_binaries() -> None:
    missing = [str(p) for p in (ETCD, PATRONI_VENV / "bin" / "patroni") if not p.exists()]
    if missing:
        raise FixiactlError(
            f"missing programs for --ha: {', '.join(missing)}",
            hint="make system-deps (etcd-server) and make patroni-venv",
        )


def ensure_ports(config: EnvConfig, stack: StackState) -> None:
    add_ports(config, stack, HA_OFFSETS)


def _secrets(state: Path) -> dict[str, str]:
    """Passwords of Patroni's superuser, replication and rewind roles: made once, kept."""
    path = state / SECRETS_FILE
    if path.exists():
        return dict(json.loads(path.read_text()))
    values = {k: secrets.token_urlsafe(24) for k in ("superuser", "replication", "rewind")}
    write_private(path, json.dumps(values))
    return values


def exporter_environment(config: EnvConfig, stack: StackState) -> str:
    """postgres-exporter's DATA_SOURCE_NAME on an HA stack ("" otherwise): the superuser over
    HAProxy's primary frontend, so it follows the leader. For supervisord's owner-only file."""
    if not config.ha:
        return ""
    password = quote(_secrets(state_dir(config.name))["superuser"], safe="")
    return (
        f'DATA_SOURCE_NAME="postgresql://postgres:{password}@127.0.0.1:'
        f'{stack.ports["postgres"]}/postgres?sslmode=disable"'
    )


def member_dir(state: Path, i: int) -> Path:
    return state / "ha" / f"pg{i}"


def patroni_config(
    config: EnvConfig, stack: StackState, i: int, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`extra`: more of this member's own PostgreSQL parameters (WAL archiving, when backups
    are on: its archive_command names its own data directory)."""
    state = state_dir(config.name)
    p = stack.ports
    pw = _secrets(state)
    home = member_dir(state, i)
    hba = [
        "local all all trust",
        "host replication replicator 127.0.0.1/32 scram-sha-256",
        "host all all 127.0.0.1/32 scram-sha-256",
    ]
    return {
        "scope": f"fixia-{config.name}",
        "namespace": "/fixia/",
        "name": f"pg{i}",
        "log": {"level": "INFO"},
        "restapi": {
            "listen": f"127.0.0.1:{p[f'patroni{i}']}",
            "connect_address": f"127.0.0.1:{p[f'patroni{i}']}",
        },
        "etcd3": {"hosts": [f"127.0.0.1:{p[f'etcd{j}']}" for j in range(MEMBERS)]},
        "bootstrap": {
            "dcs": {
                # A dead leader's lock expires after ttl; loop_wait is each member's cycle.
                # ttl >= loop_wait + 2 * retry_timeout (Patroni's rule), and Patroni 4.1
                # raises any ttl below 20 to 20: the ha-reaper (fixiactl.stack.reaper)
                # releases a dead leader's lock sooner, so the ttl only covers the
                # undecidable cases (a frozen leader, an unreachable one).
                "ttl": 20,
                "loop_wait": 2,
                "retry_timeout": 5,
                "maximum_lag_on_failover": 1048576,
                # A commit is acknowledged only once the sync standby has it: a failover to
                # that standby loses no acknowledged write.
                "synchronous_mode": True,
                "postgresql": {
                    "use_pg_rewind": True,
                    "use_slots": True,
                    "parameters": {
                        "max_connections": 100,
                        "shared_buffers": "64MB",
                        "wal_level": "replica",
                        "hot_standby": "on",
                        "wal_log_hints": "on",
                        "max_wal_senders": 10,
                        "max_replication_slots": 10,
                        "wal_keep_size": "128MB",
                    },
                },
            },
            "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}, "data-checksums"],
        },
        "postgresql": {
            "listen": f"127.0.0.1:{p[f'pg{i}']}",
            "connect_address": f"127.0.0.1:{p[f'pg{i}']}",
            "data_dir": str(home / "data"),
            "bin_dir": str(PGBIN),
            "pgpass": str(home / "pgpass"),
            "authentication": {
                "superuser": {"username": "postgres", "password": pw["superuser"]},
                "replication": {"username": "replicator", "password": pw["replication"]},
                "rewind": {"username": "rewinder", "password": pw["rewind"]},
            },
            "parameters": {
                "unix_socket_directories": str(home / "sock"),
                "log_min_duration_statement": 500,
                **(extra or {}),
            },
            "pg_hba": hba,
        },
        "watchdog": {"mode": "off"},
        "tags": {"nofailover": False, "noloadbalance": False},
    }


def render(
    config: EnvConfig, stack: StackState, parameters: list[dict[str, Any]] | None = None
) -> None:
    """Each member's Patroni YAML (owner-only, the postgres user's) and etcd's directories.
    `parameters`: per member, more PostgreSQL parameters (fixiactl.backup.hooks)."""
    state = state_dir(config.name)
    for i in range(MEMBERS):
        home = member_dir(state, i)
        (home / "sock").mkdir(parents=True, exist_ok=True)
        (state / "ha" / f"etcd{i}").mkdir(parents=True, exist_ok=True)
        (state / "ha" / f"etcd{i}").chmod(0o700)
        target = home / "patroni.yml"
        extra = parameters[i] if parameters else None
        document = patroni_config(config, stack, i, extra)
        write_private(target, yaml.safe_dump(document, sort_keys=False))
        postgres.chown_postgres(home)


def programs(
    config: EnvConfig, stack: StackState, patroni_environment: str = ""
) -> list[dict[str, str]]:
    """supervisord programs: etcd0-2, patroni0-2, haproxy-db and ha-reaper.
    `patroni_environment`: supervisord's `environment` for Patroni, which its PostgreSQL
    inherits (pgBackRest's passphrases for archive-push)."""
    state = state_dir(config.name)
    p = stack.ports
    cluster = ",".join(f"etcd{j}=http://127.0.0.1:{p[f'etcd{j}_peer']}" for j in range(MEMBERS))
    result = []
    for i in range(MEMBERS):
        client = f"http://127.0.0.1:{p[f'etcd{i}']}"
        peer = f"http://127.0.0.1:{p[f'etcd{i}_peer']}"
        result.append(
            {
                "name": f"etcd{i}",
                "command": f"{ETCD} --name etcd{i} --data-dir {state}/ha/etcd{i} "
                f"--listen-client-urls {client} --advertise-client-urls {client} "
                f"--listen-peer-urls {peer} --initial-advertise-peer-urls {peer} "
                f"--initial-cluster {cluster} --initial-cluster-state new "
                f"--initial-cluster-token fixia-{config.name}",
                "user": "",
                "priority": "5",
            }
        )
    for i in range(MEMBERS):
        result.append(
            {
                "name": f"patroni{i}",
                "command": f"{PATRONI_VENV}/bin/patroni {member_dir(state, i)}/patroni.yml",
                "user": "postgres" if os.geteuid() == 0 else "",
                "priority": "10",
                "environment": patroni_environment,
            }
        )
    result.append(
        {
            "name": "haproxy-db",
            "command": f"/usr/sbin/haproxy -W -db -f {state}/haproxy/haproxy-db.cfg",
            "user": "",
            "priority": "15",
        }
    )
    result.append(
        {
            "name": "ha-reaper",
            "command": f"{sys.executable} -m fixiactl.stack.reaper {state} fixia-{config.name}",
            "user": "",
            "priority": "15",
        }
    )
    return result


def api(stack: StackState, i: int, path: str, *, timeout: float = 2) -> tuple[int, Any]:
    """GET a member's Patroni REST endpoint: (status, JSON body) or (0, None) unreachable."""
    url = f"http://127.0.0.1:{stack.ports[f'patroni{i}']}{path}"
    try:
        resp = httpx.get(url, timeout=timeout)
    except httpx.HTTPError:
        return 0, None
    try:
        return resp.status_code, json.loads(resp.content or b"null")
    except ValueError:
        return resp.status_code, None


def cluster(stack: StackState) -> dict[str, Any] | None:
    """Patroni's view of the cluster (GET /cluster) from the first member that answers."""
    for i in range(MEMBERS):
        code, body = api(stack, i, "/cluster")
        if code == 200 and isinstance(body, dict):
            return body
    return None


def leader_index(stack: StackState) -> int | None:
    for i in range(MEMBERS):
        if api(stack, i, "/primary")[0] == 200:
            return i
    return None


def wait_leader(stack: StackState, timeout_s: float = 120) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        leader = leader_index(stack)
        if leader is not None:
            return leader
        time.sleep(0.5)
    raise FixiactlError("no Patroni leader was elected", hint="see log/patroni*.log and etcd*.log")


def wait_sync_standby(stack: StackState, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        view = cluster(stack) or {}
        members = view.get("members", [])
        if any(m.get("role") == "sync_standby" and m.get("state") == "streaming" for m in members):
            return
        time.sleep(0.5)
    raise FixiactlError("no synchronous standby is streaming", hint="see log/patroni*.log")


def prepare_database(config: EnvConfig, stack: StackState, statement_timeout_ms: int) -> None:
    """The app's role and database on the leader (replicated), and PgBouncer's auth file."""
    state = state_dir(config.name)
    leader = wait_leader(stack)
    home, port = member_dir(state, leader), stack.ports[f"pg{leader}"]
    postgres.wait_ready(home, port)
    postgres.ensure_app_database(home, port, stack.db_password, statement_timeout_ms)
    postgres.write_userlist(home, port, state / "pgbouncer" / "userlist.txt")


def health_checks(stack: StackState) -> dict[str, Any]:
    """`stack status` probes: etcd's /health, Patroni's /health (PostgreSQL up), the frontend."""
    from fixiactl.stack.health import http_ok, tcp_ok

    p = stack.ports
    checks: dict[str, Any] = {
        "haproxy-db": lambda: tcp_ok(p["postgres"]),
        # The reaper serves no port: running (supervisord restarts it) is all it can show.
        "ha-reaper": lambda: True,
    }
    for i in range(MEMBERS):
        checks[f"etcd{i}"] = lambda i=i: http_ok(f"http://127.0.0.1:{p[f'etcd{i}']}/health")
        checks[f"patroni{i}"] = lambda i=i: api(stack, i, "/health")[0] == 200
    return checks


PORT_OF = {
    "haproxy-db": "postgres",
    **{f"etcd{i}": f"etcd{i}" for i in range(MEMBERS)},
    **{f"patroni{i}": f"patroni{i}" for i in range(MEMBERS)},
}


def stop_members(stack: StackState, supervisor: Supervisor) -> list[int]:
    """Stop Patroni on every member, replicas first, and return the order used.

    If all members stop together, a replica can take the lock that the stopping leader
    releases and promote itself during the shutdown. That Patroni can then outlive
    supervisord's stop timeout and be killed, which leaves its PostgreSQL running
    (seen in `stack down`)."""
    leader = leader_index(stack)
    order = [i for i in range(MEMBERS) if i != leader] + ([] if leader is None else [leader])
    for i in order:
        supervisor.stop(f"patroni{i}")  # waits: Patroni stops its PostgreSQL first
    return order


def stop_leftovers(state: Path) -> list[int]:
    """Fast shutdown of any member's PostgreSQL that outlived its Patroni (killed after the
    stop timeout); returns the members stopped here."""
    stopped = []
    for i in range(MEMBERS):
        data = member_dir(state, i) / "data"
        if not (data / "postmaster.pid").exists():
            continue
        pg_ctl = [str(PGBIN / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-t", "60"]
        # A stale pid file (no server) makes pg_ctl fail: nothing to stop then.
        if postgres.as_postgres(pg_ctl, check=False).returncode == 0:
            stopped.append(i)
    return stopped
