"""Pause instead of abort (`fixiactl deploy --on-failure pause`): a failed verdict returns all
traffic to the stable slot but keeps the new one running, and the deploy waits for an
operator's `fixiactl deploy resume ID` (measure the same step again) or `abort ID` (roll
back), bounded by a timeout that aborts.

The answer travels as a file beside the deploy's journal, `deploy/<id>.control`: the waiting
deploy is another process (the `fixiactl deploy` still in the foreground), and the journal
already lives there. A request is only accepted while the deploy's latest event is `paused`,
so a stray `resume` can never act on a later pause.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fixiactl.deploy.journal import Journal, deploy_dir, deploy_events
from fixiactl.deploy.protocols import PauseControl
from fixiactl.errors import FixiactlError

ACTIONS = ("resume", "abort")


def control_file(env: str, deploy_id: str) -> Path:
    return deploy_dir(env) / f"{deploy_id}.control"


def request(env: str, deploy_id: str, action: str) -> dict[str, str]:
    """Ask the paused deploy `deploy_id` to resume or abort."""
    if action not in ACTIONS:
        raise FixiactlError(f"unknown action {action!r}", hint=" or ".join(ACTIONS))
    mine = [e for e in deploy_events(env) if e.get("deploy_id") == deploy_id]
    if not mine:
        raise FixiactlError(
            f"no deploy {deploy_id} in {env}", hint=f"fixiactl deploy status --env {env}"
        )
    if mine[-1]["event"] != "paused":
        raise FixiactlError(
            f"deploy {deploy_id} is not paused (its latest event: {mine[-1]['event']})",
            hint="only a deploy run with --on-failure pause waits for resume or abort",
        )
    path = control_file(env, deploy_id)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(action)
    os.replace(tmp, path)  # the waiting deploy never reads a half-written answer
    return {"deploy_id": deploy_id, "env": env, "action": action}


class FilePauseControl:
    """The real `PauseControl` (fixiactl.deploy.protocols): polls the control file."""

    def __init__(self, env: str, poll_s: float = 0.5) -> None:
        self.env = env
        self.poll_s = poll_s

    def wait(self, deploy_id: str, timeout_s: float) -> str:
        path = control_file(self.env, deploy_id)
        # No clearing first: an answer may arrive between the `paused` event and this call.
        # `request` only writes while the deploy is paused, and each answer is consumed here.
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if path.exists():
                action = path.read_text().strip()
                path.unlink(missing_ok=True)
                if action in ACTIONS:
                    return action
            time.sleep(self.poll_s)
        return "timeout"


def hold(
    control: PauseControl,
    journal: Journal,
    say: Callable[[str], None],
    release: str,
    step: int,
    reasons: list[str],
    timeout_s: float,
) -> dict[str, Any]:
    """Record the pause, wait for the operator (bounded), record how it ended."""
    journal.event("paused", release=release, step=step, reasons=reasons, timeout_s=timeout_s)
    say(
        f"paused at {step} %: {'; '.join(reasons)[:100]} - fixiactl deploy resume|abort "
        f"{journal.deploy_id} --env {journal.env} (abort by itself in {timeout_s:.0f} s)"
    )
    t0 = time.monotonic()
    action = control.wait(journal.deploy_id, timeout_s)
    waited = round(time.monotonic() - t0, 2)
    journal.event("resumed" if action == "resume" else "aborted", release=release, step=step)
    return {"step": step, "reasons": list(reasons), "action": action, "waited_s": waited}
