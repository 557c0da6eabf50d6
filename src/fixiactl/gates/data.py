"""Database and runtime gates: migration round trips, model drift, the safety linter hook,
coverage, the SBOM and the performance baseline."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from fixiactl.deploy.migrations import scan_migrations
from fixiactl.gates.model import Context, GateResult, Status, tail
from fixiactl.gates.tools import uvx, venv_bin
from fixiactl.stack.config import PGBIN, stack_root
from fixiactl.stack.postgres import as_postgres, init_cluster, psql, wait_ready

COVERAGE_MIN = 85
SUITE_TIMEOUT_S = 3600.0
PERF_TOLERANCE = 0.25  # fail when a hot path is more than 25 % slower than the baseline
ROUND_TRIP = (("upgrade",), ("downgrade", "base", "--yes"), ("upgrade",), ("check",))


def _round_trip(ctx: Context, url: str) -> GateResult:
    env = {"FIXIA_DATABASE_URL": url, "FIXIA_ENV": "development"}
    for step in ROUND_TRIP:
        code, out = ctx.run([venv_bin("fixia"), "db", *step], env=env)
        if code != 0:
            return GateResult(Status.FAILED, detail=f"db {' '.join(step)}: {tail(out)}", output=out)
    return GateResult(Status.PASSED, detail="upgrade → downgrade → upgrade, alembic check clean")


def migrations_sqlite(ctx: Context) -> GateResult:
    with tempfile.TemporaryDirectory(prefix="fixia-gate-") as tmp:
        return _round_trip(ctx, f"sqlite+aiosqlite:///{tmp}/gate.db")


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A scratch PostgreSQL 15 on a free port, removed afterwards (as tests/pg.py does)."""
    import socket

    root = stack_root() / f"gate-pg-{uuid.uuid4().hex[:8]}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    data = root / "data"
    try:
        init_cluster(root)
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {port}\n"
                f"unix_socket_directories = '{root / 'sock'}'\nfsync = off\n"
            )
        log = root / "sock" / "pg.log"
        as_postgres([str(PGBIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "start"])
        wait_ready(root, port)
        psql(root, port, "create role fixia login password 'gate'")
        psql(root, port, "create database fixia owner fixia")
        yield f"postgresql+asyncpg://fixia:gate@127.0.0.1:{port}/fixia"
    finally:
        as_postgres(
            [str(PGBIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], check=False
        )
        shutil.rmtree(root, ignore_errors=True)


def migrations_postgres(ctx: Context) -> GateResult:
    if not (PGBIN / "initdb").exists():
        return GateResult(Status.FAILED, detail=f"PostgreSQL 15 not found in {PGBIN}")
    with throwaway_postgres() as url:
        return _round_trip(ctx, url)


def migration_safety(ctx: Context) -> GateResult:
    """The deploy engine's expand/contract classifier over every migration: one head, an
    unbroken chain, and each contract step named, so a reviewer sees which releases it
    retires before `fixiactl deploy --allow-contract` is ever needed."""
    found = scan_migrations(ctx.root / "src" / "fixia" / "migrations" / "versions")
    problems = []
    heads = found.heads()
    if len(heads) != 1:
        problems.append(f"expected one head, found {heads or 'none'}")
    known = set(found.migrations)
    for m in found.migrations.values():
        if m.down_revision and m.down_revision not in known:
            problems.append(f"{m.revision}: down_revision {m.down_revision} does not exist")
    contract = [m.revision for m in found.migrations.values() if m.kind == "contract"]
    report = "\n".join(
        f"{m.revision}: {m.kind} ({'; '.join(m.reasons) or 'no operations'})"
        for m in found.migrations.values()
    )
    if problems:
        return GateResult(Status.FAILED, detail="; ".join(problems), output=report)
    detail = f"{len(known)} migrations, contract: {', '.join(contract) or 'none'}"
    return GateResult(Status.PASSED, detail=detail, output=report)


def coverage(ctx: Context) -> GateResult:
    """Branch coverage from the suite's data file; runs the suite first when there is none."""
    data = ctx.root / ".coverage"
    if not data.exists():
        # The in-process part of `make test` (the suites that start their own stacks and
        # browsers add nothing to this measure); it takes longer than any single tool.
        code, out = replace(ctx, timeout_s=max(ctx.timeout_s, SUITE_TIMEOUT_S)).run(
            [venv_bin("pytest"), "-n", "2", "--dist", "loadfile", "-q", "--cov", "--cov-branch"]
            + ["--postgres-for=inprocess"]
            + [f"--ignore=tests/{d}" for d in ("e2e", "acceptance", "chaos")]
        )
        if code != 0:
            return GateResult(Status.FAILED, detail=f"suite failed: {tail(out)}", output=out)
    code, out = ctx.run(
        [venv_bin("coverage"), "report", "--format=total", f"--fail-under={COVERAGE_MIN}"]
    )
    numbers = [line for line in out.split() if line.replace(".", "", 1).isdigit()]
    total = numbers[0] if numbers else "?"
    status = Status.PASSED if code == 0 else Status.FAILED
    return GateResult(status, detail=f"branch coverage {total}% (min {COVERAGE_MIN}%)", output=out)


def sbom(ctx: Context) -> GateResult:
    target = ctx.work / "sbom.cdx.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    result = ctx.tool(
        uvx(
            "cyclonedx-py",
            "environment",
            venv_bin("python"),
            "--of",
            "JSON",
            "--output-reproducible",
            "-o",
            target,
            package="cyclonedx-py",
        )
    )
    if result.status is Status.PASSED:
        components = len(json.loads(target.read_text()).get("components", []))
        result.detail = f"{components} components → {target.relative_to(ctx.root)}"
    return result


def compare_benchmarks(current: dict[str, float], baseline: dict[str, float]) -> list[str]:
    """Names whose mean regressed by more than the tolerance, with the ratio."""
    slower = []
    for name, base in sorted(baseline.items()):
        now = current.get(name)
        if now is None:
            slower.append(f"{name}: missing from this run")
        elif now > base * (1 + PERF_TOLERANCE):
            slower.append(f"{name}: {now / base:.2f}x baseline")
    return slower


def benchmark_minimums(report: dict[str, object]) -> dict[str, float]:
    """Per benchmark, the fastest round: on a shared machine the mean measures the neighbours'
    load as much as our code, the minimum is what the code costs when it gets the CPU."""
    rows = report.get("benchmarks", [])
    assert isinstance(rows, list)
    return {row["name"]: float(row["stats"]["min"]) for row in rows}


def performance(ctx: Context) -> GateResult:
    out_file = ctx.work / "benchmarks.json"
    out_file.parent.mkdir(parents=True, exist_ok=True)
    code, out = ctx.run(
        [
            venv_bin("pytest"),
            "-p",
            "no:xdist",
            "-q",
            "benchmarks/hot_paths",
            "--benchmark-only",
            f"--benchmark-json={out_file}",
        ]
    )
    if code != 0:
        return GateResult(Status.FAILED, detail=f"benchmarks failed: {tail(out)}", output=out)
    stored = ctx.root / "benchmarks" / "baseline.json"
    if not stored.exists():
        return GateResult(Status.FAILED, detail="no baseline: run with --update-baseline")
    baseline = json.loads(stored.read_text())
    slower = compare_benchmarks(benchmark_minimums(json.loads(out_file.read_text())), baseline)
    if slower:
        return GateResult(Status.FAILED, detail="; ".join(slower))
    return GateResult(Status.PASSED, detail=f"{len(baseline)} hot paths within 25 % of baseline")


def copy_baseline(ctx: Context) -> Path:
    """`fixiactl gates --update-baseline`: store this machine's means as the new baseline."""
    report = json.loads((ctx.work / "benchmarks.json").read_text())
    target = ctx.root / "benchmarks" / "baseline.json"
    target.write_text(json.dumps(benchmark_minimums(report), indent=2, sort_keys=True) + "\n")
    return target
