"""Where an environment's backups live and how pgBackRest is configured for it.

The settings come from the environment file's `[backup]` table, with FIXIACTL_BACKUP_* process
variables as overrides (the acceptance suite turns backups on for a throw-away stack that way).
The cipher passphrases come from FIXIACTL_BACKUP_REPO{1,2}_CIPHER_PASS (the secrets provider)
or are generated once into the stack's state directory, mode 600, outside the data directory
so that a backup never carries its own key. They are never rendered into pgBackRest's config:
pgBackRest reads them from PGBACKREST_REPO{1,2}_CIPHER_PASS (`cipher_env`), which fixiactl
sets on each command it runs and supervisord on the PostgreSQL program (archive-push).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fixiactl.backup import s3repo
from fixiactl.errors import FixiactlError
from fixiactl.files import write_private
from fixiactl.stack import ha
from fixiactl.stack.config import EnvConfig, read_state, state_dir

STANZA = "main"
CONF_NAME = "pgbackrest.conf"


@dataclass
class BackupSettings:
    env: str
    enabled: bool
    retention_full_days: int
    archive_timeout: int
    process_max: int
    root: Path  # <state>/pgbackrest: config, log, lock, spool
    repo1_path: Path
    repo2_path: Path
    pg_data: Path
    pg_socket: Path
    pg_port: int
    stanza: str = STANZA
    # WAL streamed by pg_receivewal (fixiactl.backup.walstream): off | async | strict.
    wal_stream: str = "off"
    stream_path: Path | None = None
    # repo2 on an S3 API (fixiactl.backup.s3repo): posix | s3.
    repo2_type: str = "posix"
    s3_port: int = 0
    s3_ca_file: Path | None = None
    # HA stack (fixiactl.stack.ha): each Patroni member's directory (data/, sock/) and port,
    # in member order; empty on a single-host stack. pg_data/pg_socket/pg_port then name
    # member 0 (a path to compare with), never "the live one": see live_endpoint.
    ha_members: list[str] = field(default_factory=list)
    ha_ports: list[int] = field(default_factory=list)

    @property
    def conf(self) -> Path:
        return self.root / CONF_NAME

    @property
    def log_path(self) -> Path:
        return self.root / "log"

    @property
    def lock_path(self) -> Path:
        return self.root / "lock"

    @property
    def spool_path(self) -> Path:
        return self.root / "spool"

    @property
    def textfile_dir(self) -> Path:
        return state_dir(self.env) / "textfile"

    @property
    def archive_command(self) -> str:
        return f"pgbackrest --config={self.conf} --stanza={self.stanza} archive-push %p"

    def member_archive_command(self, i: int) -> str:
        """A Patroni member's archive_command: pgBackRest resolves %p against pg1-path, so
        each member names its own data directory; its own spool keeps one member's async
        queue out of another's."""
        home = Path(self.ha_members[i])
        return (
            f"pgbackrest --config={self.conf} --stanza={self.stanza} --pg1-path={home / 'data'} "
            f"--spool-path={self.spool_path / f'pg{i}'} archive-push %p"
        )

    @property
    def data_dirs(self) -> list[Path]:
        """Every live data directory: one, or each HA member's."""
        if self.ha_members:
            return [Path(m) / "data" for m in self.ha_members]
        return [self.pg_data]

    def repo_path(self, repo: int) -> Path:
        return {1: self.repo1_path, 2: self.repo2_path}[repo]

    def as_json(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}


