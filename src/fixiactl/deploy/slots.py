"""Point a slot at a release, start it, wait for readiness; drain and stop it."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from fixiactl.deploy.protocols import ProcessSupervisor, TrafficRouter
from fixiactl.deploy.releases import Release
from fixiactl.errors import FixiactlError
from fixiactl.stack.config import ROOT, EnvConfig, StackState, state_dir
from fixiactl.stack.health import http_ok
from fixiactl.stack.render import oneshot_environment, write_slot_env
from fixiactl.stack.supervisor import Supervisor


def point(
    config: EnvConfig,
    stack: StackState,
    slot: str,
    release: Release,
    extra: dict[str, str] | None = None,
) -> None:
    """Retarget the (stopped) slot's venv symlink and environment at `release` (plus `extra`
    settings for this deploy only, e.g. the contract revisions it defers)."""
    state = state_dir(config.name)
    link = state / "slots" / slot
    tmp = link.with_name(f".{slot}.tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(release.venv)
    tmp.replace(link)  # atomic: the slot never points nowhere
    release_env = release.env() | (extra or {})
    (state / "slots" / f"{slot}.release.env").write_text(
        "".join(f"{k}={v}\n" for k, v in release_env.items())
    )
    write_slot_env(config, stack, slot)


def start(env: str, slot: str, supervisor: ProcessSupervisor | None = None) -> None:
    """The slot's app and its job-queue worker: a release's worker runs that release's code."""
    supervisor = supervisor or Supervisor(state_dir(env))
    supervisor.start(f"app-{slot}")
    supervisor.start(f"worker-{slot}")


def stop(env: str, slot: str, supervisor: ProcessSupervisor | None = None) -> None:
    """The worker gets SIGTERM too: its running jobs finish within the grace period, or are
    aborted and retried by the other slot's worker."""
    supervisor = supervisor or Supervisor(state_dir(env))
    supervisor.stop(f"worker-{slot}")
    supervisor.stop(f"app-{slot}")


def retire(
    supervisor: ProcessSupervisor, router: TrafficRouter, slot: str, drain_timeout_s: float
) -> bool:
    """Drain to zero sessions, then stop: in-flight requests finish on the old slot. Returns
    whether the drain was clean (False: stopped with sessions left after the timeout)."""
    router.set_state(slot, "drain")
    drained = router.wait_no_sessions(slot, drain_timeout_s)
    supervisor.stop(f"worker-{slot}")
    supervisor.stop(f"app-{slot}")
    router.set_weight(slot, 0)
    router.set_state(slot, "ready")
    return drained


def wait_ready(port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if http_ok(f"http://127.0.0.1:{port}/readyz"):
            return True
        time.sleep(0.25)
    return False


def migrate(config: EnvConfig, stack: StackState, release: Release, revision: str = "head") -> str:
    """Run the release's own migrations (its venv, its code) straight against PostgreSQL, up
    to `revision`."""
    app_env = oneshot_environment(config, stack) | release.env()
    # Migrations must never be slowed or failed by the release's injected faults.
    app_env = {k: v for k, v in app_env.items() if not k.startswith("FIXIA_FAULTS__")}
    result = subprocess.run(
        [str(release.venv / "bin" / "fixia"), "db", "upgrade", "--revision", revision],
        env=app_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise FixiactlError("migrations failed", hint=result.stderr.strip()[-1500:])
    return result.stderr.strip()[-500:]


def migrations_dir(release: Release) -> Path:
    found = sorted(release.venv.glob("lib/python*/site-packages/fixia/migrations/versions"))
    if not found and release.venv_dir:
        # The checkout's venv (release "dev") installs fixia editable: its migrations are in
        # the source tree. Without this, rolling back to what `stack up` started failed.
        found = sorted(Path(release.path).glob("src/fixia/migrations/versions"))
    if not found:
        raise FixiactlError(f"release {release.id} has no migrations directory")
    return found[0]
