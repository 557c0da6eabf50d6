"""A real stack (test-delivery-*.toml: two workers per slot) and real releases built from
clones of this checkout, some with faults or migrations baked in."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import stack as stack_module

ROOT = Path(__file__).resolve().parents[3]
FIXIACTL = str(Path(sys.executable).parent / "fixiactl")
IN_CI = os.environ.get("CI", "").lower() == "true"

EXPAND = '''"""delivery acceptance: expand (new table, nullable column, concurrent index)"""

import sqlalchemy as sa
from alembic import op

revision = "0099_dlv_expand"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("delivery_notes", sa.Column("id", sa.Integer, primary_key=True))
    op.add_column("services", sa.Column("delivery_hint", sa.Text(), nullable=True))
    with op.get_context().autocommit_block():
        op.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_dlv ON delivery_notes (id)")


def downgrade() -> None:
    op.drop_column("services", "delivery_hint")
    op.drop_table("delivery_notes")
'''

CONTRACT = '''"""delivery acceptance: contract (drops the column the expand release reads and
this release no longer maps)"""

from alembic import op

revision = "0100_dlv_contract"
down_revision = "0099_dlv_expand"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("services", "delivery_hint")


def downgrade() -> None:
    raise NotImplementedError
'''

MODELS = "src/fixia/catalog/models.py"
# The expand release maps the new column, so every services query it runs reads it: dropping
# the column under it would fail its requests. The contract release maps it no more.
MAPPED_AFTER = "    view_count: Mapped[int] = mapped_column(default=0)\n"
MAPPED_HINT = "    delivery_hint: Mapped[str | None] = mapped_column(Text)\n"


def run_fixiactl(
    releases_dir: Path, *args: str, timeout: float = 600, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIXIACTL_RELEASES_DIR": str(releases_dir)}
    return subprocess.run(
        [FIXIACTL, *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Ctl:
    env: str
    http: str
    ports: dict[str, int]
    state: Path
    releases_dir: Path

    def run(
        self, *args: str, timeout: float = 600, stdin: str = ""
    ) -> subprocess.CompletedProcess[str]:
        return run_fixiactl(self.releases_dir, *args, timeout=timeout, stdin=stdin)

    def deploy(self, release: str, *args: str) -> tuple[int, dict[str, object], str]:
        result = self.run("deploy", release, "--env", self.env, "--json", *args)
        data = json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}
        return result.returncode, data, result.stderr

    def events(self) -> list[dict[str, object]]:
        path = self.state / "deploy" / "deploys.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def records(self, deploy_id: str) -> list[dict[str, object]]:
        out = self.run("deploy", "explain", deploy_id, "--env", self.env, "--json")
        assert out.returncode == 0, out.stderr
        return list(json.loads(out.stdout))


def why(data: dict[str, Any], err: str) -> str:
    """A deploy's whole result for an assertion message: a string, because pytest shortens a
    dict there and once cut off the reason a deploy failed."""
    return json.dumps(data, default=str) + "\n" + err[-2000:]


def wait_for(check: Callable[[], Any], timeout_s: float) -> Any:
    """Poll `check` until it returns something truthy (returned), or fail after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError("timed out")


def require(binary: str) -> None:
    if shutil.which(binary) is None:
        message = f"{binary} is not installed (scripts/install-system-deps --stack)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def releases_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by every stack of the suite: a release is built once and deploys anywhere."""
    return tmp_path_factory.mktemp("releases")


@pytest.fixture(scope="session")
def ctl(releases_dir: Path) -> Iterator[Ctl]:
    with delivery_stack(releases_dir) as started:
        yield started


