"""The gates' own decisions: license policy, benchmark comparison, selection, exit codes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fixiactl.cli import app
from fixiactl.gates.code import copyleft
from fixiactl.gates.data import compare_benchmarks
from fixiactl.gates.model import Context, Gate, GateResult, Speed, Status, run_gate


def test_copyleft_refuses_gpl_and_agpl_but_not_lgpl() -> None:
    rows = [
        {"Name": "a", "License": "GNU General Public License v3 (GPLv3)"},
        {"Name": "b", "License": "AGPL-3.0-only"},
        {"Name": "c", "License": "GNU Lesser General Public License v3 (LGPLv3)"},
        {"Name": "d", "License": "MIT License"},
        {"Name": "e", "License": "Apache Software License; BSD License"},
    ]
    assert [b.split(" ")[0] for b in copyleft(rows)] == ["a", "b"]


def test_benchmarks_fail_only_beyond_25_percent() -> None:
    baseline = {"fast": 1.0, "slow": 1.0, "gone": 1.0}
    current = {"fast": 1.24, "slow": 1.26}
    assert compare_benchmarks(current, baseline) == [
        "gone: missing from this run",
        "slow: 1.26x baseline",
    ]


def test_a_crashing_gate_is_a_failed_gate() -> None:
    def boom(_ctx: Context) -> GateResult:
        raise RuntimeError("tool exploded")

    result = run_gate(Gate("x", "g", Speed.FAST, boom, ""), Context())
    assert result.status is Status.FAILED
    assert "tool exploded" in result.detail


def test_context_reports_a_missing_tool_as_failure(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = Context(work=tmp_path).tool(["definitely-not-a-tool-xyz"])
    assert result.status is Status.FAILED
    assert "exit 127" in result.detail


def test_unknown_gate_is_a_readable_error() -> None:
    out = CliRunner().invoke(app, ["gates", "--only", "nope"])
    assert out.exit_code == 1
    assert "unknown gate" in out.output


def test_json_summary_and_exit_code() -> None:
    out = CliRunner().invoke(app, ["gates", "--only", "generated-fresh", "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["passed"] is True
    assert [g["name"] for g in report["gates"]] == ["generated-fresh"]
    assert report["gates"][0]["status"] == "passed"


@pytest.mark.parametrize("name", ["pip-audit"])
def test_pip_audit_reports_skipped_locally(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIXIA_GATES_PIP_AUDIT", raising=False)
    out = CliRunner().invoke(app, ["gates", "--only", name, "--json"])
    gate = json.loads(out.stdout)["gates"][0]
    assert gate["status"] == "skipped"
    assert gate["detail"].startswith("skipped: no advisory database")


def test_detect_secrets_fails_on_a_new_untracked_secret(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil
    import subprocess

    from fixiactl.gates.code import detect_secrets
    from fixiactl.stack.config import ROOT

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    shutil.copy(ROOT / ".secrets.baseline", tmp_path / ".secrets.baseline")
    (tmp_path / "clean.py").write_text("x = 1\n")
    ctx = Context(root=tmp_path, work=tmp_path / "work")
    assert detect_secrets(ctx).status is Status.PASSED
    leak = 'password = "Xy9$kq2!mZ8pLw3@rT5vNb7"\n'  # pragma: allowlist secret
    (tmp_path / "leak.py").write_text(leak)  # never added to git
    result = detect_secrets(ctx)
    assert result.status is Status.FAILED
    assert "leak.py" in result.output
    assert (tmp_path / ".secrets.baseline").read_bytes() == (
        ROOT / ".secrets.baseline"
    ).read_bytes()
