"""HAProxy's runtime API for traffic shifting: weights and drain, never a reload."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import time
from pathlib import Path

from fixiactl.deploy.protocols import MIRROR_BUCKETS, MirrorStats, ServerStat
from fixiactl.errors import FixiactlError
from fixiactl.stack.health import haproxy_command

BACKEND = "be_app"
# Server-Sent Events have their own backend (deploy/haproxy/haproxy.cfg.j2): weights and
# drain apply to both, so new streams follow traffic to the new slot.
STREAM_BACKEND = "be_stream"


__all__ = ["BACKEND", "STREAM_BACKEND", "Runtime", "ServerStat"]

OLD_STACK = "this stack's HAProxy predates the routing modes; re-render it: fixiactl stack up"


class Runtime:
    """The real `TrafficRouter` (fixiactl.deploy.protocols)."""

    def __init__(self, state: Path) -> None:
        self.socket = state / "haproxy" / "admin.sock"
        self.config = state / "haproxy" / "haproxy.cfg"
        # The routing modes' state (deploy/haproxy/routing.map.j2), read by be_app.
        self.routing_map = state / "haproxy" / "routing.map"
        self.stack_file = state / "stack.json"

    def _cmd(self, command: str) -> str:
        try:
            out = haproxy_command(self.socket, command)
        except OSError as exc:
            raise FixiactlError(
                f"HAProxy's runtime API is unreachable ({exc})",
                hint="is the stack up? fixiactl stack status",
            ) from exc
        if out.strip() and not command.startswith(("show", "get", "fixia")):
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

    def _set_map(self, key: str, value: str) -> None:
        if not self.routing_map.exists():
            raise FixiactlError("HAProxy has no routing map", hint=OLD_STACK)
        self._cmd(f"set map {self.routing_map} {key} {value}")

    def _known(self, slot: str) -> str:
        if slot not in self.stats():
            raise FixiactlError(f"HAProxy has no server {slot!r} in {BACKEND}")
        return slot

    def set_routing(self, canary: str | None, sticky: str | None) -> None:
        canary = canary and self._known(canary)
        # Sticky off first: a pin must never outlive the canary it names.
        if sticky is None:
            self._set_map("sticky", "off")
        self._set_map("canary", canary or "none")
        if sticky is not None:
            self._set_map("sticky", sticky)

    def set_mirror(self, slot: str | None) -> None:
        if slot is None:
            self._set_map("mirror", "off")
            return
        port = json.loads(self.stack_file.read_text())["ports"][self._known(slot)]
        self._set_map("mirror", f"127.0.0.1:{int(port)}")

    def mirror_stats(self) -> MirrorStats:
        """`fixia mirror` on the runtime API (deploy/haproxy/mirror.lua): key=value pairs."""
        out = self._cmd("fixia mirror")
        pairs = dict(p.split("=", 1) for p in out.split() if "=" in p)
        if "sent" not in pairs:
            raise FixiactlError("HAProxy has no mirror counters", hint=OLD_STACK)
        counts = [int(float(pairs.get(f"le_{le}", "0"))) for le in MIRROR_BUCKETS]
        buckets = {le: float(sum(counts[: i + 1])) for i, le in enumerate(MIRROR_BUCKETS)}
        buckets[float("inf")] = float(int(pairs["answered"]))
        return MirrorStats(
            sent=int(pairs["sent"]),
            answered=int(pairs["answered"]),
            errors=int(pairs["errors"]),
            failed=int(pairs["failed"]),
            skipped=int(pairs["skipped"]),
            buckets=buckets,
        )
