"""The promotion pipeline across real stacks brought up from the pipeline's own definitions
(deploy/environments/development.toml, staging.toml: fixia_env, workers, seeding, settings).

Isolation from a developer's real `development`/`staging` stacks: the stage names are kept (the
pipeline and its deploy logs are keyed by them) but every fixiactl call of this module runs
with its own FIXIACTL_STATE_ROOT (a fresh directory) and `--base-port 0` (free ports recorded
in that state), never the yaml's fixed ports or var/stack.

The scenarios run in file order on the same stacks, as an operator's day would: a release is
deployed to development and rolled back by hand (so staging refuses it), deployed again, may
not skip staging, is promoted to staging, and DORA counts the promotion.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.acceptance.delivery.conftest import FIXIACTL, ROOT, require
from tests.acceptance.delivery.load import Load, LoadResult

STAGES = ("development", "staging")
# Light, bounded load: enough requests for the analysis to judge a step (>= 50), no more.
LOAD = {"connections": 4, "delay_ms": 50, "max_s": 240, "max_requests": 30_000}
# The yaml's two workers per slot start slowly on a busy 2-core box.
READY_S = 300
READY = ("--ready-timeout", str(READY_S))


@dataclass
class Pipeline:
    root: Path  # FIXIACTL_STATE_ROOT of every stage here
    releases: Path
    release: str = ""
    ports: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "FIXIACTL_STATE_ROOT": str(self.root),
            "FIXIACTL_RELEASES_DIR": str(self.releases),
        }

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [FIXIACTL, *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [FIXIACTL, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def http(self, stage: str) -> str:
        return f"http://127.0.0.1:{self.ports[stage]['http']}"

    def events(self, stage: str) -> list[dict[str, Any]]:
        path = self.root / stage / "deploy" / "deploys.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def serving(self, stage: str) -> str:
        return str(httpx.get(f"{self.http(stage)}/healthz", timeout=10).json()["release"])


def _said(result: subprocess.CompletedProcess[str]) -> str:
    """stderr with rich's line wrapping undone."""
    return " ".join(result.stderr.split())


def _wait_ready(pipe: Pipeline, stage: str, timeout_s: float) -> None:
    ports = json.loads((pipe.root / stage / "stack.json").read_text())["ports"]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{ports['http']}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(2)


def _build(pipe: Pipeline, workdir: Path) -> str:
    """A release of HEAD, built from a clone (a release is exactly a commit)."""
    clone = workdir / "fixia"
    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)],
        check=True,
        timeout=120,
    )
    head = subprocess.check_output(["git", "-C", str(ROOT), "rev-parse", "HEAD"], text=True)
    subprocess.run(
        ["git", "-C", str(clone), "checkout", "--quiet", head.strip()], check=True, timeout=60
    )
    built = pipe.run("release", "build", "--source", str(clone), "--json", timeout=900)
    assert built.returncode == 0, built.stderr
    return str(json.loads(built.stdout)["id"])


@pytest.fixture(scope="module")
def pipe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    for binary in ("wrk", "haproxy", "pgbouncer", "redis-server"):
        require(binary)
    # Not under pytest's mode-700 temporary directory: PostgreSQL runs as `postgres`.
    root = Path(tempfile.mkdtemp(prefix="fixia-promotion-", dir="/var/tmp"))
    root.chmod(0o755)
    pipe = Pipeline(root=root, releases=tmp_path_factory.mktemp("releases"))
    assert pipe.env["FIXIACTL_STATE_ROOT"] == str(root)  # never the developer's var/stack
    ups = {s: pipe.popen("stack", "up", "--env", s, "--base-port", "0", "--json") for s in STAGES}
    try:
        pipe.release = _build(pipe, tmp_path_factory.mktemp("source"))
        for stage, proc in ups.items():
            _, err = proc.communicate(timeout=600)
            if proc.returncode and "did not become ready" in err:
                # Two workers per slot (the yaml's) can take longer than `up`'s 60 s on a
                # saturated box: give them time, then `up` again (idempotent) must succeed.
                _wait_ready(pipe, stage, READY_S)
                again = pipe.run("stack", "up", "--env", stage, "--json", timeout=600)
                proc.returncode, err = again.returncode, again.stderr
            assert proc.returncode == 0, f"stack up --env {stage}:\n{err[-3000:]}"
            pipe.ports[stage] = json.loads((root / stage / "stack.json").read_text())["ports"]
        yield pipe
    finally:
        for proc in ups.values():
            if proc.poll() is None:
                proc.kill()
            proc.communicate(timeout=30)  # reaps it and closes its pipes
        for stage in STAGES:
            pipe.run("stack", "down", "--env", stage, "--yes")
        shutil.rmtree(root, ignore_errors=True)


