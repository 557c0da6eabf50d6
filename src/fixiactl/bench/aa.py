"""A/A deploys on a real stack (`fixiactl bench --aa N`): the same commit deployed over itself
with canary steps, under paced loopback load, N times. Any rollback is a false one.

Two releases of HEAD alternate (the checkout's `dev` and one built from a clean clone of
HEAD), so every deploy replaces a slot with the same code. While each deploy runs, both
slots' /metrics are read every half second and kept as a request stream
(fixiactl.bench.canary_streams): the recording the replay bench resamples.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from fixiactl.bench import canary_streams as cs
from fixiactl.bench.files import write_pair
from fixiactl.stack.config import ROOT, state_dir

Progress = Callable[[str], None]
FIXIACTL = str(Path(sys.executable).parent / "fixiactl")
PATHS = ("/api/v1/categories", "/api/v1/services?q=plomero", "/api/v1/services")
SAMPLE_S = 0.5


def _ctl(*args: str, releases: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIXIACTL_RELEASES_DIR": str(releases)}
    return subprocess.run(
        [FIXIACTL, *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip


class PacedLoad(threading.Thread):
    """`rps` GETs a second through HAProxy (loopback only), bounded by `max_s`."""

    def __init__(self, base: str, rps: float, max_s: float) -> None:
        super().__init__(daemon=True)
        assert base.startswith("http://127.0.0.1:")
        self.base, self.interval, self.max_s = base, 1 / rps, max_s
        self.stopped = threading.Event()
        self.sent = self.failed = 0

    def run(self) -> None:
        workers = [
            threading.Thread(target=self._worker, args=(i, 8), daemon=True) for i in range(8)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    def _worker(self, offset: int, count: int) -> None:
        client = httpx.Client(timeout=10)
        start, k = time.monotonic(), offset
        while not self.stopped.is_set() and time.monotonic() - start < self.max_s:
            due = start + k * self.interval
            time.sleep(max(0.0, due - time.monotonic()))
            try:
                code = client.get(self.base + PATHS[k % len(PATHS)]).status_code
            except httpx.HTTPError:
                code = 599
            self.sent += 1
            self.failed += code >= 500
            k += count
        client.close()


class Recorder(threading.Thread):
    """Both slots' cumulative per-route counters every SAMPLE_S, with their read time."""

    def __init__(self, ports: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.ports = ports
        self.stopped = threading.Event()
        self.rows: list[tuple[float, str, dict[str, list[float]]]] = []
        self.bounds: list[float] = []

    def run(self) -> None:
        client = httpx.Client(timeout=2)
        while not self.stopped.wait(SAMPLE_S):
            for slot, port in self.ports.items():
                try:
                    response = client.get(f"http://127.0.0.1:{port}/metrics")
                except httpx.HTTPError:
                    continue
                if response.status_code == 200:
                    routes, bounds = cs.cumulative(response.text)
                    self.bounds = bounds or self.bounds
                    self.rows.append((time.time(), slot, routes))
        client.close()


def _steps(
    rec: Recorder, journal: list[dict[str, Any]], canary: str, baseline: str
) -> list[cs.Step]:
    """Cut the recording at the deploy's weight changes (the journal's shift records)."""
    shifts = [(r["ts"], r["weight"]) for r in journal if r.get("kind") == "shift"]
    end = max([r["ts"] for r in journal], default=0.0)
    # (read time, time of the slot's previous read, slot, counts in between)
    deltas: list[tuple[float, float, str, cs.SlotSample]] = []
    last: dict[str, tuple[float, dict[str, list[float]]]] = {}
    for ts, slot, routes in rec.rows:
        previous_ts, previous = last.get(slot, (0.0, {}))
        deltas.append((ts, previous_ts, slot, cs.delta(routes, previous)))
        last[slot] = (ts, routes)
    steps: list[cs.Step] = []
    for i, (start, weight) in enumerate(shifts):
        stop = shifts[i + 1][0] if i + 1 < len(shifts) else end
        step, pending = cs.Step(weight), {}
        for ts, previous_ts, slot, d in deltas:
            # Only counts wholly after the shift: the engine's window opens with a read taken
            # after the weights changed (the last smoke requests must not count as canary).
            if not start <= previous_ts < ts <= stop:
                continue
            pending[slot] = d
            if canary in pending and (baseline in pending or weight == 100):
                step.samples.append(
                    cs.Sample(ts - start, pending.pop(canary), pending.pop(baseline, {}))
                )
        steps.append(step)
    return steps


def _build_release(releases: Path, work: Path, faults: tuple[str, ...], progress: Progress) -> str:
    """A release of HEAD from a clean clone (a release is exactly its git sha)."""
    sha = subprocess.check_output(["git", "-C", str(ROOT), "rev-parse", "HEAD"], text=True)
    clone = work / "src"
    if not clone.exists():
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=300)
        subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", sha.strip()], check=True)
    progress(f"building a release of {sha[:8]}" + (f" with {', '.join(faults)}" if faults else ""))
    args = [a for f in faults for a in ("--fault", f)]
    out = _ctl("release", "build", "--source", str(clone), "--json", *args, releases=releases)
    if out.returncode != 0:
        raise RuntimeError(f"release build failed: {out.stderr[-2000:]}")
    return str(json.loads(out.stdout)["id"])


