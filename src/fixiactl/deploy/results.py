"""The deploy path's results, typed. They stay dictionaries (TypedDict) on purpose: they are
written to the journal and printed by `--json` as they are, and their keys are what the
tests, the docs and `fixiactl dora` read."""

from __future__ import annotations

from typing import Any, NotRequired, Required, TypedDict


class RecoveryWindow(TypedDict):
    requests: float
    error_rate: float
    pre_error_rate: float
    p90_s: float | None
    pre_p90_s: float | None


class Recovery(TypedDict):
    recovered: bool
    after_s: float
    windows: list[RecoveryWindow]


class ContractFacts(TypedDict):
    ran: list[str]
    pending: list[str]
    rollback_unsafe: list[str]


class ContractOutcome(TypedDict, total=False):
    """What the contract phase adds to a promoted deploy: its facts, and on a failure the
    result `failed` at stage `contract`."""

    result: str
    stage: str
    reason: str
    hint: str
    contract: ContractFacts


class Outcome(TypedDict, total=False):
    """How a deploy ended, before the figures every deploy has are added."""

    result: Required[str]
    slot: str
    contract: ContractFacts
    stage: str
    step: int
    reason: str
    reasons: list[str]
    hint: str
    rollback_s: float
    time_to_restore_s: float
    recovery: Recovery
    mirror: dict[str, Any]  # the mirrored GETs before the first step, and their verdict
    pauses: list[dict[str, Any]]  # each pause (--on-failure pause) and how it ended


class DeployResult(TypedDict):
    """One deploy's summary, as `fixiactl deploy|rollback|promote --json` print it.

    `result` is promoted, rolled_back or failed; which of the optional keys are present
    depends on it (promoted: slot, contract; rolled_back: step, reasons, rollback_s,
    recovery, time_to_restore_s; failed: stage, reason, hint)."""

    deploy_id: str
    release: str
    result: str
    strategy: str
    rollback_of: str | None
    promoted_from: str | None
    commit_time: str
    requests: int
    failed_requests: int
    duration_s: float
    time_to_full_traffic_s: NotRequired[float]
    slot: NotRequired[str]
    contract: NotRequired[ContractFacts]
    stage: NotRequired[str]
    step: NotRequired[int]
    reason: NotRequired[str]
    reasons: NotRequired[list[str]]
    hint: NotRequired[str]
    rollback_s: NotRequired[float]
    time_to_restore_s: NotRequired[float]
    recovery: NotRequired[Recovery]
    budget: NotRequired[dict[str, Any]]
    mirror: NotRequired[dict[str, Any]]
    pauses: NotRequired[list[dict[str, Any]]]
