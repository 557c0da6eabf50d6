"""The two calls `fixiactl stack up` makes: render pgBackRest's config before PostgreSQL starts,
create the stanza once the database answers. Both do nothing when backups are off."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from fixiactl.backup import s3repo, walstream
from fixiactl.backup import settings as backup_settings
from fixiactl.backup.driver import PgBackRest
from fixiactl.files import write_private
from fixiactl.stack.config import DEPLOY, EnvConfig, StackState, read_state
from fixiactl.stack.postgres import chown_postgres
from fixiactl.stack.supervisor import Supervisor


def render_context(config: EnvConfig, pg_port: int) -> dict[str, Any]:
    """What deploy/postgres/postgresql.conf.j2 needs to turn WAL archiving on."""
    s = backup_settings.resolve(config, pg_port)
    # PostgreSQL's archive-push reads the passphrases from its environment, which supervisord
    # sets from its own owner-only config; pgBackRest's config (readable by postgres) has none.
    environment = ",".join(
        f'{k}="{v}"' for k, v in (backup_settings.cipher_env(s) if s.enabled else {}).items()
    )
    return {
        "enabled": s.enabled,
        "archive_command": s.archive_command,
        "archive_timeout": s.archive_timeout,
        "environment": environment,
        # pg_receivewal's program and the postgresql.conf lines its mode needs.
        "walstream": walstream.command(s) if walstream.enabled(s) else None,
        "walstream_program": walstream.PROGRAM,
        "walstream_conf": walstream.postgres_settings(s),
        "programs": _s3_programs(config, s),
        # HA: each Patroni member's own archiving parameters (its postgresql.parameters).
        "ha_parameters": [
            {
                "archive_mode": "on",
                "archive_timeout": s.archive_timeout,
                "archive_command": s.member_archive_command(i),
            }
            for i in range(len(s.ha_members))
        ]
        if s.enabled
        else [],
    }


def ensure_ports(config: EnvConfig, stack: StackState) -> None:
    """repo2 on S3 needs two ports (its moto, its TLS front): added once, persisted."""
    table: dict[str, Any] = dict(getattr(config, "backup", {}) or {})
    wanted = os.environ.get("FIXIACTL_BACKUP_REPO2", str(table.get("repo2", "posix")))
    if wanted == "s3":
        s3repo.ensure_ports(config, stack)


def _s3_programs(config: EnvConfig, s: backup_settings.BackupSettings) -> list[dict[str, str]]:
    if not (s.enabled and s.repo2_type == "s3"):
        return []
    return s3repo.render(config.name, read_state(config.name).ports)


def start_s3(
    config: EnvConfig, pg_port: int, supervisor: Supervisor, progress: Callable[[str], None]
) -> None:
    """repo2's S3 server and its TLS front, before PostgreSQL archives into it."""
    s = backup_settings.resolve(config, pg_port)
    if not (s.enabled and s.repo2_type == "s3"):
        return
    progress(f"repo2 on S3: bucket {s3repo.BUCKET} at https://localhost:{s.s3_port}")
    known = {info["name"] for info in supervisor.all_info()}
    for name in s3repo.PROGRAMS:
        if name not in known:
            supervisor.add_group(name)
        supervisor.start(name)
    s3repo.ensure_bucket(config.name, read_state(config.name).ports, s.root)


def prepare(config: EnvConfig, pg_port: int) -> backup_settings.BackupSettings | None:
    s = backup_settings.resolve(config, pg_port)
    backup_settings.save(s)
    if not s.enabled:
        return None
    member_spools = [s.spool_path / f"pg{i}" for i in range(len(s.ha_members))]
    for d in (s.root, s.log_path, s.lock_path, s.spool_path, s.repo1_path, *member_spools):
        d.mkdir(parents=True, exist_ok=True)
    s.textfile_dir.mkdir(parents=True, exist_ok=True)
    jinja = Environment(
        loader=FileSystemLoader(DEPLOY), undefined=StrictUndefined, autoescape=False
    )
    text = jinja.get_template("pgbackrest/pgbackrest.conf.j2").render(
        env=config.name,
        b={**vars(s), **_paths(s)},
    )
    write_private(s.conf, text)
    if s.repo2_type == "posix":
        s.repo2_path.mkdir(parents=True, exist_ok=True)
        chown_postgres(s.repo2_path)
    chown_postgres(s.root, s.repo1_path)
    if walstream.enabled(s):
        walstream.prepare_dir(s)
        walstream.restore_script(s)
    return s


def _paths(s: backup_settings.BackupSettings) -> dict[str, Any]:
    return {"log_path": s.log_path, "lock_path": s.lock_path, "spool_path": s.spool_path}


def start_walstream(
    config: EnvConfig, pg_port: int, supervisor: Supervisor, progress: Callable[[str], None]
) -> None:
    """The slot, then the receiver: before anything writes (in strict mode a commit waits
    for it)."""
    s = backup_settings.resolve(config, pg_port)
    if not walstream.enabled(s):
        return
    progress(f"streaming WAL with pg_receivewal ({s.wal_stream}) to {s.stream_path}")
    walstream.ensure_slot(s)
    if walstream.PROGRAM not in {info["name"] for info in supervisor.all_info()}:
        supervisor.add_group(walstream.PROGRAM)  # streaming turned on for a running stack
    supervisor.start(walstream.PROGRAM)


def ensure_stanza(config: EnvConfig, pg_port: int, progress: Callable[[str], None]) -> None:
    s = backup_settings.resolve(config, pg_port)
    if not s.enabled:
        return
    progress("creating the pgBackRest stanza (both repositories)")
    PgBackRest(s, timeout_s=120).stanza_create()  # idempotent when the stanza matches