def run(
    n: int,
    progress: Progress,
    *,
    steps: str = "5,10,25,50,100",
    hold_s: float = 15.0,
    rps: float = 50.0,
    faults: tuple[str, ...] = (),
) -> dict[str, Any]:
    """N A/A deploys on a throw-away stack; the outcomes and the recorded streams. With
    `faults`, N deploys of a release of HEAD built with them instead: each rollback is a
    detection, timed from the first weight shift."""
    env = f"test-delivery-aa{uuid.uuid4().hex[:4]}"
    work = Path(tempfile.mkdtemp(prefix="fixia-aa-"))
    releases = work / "releases"
    progress(f"starting stack {env}")
    up = _ctl("stack", "up", "--env", env, "--base-port", "0", "--json", releases=releases)
    state = state_dir(env)
    deploys: list[dict[str, Any]] = []
    recording = cs.Recording([], [], {"rps": rps, "steps": steps, "hold_s": hold_s})
    load: PacedLoad | None = None
    try:
        if up.returncode != 0:
            raise RuntimeError(f"stack up failed: {up.stderr[-2000:]}")
        ports = json.loads((state / "stack.json").read_text())["ports"]
        built = _build_release(releases, work, faults, progress)
        serving = "dev"
        load = PacedLoad(f"http://127.0.0.1:{ports['http']}", rps, max_s=3600)
        load.start()
        time.sleep(5)  # the serving slot warms before the first deploy
        for i in range(n):
            # The release not serving: after a rollback the same one is tried again.
            release = built if faults or serving == "dev" else "dev"
            deploy = _one(env, release, f"{i + 1}/{n}", ports, releases, recording, steps,
                          hold_s, progress)  # fmt: skip
            deploys.append(deploy)
            serving = release if deploy["result"] == "promoted" else serving
    finally:
        if load is not None:
            load.stopped.set()
            load.join(timeout=15)
        progress(f"stopping stack {env}")
        _ctl("stack", "down", "--env", env, releases=releases, timeout=300)
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    rolled_back = [d for d in deploys if d["result"] != "promoted"]
    detect = sorted(d["detect_s"] for d in rolled_back if d.get("detect_s") is not None)
    return {
        "env": env,
        "n": len(deploys),
        "rps": rps,
        "steps": steps,
        "hold_s": hold_s,
        "faults": list(faults),
        "rolled_back": len(rolled_back),
        "rollback_rate": len(rolled_back) / len(deploys) if deploys else None,
        "detect_s": {"median": statistics.median(detect), "max": detect[-1]} if detect else None,
        "load_requests": load.sent if load else 0,
        "load_failed": load.failed if load else 0,
        "deploys": deploys,
        "recording": recording,
    }


