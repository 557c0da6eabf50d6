"""`ha-reaper`: releases a dead leader's lock at once instead of after Patroni's ttl.

Patroni 4.1 clamps `ttl` to at least 20 s (a `ttl: 10` is silently raised), so after the
leader's machine is lost the standbys wait up to 20 s for its lock to expire before one of
them may promote. On this stack every member runs on one host, where a *refused* TCP
connection proves that no process listens: when the lock holder's Patroni REST port and
its PostgreSQL port both refuse, a few probes in a row, the leader is dead, not slow. Then
the reaper deletes the leader key in etcd, in a transaction that only succeeds if the key
still names that member at the same revision, so a lock taken since is never touched.
The standbys watch that key and race at once; Patroni's own rules (only the synchronous
standby may promote in synchronous_mode) still choose the winner.

Fencing is unchanged: a frozen or overloaded leader still accepts connections (the kernel
completes the handshake), so it is never reaped; it keeps its lock until Patroni's ttl, as
before. A leader whose Patroni alone died keeps PostgreSQL listening: not reaped either.
Across hosts "refused" proves nothing about a partitioned machine; there this shortcut
needs a fencing agent (STONITH) and must not be used as is (docs/operations/ha.md).
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

log = logging.getLogger("fixiactl.reaper")
EVERY_S = 0.25
CONFIRMATIONS = 3  # refused this many probes in a row (about 0.5 s)


@dataclass(frozen=True)
class Lock:
    member: str
    mod_revision: str


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class Etcd:
    """The v3 JSON gateway of whichever etcd member answers."""

    def __init__(self, ports: list[int], key: str) -> None:
        self.urls = [f"http://127.0.0.1:{p}/v3" for p in ports]
        self.key = key

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        for url in self.urls:
            try:
                resp = httpx.post(url + path, json=body, timeout=1)
            except httpx.HTTPError:
                continue
            if resp.status_code == 200:
                return dict(resp.json())
        return None

    def leader(self) -> Lock | None:
        found = self._post("/kv/range", {"key": _b64(self.key)})
        kvs = (found or {}).get("kvs") or []
        if not kvs:
            return None
        value = base64.b64decode(kvs[0]["value"]).decode()
        return Lock(value, str(kvs[0]["mod_revision"]))

    def release(self, lock: Lock) -> bool:
        """Delete the key only if it still is `lock` (same holder, same revision)."""
        key = _b64(self.key)
        body = {
            "compare": [
                {"key": key, "target": "VALUE", "result": "EQUAL", "value": _b64(lock.member)},
                {"key": key, "target": "MOD", "result": "EQUAL", "mod_revision": lock.mod_revision},
            ],
            "success": [{"request_delete_range": {"key": key}}],
        }
        done = self._post("/kv/txn", body)
        return bool(done and done.get("succeeded"))


def refused(port: int) -> bool:
    """True only when nothing listens (ECONNREFUSED); a timeout or a reset proves nothing."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def dead(ports: tuple[int, int]) -> bool:
    return all(refused(p) for p in ports)


def watch(etcd: Etcd, members: dict[str, tuple[int, int]], *, rounds: int | None = None) -> None:
    """Poll forever (or `rounds` times): release the lock of a leader that is confirmed dead."""
    strikes: dict[Lock, int] = {}
    n = 0
    while rounds is None or n < rounds:
        n += 1
        time.sleep(EVERY_S)
        lock = etcd.leader()
        if lock is None or lock.member not in members:
            strikes.clear()
            continue
        strikes = {lock: strikes.get(lock, 0) + 1} if dead(members[lock.member]) else {}
        if strikes.get(lock, 0) >= CONFIRMATIONS:
            released = etcd.release(lock)
            log.warning("leader %s is dead (REST and PostgreSQL refuse): lock released=%s",
                        lock.member, released)  # fmt: skip
            strikes.clear()


def main(argv: list[str]) -> None:
    """`python -m fixiactl.stack.reaper STATE_DIR`: the stack's ports from its stack.json."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line every poll otherwise
    state = Path(argv[0])
    data = json.loads((state / "stack.json").read_text())
    ports, scope = data["ports"], argv[1]
    from fixiactl.stack.ha import MEMBERS

    etcd = Etcd([ports[f"etcd{i}"] for i in range(MEMBERS)], f"/fixia/{scope}/leader")
    members = {f"pg{i}": (ports[f"patroni{i}"], ports[f"pg{i}"]) for i in range(MEMBERS)}
    log.info("watching %s's leader lock", scope)
    watch(etcd, members)


if __name__ == "__main__":
    main(sys.argv[1:])
