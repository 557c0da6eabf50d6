"""SLO specs, the generated rule shapes and the test-profile rule copy."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from fixiactl.errors import FixiactlError
from fixiactl.slo import BURN_ALERTS, WINDOWS, load_slos
from fixiactl.slo.rules import kebab, rule_groups
from fixiactl.stack.monitoring import copy_rules

ROOT = Path(__file__).resolve().parents[2]


def test_the_three_slos_load_with_their_objectives() -> None:
    slos = {s.name: s for s in load_slos()}
    assert {n: s.objective for n, s in slos.items()} == {
        "api-availability": 0.999,
        "api-latency": 0.99,
        "checkout-success": 0.995,
    }
    assert 'le="0.2"' in slos["api-latency"].errors


def test_burn_table_is_the_sre_workbook_one() -> None:
    assert [(a.burn, a.long, a.short, a.severity) for a in BURN_ALERTS] == [
        (14.4, "1h", "5m", "critical"),
        (6.0, "6h", "30m", "critical"),
        (1.0, "3d", "6h", "warning"),
    ]
    # 2 %, 5 % and 10 % of a 30-day budget at the moment each fires.
    assert [round(a.budget_spent("30d"), 3) for a in BURN_ALERTS] == [0.02, 0.05, 0.1]


def test_rules_record_every_window_and_guard_every_alert() -> None:
    slo = load_slos()[0]
    recording, alerts = rule_groups(slo)["groups"]
    records = {r["record"] for r in recording["rules"]}
    for window in WINDOWS:
        assert f"slo:sli_error:ratio_rate{window}" in records
        assert f"slo:sli_events:rate{window}" in records
    for rule in alerts["rules"]:
        assert ">= " in rule["expr"].splitlines()[-1]  # the low-traffic guard
        assert rule["labels"]["slo"] == slo.name


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"objective": 99.9}, "objective"),
        ({"name": "Bad Name"}, "kebab-case"),
        ({"sli": {"errors": "x", "total": "y"}}, "$window"),
    ],
)
def test_invalid_specs_are_rejected(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    spec = yaml.safe_load((ROOT / "deploy/slo/api-availability.yaml").read_text())
    spec.update(change)
    (tmp_path / "x.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(FixiactlError, match=message.replace("$", r"\$")):
        load_slos(tmp_path)


def test_kebab_names_runbooks() -> None:
    assert kebab("SLOErrorBudgetBurnFast") == "slo-error-budget-burn-fast"
    assert kebab("PgBouncerPoolSaturated") == "pg-bouncer-pool-saturated"


def test_test_profile_rewrites_every_for_and_rules_stay_valid(tmp_path: Path) -> None:
    written = copy_rules(ROOT / "deploy/prometheus/rules", tmp_path, "4s")
    fors = {
        rule["for"]
        for path in written
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    assert fors == {"4s"}
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: run scripts/install-system-deps --stack"
    result = subprocess.run([promtool, "check", "rules", *map(str, written)], capture_output=True)
    assert result.returncode == 0, result.stdout
