"""Rate limits with the `limits` library: Redis when configured, else in process.

Most rules fail open when Redis is unreachable (availability first). Rules listed in
`fail_closed` (login) fall back to an in-process window instead, so a Redis outage cannot
become an open door for password guessing.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from limits import RateLimitItem, RateLimitItemPerSecond, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from fixia.config import AuthSettings, RateLimitSettings
from fixia.errors import DomainError
from fixia.observability.metrics import RATELIMIT_REJECTIONS

log = logging.getLogger("fixia.ratelimit")


class RateLimited(DomainError):
    """Too many requests for this rule; retry after the given seconds."""

    status, code, title = 429, "rate_limited", "Too many requests"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_s: int
    degraded: bool = False


class RateLimiter:
    def __init__(self, settings: RateLimitSettings, redis_url: str | None) -> None:
        self.settings = settings
        self.rules: dict[str, RateLimitItem] = {k: parse(v) for k, v in settings.rules.items()}
        storage: Storage = (
            RedisStorage(
                f"async+{redis_url}",
                implementation="redispy",
                socket_timeout=0.2,
                socket_connect_timeout=0.2,
            )
            if redis_url
            else MemoryStorage()
        )
        self.primary = MovingWindowRateLimiter(storage)
        self.fallback = MovingWindowRateLimiter(MemoryStorage())
        self.rejections: dict[str, int] = {}

    async def _hit(
        self, limiter: MovingWindowRateLimiter, item: RateLimitItem, key: str
    ) -> Decision:
        if await limiter.hit(item, key):
            return Decision(True, 0)
        stats = await limiter.get_window_stats(item, key)
        return Decision(False, max(1, math.ceil(stats.reset_time - time.time())))

    async def check(self, rule: str, key: str) -> Decision:
        item = self.rules[rule]
        try:
            return await self._hit(self.primary, item, key)
        except Exception as exc:  # any storage failure: the limiter must not break requests
            log.warning("rate-limit storage unavailable for %s: %s", rule, exc)
            if rule in self.settings.fail_closed:
                decision = await self._hit(self.fallback, item, key)
                return Decision(decision.allowed, decision.retry_after_s, degraded=True)
            return Decision(True, 0, degraded=True)


def client_ip(request: Request) -> str:
    # uvicorn's proxy_headers already replaced the peer with X-Forwarded-For from HAProxy.
    return request.client.host if request.client else "unknown"


def rate_limit(rule: str) -> Callable[[Request], Coroutine[Any, Any, None]]:
    """A dependency enforcing `rule` per client IP."""

    async def check(request: Request) -> None:
        limiter: RateLimiter = request.app.state.ratelimiter
        if not limiter.settings.enabled:
            return
        decision = await limiter.check(rule, f"{rule}:{client_ip(request)}")
        if not decision.allowed:
            limiter.rejections[rule] = limiter.rejections.get(rule, 0) + 1
            RATELIMIT_REJECTIONS.labels(rule).inc()
            error = RateLimited(
                f"Too many requests; retry in {decision.retry_after_s} s.", rule=rule
            )
            error.headers["Retry-After"] = str(decision.retry_after_s)
            raise error

    return check


class LoginThrottle:
    """Failed log-ins per account, counted per (account, client IP) and per account overall.

    A throttled attempt gets the same 401 as a wrong password, and only the IP that failed
    is throttled for that account: an attacker cannot lock its owner out from elsewhere, nor
    learn that the account exists. The account-wide window (ten times as many failures) stops
    a guesser spreading over many addresses. Its storage is the rate limiter's; a storage
    outage falls back to in-process windows rather than letting guesses through.
    """

    def __init__(self, limiter: RateLimiter, auth: AuthSettings, ip: str) -> None:
        self.limiter, self.ip = limiter, ip
        self.per_ip = RateLimitItemPerSecond(auth.max_failed_logins, auth.lockout_s)
        self.per_account = RateLimitItemPerSecond(10 * auth.max_failed_logins, auth.lockout_s)

    def _windows(self, user_id: uuid.UUID) -> list[tuple[RateLimitItem, str]]:
        return [
            (self.per_ip, f"login-fail:{user_id}:{self.ip}"),
            (self.per_account, f"login-fail:{user_id}"),
        ]

    async def blocked(self, user_id: uuid.UUID) -> bool:
        for item, key in self._windows(user_id):
            if not await self._call("test", item, key):
                return True
        return False

    async def failed(self, user_id: uuid.UUID) -> bool:
        """Count a failure; True when it used up a window (the attempts that follow wait)."""
        for item, key in self._windows(user_id):
            await self._call("hit", item, key)
        return await self.blocked(user_id)

    async def succeeded(self, user_id: uuid.UUID) -> None:
        """The right password from this address: its own failures are forgiven."""
        item, key = self._windows(user_id)[0]
        await self._call("clear", item, key)

    async def _call(self, method: str, item: RateLimitItem, key: str) -> bool:
        try:
            return bool(await getattr(self.limiter.primary, method)(item, key))
        except Exception as exc:  # storage down: in-process windows, never fail open
            log.warning("login throttle storage unavailable: %s", exc)
            return bool(await getattr(self.limiter.fallback, method)(item, key))


async def login_throttle(request: Request) -> LoginThrottle:
    limiter: RateLimiter = request.app.state.ratelimiter
    return LoginThrottle(limiter, request.app.state.settings.auth, client_ip(request))
