"""An in-place restore on the HA stack, through Patroni.

Patroni owns the members' data directories: a data directory replaced under a running
Patroni is demoted, rewound or re-cloned from whichever member leads. So the restore stops
every Patroni (replicas first, so the leader never fails over), wipes the cluster's state
from etcd (`patronictl remove`; otherwise the old leader's optime would make Patroni refuse
a member that is now "behind"), and keeps every member's data directory aside. The target
is restored into member 0 and recovered there by a plain PostgreSQL that archives its new
timeline (the next restore crosses it), then stopped cleanly. Patroni, started on member 0
alone, initializes the cluster from that data (its documented path for an existing data
directory) and leads; members 1 and 2 start empty and clone it (pg_basebackup), so every
member is the restored state. Simpler than a custom `bootstrap.method` calling pgBackRest,
which would run only on a cluster that was never initialized and would need the target
rendered into every member's Patroni config.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fixiactl.backup import settings as backup_settings
from fixiactl.backup.driver import PgBackRest, RestoreTarget
from fixiactl.backup.restore import start_cluster
from fixiactl.backup.settings import BackupSettings
from fixiactl.errors import FixiactlError
from fixiactl.stack import ha, patroni
from fixiactl.stack.config import read_state, state_dir
from fixiactl.stack.postgres import chown_postgres
from fixiactl.stack.supervisor import Supervisor

Progress = Callable[[str], None]


def _stop_members(s: BackupSettings, supervisor: Supervisor) -> int:
    """Returns the member that led (0 when none did)."""
    leader = ha.leader_index(read_state(s.env))
    first = 0 if leader is None else leader
    for i in [i for i in range(len(s.ha_members)) if i != first] + [first]:
        supervisor.stop(f"patroni{i}")  # Patroni stops its PostgreSQL (a checkpoint)
    return first


def _start_members(s: BackupSettings, supervisor: Supervisor, first: int = 0) -> int:
    """`first` alone, then the others: it must initialize the cluster from its data
    before the empty members look for a leader to clone."""
    stack = read_state(s.env)
    supervisor.start(f"patroni{first}")
    leader = ha.wait_leader(stack, timeout_s=300)
    for i in range(len(s.ha_members)):
        if i != first:
            supervisor.start(f"patroni{i}")
    ha.wait_sync_standby(stack, timeout_s=300)
    return leader


def _set_aside(s: BackupSettings, stamp: str) -> list[tuple[Path, Path]]:
    moved = []
    for data in s.data_dirs:
        aside = data.with_name(f"data.before-restore-{stamp}")
        if data.exists():
            data.rename(aside)
            moved.append((data, aside))
        data.mkdir()
        chown_postgres(data)
        data.chmod(0o700)
    return moved


def _put_back(moved: list[tuple[Path, Path]]) -> None:
    for data, aside in moved:
        shutil.rmtree(data, ignore_errors=True)
        aside.rename(data)


def _recover(s: BackupSettings, target: RestoreTarget, repo: int, progress: Progress) -> None:
    data = s.data_dirs[0]
    progress(f"restoring {target.describe()} from repo{repo} into pg0")
    PgBackRest(s).restore(target, repo, data, in_place=True)
    progress("recovering pg0 without Patroni (its new timeline is archived)")
    cluster = start_cluster(
        data,
        s.ha_ports[0],
        env=backup_settings.cipher_env(s),
        archive_command=s.member_archive_command(0),
    )
    # pgBackRest's recovery settings and any ALTER SYSTEM: Patroni renders the rest.
    cluster.sql("alter system reset all")
    cluster.sql("checkpoint")
    cluster.stop()


def restore_in_place(
    env: str, target: RestoreTarget, repo: int, progress: Progress
) -> dict[str, Any]:
    """Replace the HA cluster's data with the target; old data directories are kept aside."""
    s = backup_settings.load(env)
    if not s.ha_members:
        raise FixiactlError(f"{env} is not an HA stack", hint="fixiactl restore --in-place")
    supervisor = Supervisor(state_dir(env))
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S}"
    progress("stopping Patroni on every member (replicas first)")
    old_leader = _stop_members(s, supervisor)
    progress("removing the cluster's state from etcd (patronictl remove)")
    patroni.remove_cluster(env)
    moved = _set_aside(s, stamp)
    try:
        _recover(s, target, repo, progress)
    except FixiactlError:
        # The old cluster, as it was: its leader first re-registers it from its data.
        _put_back(moved)
        _start_members(s, supervisor, old_leader)
        raise
    progress("starting Patroni: pg0 leads, pg1 and pg2 clone it")
    leader = _start_members(s, supervisor)
    return {
        "data_dir": str(s.data_dirs[leader]),
        "leader": f"pg{leader}",
        "previous_data_kept_at": [str(aside) for _, aside in moved],
        "target": target.describe(),
    }
