"""HAProxy's runtime API for traffic shifting: weights and drain, never a reload."""

from __future__ import annotations

import csv
import io
import subprocess
import time
from pathlib import Path

from fixiactl.deploy.protocols import ServerStat
from fixiactl.errors import FixiactlError
from fixiactl.stack.health import haproxy_command

BACKEND = "be_app"
# Server-Sent Events have their own backend (deploy/haproxy/haproxy.cfg.j2): weights and
# drain apply to both, so new streams follow traffic to the new slot.
STREAM_BACKEND = "be_stream"


__all__ = ["BACKEND", "STREAM_BACKEND", "Runtime", "ServerStat"]


class Runtime:
    """The real `TrafficRouter` (fixiactl.deploy.protocols)."""

    def __init__(self, state: Path) -> None:
        self.socket = state / "haproxy" / "admin.sock"
        self.config = state / "haproxy" / "haproxy.cfg"

    def _cmd(self, command: str) -> str:
        try:
            out = haproxy_command(self.socket, command)
        except OSError as exc:
            raise FixiactlError(
                f"HAProxy's runtime API is unreachable ({exc})",
                hint="is the stack up? fixiactl stack status",
            ) from exc
        if out.strip() and not command.startswith(("show", "get")):
            raise FixiactlError(f"HAProxy refused {command!r}: {out.strip()}")
        return out

    def set_weight(self, slot: str, weight: int) -> None:
        for backend in (BACKEND, STREAM_BACKEND):
            self._cmd(f"set server {backend}/{slot} weight {int(weight)}")

    def set_state(self, slot: str, state: str) -> None:
        for backend in (BACKEND, STREAM_BACKEND):
            self._cmd(f"set server {backend}/{slot} state {state}")

    def _rows(self) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self._cmd("show stat").lstrip("# "))))

    def stats(self) -> dict[str, ServerStat]:
        result = {}
        for row in self._rows():
            if row.get("pxname") != BACKEND:
                continue
            result[row["svname"]] = ServerStat(
                name=row["svname"],
                status=row["status"],
                weight=int(row["weight"] or 0),
                sessions=int(row["scur"] or 0),
                total=int(row["stot"] or 0),
                hrsp_5xx=int(row["hrsp_5xx"] or 0),
                econ=int(row["econ"] or 0),
                eresp=int(row["eresp"] or 0),
            )
        return result

    def front_door(self) -> tuple[int, int]:
        """(requests, 5xx answers) as clients saw them: HAProxy answers 502/503 itself when a
        slot fails a request it could not retry, so this counts every failure a client saw."""
        for row in self._rows():
            if row.get("pxname") == "fe_http" and row.get("svname") == "FRONTEND":
                return int(row["req_tot"] or 0), int(row["hrsp_5xx"] or 0)
        raise FixiactlError("HAProxy has no fe_http frontend", hint="re-render: fixiactl stack up")

    def wait_up(self, slot: str, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.stats()[slot].status.startswith("UP"):
                return True
            time.sleep(0.2)
        return False

    def wait_no_sessions(self, slot: str, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.stats()[slot].sessions == 0:
                return True
            time.sleep(0.1)
        return False

    def check_config(self) -> str | None:
        result = subprocess.run(
            ["/usr/sbin/haproxy", "-c", "-q", "-f", str(self.config)],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        return None if result.returncode == 0 else result.stderr[-500:] or "invalid"
