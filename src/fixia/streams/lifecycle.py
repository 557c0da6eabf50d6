"""Ending streams when the process stops.

uvicorn waits (timeout_graceful_shutdown) for open responses before it runs the lifespan's
shutdown, so an open stream would hold a draining slot for the whole grace period. Chaining
SIGTERM ends every stream at once: EventSource reconnects with Last-Event-ID, and HAProxy,
which drains this slot, sends it to the other one.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from types import FrameType

from fixia.streams.broker import Broker


def chain_sigterm(broker: Broker) -> bool:
    """Installed only over a server's own handler (uvicorn's, or granian's worker loop's), never
    in tests or tools."""
    if threading.current_thread() is not threading.main_thread():
        return False
    previous = signal.getsignal(signal.SIGTERM)
    if not callable(previous):
        return False
    loop = asyncio.get_running_loop()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(broker.close_streams)
        previous(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
    return True