@contextmanager
def delivery_stack(releases_dir: Path) -> Iterator[Ctl]:
    """A stack of the test-delivery environment on free ports, removed afterwards."""
    for binary in ("wrk", "haproxy", "pgbouncer", "redis-server"):
        require(binary)
    env = f"test-delivery-{uuid.uuid4().hex[:6]}"
    result = subprocess.run(
        [FIXIACTL, "stack", "up", "--env", env, "--base-port", "0", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    from fixiactl.stack.config import state_dir

    state = state_dir(env)
    try:
        assert result.returncode == 0, result.stderr
        ports = json.loads((state / "stack.json").read_text())["ports"]
        yield Ctl(
            env=env,
            http=f"http://127.0.0.1:{ports['http']}",
            ports=ports,
            state=state,
            releases_dir=releases_dir,
        )
    finally:
        stack_module.stop_and_remove(env, state)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, timeout=60)


def clone_head(clone: Path) -> Path:
    """A clone of HEAD: releases are built from commits, never from a dirty tree."""
    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)],
        check=True,
        timeout=120,
    )
    _git(clone, "checkout", "--quiet", subprocess.check_output(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], text=True).strip())  # fmt: skip
    _git(clone, "config", "user.email", "ci@fixia.com.ar")
    _git(clone, "config", "user.name", "ci")
    return clone


@pytest.fixture(scope="session")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone_head(tmp_path_factory.mktemp("src") / "fixia")


def builder(releases_dir: Path, source: Path) -> Callable[..., str]:
    """Builds releases from `source`'s commits, each once. A build with `commit` commits its
    files to `source` first, so every later build from it carries them too."""
    built: dict[tuple[str, ...], str] = {}

    def _build(*faults: str, commit: str | None = None, files: dict[str, str] | None = None) -> str:
        key = (*faults, commit or "", *sorted(files or {}))
        if key in built:
            return built[key]
        if commit:
            for rel, text in (files or {}).items():
                (source / rel).write_text(text)
            _git(source, "add", "-A")
            _git(source, "commit", "--quiet", "--allow-empty", "-m", commit)
        # Releases are immutable and named by commit (and faults): a second builder over
        # another clone of the same commit takes the release the first one built.
        head = subprocess.check_output(["git", "-C", str(source), "rev-parse", "HEAD"], text=True)
        same = (str(releases_dir), head.strip(), *faults)
        if same not in _BY_COMMIT:
            args = [a for f in faults for a in ("--fault", f)]
            result = run_fixiactl(
                releases_dir, "release", "build", "--source", str(source), "--json", *args
            )
            assert result.returncode == 0, result.stderr
            _BY_COMMIT[same] = json.loads(result.stdout)["id"]
        built[key] = _BY_COMMIT[same]
        return built[key]

    return _build


_BY_COMMIT: dict[tuple[str, ...], str] = {}


@pytest.fixture(scope="session")
def build(releases_dir: Path, source: Path) -> Callable[..., str]:
    return builder(releases_dir, source)


@pytest.fixture(scope="session")
def releases(build: Callable[..., str], source: Path) -> dict[str, str]:
    """Every release the suite deploys, built once, in commit order: the fault releases come
    from the same commit as `good2`; only `expand` and `contract` carry migrations."""
    from fixiactl.deploy.migrations import scan_migrations

    versions = "src/fixia/migrations/versions"
    (head,) = scan_migrations(source / versions).heads()
    built = {"good": build()}
    built["good2"] = build(commit="delivery acceptance: a second healthy release")
    built["errors"] = build("error_rate=0.15", "skip_first=20")
    built["slow"] = build("extra_latency_ms=150")
    built["never_ready"] = build("fail_readiness=true")
    models = (source / MODELS).read_text()
    assert models.count(MAPPED_AFTER) == 1
    built["expand"] = build(
        commit="delivery acceptance: expand migration",
        files={
            f"{versions}/0099_dlv_expand.py": EXPAND.replace("{down}", head),
            MODELS: models.replace(MAPPED_AFTER, MAPPED_AFTER + MAPPED_HINT),
        },
    )
    built["contract"] = build(
        commit="delivery acceptance: contract migration",
        files={f"{versions}/0100_dlv_contract.py": CONTRACT, MODELS: models},
    )
    return built
