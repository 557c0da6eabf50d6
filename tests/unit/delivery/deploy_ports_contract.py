"""What every `TrafficRouter` and `ProcessSupervisor` must do, as the deploy engine relies on
it. Run on the in-memory fakes (tests/unit/delivery/test_deploy_ports.py) and on the real
HAProxy and supervisord of a stack (tests/integration/test_deploy_ports_stack.py), in a
stack where blue serves and green is stopped. Everything changed is put back."""

from __future__ import annotations

import pytest

from fixiactl.deploy.protocols import ProcessSupervisor, TrafficRouter
from fixiactl.errors import FixiactlError


def supervisor_contract(supervisor: ProcessSupervisor) -> None:
    assert supervisor.running()
    assert supervisor.info("app-blue")["statename"] == "RUNNING"
    assert supervisor.info("app-green")["statename"] != "RUNNING"
    supervisor.stop("app-green")  # stopping what is stopped is no error
    supervisor.stop("worker-blue")
    assert supervisor.info("worker-blue")["statename"] == "STOPPED"
    supervisor.stop("worker-blue")
    supervisor.start("worker-blue")
    assert supervisor.info("worker-blue")["statename"] == "RUNNING"
    supervisor.start("worker-blue")  # starting what runs is no error
    assert supervisor.info("worker-blue")["statename"] == "RUNNING"


def router_contract(router: TrafficRouter) -> None:
    stats = router.stats()
    assert {"blue", "green"} <= set(stats)
    assert stats["blue"].status.startswith("UP")
    assert not stats["green"].status.startswith("UP")
    assert router.wait_up("blue", 5.0)
    assert not router.wait_up("green", 0.5)
    assert router.wait_no_sessions("green", 1.0)
    assert router.check_config() is None

    before = stats["green"].weight
    router.set_weight("green", 7)
    assert router.stats()["green"].weight == 7
    router.set_weight("green", before)
    assert router.stats()["green"].weight == before
    router.set_state("green", "drain")
    router.set_state("green", "ready")

    with pytest.raises(FixiactlError):
        router.set_weight("purple", 1)
    with pytest.raises(FixiactlError):
        router.set_state("green", "sideways")

    # Routing modes: on and off again, an unknown slot refused; the mirror's counters only grow.
    mirrored = router.mirror_stats()
    assert mirrored.sent >= mirrored.answered >= mirrored.errors >= 0
    router.set_routing("green", "d-contract")
    router.set_routing(None, None)
    router.set_mirror("green")
    router.set_mirror(None)
    with pytest.raises(FixiactlError):
        router.set_routing("purple", None)
    with pytest.raises(FixiactlError):
        router.set_mirror("purple")
    later = router.mirror_stats()
    assert later.sent >= mirrored.sent and later.answered >= mirrored.answered

    requests, failed = router.front_door()
    assert requests >= failed >= 0
    again = router.front_door()
    assert again[0] >= requests and again[1] >= failed
