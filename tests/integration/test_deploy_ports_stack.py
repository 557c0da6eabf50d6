"""The real HAProxy runtime API and supervisord keep the contract the deploy engine's fakes
keep (tests/unit/delivery/deploy_ports_contract.py)."""

from __future__ import annotations

import pytest

from fixiactl.deploy.haproxy import Runtime
from fixiactl.stack.supervisor import Supervisor
from tests.stack import RunningStack
from tests.unit.delivery.deploy_ports_contract import router_contract, supervisor_contract

pytestmark = pytest.mark.stack


def test_supervisord_keeps_the_contract(running_stack: RunningStack) -> None:
    supervisor_contract(Supervisor(running_stack.state))


def test_haproxy_keeps_the_contract(running_stack: RunningStack) -> None:
    router_contract(Runtime(running_stack.state))
