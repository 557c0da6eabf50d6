"""The streams benchmark's own arithmetic: a process tree's memory and the report table."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from fixiactl.bench.streams import markdown, tree_rss_kb


def test_tree_rss_counts_the_children() -> None:
    alone = tree_rss_kb([os.getpid()])
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        # The child is a whole interpreter: several MB more than this process alone.
        for _ in range(50):
            with_child = tree_rss_kb([os.getpid()])
            if with_child > alone + 2048:
                break
            time.sleep(0.1)  # the child is still loading the interpreter
        assert with_child > alone + 2048
    finally:
        child.kill()
        child.wait()
    assert tree_rss_kb([2**22 + 1]) == 0  # no such process


def test_markdown_says_whether_each_goal_was_met() -> None:
    report = {
        "finished_at": "2026-12-07T20:00:00+00:00",
        "memory": {"streams": 2000, "rss_before_mb": 200.0, "rss_after_mb": 230.0,
                   "kb_per_stream": 15.4},
        "latency": {"rate": 200, "p50_ms": 40.0, "p99_ms": 400.0, "received": 4000, "sent": 4000,
                    "goal_p99_ms": 250.0, "met": False, "achieved_rate": 180.0},
        "read_mix": {"rps_on": 500.0, "rps_off": 510.0, "cost": 0.0196, "goal_max_cost": 0.05,
                     "met": True},
    }  # fmt: skip
    text = markdown(report)
    assert "15.4 KiB" in text
    assert "40.0 / 400.0 ms" in text and "MISSED" in text
    assert "500.0 / 510.0 (cost 2.0%)" in text and "met |" in text
