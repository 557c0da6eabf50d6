"""`stack up --ha` renders: etcd and Patroni under supervisord, no stand-alone PostgreSQL,
HAProxy's database frontends checked by Patroni's REST API, synchronous_mode on."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator

import pytest
import yaml

from fixiactl.errors import FixiactlError
from fixiactl.stack import ha, patroni
from fixiactl.stack.config import load_env, load_or_create_state, state_dir
from fixiactl.stack.render import render_all


@pytest.fixture
def name() -> Iterator[str]:
    env = f"test-ha-{uuid.uuid4().hex[:6]}"
    yield env
    shutil.rmtree(state_dir(env), ignore_errors=True)


def test_ha_stack_renders_patroni_etcd_and_rest_checked_routes(name: str) -> None:
    config = load_env(name, base_port=0)  # deploy/environments/test-ha.toml: ha = true
    assert config.ha
    stack = load_or_create_state(config)
    render_all(config, stack, as_root=False)
    state = state_dir(name)
    supervisord = (state / "supervisord.conf").read_text()
    programs = ("etcd0", "etcd1", "etcd2", "patroni0", "patroni1", "patroni2", "haproxy-db")
    for program in (*programs, "ha-reaper"):
        assert f"[program:{program}]" in supervisord, program
    assert "[program:postgres]" not in supervisord
    front = (state / "haproxy" / "haproxy-db.cfg").read_text()
    assert f"bind 127.0.0.1:{stack.ports['postgres']}" in front
    assert "GET /primary" in front and "GET /replica" in front
    assert "on-marked-down shutdown-sessions" in front
    for i in range(ha.MEMBERS):
        assert f"check port {stack.ports[f'patroni{i}']}" in front
        member = yaml.safe_load((ha.member_dir(state, i) / "patroni.yml").read_text())
        assert member["bootstrap"]["dcs"]["synchronous_mode"] is True
        # Patroni raises a ttl below 20 to 20: the configured one is the one in force.
        assert member["bootstrap"]["dcs"]["ttl"] >= 20
        assert len(member["etcd3"]["hosts"]) == ha.MEMBERS
    # Remembered: a later render from a config without `ha` keeps the HA topology.
    plain = load_env("test", base_port=0)
    plain.name = name
    render_all(plain, stack, as_root=False)
    assert "[program:patroni0]" in (state / "supervisord.conf").read_text()


def test_single_host_stack_has_no_ha_programs(name: str) -> None:
    config = load_env(name, base_port=0)
    config.ha = False
    render_all(config, load_or_create_state(config), as_root=False)
    supervisord = (state_dir(name) / "supervisord.conf").read_text()
    assert "[program:postgres]" in supervisord and "patroni" not in supervisord


def test_db_commands_refuse_a_stack_without_ha(name: str) -> None:
    config = load_env(name, base_port=0)
    config.ha = False
    load_or_create_state(config)
    with pytest.raises(FixiactlError, match="does not run PostgreSQL under Patroni"):
        patroni.members(name)


def test_postgres_exporter_follows_the_leader_on_an_ha_stack(name: str) -> None:
    config = load_env(name, base_port=0)
    stack = load_or_create_state(config)
    dsn = ha.exporter_environment(config, stack)
    assert f"@127.0.0.1:{stack.ports['postgres']}/postgres" in dsn
    config.ha = False
    assert ha.exporter_environment(config, stack) == ""


def test_backups_on_an_ha_stack_name_every_member_and_archive_from_each(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fixiactl.backup import hooks as backup_hooks
    from fixiactl.backup import settings as backup_settings

    monkeypatch.setenv("FIXIACTL_BACKUP_ENABLED", "1")
    monkeypatch.delenv("FIXIACTL_BACKUP_WAL_STREAM", raising=False)
    config = load_env(name, base_port=0)
    stack = load_or_create_state(config)
    render_all(config, stack, as_root=False)
    s = backup_hooks.prepare(config, stack.ports["postgres"])
    assert s is not None and s.wal_stream == "off"  # the sync standby already gives RPO 0
    state = state_dir(name)
    conf = s.conf.read_text()
    assert "backup-standby=y" in conf
    supervisord = (state / "supervisord.conf").read_text()
    for i in range(ha.MEMBERS):
        data = ha.member_dir(state, i) / "data"
        assert f"pg{i + 1}-path={data}\n" in conf
        assert f"pg{i + 1}-port={stack.ports[f'pg{i}']}\n" in conf
        member = yaml.safe_load((ha.member_dir(state, i) / "patroni.yml").read_text())
        params = member["postgresql"]["parameters"]
        assert params["archive_mode"] == "on"
        # %p is resolved against pg1-path: each member names its own data directory.
        assert f"--pg1-path={data} " in params["archive_command"]
    patroni_block = supervisord.split("[program:patroni0]")[1].split("[program:")[0]
    assert "PGBACKREST_REPO1_CIPHER_PASS=" in patroni_block
    assert backup_settings.load(name).ha_ports == [stack.ports[f"pg{i}"] for i in range(3)]
    monkeypatch.setenv("FIXIACTL_BACKUP_WAL_STREAM", "async")
    with pytest.raises(FixiactlError, match="single-host"):
        backup_settings.resolve(config, stack.ports["postgres"])


class _Stops:
    def __init__(self) -> None:
        self.stopped: list[str] = []

    def stop(self, name: str) -> None:
        self.stopped.append(name)


@pytest.mark.parametrize(("leader", "order"), [(0, [1, 2, 0]), (2, [0, 1, 2]), (None, [0, 1, 2])])
def test_stack_down_stops_the_replicas_patroni_before_the_leaders(
    monkeypatch: pytest.MonkeyPatch, leader: int | None, order: list[int]
) -> None:
    """Stopped together, a replica takes the lock the stopping leader releases and promotes
    itself mid-shutdown; its Patroni can then be killed, leaving its PostgreSQL running."""
    monkeypatch.setattr(ha, "leader_index", lambda _stack: leader)
    stops = _Stops()
    assert ha.stop_members(None, stops) == order  # type: ignore[arg-type]
    assert stops.stopped == [f"patroni{i}" for i in order]
