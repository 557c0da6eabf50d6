"""The contract phase of a deploy: contract migrations run only once no release that needs the
old schema serves any more.

The migration gate splits the pending chain (`MigrationPlan`): expand migrations run before
the new slot starts; the first contract migration and everything after it are *deferred*.
The new slot is told which revisions are deferred (`FIXIA_DB__DEFERRED_REVISIONS`) so its
readiness accepts a schema missing only those. After promotion the old slot has been drained
to zero sessions and stopped (its release retired): only then does this phase upgrade to head.
A rolled-back or failed deploy never gets here, so its contracts never run.

Once a contract has run, the retired release (and the rollback target before it) would meet a
schema it does not know: they are recorded as rollback-unsafe, and `fixiactl rollback` to one
asks for confirmation.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from fixiactl.deploy import slots as slot_ops
from fixiactl.deploy.journal import Journal, Slots
from fixiactl.deploy.migrations import MigrationPlan, scan_migrations
from fixiactl.deploy.preflight import applied_revisions
from fixiactl.deploy.releases import Release
from fixiactl.deploy.results import ContractFacts, ContractOutcome
from fixiactl.errors import FixiactlError

if TYPE_CHECKING:
    from fixiactl.deploy.context import DeployContext

DEFERRED_ENV = "FIXIA_DB__DEFERRED_REVISIONS"


def slot_env(plan: MigrationPlan) -> dict[str, str]:
    """What the new slot's environment adds so readiness tolerates the deferred revisions."""
    if not plan.after_retire:
        return {}
    return {DEFERRED_ENV: json.dumps([m.revision for m in plan.after_retire])}


def rollback_safe(slots: Slots, release_id: str | None) -> bool:
    return release_id not in slots.rollback_unsafe


def mark_unsafe(slots: Slots, retired: list[str | None], keep: str) -> list[str]:
    """Record `retired` releases as rollback-unsafe (never `keep`, the release that knows the
    contract); returns the ones marked."""
    marked = [r for r in dict.fromkeys(retired) if r and r != keep]
    for release_id in marked:
        if release_id not in slots.rollback_unsafe:
            slots.rollback_unsafe.append(release_id)
    if keep in slots.rollback_unsafe:
        slots.rollback_unsafe.remove(keep)
    return marked


def run_contract(
    ctx: DeployContext,
    *,
    release: Release,
    plan: MigrationPlan,
    slots: Slots,
    retired: list[str | None],
    journal: Journal,
    restore_point: str | None,
) -> ContractOutcome:
    """Upgrade to head now that the old release is retired. Returns what the deploy's outcome
    adds: `contract` facts, and on failure result `failed` at stage `contract`."""
    env = ctx.env
    deferred = [m.revision for m in plan.after_retire]
    journal.record("contract_started", revisions=deferred, retired=retired)
    error: FixiactlError | None = None
    try:
        ctx.host.migrate(release, "head")
    except FixiactlError as exc:
        error = exc
    still = _still_pending(ctx, release, deferred) if error else set()
    ran = [r for r in deferred if r not in still]
    # Unsafe as soon as any contract revision is in, even if a later one failed.
    contracted = [r for r in plan.contract if r in ran]
    marked = mark_unsafe(slots, retired, release.id) if contracted else []
    slots.save(env)
    facts: ContractFacts = {
        "ran": ran,
        "pending": [r for r in deferred if r in still],
        "rollback_unsafe": marked,
    }
    journal.record("contracted" if error is None else "contract_failed", **facts)
    if error is None:
        return {"contract": facts}
    back = (
        f"to the pre-flight restore point (fixiactl restore --to {restore_point} --env {env})"
        if restore_point
        else "from the latest backup (backups are off here: no pre-flight restore point)"
    )
    return {
        "result": "failed",
        "stage": "contract",
        "reason": f"contract migration failed: {error.message}",
        "hint": (
            f"{release.id} serves: it works with or without the contract. Each migration "
            "runs in its own transaction, so a failed one leaves nothing half-done unless it "
            "used an autocommit block. Fix the migration in a new release and deploy it with "
            f"--allow-contract; if the schema is damaged, restore the database {back}. "
            f"Alembic said: {(error.hint or '')[-300:]}"
        ),
        "contract": facts,
    }


def _still_pending(ctx: DeployContext, release: Release, deferred: list[str]) -> set[str]:
    """After a failure, what did not run; all of it when the database cannot be read (the
    new release is live by then: this phase must never raise into the deploy's cleanup)."""
    try:
        applied = applied_revisions(ctx.env, ctx.stack)
        found = scan_migrations(slot_ops.migrations_dir(release))
    except FixiactlError:
        return set(deferred)
    return {m.revision for m in found.pending(applied)}
