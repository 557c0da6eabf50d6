"""The ha-reaper releases the lock of a leader that is dead (both its ports refuse), and
never that of a leader that still listens (frozen, slow or only its Patroni gone)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from fixiactl.stack import reaper
from fixiactl.stack.reaper import Lock


class FakeEtcd(reaper.Etcd):
    """The lock as etcd would hold it; release is compare-and-delete, as the real txn."""

    def __init__(self, lock: Lock | None) -> None:
        super().__init__([], "/fixia/x/leader")
        self.lock = lock
        self.released: list[Lock] = []

    def leader(self) -> Lock | None:
        return self.lock

    def release(self, lock: Lock) -> bool:
        if lock != self.lock:
            return False
        self.released.append(lock)
        self.lock = None
        return True


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reaper, "EVERY_S", 0.0)


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once closed


def test_a_dead_leaders_lock_is_released_after_confirmations() -> None:
    etcd = FakeEtcd(Lock("pg1", "13"))
    gone = (_closed_port(), _closed_port())
    reaper.watch(etcd, {"pg1": gone}, rounds=reaper.CONFIRMATIONS - 1)
    assert etcd.released == []
    reaper.watch(etcd, {"pg1": gone}, rounds=reaper.CONFIRMATIONS)
    assert etcd.released == [Lock("pg1", "13")]


def test_a_leader_whose_postgres_still_listens_keeps_its_lock(listening: int) -> None:
    """Patroni gone but PostgreSQL up (or a frozen process): undecidable, Patroni's ttl rules."""
    etcd = FakeEtcd(Lock("pg1", "13"))
    reaper.watch(etcd, {"pg1": (_closed_port(), listening)}, rounds=10)
    assert etcd.released == [] and etcd.lock == Lock("pg1", "13")


def test_a_new_lock_restarts_the_count() -> None:
    """Strikes count one lock: dead probes of pg1 then of pg2 are never summed."""
    locks = [Lock("pg1", "13")] * (reaper.CONFIRMATIONS - 1) + [Lock("pg2", "20")] * (
        reaper.CONFIRMATIONS - 1
    )
    etcd = FakeEtcd(None)
    etcd.leader = lambda: locks.pop(0) if locks else None  # type: ignore[method-assign]
    attempts: list[Lock] = []
    etcd.release = lambda lock: bool(attempts.append(lock)) or True  # type: ignore[method-assign]
    members = {"pg1": (_closed_port(), _closed_port()), "pg2": (_closed_port(), _closed_port())}
    reaper.watch(etcd, members, rounds=2 * (reaper.CONFIRMATIONS - 1))
    assert attempts == []


def test_refused_is_only_a_refusal(listening: int) -> None:
    assert reaper.refused(_closed_port())
    assert not reaper.refused(listening)
