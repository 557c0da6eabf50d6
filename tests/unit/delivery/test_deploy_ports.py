"""The in-memory fakes keep the contract the real HAProxy and supervisord keep (the same
checks run on a stack in tests/integration/test_deploy_ports_stack.py)."""

from __future__ import annotations

from fixiactl.deploy.fakes import FakeRouter, FakeSupervisor
from tests.unit.delivery.deploy_ports_contract import router_contract, supervisor_contract


def test_the_fake_supervisor_keeps_the_contract() -> None:
    supervisor_contract(FakeSupervisor())


def test_the_fake_router_keeps_the_contract() -> None:
    router_contract(FakeRouter(FakeSupervisor()))


def test_the_fake_router_sees_a_slot_up_only_while_its_app_runs() -> None:
    supervisor = FakeSupervisor()
    router = FakeRouter(supervisor)
    supervisor.start("app-green")
    assert router.wait_up("green", 0)
    supervisor.crash("app-green")
    assert router.stats()["green"].status == "DOWN"
    router.set_state("blue", "drain")
    assert router.stats()["blue"].status == "DRAIN"
