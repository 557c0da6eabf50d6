"""The one error type the CLI turns into a readable message (never a traceback)."""

from __future__ import annotations


class FixiactlError(Exception):
    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
