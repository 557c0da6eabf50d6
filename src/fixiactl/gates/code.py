"""Code gates: lint, types, security linters, secrets, licenses."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

from fixiactl.gates.model import Context, GateResult, Status, tail
from fixiactl.gates.tools import uv, uvx, venv_bin

# GPL and AGPL are refused in runtime dependencies; LGPL (dynamic linking) is allowed.
_COPYLEFT = re.compile(r"\bA?GPL\b|GNU (Affero )?General Public", re.IGNORECASE)
_LESSER = re.compile(r"LGPL|Lesser", re.IGNORECASE)


def ruff_lint(ctx: Context) -> GateResult:
    return ctx.tool([venv_bin("ruff"), "check", "src", "tests"])


def ruff_format(ctx: Context) -> GateResult:
    return ctx.tool([venv_bin("ruff"), "format", "--check", "src", "tests"])


def mypy(ctx: Context) -> GateResult:
    return ctx.tool([venv_bin("mypy"), "src"])


def bandit(ctx: Context) -> GateResult:
    # Config says which checks are off and why; -q keeps only findings.
    return ctx.tool(uvx("bandit", "-q", "-r", "src", "-c", ".bandit.yml"))


def semgrep(ctx: Context) -> GateResult:
    # --error: semgrep exits 0 on findings without it. Local rules only (no registry here).
    return ctx.tool(
        uvx(
            "semgrep",
            "scan",
            "--config",
            ".semgrep.yml",
            "--error",
            "--metrics=off",
            "--disable-version-check",
            "--quiet",
            "src",
        ),
        env={"SEMGREP_SEND_METRICS": "off"},
    )


def tracked_files(ctx: Context) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ctx.root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [f for f in out.splitlines() if f and (ctx.root / f).is_file()]


# Lock files are hashes by the thousand (pure noise for entropy checks) and come from the
# registries, not from us; the baseline itself lists hashes of reviewed findings.
_NOT_SCANNED = (".secrets.baseline", "uv.lock", "package-lock.json")


def detect_secrets(ctx: Context) -> GateResult:
    # The hook exits 1 on any secret not in the audited baseline. It is given every file
    # explicitly (tracked and new), so untracked files are scanned too. It also exits 1 after
    # merely refreshing line numbers in the baseline it was given, and rewrites it: so it gets
    # a copy, and only "potential secrets" fail the gate; the repo is never modified.
    files = [f for f in tracked_files(ctx) if not f.endswith(_NOT_SCANNED)]
    ctx.work.mkdir(parents=True, exist_ok=True)
    baseline = ctx.work / "secrets.baseline"
    shutil.copyfile(ctx.root / ".secrets.baseline", baseline)
    cmd = uvx("detect-secrets-hook", "--baseline", baseline, *files, package="detect-secrets")
    code, out = ctx.run(cmd)
    if code != 0 and "Potential secrets" in out:
        return GateResult(Status.FAILED, detail=f"new secrets: {tail(out, 6)}", output=out)
    if code != 0 and "baseline file was updated" not in out:
        return GateResult(Status.FAILED, detail=f"exit {code}: {tail(out)}", output=out)
    stale = " (baseline line numbers are stale: refresh it)" if code else ""
    return GateResult(Status.PASSED, detail=f"{len(files)} files, no new secrets{stale}")


def runtime_packages(ctx: Context) -> list[str]:
    """The runtime dependency closure from the lock (dev group excluded)."""
    code, out = ctx.run(
        [
            uv(),
            "export",
            "--frozen",
            "--no-dev",
            "--no-hashes",
            "--no-emit-project",
            "--format",
            "requirements-txt",
        ]
    )
    if code != 0:
        raise RuntimeError(f"uv export failed: {out[-300:]}")
    names = []
    for line in out.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "-")):
            names.append(re.split(r"[=<>;\[ ]", line, maxsplit=1)[0])
    return names


def copyleft(licenses: list[dict[str, str]]) -> list[str]:
    bad = []
    for row in licenses:
        text = row.get("License", "")
        if _COPYLEFT.search(text) and not _LESSER.search(text):
            bad.append(f"{row['Name']} ({text})")
    return bad


def licenses(ctx: Context) -> GateResult:
    packages = runtime_packages(ctx)
    code, out = ctx.run(
        uvx(
            "pip-licenses",
            "--python",
            venv_bin("python"),
            "--from=mixed",
            "--format=json",
            "--packages",
            *packages,
        )
    )
    if code != 0:
        return GateResult(Status.FAILED, detail=f"pip-licenses exit {code}", output=out)
    rows = json.loads(out[out.index("[") :])
    bad = copyleft(rows)
    if bad:
        return GateResult(Status.FAILED, detail="GPL/AGPL runtime deps: " + ", ".join(bad))
    return GateResult(Status.PASSED, detail=f"{len(rows)} runtime packages, no GPL/AGPL")


def pip_audit(ctx: Context) -> GateResult:
    if os.environ.get("FIXIA_GATES_PIP_AUDIT") != "1":
        return GateResult(
            Status.SKIPPED,
            detail="skipped: no advisory database (strict in CI: FIXIA_GATES_PIP_AUDIT=1)",
        )
    req = ctx.work / "requirements-runtime.txt"
    req.parent.mkdir(parents=True, exist_ok=True)
    code, out = ctx.run(
        [
            uv(),
            "export",
            "--frozen",
            "--no-dev",
            "--no-emit-project",
            "--format",
            "requirements-txt",
            "-o",
            str(req),
        ]
    )
    if code != 0:
        return GateResult(Status.FAILED, detail="uv export failed", output=out)
    # --strict: without it pip-audit exits 0 when it cannot audit a package.
    return ctx.tool(uvx("pip-audit", "--strict", "--require-hashes", "-r", str(req)))