WAL_STREAM_MODES = ("off", "async", "strict")


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def resolve(config: EnvConfig, pg_port: int) -> BackupSettings:
    """Settings for `stack up`: the env file, then process overrides."""
    table: dict[str, Any] = dict(getattr(config, "backup", {}) or {})
    env = os.environ
    enabled = (
        _flag(env["FIXIACTL_BACKUP_ENABLED"])
        if "FIXIACTL_BACKUP_ENABLED" in env
        else bool(table.get("enabled", False))
    )
    state = state_dir(config.name)
    # On HA the stream is off: Patroni's synchronous standby already holds every commit.
    default_stream = "off" if config.ha else "async"
    wal_stream = str(env.get("FIXIACTL_BACKUP_WAL_STREAM", table.get("wal_stream", default_stream)))
    if wal_stream not in WAL_STREAM_MODES:
        raise FixiactlError(
            f"unknown [backup] wal_stream {wal_stream!r}", hint="off, async or strict"
        )
    if config.ha and wal_stream != "off":
        raise FixiactlError(
            "[backup] wal_stream is for single-host stacks",
            hint='on an HA stack the synchronous standby gives RPO 0: set wal_stream = "off"',
        )
    repo2_type = str(env.get("FIXIACTL_BACKUP_REPO2", table.get("repo2", "posix")))
    if repo2_type not in ("posix", "s3"):
        raise FixiactlError(f"unknown [backup] repo2 {repo2_type!r}", hint="posix or s3")
    s3_port = 0
    if repo2_type == "s3" and enabled:
        stack = read_state(config.name)
        s3repo.ensure_ports(config, stack)
        s3_port = stack.ports["backup_s3_tls"]
    members, member_ports = _ha_members(config)
    pg_home = Path(members[0]) if members else state / "pg"
    return BackupSettings(
        env=config.name,
        enabled=enabled,
        retention_full_days=int(table.get("retention_full_days", 30)),
        archive_timeout=int(
            env.get("FIXIACTL_BACKUP_ARCHIVE_TIMEOUT", table.get("archive_timeout", 60))
        ),
        process_max=int(table.get("process_max", 2)),
        root=state / "pgbackrest",
        repo1_path=Path(table.get("repo1_path", state / "pgbackrest" / "repo1")),
        # A separate tree standing for the other region (S3/GCS/Azure in production).
        repo2_path=Path(table.get("repo2_path", state / "region-b" / "repo2")),
        pg_data=pg_home / "data",
        pg_socket=pg_home / "sock",
        pg_port=member_ports[0] if members else pg_port,
        wal_stream=wal_stream,
        # The second WAL location, next to repo2 (another volume/host in production).
        stream_path=Path(table.get("stream_path", state / "region-b" / "wal-stream")),
        repo2_type=repo2_type,
        s3_port=s3_port,
        s3_ca_file=s3repo.ca_file(config.name) if repo2_type == "s3" else None,
        ha_members=members,
        ha_ports=member_ports,
    )


def _ha_members(config: EnvConfig) -> tuple[list[str], list[int]]:
    """The Patroni members' directories and ports (their ports are in the stack's state
    once render_all added them)."""
    if not config.ha:
        return [], []
    state = state_dir(config.name)
    ports = read_state(config.name).ports
    return (
        [str(ha.member_dir(state, i)) for i in range(ha.MEMBERS)],
        [ports[f"pg{i}"] for i in range(ha.MEMBERS)],
    )


def live_endpoint(s: BackupSettings) -> tuple[Path, int]:
    """(socket directory, port) of the live primary. On HA: the member whose Patroni answers
    `/primary` now, so the SQL of probes, restore points and drills follows a switchover."""
    if not s.ha_members:
        return s.pg_socket, s.pg_port
    leader = ha.leader_index(read_state(s.env))
    if leader is None:
        raise FixiactlError(
            "the HA cluster has no leader", hint=f"fixiactl db status --env {s.env}"
        )
    return Path(s.ha_members[leader]) / "sock", s.ha_ports[leader]


def settings_file(env: str) -> Path:
    return state_dir(env) / "pgbackrest" / "backup.json"


def save(settings: BackupSettings) -> None:
    path = settings_file(settings.env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings.as_json(), indent=2))


def load(env: str) -> BackupSettings:
    """Settings as the last `stack up` rendered them; every backup command starts here."""
    path = settings_file(env)
    if not path.exists():
        raise FixiactlError(
            f"backups are not configured for {env!r}",
            hint=f"set `[backup] enabled = true` in deploy/environments/{env}.toml "
            f"(or FIXIACTL_BACKUP_ENABLED=1) and run: fixiactl stack up --env {env}",
        )
    data = json.loads(path.read_text())
    for key in (
        "root",
        "repo1_path",
        "repo2_path",
        "pg_data",
        "pg_socket",
        "stream_path",
        "s3_ca_file",
    ):
        if data.get(key) is not None:
            data[key] = Path(data[key])
    settings = BackupSettings(**data)
    if not settings.enabled:
        raise FixiactlError(
            f"backups are disabled for {env!r}",
            hint=f"set `[backup] enabled = true` in deploy/environments/{env}.toml and re-run "
            "fixiactl stack up",
        )
    return settings


def cipher_env(settings: BackupSettings) -> dict[str, str]:
    """pgBackRest's own variables for the passphrases (its config carries none), and for
    repo2's S3 keys when it is on S3."""
    env = {
        f"PGBACKREST_REPO{repo}_CIPHER_PASS": value
        for repo, value in cipher_passes(settings).items()
    }
    if settings.repo2_type == "s3":
        env.update(s3repo.keys(settings.root))
    return env


def cipher_passes(settings: BackupSettings) -> dict[int, str]:
    """Per-repository passphrases: the secrets provider's, else generated once and kept."""
    path = settings.root / "cipher.json"
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    passes: dict[int, str] = {}
    for repo in (1, 2):
        from_env = os.environ.get(f"FIXIACTL_BACKUP_REPO{repo}_CIPHER_PASS")
        if from_env:  # the provider's key is never written to disk by us
            passes[repo] = from_env
            continue
        passes[repo] = stored.setdefault(str(repo), secrets.token_urlsafe(48))
    if stored:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, json.dumps(stored))
    return passes
