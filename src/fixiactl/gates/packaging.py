"""Packaging gates: the declared dependencies match the imports (deptry), and the wheel
installs with plain pip into a clean virtualenv, where every command of `fixia` and
`fixiactl` answers `--help`. uv installs from the lock and hides what pip's resolver refuses,
so the wheel gate uses pip, as someone installing the package would."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from fixiactl.gates.model import Context, GateResult, Status, tail
from fixiactl.gates.tools import uv

DEPTRY = "deptry==0.23.1"
# Walks the Click tree behind both Typer apps and asks each command for --help, in the
# installed venv (one process: a subprocess per command would import the app 80 times).
HELP_WALK = """
import sys
import typer
from click.testing import CliRunner
from fixia.cli import app as fixia
from fixiactl.cli import app as fixiactl

def walk(cmd, path):
    yield path
    # Typer may bring its own Click: look for sub-commands, not for click.Group.
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from walk(sub, path + [name])

failed, count = [], 0
for name, app in (("fixia", fixia), ("fixiactl", fixiactl)):
    root = typer.main.get_command(app)
    for path in walk(root, []):
        count += 1
        result = CliRunner().invoke(root, [*path, "--help"])
        if result.exit_code != 0:
            failed.append(" ".join([name, *path]) + f": {result.output[-200:]!r}")
print(f"{count} commands answered --help")
if failed:
    print("\\n".join(failed))
    sys.exit(1)
"""


def deptry(ctx: Context) -> GateResult:
    # In the project's environment: deptry maps imports to distributions through the
    # installed packages' metadata (yaml -> pyyaml), which an isolated tool env lacks.
    return ctx.tool([uv(), "run", "--quiet", "--no-sync", "--with", DEPTRY, "deptry", "src"])


def wheel(ctx: Context) -> GateResult:
    work = ctx.work / "wheel"
    shutil.rmtree(work, ignore_errors=True)
    code, out = ctx.run([uv(), "build", "--wheel", "--out-dir", work / "dist", "--quiet"])
    if code != 0:
        return GateResult(Status.FAILED, detail=f"uv build: {tail(out)}", output=out)
    [built] = (work / "dist").glob("*.whl")
    venv = work / "venv"
    steps: tuple[list[str | Path], ...] = (
        [sys.executable, "-m", "venv", venv],
        [venv / "bin" / "pip", "install", "--quiet", built],
        [venv / "bin" / "python", "-c", HELP_WALK],
    )
    output = ""
    for step in steps:
        code, out = ctx.run(step, cwd=work)
        output += out
        if code != 0:
            return GateResult(Status.FAILED, detail=f"{step[-2]}: {tail(out)}", output=output)
    shutil.rmtree(work, ignore_errors=True)
    return GateResult(Status.PASSED, detail=tail(output, 1), output=output)
