"""The backup tool behind a Protocol, and its real implementation: pgBackRest.

Every pgBackRest command runs as the postgres user (it reads the data directory and writes
the repositories, spool and logs, all owned by postgres).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from fixiactl.backup import settings as backup_settings
from fixiactl.backup.settings import BackupSettings
from fixiactl.errors import FixiactlError

BACKUP_TYPES = ("full", "diff", "incr")


@dataclass(frozen=True)
class RestoreTarget:
    """`latest` (end of the archived WAL), a time, an LSN or a named restore point."""

    kind: str  # latest | time | lsn | name
    value: str = ""

    def describe(self) -> str:
        return "latest" if self.kind == "latest" else f"{self.kind} {self.value}"


@dataclass
class CommandResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class BackupDriver(Protocol):
    def stanza_create(self) -> None: ...
    def check(self) -> None: ...
    def backup(self, kind: str, repo: int) -> None: ...
    def info(self) -> list[dict[str, Any]]: ...
    def verify(self, repo: int | None) -> CommandResult: ...
    def expire(
        self, repo: int | None, retention_full: int | None, *, dry_run: bool = False
    ) -> CommandResult: ...
    def restore(
        self,
        target: RestoreTarget,
        repo: int,
        pg_path: Path,
        *,
        in_place: bool,
        restore_command: str | None = None,
    ) -> None: ...


def run_as_postgres(
    cmd: list[str],
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
) -> CommandResult:
    """`env`: added to ours (runuser keeps the environment), e.g. pgBackRest's passphrases:
    a variable, unlike an argument, is not readable by other users. `stdin`: the same for
    text, e.g. SQL that holds a password."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            env={**os.environ, **env} if env else None,
            input=stdin,
        )
    except subprocess.TimeoutExpired as exc:
        raise FixiactlError(
            f"{' '.join(cmd[-2:])} did not finish in {timeout_s:.0f} s",
            hint="see the pgBackRest log under var/stack/<env>/pgbackrest/log/",
        ) from exc
    return CommandResult(proc.returncode, proc.stdout, proc.stderr)


class PgBackRest:
    """The real driver: the `pgbackrest` binary with the stack's rendered configuration."""

    def __init__(self, settings: BackupSettings, timeout_s: float = 1800) -> None:
        self.settings = settings
        self.timeout_s = timeout_s

    def _cmd(self, command: str, *options: str) -> list[str]:
        s = self.settings
        return ["pgbackrest", f"--config={s.conf}", f"--stanza={s.stanza}", *options, command]

    def _run(self, command: str, *options: str, check: bool = True) -> CommandResult:
        env = backup_settings.cipher_env(self.settings)
        result = run_as_postgres(self._cmd(command, *options), self.timeout_s, env)
        if check and result.returncode != 0:
            raise FixiactlError(
                f"pgbackrest {command} failed (exit {result.returncode}):\n"
                f"{result.output.strip()[-2000:]}",
                hint=f"see {self.settings.log_path}",
            )
        return result

    def stanza_create(self) -> None:
        self._run("stanza-create")

    def check(self) -> None:
        self._run("check")

    def backup(self, kind: str, repo: int) -> None:
        if kind not in BACKUP_TYPES:
            raise FixiactlError(f"unknown backup type {kind!r}", hint="full, diff or incr")
        self._run("backup", f"--type={kind}", f"--repo={repo}")

    def info(self) -> list[dict[str, Any]]:
        result = self._run("info", "--output=json")
        data: list[dict[str, Any]] = json.loads(result.stdout or "[]")
        return data

    def verify(self, repo: int | None) -> CommandResult:
        options = ["--output=text", "--verbose"] + ([f"--repo={repo}"] if repo else [])
        return self._run("verify", *options, check=False)

    def expire(
        self, repo: int | None, retention_full: int | None, *, dry_run: bool = False
    ) -> CommandResult:
        # --dry-run: pgBackRest logs what it would expire ("[DRY-RUN] ...") and removes nothing.
        options: list[str] = ["--dry-run", "--log-level-console=info"] if dry_run else []
        repos = [repo] if repo else [1, 2]
        if retention_full is not None:
            for r in repos:
                options += [f"--repo{r}-retention-full-type=count"]
                options += [f"--repo{r}-retention-full={retention_full}"]
        if repo:
            options.append(f"--repo={repo}")
        return self._run("expire", *options)

    def restore(
        self,
        target: RestoreTarget,
        repo: int,
        pg_path: Path,
        *,
        in_place: bool,
        restore_command: str | None = None,
    ) -> None:
        """`restore_command`: instead of pgBackRest's archive-get alone, e.g. the wrapper
        that falls back to the streamed WAL (fixiactl.backup.walstream)."""
        options = [f"--repo={repo}", f"--pg1-path={pg_path}"]
        if restore_command:
            options.append(f"--recovery-option=restore_command={restore_command}")
        if not in_place:
            # A copy must never push its new timeline into the live stanza.
            options.append("--archive-mode=off")
        if target.kind != "latest":
            options += [f"--type={target.kind}", f"--target={target.value}"]
            options += ["--target-action=promote"]
        self._run("restore", *options)
