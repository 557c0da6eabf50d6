"""docs/architecture.md matches the code (issue #28, item 9): every package and top-level
module under src/fixia and src/fixiactl is named in it, and every `src/...` path, domain of
its table and `fixiactl` folder it names exists."""

from __future__ import annotations

import re

from fixiactl.stack.config import ROOT

DOC = (ROOT / "docs" / "architecture.md").read_text()
SRC = ROOT / "src"


def named(name: str) -> bool:
    return re.search(rf"`(fixia/|fixiactl/)?{re.escape(name)}[`/]", DOC) is not None


def test_every_package_and_module_is_named() -> None:
    missing = []
    for package in ("fixia", "fixiactl"):
        for path in sorted((SRC / package).iterdir()):
            if path.name.startswith("__") or path.name == "__pycache__":
                continue
            if (path.is_dir() and (path / "__init__.py").exists()) or path.name == "migrations":
                missing += [] if named(path.name) else [f"{package}/{path.name}/"]
            elif path.suffix == ".py":
                missing += [] if named(path.name) else [f"{package}/{path.name}"]
    assert not missing, f"docs/architecture.md never names: {missing}"


def test_every_domain_in_the_table_exists() -> None:
    table = DOC.split("## Domains", 1)[1].split("\n\n", 1)[0]
    domains = re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)
    assert len(domains) >= 10
    assert [d for d in domains if not (SRC / "fixia" / d / "__init__.py").exists()] == []


def test_every_named_source_path_exists() -> None:
    paths = set(re.findall(r"`(src/[\w/.]+?)`", DOC))
    toolkit = DOC.split("## The operations toolkit", 1)[1].split("\n## ", 1)[0]
    folders = set(re.findall(r"^- `(\w+)/`", toolkit, flags=re.MULTILINE)) - {"deploy"}
    assert folders, "the toolkit section names its folders"
    gone = [p for p in paths if not (ROOT / p.rstrip("/")).exists()]
    gone += [f for f in folders if not (SRC / "fixiactl" / f).is_dir()]
    assert gone == []
