"""Expand/contract planning: which pending revisions run before the new slot starts and which
only after the old release has retired; the readiness side; rollback-safety marks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixia import migrate
from fixia.config import Settings
from fixia.exitcodes import ExitCode
from fixiactl.cli import app, common
from fixiactl.deploy.context import DeployContext
from fixiactl.deploy.contract import DEFERRED_ENV, mark_unsafe, rollback_safe, slot_env
from fixiactl.deploy.fakes import FakeRouter, FakeSlotHost, FakeSupervisor
from fixiactl.deploy.journal import Slots
from fixiactl.deploy.migrations import plan_migrations, scan_migrations
from fixiactl.deploy.releases import Release
from fixiactl.stack.config import EnvConfig, StackState
from tests.unit.delivery.test_migrations import write

EXPAND = '    op.add_column("t", sa.Column("c", sa.Text(), nullable=True))\n'
CONTRACT = '    op.drop_column("t", "old")\n'


def chain(tmp: Path, kinds: str) -> list[str]:
    """Write a linear chain r1..rN, `e` = expand and `c` = contract; returns the revisions."""
    revisions = [f"r{i + 1}" for i in range(len(kinds))]
    for i, kind in enumerate(kinds):
        write(
            tmp, revisions[i], revisions[i - 1] if i else None, EXPAND if kind == "e" else CONTRACT
        )
    return revisions


def plan_for(tmp: Path, kinds: str, applied: set[str]) -> tuple[list[str], list[str], str | None]:
    plan = plan_migrations(scan_migrations(tmp).pending(applied))
    before = [m.revision for m in plan.before_start]
    return before, [m.revision for m in plan.after_retire], plan.start_target


@pytest.mark.parametrize(
    ("kinds", "applied", "before", "after"),
    [
        # Only expand: all of it before the slot starts, nothing deferred.
        ("eee", {"r1"}, ["r2", "r3"], []),
        # Expand up to the first contract; the contract and everything after it wait.
        ("eecec", {"r1"}, ["r2"], ["r3", "r4", "r5"]),
        # A contract first: nothing can run before the slot starts.
        ("ece", {"r1"}, [], ["r2", "r3"]),
        # Already applied contracts are not pending.
        ("ecee", {"r2"}, ["r3", "r4"], []),
        # Nothing pending.
        ("ec", {"r2"}, [], []),
    ],
)
def test_pending_chain_splits_at_the_first_contract(
    tmp_path: Path, kinds: str, applied: set[str], before: list[str], after: list[str]
) -> None:
    chain(tmp_path, kinds)
    got_before, got_after, target = plan_for(tmp_path, kinds, applied)
    assert (got_before, got_after) == (before, after)
    assert target == (before[-1] if before else None)


def test_plan_names_its_contract_revisions_and_what_the_new_slot_may_miss(
    tmp_path: Path,
) -> None:
    chain(tmp_path, "eece")
    plan = plan_migrations(scan_migrations(tmp_path).pending({"r1"}))
    assert plan.contract == ["r3"]
    assert plan.as_dict() == {"before_start": ["r2"], "after_retire": ["r3", "r4"]}
    assert json.loads(slot_env(plan)[DEFERRED_ENV]) == ["r3", "r4"]
    assert slot_env(plan_migrations([])) == {}


def test_the_retired_releases_become_rollback_unsafe_never_the_new_one() -> None:
    slots = Slots(rollback_unsafe=["new"])
    assert mark_unsafe(slots, ["old", "older", None, "old"], keep="new") == ["old", "older"]
    assert slots.rollback_unsafe == ["old", "older"]
    assert not rollback_safe(slots, "old") and rollback_safe(slots, "new")


def test_readiness_tolerates_only_the_deferred_revisions(monkeypatch: pytest.MonkeyPatch) -> None:
    (head,) = migrate.head_revisions()
    script_order = sorted(migrate.known_revisions())
    before_head = script_order[script_order.index(head) - 1]
    two_back = script_order[script_order.index(head) - 2]
    assert migrate.schema_status(frozenset({before_head}), frozenset({head})) == "contract_pending"
    assert migrate.schema_status(frozenset({before_head})) == "behind"
    # Missing more than what was deferred is behind: that code really needs it.
    assert migrate.schema_status(frozenset({two_back}), frozenset({head})) == "behind"
    assert migrate.schema_status(frozenset({head}), frozenset({head})) == "at_head"
    monkeypatch.setenv(DEFERRED_ENV, json.dumps([head]))
    assert Settings().db.deferred_revisions == [head]


@pytest.mark.parametrize(
    ("command", "verb"), [(["rollback"], "Roll back"), (["deploy", "old"], "Deploy")]
)
def test_going_back_to_an_unsafe_release_needs_confirmation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], verb: str
) -> None:
    monkeypatch.setenv("FIXIACTL_STATE_ROOT", str(tmp_path))
    (tmp_path / "unit" / "deploy").mkdir(parents=True)
    Slots(releases={"blue": "old", "green": "new"}, active="green", previous="old",
          rollback_unsafe=["old"]).save("unit")  # fmt: skip
    runner = CliRunner()
    refused = runner.invoke(app, [*command, "--env", "unit", "--json"])  # no terminal
    assert refused.exit_code == ExitCode.REFUSED
    assert "old is not rollback-safe" in refused.output and "--yes" in refused.output
    monkeypatch.setattr(common, "interactive", lambda: True)
    declined = runner.invoke(app, [*command, "--env", "unit"], input="n\n")
    assert declined.exit_code == ExitCode.REFUSED and f"{verb} anyway?" in declined.output
    assert Slots.load("unit").active == "green"


def _contract_phase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, applied_after: str, fails: bool
) -> tuple[dict[str, object], Slots]:
    """The contract phase with the migration run replaced (no stack): what it reports and
    marks, given which revision the database reached."""
    from fixiactl.deploy import contract
    from fixiactl.deploy.journal import Journal
    from fixiactl.deploy.releases import checkout_release
    from fixiactl.errors import FixiactlError

    monkeypatch.setenv("FIXIACTL_STATE_ROOT", str(tmp_path / "state"))
    versions = tmp_path / "versions"
    versions.mkdir(parents=True)
    chain(versions, "eecc")

    class Host(FakeSlotHost):
        def migrate(self, release: Release, revision: str) -> str:
            if fails:
                raise FixiactlError("migrations failed", hint="DuplicateObject: boom")
            return ""

    supervisor = FakeSupervisor()
    ctx = DeployContext(
        config=EnvConfig(name="unit"),
        supervisor=supervisor,
        router=FakeRouter(supervisor),
        slot_host=Host(),
        stack_state=StackState(ports={}, db_password="", jwt_key="", encryption_key="",
                               webhook_secret=""),
    )  # fmt: skip
    monkeypatch.setattr(contract.slot_ops, "migrations_dir", lambda _r: versions)
    monkeypatch.setattr(contract, "applied_revisions", lambda *_a: {applied_after})
    plan = plan_migrations(scan_migrations(versions).pending({"r2"}))
    slots = Slots(previous="old")
    out = contract.run_contract(
        ctx, release=checkout_release(), plan=plan, slots=slots,
        retired=["old", "older"], journal=Journal("unit", "d1"), restore_point="rp-1",
    )  # fmt: skip
    return out, Slots.load("unit")


def test_a_contract_that_ran_makes_the_retired_releases_unsafe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, saved = _contract_phase(tmp_path, monkeypatch, "r4", fails=False)
    assert out == {
        "contract": {"ran": ["r3", "r4"], "pending": [], "rollback_unsafe": ["old", "older"]}
    }
    assert saved.rollback_unsafe == ["old", "older"]


def test_a_failed_contract_says_how_to_recover_and_marks_only_what_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, saved = _contract_phase(tmp_path, monkeypatch, "r2", fails=True)
    assert out["result"] == "failed" and out["stage"] == "contract"
    assert "fixiactl restore --to rp-1 --env unit" in str(out["hint"])
    assert out["contract"] == {"ran": [], "pending": ["r3", "r4"], "rollback_unsafe": []}
    assert saved.rollback_unsafe == []  # nothing contracted: the old release is still safe
    # The first contract went in, the second failed: the old release is unsafe already.
    _out, saved = _contract_phase(tmp_path / "b", monkeypatch, "r3", fails=True)
    assert saved.rollback_unsafe == ["old", "older"]
