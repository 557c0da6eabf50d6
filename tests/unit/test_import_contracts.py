"""The floors' import-linter contracts (`[tool.importlinter]` in pyproject.toml) hold on the
tree, and each one breaks on a deliberately wrong import in a copy of `src/`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
LINT = Path(sys.executable).parent / "lint-imports"


def _contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    return {c["id"]: c for c in config["contracts"]}


def _verdicts(src: Path) -> dict[str, str]:
    """Contract name -> KEPT or BROKEN, from lint-imports run over `src`."""
    env = os.environ | {"PYTHONPATH": str(src)}
    done = subprocess.run(
        [LINT, "--no-cache", "--config", PYPROJECT],
        cwd=src.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    names = {str(c["name"]) for c in _contracts().values()}
    found: dict[str, str] = {}
    for line in done.stdout.splitlines():
        for name in names:
            if line.startswith(name + " "):
                found[name] = "BROKEN" if "BROKEN" in line else "KEPT"
    assert found.keys() == names, done.stdout + done.stderr
    return found


def _wrong_copy(tmp_path: Path, module: str, line: str) -> Path:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
    path = src / module
    path.write_text(path.read_text() + f"\n{line}  # deliberately wrong\n")
    return src


def test_every_contract_is_kept_by_the_tree() -> None:
    assert set(_verdicts(ROOT / "src").values()) == {"KEPT"}


@pytest.mark.parametrize(
    ("contract", "module", "line"),
    [
        ("service-not-toolkit", "fixia/catalog/service.py", "import fixiactl.errors"),
        ("toolkit-through-contract", "fixiactl/deploy/engine.py", "import fixia.catalog.service"),
        ("domains-not-web", "fixia/money/service.py", "import fixia.web.pages"),
        ("config-imports-nothing", "fixia/config/runtime.py", "import fixia.db"),
    ],
)
def test_a_wrong_import_breaks_its_contract_alone(
    tmp_path: Path, contract: str, module: str, line: str
) -> None:
    verdicts = _verdicts(_wrong_copy(tmp_path, module, line))
    name = str(_contracts()[contract]["name"])
    assert verdicts[name] == "BROKEN"
    assert [n for n, v in verdicts.items() if v == "BROKEN"] == [name]


def _top_level(*leave_out: str) -> set[str]:
    return {
        f"fixia.{p.stem}"
        for p in (ROOT / "src" / "fixia").iterdir()
        if p.name not in ("__init__.py", "__pycache__", "migrations", *leave_out)
        and (p.suffix == ".py" or (p / "__init__.py").exists())
    }


def test_the_contracts_name_every_top_level_module() -> None:
    # A new package must not escape a contract by not being listed in it.
    contracts = _contracts()
    assert set(contracts["config-imports-nothing"]["forbidden_modules"]) == _top_level("config")
    domains = set(contracts["domains-not-web"]["source_modules"])
    # The composition root and the served app import web by design; config has its own, stricter
    # contract.
    assert domains == _top_level("web", "main.py", "asgi.py", "config")
