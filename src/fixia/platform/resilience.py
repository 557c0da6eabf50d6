"""Retries with exponential backoff and a circuit breaker for calls to external systems.

The retry loop is tenacity's; the breaker is ours because it exports its state as a gauge and
hands callers a Retry-After. Both take their clock, sleep and jitter as arguments, so tests
drive time instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    before_sleep_log,
    retry_if_exception_type,
    stop_after_attempt,
)

from fixia.observability.metrics import CIRCUIT_BREAKER_STATE

log = logging.getLogger("fixia.resilience")
T = TypeVar("T")
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class BreakerState(enum.StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half_open"


STATE_VALUE = {BreakerState.closed: 0, BreakerState.half_open: 1, BreakerState.open: 2}


class CircuitOpenError(Exception):
    """The breaker refuses calls: the dependency failed too often and gets time to recover."""

    def __init__(self, name: str, retry_after_s: float) -> None:
        super().__init__(f"circuit {name!r} is open; retry in {retry_after_s:.1f}s")
        self.name = name
        self.retry_after_s = retry_after_s

    @property
    def retry_after(self) -> int:
        """Whole seconds for a Retry-After header (at least 1)."""
        return max(1, math.ceil(self.retry_after_s))


class CircuitBreaker:
    """Closed -> open after `failure_threshold` consecutive failures; after `reset_timeout_s`
    one trial call is let through (half-open): success closes the circuit, failure re-opens it.

    Only exceptions in `failure_types` count: a 4xx answer means the dependency is up.
    """

    def __init__(
        self,
        *,
        name: str,
        failure_threshold: int,
        reset_timeout_s: float,
        failure_types: tuple[type[BaseException], ...] = (Exception,),
        clock: Clock = time.monotonic,
    ) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout_s = reset_timeout_s
        self.failure_types = failure_types
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False
        self.publish()

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.closed
        if self._clock() - self._opened_at >= self.reset_timeout_s:
            return BreakerState.half_open
        return BreakerState.open

    def publish(self) -> None:
        """Export the state as the fixia_circuit_breaker_state gauge."""
        CIRCUIT_BREAKER_STATE.labels(self.name).set(STATE_VALUE[self.state])

    def _admit(self) -> None:
        state = self.state
        self.publish()
        if state is BreakerState.closed:
            return
        assert self._opened_at is not None
        remaining = self.reset_timeout_s - (self._clock() - self._opened_at)
        # Half-open lets exactly one caller probe; the rest wait as if still open.
        if state is BreakerState.open or self._trial_in_flight:
            raise CircuitOpenError(self.name, max(remaining, 1.0))
        self._trial_in_flight = True

    def _record_success(self) -> None:
        if self._opened_at is not None:
            log.info("circuit %s closed again", self.name)
        self._failures, self._opened_at, self._trial_in_flight = 0, None, False
        self.publish()

    def _record_failure(self) -> None:
        self._failures += 1
        was_trial, self._trial_in_flight = self._trial_in_flight, False
        if was_trial or self._failures >= self.failure_threshold:
            log.warning("circuit %s opened after %d failures", self.name, self._failures)
            self._opened_at = self._clock()
            self.publish()

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        self._admit()
        try:
            result = await fn()
        except self.failure_types:
            self._record_failure()
            raise
        except BaseException:
            # Not a dependency failure (e.g. a 4xx): release the probe slot without judging.
            self._trial_in_flight = False
            raise
        self._record_success()
        return result


def backoff_delays(
    attempts: int,
    *,
    base_delay_s: float,
    max_delay_s: float,
    jitter: Callable[[], float] = random.random,  # jitter, not security: S311 does not apply
) -> list[float]:
    """Delays before each retry: base * 2**n, capped, times a random factor in [0.5, 1) so
    that many clients failing together do not retry in lockstep."""
    return [_delay(n, base_delay_s, max_delay_s, jitter) for n in range(attempts - 1)]


def _delay(n: int, base_delay_s: float, max_delay_s: float, jitter: Callable[[], float]) -> float:
    return min(max_delay_s, base_delay_s * 2.0**n) * (0.5 + jitter() / 2)


async def retry_async(
    fn: Callable[[], Awaitable[T]],
    *,
    attempts: int,
    retry_on: tuple[type[BaseException], ...],
    base_delay_s: float = 0.2,
    max_delay_s: float = 2.0,
    sleep: Sleep = asyncio.sleep,
    jitter: Callable[[], float] = random.random,
) -> T:
    """Call `fn` up to `attempts` times. Use it only for safe calls: reads, or writes that
    carry an idempotency key, since a timed-out request may still have been applied."""

    def wait(state: RetryCallState) -> float:
        # tenacity runs the loop; the delays are backoff_delays' own.
        return _delay(int(state.attempt_number) - 1, base_delay_s, max_delay_s, jitter)

    retrying = AsyncRetrying(
        stop=stop_after_attempt(max(attempts, 1)),
        wait=wait,
        retry=retry_if_exception_type(retry_on),
        sleep=sleep,
        before_sleep=before_sleep_log(log, logging.INFO),
        reraise=True,  # the caller sees the dependency's own last error, not RetryError
    )
    return await retrying(fn)
