"""Feature flags: OpenFeature with the flagd provider evaluating deploy/flags/ in process.

No flagd daemon: the provider's FILE mode reads the flag file, re-reads it when it changes
(so `fixiactl flags set` flips behaviour without a restart) and keeps the last good flags if
an edit is invalid. A hook counts every evaluation for Prometheus.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from openfeature import api
from openfeature.contrib.provider.flagd import FlagdProvider
from openfeature.contrib.provider.flagd.config import ResolverType
from openfeature.evaluation_context import EvaluationContext
from openfeature.flag_evaluation import FlagEvaluationDetails
from openfeature.hook import Hook, HookContext, HookHints

from fixia.config.runtime import FlagSettings

log = logging.getLogger(__name__)


class MetricsHook(Hook):
    """fixia_feature_flag_evaluations_total{flag,variant,reason} (defined with the app's other
    metrics; imported here lazily because settings import this module)."""

    def after(
        self, hook_context: HookContext, details: FlagEvaluationDetails[Any], hints: HookHints
    ) -> None:
        from fixia.observability.metrics import FLAG_EVALUATIONS

        FLAG_EVALUATIONS.labels(details.flag_key, str(details.variant), str(details.reason)).inc()

    def error(self, hook_context: HookContext, exception: Exception, hints: HookHints) -> None:
        from fixia.observability.metrics import FLAG_EVALUATIONS

        FLAG_EVALUATIONS.labels(hook_context.flag_key, "none", "ERROR").inc()


_configured: Path | None = None
_hooked = False


def configure(settings: FlagSettings) -> None:
    """Once per process (OpenFeature's API is global); a second app keeps the first file."""
    global _configured, _hooked
    if settings.file is None or _configured == settings.file:
        return
    provider = FlagdProvider(
        resolver_type=ResolverType.FILE,
        offline_flag_source_path=str(settings.file),
        deadline_ms=settings.deadline_ms,
    )
    api.set_provider_and_wait(provider)
    if not _hooked:
        api.add_hooks([MetricsHook()])
        _hooked = True
    _configured = settings.file
    log.info("feature flags from %s", settings.file)


def unconfigure() -> None:
    """Every flag back to its code default (a test that pointed the process at its own file:
    later tests in the same worker must not evaluate that file's edited rollouts)."""
    global _configured
    api.clear_providers()
    _configured = None


def enabled(flag: str, *, default: bool, key: str, **attributes: str) -> bool:
    """The flag for this subject (`key` makes fractional rollouts sticky per subject)."""
    context = EvaluationContext(targeting_key=key, attributes=attributes)
    return api.get_client("fixia").get_boolean_value(flag, default, context)
