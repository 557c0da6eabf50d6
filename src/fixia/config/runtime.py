"""Settings sections that the runtime's mechanisms read (fault injection, feature flags, the
garbage collector). They live here, not beside the mechanisms, so that loading settings imports
nothing from the service: not the flag provider's gRPC stack, not the ASGI middleware."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class FaultSettings(BaseModel):
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    extra_latency_ms: int = Field(default=0, ge=0, le=60_000)
    fail_readiness: bool = False
    # The first N requests per worker are served normally: models a regression that a handful
    # of smoke requests do not trigger but production traffic does.
    skip_first: int = Field(default=0, ge=0)

    @property
    def active(self) -> bool:
        return self.error_rate > 0 or self.extra_latency_ms > 0 or self.fail_readiness


class FlagSettings(BaseModel):
    # Unset: every flag answers its code default (tests, `make run` without flags).
    file: Path | None = None
    deadline_ms: int = 500


class GcSettings(BaseModel):
    # 0 keeps CPython's default.
    gen0_threshold: int = Field(default=7000, ge=0)
    freeze_after_start: bool = True
