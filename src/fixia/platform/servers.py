"""The HTTP server `fixia serve` runs: uvicorn or granian, chosen by a setting.

Both are given what a slot needs behind HAProxy's blue-green drains (docs/performance.md,
Server):

- graceful shutdown: on SIGTERM the server stops accepting, finishes in-flight requests
  and gives them `graceful_shutdown_s`; open SSE streams are told to reconnect at once
  (`streams.lifecycle.chain_sigterm`, installed over either server's worker handler);
- the forwarded client address: only from the peers in FORWARDED_ALLOW_IPS (default
  127.0.0.1, HAProxy), through uvicorn's own ProxyHeadersMiddleware on both servers, so the
  audit log and the rate limits see the same address whichever serves;
- no access log of the server's own: the app writes one JSON line per request
  (fixia.observability); the server's lines go through the root logger, JSON too;
- `workers` processes, a dead one replaced.
"""

from __future__ import annotations

import os
from typing import Literal

Server = Literal["uvicorn", "granian"]
# The app behind the forwarded-headers middleware (fixia.asgi); uvicorn applies it itself.
GRANIAN_TARGET = "fixia.asgi:proxied"
UVICORN_TARGET = "fixia.asgi:app"


def forwarded_allow_ips() -> str:
    """uvicorn's rule, for both servers: FORWARDED_ALLOW_IPS, else loopback only."""
    return os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def run(
    server: Server,
    *,
    host: str,
    port: int,
    workers: int,
    graceful_shutdown_s: int,
    healthcheck_timeout_s: int,
) -> None:
    if server == "granian":
        _granian(host, port, workers, graceful_shutdown_s)
    else:
        _uvicorn(host, port, workers, graceful_shutdown_s, healthcheck_timeout_s)


def _uvicorn(host: str, port: int, workers: int, graceful_s: int, healthcheck_s: int) -> None:
    import uvicorn

    uvicorn.run(
        UVICORN_TARGET,
        host=host,
        port=port,
        workers=workers,
        timeout_graceful_shutdown=graceful_s,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips(),
        log_level="info",
        log_config=None,
        access_log=False,
        timeout_worker_healthcheck=healthcheck_s,
    )


# granian configures logging again in each worker; its loggers then propagate to the root
# logger (the app's JSON lines) instead of printing their own format on stdout.
GRANIAN_LOGGING = {
    "loggers": {
        "_granian": {"handlers": [], "propagate": True},
        "granian.access": {"handlers": [], "propagate": False},
    },
}


def _granian(host: str, port: int, workers: int, graceful_s: int) -> None:
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels
    from granian.server import Server as Granian

    Granian(
        GRANIAN_TARGET,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        loop=Loops.uvloop,
        websockets=False,
        log_level=LogLevels.info,
        log_dictconfig=GRANIAN_LOGGING,
        log_access=False,
        respawn_failed_workers=True,
        # In-flight requests finish; a worker still busy after this is killed (uvicorn
        # cancels its tasks after the same grace).
        workers_kill_timeout=graceful_s,
    ).serve()
