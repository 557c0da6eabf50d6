"""The deploy's routing modes on a real stack (HAProxy's routing map and mirror.lua, issue #29):
header and cookie canaries, sticky assignment, mirrored GETs before the first step, and a
deploy that pauses instead of aborting. Each test runs one deploy in a thread under light
loopback load and asserts counts of what clients were answered while it ran."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from fixiactl.stack.health import haproxy_command
from tests.acceptance.delivery.conftest import Ctl, wait_for, why
from tests.acceptance.delivery.load import Load

LIGHT = {"connections": 4, "delay_ms": 50}


class Deploy(threading.Thread):
    """`fixiactl deploy` in the background; its result once joined."""

    def __init__(self, ctl: Ctl, release: str, *args: str) -> None:
        super().__init__(daemon=True)
        self.ctl, self.release, self.args = ctl, release, args
        self.code, self.data, self.err = -1, {}, ""
        self.since = time.time()

    def run(self) -> None:
        self.code, self.data, self.err = self.ctl.deploy(self.release, *self.args)

    def finish(self, timeout_s: float = 400) -> dict[str, Any]:
        self.join(timeout_s)
        assert not self.is_alive(), "the deploy did not end in time"
        return self.data

    def event(self, kind: str) -> dict[str, Any] | None:
        """This deploy's latest `kind` event, once it is in the journal."""
        if not (self.ctl.state / "deploy" / "deploys.jsonl").exists():
            return None  # a fresh stack: no deploy has written yet
        found = [
            e for e in self.ctl.events() if e["event"] == kind and float(str(e["ts"])) >= self.since
        ]
        return found[-1] if found else None

    def shifted_to(self, weight: int) -> dict[str, Any] | None:
        started = self.event("started")
        if started is None:
            return None
        shifts = [
            r
            for r in self.ctl.records(str(started["deploy_id"]))
            if r["kind"] == "shift" and r["weight"] == weight
        ]
        return shifts[0] if shifts else None


@contextmanager
def deploying(ctl: Ctl, release: str, *args: str) -> Iterator[Deploy]:
    with Load(ctl.http, max_s=400, **LIGHT) as load:
        time.sleep(2)
        deploy = Deploy(ctl, release, *args)
        deploy.start()
        try:
            yield deploy
            deploy.finish()
        finally:
            deploy.join(400)
            load.stop()


def served_by(client: httpx.Client, ctl: Ctl, **kwargs: Any) -> str:
    r = client.get(f"{ctl.http}/healthz", **kwargs)
    assert r.status_code == 200, r.text
    return str(r.json()["release"])


def live(ctl: Ctl) -> str:
    with httpx.Client(timeout=10) as client:
        return served_by(client, ctl)


def routing_map(ctl: Ctl) -> dict[str, str]:
    out = haproxy_command(
        ctl.state / "haproxy" / "admin.sock", f"show map {ctl.state}/haproxy/routing.map"
    )
    return {line.split()[1]: line.split()[2] for line in out.splitlines() if line.strip()}


def test_header_cookie_and_sticky_routing_during_a_canary(ctl: Ctl, build: Any) -> None:
    new = build(commit="routing acceptance: a release to route to")
    old = live(ctl)
    assert new != old
    with deploying(ctl, new, "--steps", "5,100", "--hold", "40", "--sticky") as deploy:
        step = wait_for(lambda: deploy.shifted_to(5), 240)
        assert routing_map(ctl)["canary"] in ("blue", "green")
        with httpx.Client(timeout=10) as staff, httpx.Client(timeout=10) as anyone:
            # 40 requests with the header, 40 with the cookie: every one on the canary.
            by_header = [served_by(staff, ctl, headers={"X-Fixia-Canary": "always"})
                         for _ in range(40)]  # fmt: skip
            staff.cookies.set("fixia_canary", "always")
            by_cookie = [served_by(staff, ctl) for _ in range(40)]
            # Without either (and no pin), the weights decide: mostly the stable slot at 5 %.
            plain = []
            for _ in range(40):
                anyone.cookies.clear()
                plain.append(served_by(anyone, ctl))
        assert by_header.count(new) == 40 and by_cookie.count(new) == 40
        assert plain.count(old) >= 20
        # Sticky: 20 users request until the canary first answers them (bounded), then 20
        # more each: none is switched back to the old release.
        pinned, switched_back = 0, 0
        for _ in range(20):
            with httpx.Client(timeout=10) as user:
                for _ in range(150):
                    if served_by(user, ctl) == new:
                        break
                else:
                    continue
                pinned += 1
                switched_back += sum(served_by(user, ctl) != new for _ in range(20))
        checked_at = time.time()
        assert pinned >= 10, f"only {pinned} of 20 users reached the canary at 5 %"
        assert switched_back == 0
    data = deploy.data
    assert deploy.code == 0 and data["result"] == "promoted", why(data, deploy.err)
    # All of it happened at the 5 % step, before the shift to 100 %.
    full = [r for r in ctl.records(str(data["deploy_id"])) if r["kind"] == "shift"]
    assert [r["weight"] for r in full] == [5, 100] and full[1]["ts"] > checked_at > step["ts"]
    # Every mode is off again once the deploy is over.
    assert routing_map(ctl) == {"canary": "none", "sticky": "off", "mirror": "off"}


