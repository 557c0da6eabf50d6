"""Issue #27, item 7 (fixiactl): the database password never appears in a process's
arguments, and files holding secrets are created owner-only rather than chmod-ed after
the secret is already in them."""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest

from fixiactl.backup.app import grant_app_password
from fixiactl.backup.restore import RestoredCluster
from fixiactl.files import write_private
from fixiactl.secrets.rotate import save_state
from fixiactl.stack import monitoring as monitoring_stack
from fixiactl.stack import postgres
from fixiactl.stack.config import load_env, load_or_create_state, state_dir
from fixiactl.stack.render import write_env_file
from tests import pg

# sys.addaudithook cannot be removed: one hook for the session, recording only while asked.
_RECORDING: list[tuple[str, tuple[Any, ...]]] | None = None


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if _RECORDING is not None and event in ("subprocess.Popen", "open", "os.chmod"):
        _RECORDING.append((event, args))


sys.addaudithook(_hook)


@pytest.fixture
def audit() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    global _RECORDING
    _RECORDING = []
    try:
        yield _RECORDING
    finally:
        _RECORDING = None


@pytest.fixture
def scratch_pg() -> Iterator[pg.PgServer]:
    if not pg.available():
        pytest.fail(f"PostgreSQL 15 is not installed; {pg.INSTALL_HINT}")
    server = pg.start(Path("/tmp") / f"fixia-ops-{uuid.uuid4().hex[:8]}")  # noqa: S108
    try:
        yield server
    finally:
        server.stop()


def test_the_app_password_never_reaches_a_process_argv(
    scratch_pg: pg.PgServer, audit: list[tuple[str, tuple[Any, ...]]]
) -> None:
    password = "pw-" + secrets.token_urlsafe(18)  # pragma: allowlist secret
    postgres.ensure_app_database(scratch_pg.root, scratch_pg.port, password, 1000)
    launched = [args for event, args in audit if event == "subprocess.Popen"]
    assert launched, "no process was started"
    for _executable, argv, _cwd, _env in launched:
        assert not any(password in str(arg) for arg in argv), argv
    assert postgres.login_ok(scratch_pg.port, password, "postgres")  # and it was set
    log = "".join(p.read_text() for p in (scratch_pg.root / "log").glob("*") if p.is_file())
    assert password not in log


def _written_unsafely(audit: list[tuple[str, tuple[Any, ...]]], paths: set[Path]) -> list[str]:
    """Opens in a text/binary write mode (open(), write_text) and path chmods of `paths`: the
    write-then-chmod pattern. os.open reports its mode as None."""
    bad = []
    for event, args in audit:
        target = args[0]
        if not isinstance(target, str | Path) or Path(target) not in paths:
            continue
        if event == "os.chmod" or (event == "open" and isinstance(args[1], str) and "w" in args[1]):
            bad.append(f"{event} {target}")
    return bad


def test_secret_files_are_created_owner_only(
    tmp_path: Path, audit: list[tuple[str, tuple[Any, ...]]]
) -> None:
    old_umask = os.umask(0)  # the worst case: a plain write would be world-readable
    config = load_env(f"test-{uuid.uuid4().hex[:6]}", base_port=0)
    try:
        state = load_or_create_state(config)
        save_state(config.name, state)
        env_file = write_env_file(tmp_path / "app.env", {"FIXIA_ENCRYPTION_KEY": "k" * 40})
        monitoring_stack._secrets(tmp_path / "alertmanager", "http://127.0.0.1:1")
        written = {
            state_dir(config.name) / "stack.json",
            env_file,
            *(tmp_path / "alertmanager").iterdir(),
        }
        for path in written:
            assert path.stat().st_mode & 0o777 == 0o600, path
        assert _written_unsafely(audit, written) == []
    finally:
        os.umask(old_umask)
        shutil.rmtree(state_dir(config.name), ignore_errors=True)


def test_write_private_replaces_a_world_readable_file_without_widening(tmp_path: Path) -> None:
    target = tmp_path / "secret"
    target.write_text("old")
    target.chmod(0o644)
    write_private(target, "new")
    assert target.read_text() == "new" and target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]  # no temporary left behind


def test_the_dr_app_password_never_reaches_a_process_argv(
    scratch_pg: pg.PgServer, audit: list[tuple[str, tuple[Any, ...]]]
) -> None:
    """The DR drill gives the restored cluster's role today's password (backup/app.py)."""
    cluster = RestoredCluster(
        scratch_pg.root / "data", scratch_pg.socket_dir, scratch_pg.port, scratch_pg.root / "log"
    )
    password = "dr-" + secrets.token_urlsafe(18)  # pragma: allowlist secret
    grant_app_password(cluster, password)
    for event, args in audit:
        if event == "subprocess.Popen":
            assert not any(password in str(arg) for arg in args[1]), args[1]
    assert postgres.login_ok(scratch_pg.port, password, "postgres")


PRODUCTION_PGBACKREST = (
    Path(__file__).parents[2] / "deploy/pgbackrest/pgbackrest.production.conf.j2"
)


def test_the_production_pgbackrest_config_never_holds_a_passphrase_or_key() -> None:
    """Item 10c: rendered with every variable the template names, no line sets a cipher
    pass or a storage key; pgBackRest reads them from PGBACKREST_* in its environment."""
    template = PRODUCTION_PGBACKREST.read_text()
    rendered = (
        jinja2.Environment(undefined=jinja2.ChainableUndefined, autoescape=True)
        .from_string(template)
        .render(env="production", s3={"bucket": "b", "region": "sa-east-1"})
    )
    settings = [
        line.split("#", 1)[0].strip().lstrip("# ").split("=", 1)[0]
        for line in rendered.splitlines()
        if "=" in line
    ]
    commented = [
        line.lstrip("# ").split("=", 1)[0] for line in rendered.splitlines() if line.startswith("#")
    ]
    for key in settings + commented:
        assert not key.endswith(("cipher-pass", "-key", "-key-secret", "-token")), key
    assert "secrets." not in template
    assert "repo1-cipher-type=aes-256-cbc" in rendered  # still encrypted, by the environment's pass
