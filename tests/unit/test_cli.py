"""The `fixia` and `fixiactl` command lines against a scratch SQLite database."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixia import migrate
from fixia.cli import app
from fixia.config import get_settings
from fixiactl.cli import app as ctl

runner = CliRunner()


@pytest.fixture
def scratch_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("FIXIA_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("FIXIA_EMAIL__OUTBOX_DIR", str(tmp_path / "outbox"))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    # stdout alone: --json output is machine-readable there, and log lines (alembic's, once
    # another test has configured logging in this process) go to stderr.
    return result.stdout


def test_db_lifecycle(scratch_db: Path) -> None:
    result = runner.invoke(app, ["db", "current", "--json"])
    assert result.exit_code == 3 and json.loads(result.stdout)["at_head"] is False
    _ok("db", "upgrade")
    assert json.loads(_ok("db", "current", "--json"))["at_head"] is True
    assert "agree" in _ok("db", "check")
    # Destructive: refused with no terminal to ask on (exit 3); --dry-run and --yes.
    refused = runner.invoke(app, ["db", "downgrade", "base"])
    assert refused.exit_code == 3 and "--yes" in refused.output
    planned = json.loads(_ok("db", "downgrade", "base", "--dry-run", "--json"))
    assert planned["revert"][0] in migrate.head_revisions() and len(planned["revert"]) > 1
    assert json.loads(_ok("db", "current", "--json"))["at_head"] is True  # nothing changed
    assert (
        json.loads(_ok("db", "downgrade", "base", "--yes", "--json"))["reverted"]
        == planned["revert"]
    )
    assert runner.invoke(app, ["db", "current"]).exit_code == 3
    _ok("db", "upgrade")


def test_seed_demo_and_scale(scratch_db: Path) -> None:
    _ok("db", "upgrade")
    demo = json.loads(_ok("seed", "--demo", "--json"))
    assert demo == {"professionals": 50, "clients": 20, "services": 200, "trust_scores": 50}
    again = json.loads(_ok("trust", "recompute-all", "--json", "--batch", "7"))
    assert again["professionals"] == 50  # eight keyset pages, the last one short
    scaled = json.loads(_ok("seed", "--scale", "40", "--json").strip().splitlines()[-1])
    assert scaled["services"] == 40 and scaled["professionals"] == 10
    plain = json.loads(
        _ok("seed", "--scale", "8", "--no-images", "--json").strip().splitlines()[-1]
    )
    assert plain["images"] is False and scaled["images"] is True
    with sqlite3.connect(scratch_db) as db:
        # The demo and --no-images: no image URLs; --scale: a card URL on each of its rows.
        covers = db.execute(
            "select main_image_url from services where main_image_url is not null"
        ).fetchall()
        avatars = db.execute("select count(*) from users where avatar_url is not null").fetchone()
    assert len(covers) == 40 and avatars == (10,)
    assert all(
        re.fullmatch(r"/media/p/[0-9a-f-]{36}/[0-9a-f]{20}-card\.jpeg", c) for (c,) in covers
    )
    assert runner.invoke(app, ["seed"]).exit_code == 1


def test_create_admin(scratch_db: Path) -> None:
    _ok("db", "upgrade")
    out = _ok(
        "users",
        "create-admin",
        "--email",
        "root@fixia.com.ar",
        "--name",
        "Root",
        "--password",
        "Admin-Chubut-9182!",
    )
    assert len(out.strip()) == 36
    again = runner.invoke(
        app,
        [
            "users",
            "create-admin",
            "--email",
            "root@fixia.com.ar",
            "--name",
            "Root",
            "--password",
            "Admin-Chubut-9182!",
        ],
    )
    assert again.exit_code == 1 and "already" in again.output
    weak = runner.invoke(
        app,
        ["users", "create-admin", "--email", "b@fixia.com.ar", "--name", "B", "--password", "weak"],
    )
    assert weak.exit_code == 1 and "password" in weak.output


def test_version_json(scratch_db: Path) -> None:
    info = json.loads(_ok("version", "--json"))
    assert info["schema_head"] == sorted(migrate.head_revisions())
    assert info["version"]
    assert "fixia" in _ok("version")
    assert json.loads(runner.invoke(ctl, ["version", "--json"]).output)["fixiactl"]


def test_one_shot_commands_need_no_metrics_directory(tmp_path: Path) -> None:
    """A slot's environment names a PROMETHEUS_MULTIPROC_DIR that only `fixia serve` creates;
    a migration run with that environment before the first start must not need it."""
    missing = tmp_path / "metrics" / "app-blue"
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(missing),
        "FIXIA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}",
    }
    fixia = Path(sys.executable).parent / "fixia"
    for command in (["db", "upgrade"], ["version", "--json"]):
        done = subprocess.run(
            [str(fixia), *command], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr[-800:]
    assert not missing.exists()


@pytest.mark.parametrize("env", ["staging", "production"])
def test_seed_demo_is_refused_outside_development(
    scratch_db: Path, monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    """Issue #27: the demo accounts share one published password."""
    _ok("db", "upgrade")
    monkeypatch.setenv("FIXIA_ENV", env)
    for key in ("ENCRYPTION_KEY", "PAYMENTS__WEBHOOK_SECRET"):
        monkeypatch.setenv(f"FIXIA_{key}", "x" * 48)
    monkeypatch.setenv("FIXIA_AUTH__JWT_KEYS", '{"k1": "' + "y" * 48 + '"}')
    monkeypatch.setenv("FIXIA_PAYMENTS__PROVIDER", "mercadopago")
    monkeypatch.setenv("FIXIA_PAYMENTS__MERCADOPAGO_ACCESS_TOKEN", "APP_USR-1")
    get_settings.cache_clear()
    for args in (["seed", "--demo"], ["seed", "--demo", "--if-empty"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1 and "development" in result.output, result.output
    get_settings.cache_clear()
    monkeypatch.setenv("FIXIA_ENV", "development")
    assert json.loads(_ok("seed", "--demo", "--if-empty", "--json"))["services"] == 200