def _watch(ctl: Ctl, stop: threading.Event, seen: list[tuple[float, str]]) -> None:
    """What a client is answered, and when, until told to stop (bounded in count)."""
    with httpx.Client(timeout=10) as client:
        while not stop.is_set() and len(seen) < 5000:
            at = time.time()
            r = client.get(f"{ctl.http}/healthz")
            seen.append((at, str(r.json()["release"]) if r.status_code == 200 else str(r)))
            time.sleep(0.05)


def test_mirrored_gets_reach_the_new_slot_before_any_client_does(ctl: Ctl, build: Any) -> None:
    new = build(commit="routing acceptance: a release to mirror to")
    bad = build("error_rate=0.15", "skip_first=20")
    old = live(ctl)
    # A healthy release: M mirrored GETs answered and discarded, then its steps.
    seen: list[tuple[float, str]] = []
    stop = threading.Event()
    with deploying(ctl, new, "--mirror", "8", "--steps", "50,100", "--hold", "5") as deploy:
        watcher = threading.Thread(target=_watch, args=(ctl, stop, seen), daemon=True)
        watcher.start()
        shift = wait_for(lambda: deploy.shifted_to(50), 240)
        stop.set()
        watcher.join(30)
    data = deploy.data
    assert deploy.code == 0 and data["result"] == "promoted", why(data, deploy.err)
    mirror = data["mirror"]
    assert mirror["answered"] >= 50 and mirror["errors"] == 0 and mirror["failed"] == 0
    # No client was answered by the new release while it was mirrored to: every request sent
    # before the mirror stopped (the weights change only after that) got the old release.
    records = ctl.records(str(data["deploy_id"]))
    stopped = next(r for r in records if r["kind"] == "mirror" and r["on"] is False)
    assert stopped["ts"] < shift["ts"]
    before = [release for at, release in seen if at < stopped["ts"]]
    assert before.count(old) >= 50 and new not in before, set(before)

    # A release failing GETs: rolled back on mirrored traffic alone, no client answered by it.
    seen.clear()
    stop.clear()
    with deploying(ctl, bad, "--mirror", "20", "--steps", "50,100") as deploy:
        watcher = threading.Thread(target=_watch, args=(ctl, stop, seen), daemon=True)
        watcher.start()
        deploy.finish()
        stop.set()
        watcher.join(30)
    data = deploy.data
    assert data["result"] == "rolled_back" and data["step"] == 0, why(data, deploy.err)
    assert data["mirror"]["errors"] > 0 and data["mirror"]["verdict"] == "FAIL"
    assert seen and bad not in {release for _, release in seen}
    records = ctl.records(str(data["deploy_id"]))
    assert not [r for r in records if r["kind"] == "shift"]  # it never got a weight
    assert routing_map(ctl)["mirror"] == "off"


def test_a_failing_canary_pauses_and_waits_for_resume_then_abort(ctl: Ctl, build: Any) -> None:
    bad = build("error_rate=0.15", "skip_first=20")
    old = live(ctl)
    args = ("--steps", "50,100", "--on-failure", "pause", "--pause-timeout", "120")
    with deploying(ctl, bad, *args) as deploy:
        paused = wait_for(lambda: deploy.event("paused"), 240)
        deploy_id = str(paused["deploy_id"])
        # Paused: the stable slot answers everyone, the new slot still runs, nothing ended.
        with httpx.Client(timeout=10) as client:
            answers = [served_by(client, ctl) for _ in range(40)]
        assert answers.count(old) == 40
        status = ctl.run("stack", "status", "--env", ctl.env, "--json")
        states = {c["name"]: c["state"] for c in json.loads(status.stdout)}
        assert sum(states[f"app-{s}"] == "RUNNING" for s in ("blue", "green")) == 2, states
        assert deploy.is_alive()
        # Resume measures the step again: it fails again and pauses a second time.
        resumed = ctl.run("deploy", "resume", deploy_id, "--env", ctl.env, "--json")
        assert resumed.returncode == 0, resumed.stderr
        wait_for(lambda: len(_events(ctl, deploy_id, "paused")) == 2, 240)
        aborted = ctl.run("deploy", "abort", deploy_id, "--env", ctl.env, "--json")
        assert aborted.returncode == 0, aborted.stderr
        data = deploy.finish()
    assert data["result"] == "rolled_back", why(data, deploy.err)
    assert [p["action"] for p in data["pauses"]] == ["resume", "abort"]
    assert data["reasons"][-1] == "aborted by the operator"
    kinds = [e["event"] for e in ctl.events() if e["deploy_id"] == deploy_id]
    assert kinds == ["started", "paused", "resumed", "paused", "aborted", "rolled_back"]
    # A deploy that is no longer paused takes no answer.
    late = ctl.run("deploy", "resume", deploy_id, "--env", ctl.env, "--json")
    assert late.returncode != 0 and "not paused" in late.stdout + late.stderr
    assert live(ctl) == old


def _events(ctl: Ctl, deploy_id: str, kind: str) -> list[dict[str, object]]:
    return [e for e in ctl.events() if e["deploy_id"] == deploy_id and e["event"] == kind]
