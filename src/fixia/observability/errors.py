"""Optional error tracking with the Sentry SDK: on only when a DSN is configured."""

from __future__ import annotations

import logging
from typing import Any

from fixia import __version__
from fixia.config import Settings
from fixia.observability.scrub import scrub_event

log = logging.getLogger("fixia.sentry")


def _before_send(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    # The same scrubbing as the logs: Sentry must not receive what the logs may not hold.
    for key in ("request", "extra", "contexts", "user"):
        if isinstance(event.get(key), dict):
            event[key] = dict(scrub_event(dict(event[key])))
    return event


def init_sentry(settings: Settings) -> bool:
    """True when Sentry was initialised (a DSN is set); called after the worker fork."""
    dsn = settings.observability.sentry_dsn
    if dsn is None or not dsn.get_secret_value():
        return False
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn.get_secret_value(),
        environment=settings.env,
        release=f"fixia@{__version__}+{settings.git_sha}",
        traces_sample_rate=settings.observability.sentry_traces_sample_rate,
        send_default_pii=False,
        before_send=_before_send,  # type: ignore[arg-type]
    )
    log.info("sentry error tracking enabled")
    return True
