"""Soak: a long, bounded, mixed load on a throw-away stack; does the app leak memory or fail?

    python -m tests.chaos.soak [--duration 600] [--rate 25]     (`make soak`)

Starts its own stack (both slots), sends mixed traffic (catalogue reads that hit the cache
and PostgreSQL, registrations that write) through HAProxy, samples the resident memory (RSS)
of every app worker process, and reports the growth after warm-up (goal < 10 %) and the
error count (goal 0) as JSON and Markdown under var/bench/. A benchmark, not a test: it
reports and exits non-zero when a goal is missed, but is not part of `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests import stack as stack_module
from tests.chaos.fake_mercadopago import FakeMercadoPago
from tests.chaos.harness import ChaosStack
from tests.chaos.load import LoadResult, mixed_calls, run_load
from tests.stack import ROOT

OUT = ROOT / "var" / "bench"
RSS_GOAL_PCT = 10.0
SAMPLE_EVERY_S = 5.0


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            found += [child, *_children(child)]
    return found


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def app_processes(chaos: ChaosStack) -> list[int]:
    """Each slot's uvicorn process and its workers (with several workers, the parent only
    supervises them; with one, it is the worker)."""
    pids = []
    for name, (state, pid) in chaos.states().items():
        if name.startswith("app-") and state == "RUNNING":
            pids += [pid, *_children(pid)]
    return pids


@dataclass
class Sample:
    at_s: float
    rss_kib: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.rss_kib.values())


@dataclass
class SoakReport:
    started_at: str
    duration_s: float
    warmup_s: float
    rate_per_s: float
    requests: int = 0
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    rss_after_warmup_kib: int = 0
    rss_end_kib: int = 0
    rss_growth_pct: float = 0.0
    samples: list[dict[str, object]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.errors == 0 and self.rss_growth_pct < RSS_GOAL_PCT


async def _sample(chaos: ChaosStack, samples: list[Sample], t0: float, until: float) -> None:
    pids = app_processes(chaos)
    while time.monotonic() < until:
        samples.append(Sample(time.monotonic() - t0, {p: rss_kib(p) for p in pids}))
        await asyncio.sleep(SAMPLE_EVERY_S)


def summarise(report: SoakReport, result: LoadResult, samples: list[Sample]) -> None:
    failed = result.failed()
    report.requests, report.errors = len(result.outcomes), len(failed)
    report.statuses = result.summary()["statuses"]
    after = [s.total for s in samples if s.at_s >= report.warmup_s]
    # The median of the first few samples after warm-up against that of the last few:
    # single samples are noisy (a request's buffers come and go).
    window = max(1, min(3, len(after) // 3))
    report.rss_after_warmup_kib = int(statistics.median(after[:window])) if after else 0
    report.rss_end_kib = int(statistics.median(after[-window:])) if after else 0
    if report.rss_after_warmup_kib:
        growth = report.rss_end_kib / report.rss_after_warmup_kib - 1
        report.rss_growth_pct = round(100 * growth, 2)
    report.samples = [{"at_s": round(s.at_s, 1), "rss_kib": s.total} for s in samples]


def markdown(report: SoakReport) -> str:
    verdict = "PASS" if report.passed else "FAIL"
    return "\n".join(
        [
            f"# Soak {report.started_at} — {verdict}",
            "",
            "| metric | value | goal |",
            "|---|---|---|",
            f"| duration | {report.duration_s:.0f} s (warm-up {report.warmup_s:.0f} s) | |",
            f"| requests | {report.requests} at {report.rate_per_s:g}/s | |",
            f"| errors | {report.errors} | 0 |",
            f"| app RSS after warm-up | {report.rss_after_warmup_kib / 1024:.1f} MiB | |",
            f"| app RSS at the end | {report.rss_end_kib / 1024:.1f} MiB | |",
            f"| RSS growth | {report.rss_growth_pct:+.2f} % | < {RSS_GOAL_PCT:g} % |",
            "",
            f"Statuses: {json.dumps(report.statuses)}",
            "",
        ]
    )


async def soak(chaos: ChaosStack, duration_s: float, rate: float) -> SoakReport:
    warmup = min(60.0, duration_s / 4)
    report = SoakReport(datetime.now(UTC).isoformat(timespec="seconds"), duration_s, warmup, rate)
    samples: list[Sample] = []
    t0 = time.monotonic()
    sampler = asyncio.create_task(_sample(chaos, samples, t0, t0 + duration_s))
    result = await run_load(
        chaos.http,
        mixed_calls(write_every=5),
        count=int(duration_s * rate),
        rate_per_s=rate,
        time_cap_s=duration_s,
        concurrency=32,
    )
    await sampler
    summarise(report, result, samples)
    return report


def write(report: SoakReport) -> tuple[Path, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = report.started_at.replace(":", "").replace("-", "")
    data = OUT / f"soak-{stamp}.json"
    text = OUT / f"soak-{stamp}.md"
    data.write_text(json.dumps({**asdict(report), "passed": report.passed}, indent=2))
    text.write_text(markdown(report))
    return data, text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=600, help="seconds of load (600)")
    parser.add_argument("--rate", type=float, default=25, help="requests per second (25)")
    args = parser.parse_args(argv)
    if not 10 <= args.duration <= 3600 or not 0 < args.rate <= 200:
        parser.error("--duration must be 10..3600 s and --rate 0..200 per second")
    provider = FakeMercadoPago()  # never started: the soak's traffic makes no payments
    print(f"starting a throw-away stack for a {args.duration:.0f} s soak…", file=sys.stderr)
    running = stack_module.start("--slots", "blue,green")
    try:
        chaos = ChaosStack(running, provider)
        chaos.wait_both_slots_up()
        report = asyncio.run(soak(chaos, args.duration, args.rate))
    finally:
        stack_module.stop_and_remove(running.env, running.state)
    data, text = write(report)
    print(markdown(report))
    print(f"written: {data.relative_to(ROOT)} {text.relative_to(ROOT)}", file=sys.stderr)
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