def _one(
    env: str,
    release: str,
    which: str,
    ports: dict[str, int],
    releases: Path,
    recording: cs.Recording,
    steps: str,
    hold_s: float,
    progress: Progress,
) -> dict[str, Any]:
    state = state_dir(env)
    rec = Recorder({"blue": ports["blue"], "green": ports["green"]})
    rec.start()
    progress(f"deploy {which}: {release}")
    t0 = time.monotonic()
    out = _ctl("deploy", release, "--env", env, "--json", "--steps", steps, "--hold", str(hold_s),
               "--yes", releases=releases)  # fmt: skip
    rec.stopped.set()
    rec.join(timeout=5)
    data = json.loads(out.stdout) if out.stdout.strip().startswith("{") else {}
    result = str(data.get("result") or "error")
    deploy_id = str(data.get("deploy_id", ""))
    journal_path = state / "deploy" / f"{deploy_id}.jsonl"
    journal = (
        [json.loads(x) for x in journal_path.read_text().splitlines()]
        if deploy_id and (journal_path.exists())
        else []
    )
    canary = str(data.get("slot") or _canary(journal) or "")
    baseline = "blue" if canary == "green" else "green"
    recording.bounds = rec.bounds or recording.bounds
    recording.deploys.append(
        {"deploy_id": deploy_id, "result": result, "steps": _steps(rec, journal, canary, baseline)}
    )
    progress(f"deploy {which}: {result} in {time.monotonic() - t0:.0f} s")
    return {
        "deploy_id": deploy_id,
        "release": release,
        "result": result,
        "reasons": data.get("reasons"),
        "step": data.get("step"),
        "duration_s": data.get("duration_s"),
        "failed_requests": data.get("failed_requests"),
        "detect_s": _detect_s(journal),
        "stderr": out.stderr[-500:] if result == "error" else "",
    }


def _detect_s(journal: list[dict[str, Any]]) -> float | None:
    """Seconds from the first weight shift to the rollback, from the journal's records."""
    shift = next((r["ts"] for r in journal if r.get("kind") == "shift"), None)
    back = next((r["ts"] for r in journal if r.get("kind") == "rollback"), None)
    return round(back - shift, 2) if shift is not None and back is not None else None


def _canary(journal: list[dict[str, Any]]) -> str | None:
    return next((str(r["slot"]) for r in journal if r.get("kind") == "shift"), None)


def write(report: dict[str, Any], out_dir: Path) -> dict[str, str]:
    """var/bench/aa.{json,md} and the recorded streams (aa-streams.json.gz); with faults,
    aa-fault.{json,md} and aa-fault-streams.json.gz."""
    out_dir.mkdir(parents=True, exist_ok=True)
    name = "aa-fault" if report["faults"] else "aa"
    streams = out_dir / f"{name}-streams.json.gz"
    cs.save(report["recording"], streams)
    plain = {k: v for k, v in report.items() if k != "recording"}
    return {**write_pair(out_dir, name, plain, markdown(plain)), "streams": str(streams)}


def markdown(report: dict[str, Any]) -> str:
    rate, n = report["rollback_rate"], report["n"]
    share = f" ({rate:.1%})" if rate is not None else ""
    if report["faults"]:
        what = f"{n} deploys of HEAD built with {', '.join(report['faults'])}"
        outcome = f"Rolled back (detected): **{report['rolled_back']} / {n}**{share}"
        if report["detect_s"]:
            outcome += (
                f", first shift to rollback median {report['detect_s']['median']:.1f} s, "
                f"max {report['detect_s']['max']:.1f} s"
            )
    else:
        what = f"{n} deploys of the same commit over itself"
        outcome = f"False rollbacks: **{report['rolled_back']} / {n}**{share}"
    lines = [
        "# Deploys on a real stack" + ("" if report["faults"] else " (A/A)"),
        "",
        f"{what}, steps {report['steps']} held {report['hold_s']:g} s, "
        f"~{report['rps']:g} RPS through HAProxy.",
        "",
        outcome,
        "",
        "| # | release | result | duration s | detect s | failed requests | reasons |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for i, d in enumerate(report["deploys"], 1):
        reasons = "; ".join(d.get("reasons") or []).replace("|", "/")
        lines.append(
            f"| {i} | {d['release']} | {d['result']} | {d.get('duration_s')} | "
            f"{d.get('detect_s') or ''} | {d.get('failed_requests')} | {reasons} |"
        )
    return "\n".join(lines) + "\n"
