"""The circuit breaker and retry helpers, driven by a fake clock and a recording sleep."""

from __future__ import annotations

import pytest

from fixia.platform.resilience import (
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
    backoff_delays,
    retry_async,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Flaky:
    """Fails with `error` the first `failures` calls, then returns 'ok'."""

    def __init__(self, failures: int, error: type[Exception] = ConnectionError) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error(f"failure {self.calls}")
        return "ok"


def breaker(clock: Clock, threshold: int = 3, reset: float = 30.0) -> CircuitBreaker:
    return CircuitBreaker(
        name="test",
        failure_threshold=threshold,
        reset_timeout_s=reset,
        failure_types=(ConnectionError,),
        clock=clock,
    )


async def test_breaker_opens_after_threshold_and_stops_calling() -> None:
    clock = Clock()
    cb = breaker(clock)
    dependency = Flaky(failures=100)
    for _ in range(3):
        assert cb.state is BreakerState.closed
        with pytest.raises(ConnectionError):
            await cb.call(dependency)
    assert cb.state is BreakerState.open
    clock.now += 10
    with pytest.raises(CircuitOpenError) as info:
        await cb.call(dependency)
    assert dependency.calls == 3  # the open breaker did not touch the dependency
    assert info.value.retry_after == 20


async def test_breaker_half_open_success_closes() -> None:
    clock = Clock()
    cb = breaker(clock)
    dependency = Flaky(failures=3)
    for _ in range(3):
        with pytest.raises(ConnectionError):
            await cb.call(dependency)
    clock.now += 30
    assert cb.state is BreakerState.half_open
    assert await cb.call(dependency) == "ok"
    assert cb.state is BreakerState.closed
    # Closed again means the failure count starts over.
    failing = Flaky(failures=2)
    for _ in range(2):
        with pytest.raises(ConnectionError):
            await cb.call(failing)
    assert cb.state is BreakerState.closed


async def test_breaker_half_open_failure_reopens_for_a_full_period() -> None:
    clock = Clock()
    cb = breaker(clock)
    dependency = Flaky(failures=100)
    for _ in range(3):
        with pytest.raises(ConnectionError):
            await cb.call(dependency)
    clock.now += 31
    with pytest.raises(ConnectionError):
        await cb.call(dependency)  # the single probe fails
    assert cb.state is BreakerState.open
    clock.now += 29
    with pytest.raises(CircuitOpenError):
        await cb.call(dependency)
    assert dependency.calls == 4


async def test_breaker_lets_only_one_probe_through() -> None:
    clock = Clock()
    cb = breaker(clock, threshold=1)
    with pytest.raises(ConnectionError):
        await cb.call(Flaky(failures=1))
    clock.now += 30
    seen: list[str] = []

    async def slow_probe() -> str:
        # While the probe is in flight, a second caller is refused.
        with pytest.raises(CircuitOpenError):
            await cb.call(Flaky(failures=0))
        seen.append("probe")
        return "ok"

    assert await cb.call(slow_probe) == "ok"
    assert seen == ["probe"] and cb.state is BreakerState.closed


async def test_breaker_ignores_errors_that_are_not_dependency_failures() -> None:
    cb = breaker(Clock(), threshold=1)
    for _ in range(5):
        with pytest.raises(ValueError):
            await cb.call(Flaky(failures=1, error=ValueError))
    assert cb.state is BreakerState.closed


async def test_retry_backs_off_exponentially_then_succeeds() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    dependency = Flaky(failures=3)
    result = await retry_async(
        dependency,
        attempts=4,
        retry_on=(ConnectionError,),
        base_delay_s=0.1,
        max_delay_s=10,
        sleep=sleep,
        jitter=lambda: 1.0,
    )
    assert result == "ok" and dependency.calls == 4
    assert slept == pytest.approx([0.1, 0.2, 0.4])


async def test_retry_gives_up_and_raises_the_last_error() -> None:
    async def sleep(seconds: float) -> None:
        return None

    dependency = Flaky(failures=10)
    with pytest.raises(ConnectionError, match="failure 3"):
        await retry_async(dependency, attempts=3, retry_on=(ConnectionError,), sleep=sleep)
    assert dependency.calls == 3


async def test_retry_does_not_retry_other_errors() -> None:
    dependency = Flaky(failures=10, error=ValueError)
    with pytest.raises(ValueError):
        await retry_async(dependency, attempts=5, retry_on=(ConnectionError,))
    assert dependency.calls == 1


def test_backoff_is_capped_and_jittered() -> None:
    assert backoff_delays(6, base_delay_s=1, max_delay_s=5, jitter=lambda: 1.0) == [1, 2, 4, 5, 5]
    # With the smallest jitter every delay is halved, never zero.
    assert backoff_delays(3, base_delay_s=1, max_delay_s=5, jitter=lambda: 0.0) == [0.5, 1.0]
    assert backoff_delays(1, base_delay_s=1, max_delay_s=5) == []


def test_open_error_rounds_retry_after_up() -> None:
    assert CircuitOpenError("x", 0.2).retry_after == 1
    assert CircuitOpenError("x", 4.01).retry_after == 5
