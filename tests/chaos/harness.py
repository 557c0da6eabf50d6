"""The throw-away stack a chaos scenario breaks, and the report every scenario writes.

Faults go through the same doors an operator (or a crash) would use: supervisord for stop,
start and signals, `kill -9` on a process id, HAProxy's runtime API to watch the servers.
"""

from __future__ import annotations

import json
import os
import signal
import time
import xmlrpc.client
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from supervisor.xmlrpc import SupervisorTransport  # type: ignore[import-untyped]

from fixiactl.stack.health import haproxy_command
from tests.chaos.fake_mercadopago import FakeMercadoPago
from tests.chaos.load import LoadResult
from tests.stack import ROOT, RunningStack

REPORT_DIR = ROOT / "var" / "chaos"
# HAProxy's `show servers state` operational states.
SERVER_UP = "2"


@dataclass
class ChaosStack:
    stack: RunningStack
    provider: FakeMercadoPago

    @property
    def http(self) -> str:
        return self.stack.http

    @property
    def outbox(self) -> Path:
        return self.stack.state / "outbox"

    def _supervisor(self) -> xmlrpc.client.ServerProxy:
        # In process, not through `fixiactl stack stop|start`: on two busy cores a CLI call
        # costs seconds, and the drill's timing is the point. Same XML-RPC, same effects.
        transport = SupervisorTransport(None, None, f"unix://{self.stack.state}/supervisor.sock")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def states(self) -> dict[str, tuple[str, int]]:
        with self._supervisor() as rpc:
            infos = rpc.supervisor.getAllProcessInfo()
        return {i["name"]: (i["statename"], int(i["pid"])) for i in infos}

    def pid(self, component: str) -> int:
        return self.states()[component][1]

    def stop(self, component: str) -> None:
        """supervisord sends the program's stop signal (TERM for the app, INT for
        PostgreSQL) and waits for the exit, as `fixiactl stack stop` does."""
        with self._supervisor() as rpc:
            rpc.supervisor.stopProcess(component, True)

    def start(self, component: str) -> None:
        with self._supervisor() as rpc:
            rpc.supervisor.startProcess(component, True)

    def start_stopped(self) -> None:
        for name, (state, _) in self.states().items():
            if state != "RUNNING":
                self.start(name)

    def kill9(self, component: str) -> int:
        pid = self.pid(component)
        os.kill(pid, signal.SIGKILL)
        return pid

    def server_states(self) -> dict[str, str]:
        text = haproxy_command(
            self.stack.state / "haproxy" / "admin.sock", "show servers state be_app"
        )
        rows = [line.split() for line in text.splitlines() if line.startswith("3 be_app")]
        return {row[3]: row[5] for row in rows}

    def wait_until(self, what: str, check: Any, timeout_s: float, every_s: float = 0.2) -> float:
        """Poll `check` until true; returns the seconds it took, fails after `timeout_s`."""
        start = time.monotonic()
        while not check():
            if time.monotonic() - start > timeout_s:
                raise AssertionError(f"{what}: not within {timeout_s} s")
            time.sleep(every_s)
        return time.monotonic() - start

    def wait_both_slots_up(self, timeout_s: float = 60) -> None:
        self.wait_until(
            "both slots UP in HAProxy",
            lambda: self.server_states() == {"blue": SERVER_UP, "green": SERVER_UP},
            timeout_s,
        )

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.http}/readyz", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    async def existing_emails(self, emails: list[str]) -> set[str]:
        """Straight to PostgreSQL (not through the app): the ground truth for lost writes."""
        conn = await asyncpg.connect(self.stack.database_url.replace("+asyncpg", ""))
        try:
            rows = await conn.fetch("select email from users where email = any($1)", emails)
        finally:
            await conn.close()
        return {r["email"] for r in rows}

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.stack.database_url.replace("+asyncpg", ""))
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()


@dataclass
class ScenarioReport:
    scenario: str
    sent: int
    failed: int
    refused: int
    writes_acknowledged: int
    writes_lost: int
    details: dict[str, Any] = field(default_factory=dict)


REPORTS: list[ScenarioReport] = []


async def lost_writes(chaos: ChaosStack, load: LoadResult) -> list[str]:
    acknowledged = load.acknowledged_writes()
    present = await chaos.existing_emails(acknowledged) if acknowledged else set()
    return [email for email in acknowledged if email not in present]


def record(report: ScenarioReport) -> ScenarioReport:
    REPORTS.append(report)
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    path = REPORT_DIR / f"{report.scenario}.json"
    path.write_text(json.dumps(asdict(report), indent=2, default=str))
    return report


def write_summary() -> Path | None:
    if not REPORTS:
        return None
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    path = REPORT_DIR / "report.json"
    path.write_text(json.dumps([asdict(r) for r in REPORTS], indent=2, default=str))
    return path


def table() -> list[str]:
    head = f"{'scenario':<22}{'sent':>6}{'failed':>8}{'refused':>9}{'acked':>7}{'lost':>6}"
    lines = [head, "-" * len(head)]
    for r in REPORTS:
        lines.append(
            f"{r.scenario:<22}{r.sent:>6}{r.failed:>8}{r.refused:>9}"
            f"{r.writes_acknowledged:>7}{r.writes_lost:>6}"
        )
    return lines
