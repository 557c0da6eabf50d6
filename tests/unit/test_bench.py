"""`fixiactl bench`'s pure parts: wrk output, Lua data, percentiles, goals, report, PNG.

No sockets and no wrk: the benchmark itself never runs in the suite.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from fixiactl.bench import dataset, wrk
from fixiactl.bench.floor import nearest_rank, summarize
from fixiactl.bench.luadata import lua_literal, lua_string, write_lua_data
from fixiactl.bench.notes import failure_notes
from fixiactl.bench.plot import LogAxis, Row, latency_chart
from fixiactl.bench.report import (
    README_CHART,
    README_END,
    README_START,
    Scenario,
    as_dicts,
    ceiling_rows,
    chart_link,
    evaluate,
    markdown,
    replace_readme_section,
    write_outputs,
)
from fixiactl.bench.runner import pacing_delay, projects_needed
from fixiactl.cli.bench import wrk_seconds
from fixiactl.errors import FixiactlError

WRK_STDOUT = """Running 3s test @ http://127.0.0.1:7603
  1 threads and 32 connections
Requests/sec:    984.34
FIXIA_BENCH_RESULT {"duration_us":2000000,"requests":2000,"bytes":8185684,\
"errors":{"connect":0,"read":1,"write":0,"status":3,"timeout":2},\
"latency_us":{"min":2032,"mean":11179.7,"max":137972,"stdev":17193.3,\
"p50":8486,"p90":14096,"p95":30890,"p99":111378},"statuses":{"200":1997,"503":3}}
"""


def test_wrk_result_line_is_parsed() -> None:
    result = wrk.parse_output(WRK_STDOUT)
    assert result.requests == 2000
    assert result.rps == pytest.approx(998.5)  # the three 503s are not throughput
    assert result.rps_all == pytest.approx(1000.0)
    assert result.latency_ms["p50"] == pytest.approx(8.486)
    assert result.latency_ms["p99"] == pytest.approx(111.378)
    assert result.statuses == {"200": 1997, "503": 3}
    assert result.failed == 6  # read error + 4xx/5xx + timeouts


def test_wrk_output_without_result_line_is_an_operator_error() -> None:
    with pytest.raises(FixiactlError, match="no result line"):
        wrk.parse_output("unable to connect to 127.0.0.1:7603 Connection refused\n")


def test_wrk_command_targets_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("fixiactl.bench.wrk.shutil.which", lambda _name: "/usr/bin/wrk")
    cmd = wrk.command(wrk.WrkRun("read", "mix", 10, connections=4, threads=8), 7603)
    assert cmd[0] == "/usr/bin/wrk"
    assert "-t4" in cmd  # never more threads than connections
    assert "-c4" in cmd
    assert "-d10s" in cmd
    assert cmd[-1] == "http://127.0.0.1:7603"
    assert cmd[cmd.index("-s") + 1].endswith("deploy/bench/read.lua")


def test_missing_wrk_is_an_operator_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("fixiactl.bench.wrk.shutil.which", lambda _name: None)
    with pytest.raises(FixiactlError, match="wrk is not installed"):
        wrk.wrk_binary()


def test_lua_scripts_exist_with_their_result_marker() -> None:
    report = (wrk.LUA_DIR / "report.lua").read_text()
    assert wrk.MARKER.strip() in report
    for script in ("read", "write"):
        assert (
            'dofile(os.getenv("FIXIA_BENCH_LUA") .. "/report.lua")'
            in (wrk.LUA_DIR / f"{script}.lua").read_text()
        )


@pytest.mark.parametrize(
    ("text", "lua"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("a\\b", '"a\\\\b"'),
        ("line\nnext", '"line\\nnext"'),
        ("bell\x07", '"bell\\007"'),
        ("plomería", '"plomería"'),
    ],
)
def test_lua_strings_are_escaped(text: str, lua: str) -> None:
    assert lua_string(text) == lua


def test_lua_literal_nests_tables() -> None:
    value = {"mix": ["search", "service"], "n": 3, "on": True, "rate": 0.5}
    assert lua_literal(value) == (
        '{["mix"] = {"search", "service"}, ["n"] = 3, ["on"] = true, ["rate"] = 0.5}'
    )
    with pytest.raises(TypeError):
        lua_literal(object())


def test_lua_data_file_is_private(tmp_path: Path) -> None:
    path = write_lua_data(tmp_path / "sub" / "data.lua", {"pros": ["token"]})
    assert path.read_text() == 'return {["pros"] = {"token"}}\n'
    assert path.stat().st_mode & 0o777 == 0o600


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert nearest_rank(values, 50) == 50
    assert nearest_rank(values, 95) == 95
    assert nearest_rank(values, 99) == 99
    assert nearest_rank(values, 100) == 100
    assert nearest_rank([], 50) == 0.0
    assert nearest_rank([7.0], 99) == 7.0


def test_summary_of_samples() -> None:
    summary = summarize([4.0, 1.0, 3.0, 2.0])
    assert summary["min"] == 1.0
    assert summary["max"] == 4.0
    assert summary["mean"] == 2.5
    assert summary["p50"] == 2.0
    assert summarize([])["p99"] == 0.0


def _sample() -> dataset.Sample:
    return dataset.Sample(
        services=["s1"],
        professionals=["p1"],
        category_ids=["c1", "c2"],
        category_slugs=["limpieza", "oficios-y-reparaciones"],
        cities=["Trelew", "Puerto Madryn"],
        words={"plomero": "oficios-y-reparaciones", "limpieza": "limpieza"},
    )


def test_search_queries_are_reproducible_and_valid() -> None:
    first = dataset.search_queries(_sample(), 50)
    assert first == dataset.search_queries(_sample(), 50)
    for params in first:
        assert params["limit"] == "20"
        assert params["sort"] != "relevance" or "q" in params  # relevance needs words
        if "q" in params and "category" in params:
            assert params["category"] == _sample().words[params["q"]]
        assert "min_price" not in params  # the cache-miss run adds its own


def test_search_url_encodes_parameters() -> None:
    url = dataset.search_url({"q": "plomería", "location": "Puerto Madryn"})
    assert url == "/api/v1/services?q=plomer%C3%ADa&location=Puerto+Madryn"


def test_title_words_keep_their_category() -> None:
    words = dataset.title_words(
        [("Plomero matriculado: pérdidas", "oficios"), ("Limpieza de hogar", "limpieza")]
    )
    assert words == {
        "plomero": "oficios",
        "matriculado": "oficios",
        "pérdidas": "oficios",
        "limpieza": "limpieza",
        "hogar": "limpieza",
    }
    assert dataset.title_words([]) == {"plomero": "oficios-y-reparaciones"}


def test_mix_weights_expand() -> None:
    assert dataset.expand_mix({"search": 2, "categories": 1}) == ["search", "search", "categories"]


@pytest.mark.parametrize(
    ("pilot_rps", "pilot_delay", "delay"),
    [
        (400.0, 64, 48),  # period 80 ms, so the round trip is 16 ms: pause 64 - 16
        (500.0, 64, 64),  # the pilot hit the rate: keep its pause
        (200.0, 64, 0),  # round trip 96 ms > 64 ms period: out of reach
        (0.0, 64, 0),
    ],
)
def test_pacing_delay(pilot_rps: float, pilot_delay: int, delay: int) -> None:
    assert pacing_delay(32, 500, pilot_rps, pilot_delay) == delay


def test_project_pool_is_bounded() -> None:
    assert projects_needed(3, 8) == 113
    assert projects_needed(1, 1000) == 20
    assert projects_needed(600, 1) == 1000


@pytest.mark.parametrize(("text", "seconds"), [("10s", 10), ("2m", 120), ("30", 30)])
def test_durations(text: str, seconds: int) -> None:
    assert wrk_seconds(text) == seconds


@pytest.mark.parametrize("text", ["ten", "0s", "11m", "5h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(FixiactlError):
        wrk_seconds(text)


def _scenario(name: str, rps: float, p95: float, p99: float, failed: int = 0) -> Scenario:
    return Scenario(
        name=name,
        label=name,
        load="GET /x",
        connections=32,
        requests=1000,
        rps=rps,
        latency_ms={"p50": p95 / 2, "p90": p95, "p95": p95, "p99": p99},
        failed=failed,
    )


def _scenarios() -> dict[str, Scenario]:
    items = [
        _scenario("ceiling", 2000, 20, 40),
        _scenario("read-mix", 4100, 20, 40),
        _scenario("read-paced", 1950, 20, 45),
        _scenario("search", 1200, 15, 30),
        _scenario("service", 900, 15, 30),
        _scenario("search-direct", 6000, 5, 9),
        _scenario("fastapi-search-direct", 10000, 3, 5),
        _scenario("service-direct", 4500, 5, 9),
        _scenario("fastapi-service-direct", 10000, 3, 5),
        _scenario("professional-direct", 8000, 5, 9, failed=500),
        _scenario("fastapi-professional-direct", 10000, 3, 5),
        _scenario("search-miss", 400, 400, 900),
        _scenario("search-miss-8", 300, 24, 40),
        _scenario("project", 390, 20, 40),
        _scenario("web", 1100, 20, 60),
        _scenario("db-floor", 200, 10, 20),
    ]
    return {s.name: s for s in items}


def test_goals_are_evaluated() -> None:
    goals = {g.goal: g for g in evaluate(_scenarios(), rate=2000)}
    share = "RPS as a share of bare FastAPI on the same bytes"
    assert goals["read mix p99 at 2000 RPS"].met
    assert goals[f"search-direct: {share}"].met  # 60 %
    assert goals[f"search-direct: {share}"].measured == "6000 / 10000 RPS = 60%"
    assert not goals[f"service-direct: {share}"].met  # 45 %
    assert not goals[f"professional-direct: {share}"].met  # 50 % failed
    assert goals["read-mix: throughput"].met  # 4100 >= 4000
    assert not goals["project: throughput"].met  # 390 < 400
    assert not goals["web: throughput"].met  # p99 60 > 50
    assert goals["search-miss: RPS vs the floor's serial RPS"].met  # 400 >= 1.5 * 200
    assert goals["search-miss-8: p95 vs database floor"].met  # 24 <= 2 * 10 + 5
    assert goals["search-miss-8: p95 vs database floor"].target == "≤ 2 × 10.0 + 5 = 25.0 ms"
    assert "categories-direct: " + share not in goals  # no bare run for it: no goal


def test_paced_goal_needs_the_rate() -> None:
    scenarios = _scenarios()
    scenarios["read-paced"] = _scenario("read-paced", 300, 10, 20)
    (goal,) = [g for g in evaluate(scenarios, rate=500) if g.goal.startswith("read mix p99")]
    assert not goal.met
    assert "rate not reached" in goal.measured


def test_goals_skip_missing_scenarios() -> None:
    assert evaluate({"ceiling": _scenario("ceiling", 1, 1, 1)}, rate=500) == []


def test_ceiling_table_puts_each_read_against_the_bare_apps() -> None:
    scenarios = {
        name: asdict(_scenario(name, rps, 1, 2))
        for name, rps in {
            "search-direct": 5000,
            "fastapi-search-direct": 10000,
            "starlette-search-direct": 16000,
            "search": 2500,
            "fastapi-search": 4000,
            "starlette-search": 4500,
        }.items()
    }
    rows = ceiling_rows(scenarios)
    assert "| search | straight | 5,000 | 10,000 | 16,000 | 50% |" in rows
    assert "| search | HAProxy | 2,500 | 4,000 | 4,500 | 62% |" in rows
    assert ceiling_rows({}) == []


def _report() -> dict[str, Any]:
    scenarios = _scenarios()
    return {
        "run": {
            "finished_at": "2026-01-02T03:04:05+00:00",
            "cpus": 2,
            "threads": 1,
            "connections": 32,
            "duration_s": 10,
            "load_before": "0.10 0.20 0.30",
            "load_after": "1.00 0.50 0.30",
        },
        **as_dicts(list(scenarios.values()), evaluate(scenarios, 2000)),
        "notes": ["Reviews are not modelled at scale."],
    }


def test_markdown_table() -> None:
    text = markdown(_report())
    assert "| ceiling | GET /x | 32 | 2000 | 10.0 | 20.0 | 40.0 | 0 / 1000 |" in text
    assert "| search-miss | GET /x | 32 | 400 | 200 | 400 | 900 | 0 / 1000 |" in text
    assert "| **no** |" in text
    assert "- Reviews are not modelled at scale." in text


def test_outputs_are_written(tmp_path: Path) -> None:
    paths = write_outputs(_report(), tmp_path / "bench")
    assert json.loads(paths["json"].read_text())["scenarios"][0]["name"] == "ceiling"
    assert paths["markdown"].read_text().startswith("Run 2026-01-02T03:04:05+00:00")
    assert paths["plot"].name == "latency.svg"
    assert paths["plot"].read_bytes().startswith(b"<svg ")


def test_readme_section_is_replaced() -> None:
    readme = f"# Fixia\n\n## Benchmark\n{README_START}\nold\n{README_END}\n\n## Next\n"
    updated = replace_readme_section(readme, "| new |\n")
    assert updated == f"# Fixia\n\n## Benchmark\n{README_START}\n| new |\n{README_END}\n\n## Next\n"
    assert replace_readme_section("# no markers\n", "x") is None


def test_log_axis() -> None:
    axis = LogAxis.covering([0.5, 3.0, 250.0], x0=100, width=300)
    assert (axis.lo, axis.hi) == (-1, 3)
    assert axis.x(0.1) == 100
    assert axis.x(1000) == 400
    assert axis.x(0) == 100  # below the axis clamps to its start


def test_latency_chart_is_an_svg_with_a_bar_per_percentile() -> None:
    rows = [
        Row("ceiling <fast>", {"p50": 1.0, "p95": 3.0, "p99": 9.0}, "1000 RPS"),
        Row("search", {"p50": 10.0, "p95": 30.0, "p99": 90.0}, "500 RPS"),
    ]
    root = ElementTree.fromstring(latency_chart(rows, "t"))  # noqa: S314 (our own bytes)
    ns = "{http://www.w3.org/2000/svg}"
    assert int(root.get("width", "0")) > 800 and int(root.get("height", "0")) > 100
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "ceiling <fast>" in texts and "500 RPS" in texts  # escaped, still readable
    assert {"1.0", "3.0", "9.0", "10.0", "30.0", "90.0"} <= set(texts)
    bars = [r for r in root.iter(f"{ns}rect") if r.get("height") == "9"]
    assert len(bars) == 6
    widths = [float(b.get("width", "0")) for b in bars]
    assert widths[0] < widths[1] < widths[2] < widths[5]  # longer bar, longer latency


def test_503s_are_explained() -> None:
    scenarios = _scenarios()
    assert failure_notes(scenarios) == []
    scenarios["service"].statuses = {"200": 900, "503": 100}
    (note,) = failure_notes(scenarios)
    assert note.startswith("503s in: service (100).")


def test_readme_copy_shows_the_latency_chart() -> None:
    assert chart_link("| t |\n").endswith(f"![Latency per scenario]({README_CHART})\n")
