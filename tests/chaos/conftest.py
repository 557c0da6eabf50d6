"""One throw-away stack for the chaos suite: both app slots serving, the app's payment
provider pointed at a local fake MercadoPago, rate limiting on (with roomy limits, so the
limiter's Redis path is exercised without refusing the load)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from fixiactl.stack.config import state_dir
from tests import stack as stack_module
from tests.chaos import harness
from tests.chaos.fake_mercadopago import TOKEN, FakeMercadoPago

ROOMY = "10000/minute"
# Payments: a 1 s timeout, one retry, and a breaker that opens after 3 failed attempts and
# probes again after 4 s, so the drill sees every state within seconds.
PAYMENT_TIMEOUT_S = 1.0
BREAKER_RESET_S = 4.0


def app_settings(provider: FakeMercadoPago) -> dict[str, str]:
    rules = dict.fromkeys(("login", "register", "password", "verify", "proposals"), ROOMY)
    return {
        "FIXIA_PAYMENTS__PROVIDER": "mercadopago",
        "FIXIA_PAYMENTS__MERCADOPAGO_API_URL": provider.url,
        "FIXIA_PAYMENTS__MERCADOPAGO_ACCESS_TOKEN": TOKEN,
        "FIXIA_PAYMENTS__TIMEOUT_S": str(PAYMENT_TIMEOUT_S),
        "FIXIA_PAYMENTS__RETRIES": "1",
        "FIXIA_PAYMENTS__BREAKER_FAILURES": "3",
        "FIXIA_PAYMENTS__BREAKER_RESET_S": str(BREAKER_RESET_S),
        "FIXIA_RATELIMIT__ENABLED": "true",
        "FIXIA_RATELIMIT__RULES": json.dumps({**rules, "webhooks": ROOMY}, separators=(",", ":")),
    }


def _reused(env: str) -> Iterator[harness.ChaosStack]:
    """Development only: drive a stack started beforehand with `python -m tests.chaos.conftest`
    (CHAOS_STACK_ENV, CHAOS_MP_PORT); it is left running."""
    state = state_dir(env)
    data = json.loads((state / "stack.json").read_text())
    running = stack_module.RunningStack(
        env, state, data["ports"], data["db_password"], data.get("redis_password", "")
    )
    provider = FakeMercadoPago(int(os.environ["CHAOS_MP_PORT"]))
    provider.start()
    try:
        yield harness.ChaosStack(running, provider)
    finally:
        provider.stop()


def up_arguments(provider: FakeMercadoPago) -> list[str]:
    extra = ["--slots", "blue,green"]
    for key, value in app_settings(provider).items():
        extra += ["--app-env", f"{key}={value}"]
    return extra


def started(suite: str = "") -> Iterator[harness.ChaosStack]:
    """A chaos stack on deploy/environments/test-<suite>.toml (test.toml by default), both
    slots up; stopped and removed afterwards, even on failure."""
    provider = FakeMercadoPago()
    provider.start()
    try:
        running = stack_module.start(*up_arguments(provider), suite=suite)
        chaos = harness.ChaosStack(running, provider)
        try:
            chaos.wait_both_slots_up()
            yield chaos
        finally:
            stack_module.stop_and_remove(running.env, running.state)
    finally:
        provider.stop()


@pytest.fixture(scope="session")
def chaos() -> Iterator[harness.ChaosStack]:
    if reuse := os.environ.get("CHAOS_STACK_ENV"):
        yield from _reused(reuse)
        return
    yield from started()


@pytest.fixture
def healthy(chaos: harness.ChaosStack) -> Iterator[harness.ChaosStack]:
    """Every scenario starts, and must end, with the whole stack serving on both slots."""
    chaos.wait_both_slots_up()
    yield chaos
    chaos.start_stopped()
    chaos.wait_both_slots_up()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    path = harness.write_summary()
    if path is None:
        return
    terminalreporter.section("chaos scenarios")
    for line in harness.table():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"report: {os.path.relpath(path)}")


if __name__ == "__main__":
    # Print the `fixiactl stack up` arguments of a reusable chaos stack (see `_reused`).
    import shlex
    import sys

    fake = FakeMercadoPago(int(sys.argv[1]))
    print(shlex.join(up_arguments(fake)))
