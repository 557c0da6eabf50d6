"""The relevance harness's arithmetic and the judged set's shape (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixia.seed_data import SERVICES
from fixiactl.bench.relevance import (
    LISTINGS,
    Outcome,
    RelevanceReport,
    corpus_rows,
    load_judgments,
    markdown_lines,
    ndcg,
)


def test_ndcg_rewards_relevant_results_early() -> None:
    assert ndcg([1, 1, 1], 3) == 1.0
    assert ndcg([0, 0, 0], 3) == 0.0
    assert ndcg([], 0) == 1.0  # nothing to find, nothing found
    assert ndcg([1], 0) == 0.0
    assert ndcg([0, 1], 1) == pytest.approx(1 / 1.5849625, rel=1e-6)
    assert ndcg([1] * 20, 40) == 1.0  # only the first ten count


def test_the_judged_set_is_large_and_names_real_listings() -> None:
    judgments = load_judgments()
    assert len(judgments) >= 150
    assert len({j.q for j in judgments}) == len(judgments), "a query judged twice"
    titles = {t[0] for templates in SERVICES.values() for t in templates}
    assert set(LISTINGS.values()) <= titles
    assert {k for j in judgments for k in j.keys} == set(LISTINGS), "a listing never judged"


def test_a_bad_judgment_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.txt"
    path.write_text("# comment\nplomero => plomero\nchef => nobody\n")
    with pytest.raises(ValueError, match="chef"):
        load_judgments(path)


def test_corpus_is_deterministic() -> None:
    a, b = corpus_rows(), corpus_rows()
    assert [s["id"] for s in a["services"]] == [s["id"] for s in b["services"]]
    assert len({s["created_at"] for s in a["services"]}) == len(a["services"])


def test_report_summary_and_markdown() -> None:
    report = RelevanceReport("sqlite")
    report.outcomes += [Outcome("a", ["x"], 1.0, 10.0), Outcome("b", [], 0.0, 30.0)]
    summary = report.summary()
    assert summary["zero_result_rate"] == 0.5 and summary["ndcg_at_10"] == 0.5
    assert summary["p95_ms"] == 30.0 and summary["p50_ms"] == 10.0
    lines = markdown_lines([{**summary, "data": "corpus"}])
    assert lines[-1] == "| sqlite | corpus | 2 | 50.0 % | 0.500 | 10.0 | 30.0 |"
