"""The exit codes of both command lines (`fixia` and `fixiactl`): one table, so a script
or a CI job reads the same number the same way whatever command it ran
(docs/operations/cli.md). It imports nothing: the toolkit may import it (a named exception
in the import contracts)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    # The operation was attempted and failed: an operator error, a failed check or drill.
    FAILURE = 1
    # Bad options or arguments (click's own code for usage errors).
    USAGE = 2
    # Refused before or instead of acting: a confirmation not given (or no terminal to ask
    # on), a precondition unmet (schema behind head), a deploy the analysis rolled back.
    REFUSED = 3
    # Refused by policy: the error-budget policy of deploy, promote and slo budget.
    POLICY = 4
    # Ran, but what it looked at is unhealthy: a stack component down, archiving failing.
    DEGRADED = 5