def _under_load(
    pipe: Pipeline, stage: str, *args: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], LoadResult]:
    with Load(pipe.http(stage), **LOAD) as load:  # type: ignore[arg-type]
        time.sleep(2)
        result = pipe.run(*args, timeout=300)
        time.sleep(1)
        traffic = load.stop()
    data = json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}
    return result, data, traffic


def test_stages_run_their_pipeline_definitions(pipe: Pipeline) -> None:
    for stage in STAGES:
        spec = tomllib.loads((ROOT / "deploy" / "environments" / f"{stage}.toml").read_text())
        env_file = (pipe.root / stage / "app-blue.env").read_text().splitlines()
        assert f"FIXIA_ENV={spec['fixia_env']}" in env_file
        assert f"FIXIA_DB__POOL_SIZE={spec['db_pool_size']}" in env_file
        supervisord = (pipe.root / stage / "supervisord.conf").read_text()
        assert f"--workers {spec['app_workers']}" in supervisord
        # Free ports, not the file's fixed ones a developer's own stage would hold.
        assert pipe.ports[stage]["http"] != spec["base_port"] + 3
        assert httpx.get(f"{pipe.http(stage)}/readyz", timeout=10).status_code == 200
    assert pipe.ports["development"]["http"] != pipe.ports["staging"]["http"]


def test_a_release_rolled_back_in_development_may_not_reach_staging(pipe: Pipeline) -> None:
    result, data, load = _under_load(
        pipe,
        "development",
        *("deploy", pipe.release, "--env", "development", "--strategy", "blue-green"),
        *("--hold", "5", *READY, "--json"),
    )
    assert result.returncode == 0 and data["result"] == "promoted", (data, result.stderr)
    assert load.failed == 0, load
    back = pipe.run("rollback", "--env", "development", *READY, "--json")
    assert back.returncode == 0, back.stderr
    assert pipe.serving("development") == "dev"

    refused = pipe.run("promote", pipe.release, "--to", "staging", "--json")
    assert refused.returncode == 1, refused
    said = _said(refused)
    assert f"{pipe.release} was rolled back in development by hand" in said, said
    assert f"fixiactl deploy {pipe.release} --env development" in said, said
    assert pipe.events("staging") == [] and pipe.serving("staging") == "dev"


def test_a_release_may_not_skip_staging(pipe: Pipeline) -> None:
    result, data, load = _under_load(
        pipe,
        "development",
        *("deploy", pipe.release, "--env", "development", "--strategy", "blue-green"),
        *("--hold", "5", *READY, "--json"),
    )
    assert result.returncode == 0 and data["result"] == "promoted", (data, result.stderr)
    assert load.failed == 0, load
    skipped = pipe.run("promote", pipe.release, "--to", "pre-production", "--json")
    assert skipped.returncode == 1, skipped
    assert f"{pipe.release} has not passed staging" in _said(skipped), skipped.stderr
    assert not (pipe.root / "pre-production").exists()


def test_a_release_that_passed_development_is_promoted_to_staging(pipe: Pipeline) -> None:
    result, data, load = _under_load(
        pipe,
        "staging",
        *("promote", pipe.release, "--to", "staging", "--strategy", "blue-green"),
        *("--hold", "5", *READY, "--json"),
    )
    assert result.returncode == 0 and data["result"] == "promoted", (data, result.stderr)
    assert load.failed == 0, load
    assert pipe.serving("staging") == pipe.release
    started, promoted = pipe.events("staging")
    assert started["event"] == "started" and started["promoted_from"] == "development"
    assert promoted["event"] == "promoted" and promoted["promoted_from"] == "development"
    # Staging's deploy was judged on real traffic, not waved through.
    explained = pipe.run("deploy", "explain", data["deploy_id"], "--env", "staging", "--json")
    measured = [r for r in json.loads(explained.stdout) if r["kind"] == "measurement"]
    assert measured and measured[-1]["verdict"] != "INSUFFICIENT_DATA", measured[-1:]


def test_dora_lead_time_counts_the_promotion(pipe: Pipeline) -> None:
    out = pipe.run("dora", "--env", "staging", "--json")
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout)
    promoted = next(e for e in pipe.events("staging") if e["event"] == "promoted")
    lead = promoted["ts"] - datetime.fromisoformat(promoted["commit_time"]).timestamp()
    assert figures["promotions"] == figures["promoted"] == figures["deploys"] == 1
    assert figures["lead_time_seconds"] == pytest.approx(lead)
    textfile = (pipe.root / "staging" / "textfile" / "fixia_delivery.prom").read_text()
    assert 'fixia_dora_lead_time_seconds{env="staging"}' in textfile

    development = json.loads(pipe.run("dora", "--env", "development", "--json").stdout)
    # Two deploys of the release (the rollback between them is a recovery, not a deploy);
    # the first was rolled back by hand: a failure. Deploys there are not promotions.
    assert development["deploys"] == 2 and development["failures"] == 1
    assert development["promotions"] == 0
