"""The two calls `fixiactl stack up` makes: render pgBackRest's config before PostgreSQL starts,
create the stanza once the database answers. Both do nothing when backups are off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from fixiactl.backup import settings as backup_settings
from fixiactl.backup.driver import PgBackRest
from fixiactl.files import write_private
from fixiactl.stack.config import DEPLOY, EnvConfig
from fixiactl.stack.postgres import chown_postgres


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
    }


def prepare(config: EnvConfig, pg_port: int) -> backup_settings.BackupSettings | None:
    s = backup_settings.resolve(config, pg_port)
    backup_settings.save(s)
    if not s.enabled:
        return None
    for d in (s.root, s.log_path, s.lock_path, s.spool_path, s.repo1_path, s.repo2_path):
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
    chown_postgres(s.root, s.repo1_path, s.repo2_path)
    return s


def _paths(s: backup_settings.BackupSettings) -> dict[str, Any]:
    return {"log_path": s.log_path, "lock_path": s.lock_path, "spool_path": s.spool_path}


def ensure_stanza(config: EnvConfig, pg_port: int, progress: Callable[[str], None]) -> None:
    s = backup_settings.resolve(config, pg_port)
    if not s.enabled:
        return
    progress("creating the pgBackRest stanza (both repositories)")
    PgBackRest(s, timeout_s=120).stanza_create()  # idempotent when the stanza matches
