"""Rotate the app's database password on a running stack, every hop in turn:
stack.json, PostgreSQL's role, PgBouncer's auth file (reloaded), the app slots (rolled).

PostgreSQL holds one password per role, so the old one stops working for NEW logins at once.
What keeps this free of failed requests: PostgreSQL keeps existing sessions, PgBouncer keeps
its logged-in clients and its server connections across a reload, and the old slot's pool is
already connected; it only serves until the new slot (new password) has taken the traffic.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from fixiactl.errors import FixiactlError
from fixiactl.secrets.roll import Progress, roll
from fixiactl.secrets.rotate import quiet, record_audit, save_state
from fixiactl.stack import postgres
from fixiactl.stack.config import EnvConfig, read_state, state_dir
from fixiactl.stack.controller import STATEMENT_TIMEOUT_MS
from fixiactl.stack.supervisor import Supervisor

LOGIN_TIMEOUT_S = 15.0


def rotate_db_password(config: EnvConfig, *, say: Progress = quiet) -> dict[str, Any]:
    env, root = config.name, state_dir(config.name)
    supervisor = Supervisor(root)
    if not supervisor.running():
        raise FixiactlError(
            f"the {env} stack is not running", hint=f"fixiactl stack up --env {env}, then retry"
        )
    state = read_state(env)
    state.db_password = secrets.token_urlsafe(24)
    # stack.json first, so the password is never lost. If a step below fails, the live slot
    # keeps its connections; running the command again sets a fresh password on every hop.
    save_state(env, state)
    say("PostgreSQL: new password for role fixia")
    port = state.ports["postgres"]
    postgres.ensure_app_database(root / "pg", port, state.db_password, STATEMENT_TIMEOUT_MS)
    say("PgBouncer: new auth file, reloaded")
    postgres.write_userlist(root / "pg", port, root / "pgbouncer" / "userlist.txt")
    supervisor.signal("pgbouncer", "HUP")
    deadline = time.monotonic() + LOGIN_TIMEOUT_S
    # A login through PgBouncer also hands it the new SCRAM keys it uses for its own next
    # logins to PostgreSQL (its auth file holds only a SCRAM verifier).
    while not postgres.login_ok(state.ports["pgbouncer"], state.db_password):
        if time.monotonic() > deadline:
            raise FixiactlError(
                "PgBouncer refuses the new password",
                hint=f"see {root}/log/pgbouncer-internal.log, then run "
                f"`fixiactl secrets rotate-db-password --env {env}` again (the live slot "
                "keeps serving on its open connections)",
            )
        time.sleep(0.5)
    say("rolling the app slots onto the new password")
    rolled = roll(config, state, say)
    audited = record_audit(config, state, {"env": env, "roll": rolled["mode"]}, "database")
    return {
        "env": env,
        "secret": "database",  # pragma: allowlist secret (the name of what was rotated)
        **rolled,
        "audited": audited,
    }
