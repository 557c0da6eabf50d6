"""The import-pairs ratchet (issue #28): counted as the issue defines it, a new pair fails,
and a pair that went away must be struck from the list."""

from __future__ import annotations

from pathlib import Path

from fixiactl.gates.imports import ALLOWED, import_pairs, mutual_pairs
from fixiactl.gates.model import Context, Status


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, body in files.items():
        path = root / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    return root


BASE = {
    "fixia/__init__.py": "",
    "fixia/a/__init__.py": "",
    "fixia/a/service.py": "from fixia.b import thing\n",
    "fixia/b/__init__.py": "thing = 1\n",
    "fixia/c.py": "",
    "fixia/migrations/env.py": "from fixia.a import service\n",
    "fixiactl/__init__.py": "",
}


def test_relative_and_function_level_imports_count(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        BASE
        | {
            "fixia/b/views.py": "def f():\n    from ..a import service\n",
            "fixia/c.py": "from fixia import a\n",
            "fixia/a/x.py": "import fixia.c\n",
        },
    )
    assert mutual_pairs(root / "src") == ["fixia: a <-> b", "fixia: a <-> c"]


def test_a_new_pair_fails_and_a_gone_pair_must_be_struck(tmp_path: Path) -> None:
    root = tree(tmp_path, BASE)
    (root / ALLOWED).write_text("# header\n")
    assert import_pairs(Context(root=root)).status is Status.PASSED
    (root / "src/fixia/b/back.py").write_text("from fixia.a.service import thing\n")
    failed = import_pairs(Context(root=root))
    assert failed.status is Status.FAILED and "fixia: a <-> b" in failed.detail
    (root / ALLOWED).write_text("fixia: a <-> b\nfixia: a <-> c\n")
    stale = import_pairs(Context(root=root))
    assert stale.status is Status.FAILED and "strike" in stale.detail
    assert "fixia: a <-> c" in stale.detail
