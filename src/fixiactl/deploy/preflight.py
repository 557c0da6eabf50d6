"""Pre-flight: the stack answers, the config is valid, the migration gate passes, and a restore
point is taken when backups are configured."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from fixiactl.backup import create_restore_point
from fixiactl.backup import settings as backup_settings
from fixiactl.deploy.migrations import Migration, MigrationPlan, plan_migrations, scan_migrations
from fixiactl.deploy.protocols import ProcessSupervisor, TrafficRouter
from fixiactl.deploy.releases import Release
from fixiactl.deploy.slots import migrations_dir
from fixiactl.errors import FixiactlError
from fixiactl.stack import postgres
from fixiactl.stack.config import StackState, state_dir

log = logging.getLogger(__name__)


@dataclass
class GateResult:
    pending: list[Migration] = field(default_factory=list)
    expand: list[str] = field(default_factory=list)
    contract: list[str] = field(default_factory=list)
    plan: MigrationPlan = field(default_factory=MigrationPlan)

    def as_dict(self) -> dict[str, Any]:
        return {
            "expand": self.expand,
            "contract": self.contract,
            "reasons": {m.revision: m.reasons for m in self.pending},
            **self.plan.as_dict(),
        }


def applied_revisions(env: str, stack: StackState) -> set[str]:
    rows = postgres.psql(
        state_dir(env) / "pg",
        stack.ports["postgres"],
        "select version_num from alembic_version",
        database="fixia",
    )
    return {line.strip() for line in rows.splitlines() if line.strip()}


def migration_gate(
    env: str, stack: StackState, release: Release, serving: str, *, allow_contract: bool
) -> GateResult:
    """Classify the release's pending migrations and plan when each runs. The live release
    (`serving`) needs the old schema whenever a contract migration is pending, so a contract
    is refused unless `--allow-contract`, which defers it until that release has retired."""
    found = scan_migrations(migrations_dir(release))
    pending = found.pending(applied_revisions(env, stack))
    gate = GateResult(pending=pending, plan=plan_migrations(pending))
    gate.expand = [m.revision for m in pending if m.kind == "expand"]
    gate.contract = [m.revision for m in pending if m.kind == "contract"]
    if not gate.contract:
        return gate
    if not allow_contract:
        why = "; ".join(r for m in pending if m.kind == "contract" for r in m.reasons[:2])
        raise FixiactlError(
            f"contract migration(s) {', '.join(gate.contract)} refused: release {serving} "
            f"still serves and needs the old schema ({why})",
            hint="ship the expand part first, or deploy with --allow-contract: expand "
            f"migrations then run before the new slot starts and the contract ones only once "
            f"{serving} has been drained and stopped (it becomes rollback-unsafe)",
        )
    if len(found.heads()) > 1:
        raise FixiactlError(
            f"release {release.id} has several migration heads ({', '.join(found.heads())})",
            hint="merge the heads (alembic merge) so expand and contract run in one order",
        )
    return gate


def check_stack(
    env: str, active: str, supervisor: ProcessSupervisor, router: TrafficRouter
) -> None:
    if not supervisor.running():
        raise FixiactlError(
            f"the {env} stack is not running", hint=f"fixiactl stack up --env {env}"
        )
    stats = router.stats()
    if not stats.get(active) or not stats[active].status.startswith("UP"):
        raise FixiactlError(
            f"the live slot {active} is not UP in HAProxy",
            hint="a deploy needs a healthy baseline: fixiactl stack status",
        )
    invalid = router.check_config()
    if invalid is not None:
        raise FixiactlError("the rendered HAProxy config is invalid", hint=invalid)


class RestorePoints(Protocol):
    def create(self, env: str, label: str) -> str | None:
        """A restore point's name, or None (with the reason logged) when not configured."""


class BackupRestorePoints:
    """A pgBackRest restore point before migrations, when the environment backs up. With
    backups on, failing to make one fails the pre-flight: migrating without a way back is
    what the restore point exists to prevent."""

    def create(self, env: str, label: str) -> str | None:
        try:
            backup_settings.load(env)
        except FixiactlError as exc:
            log.info("no restore point: %s", exc.message)
            return None
        return create_restore_point(env, label)["name"]
