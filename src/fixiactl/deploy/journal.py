"""Durable, append-only records under the environment's state directory.

- `deploy/deploys.jsonl`: one line per deploy event (started, promoted, rolled_back, failed,
  rollback); the DORA figures are computed from it alone.
- `deploy/<deploy id>.jsonl`: every measurement and verdict of one deploy (`deploy explain`).
- `deploy/slots.json`: which release each slot runs and which slot is live.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fixiactl.stack.config import state_dir


def deploy_dir(env: str) -> Path:
    path = state_dir(env) / "deploy"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _append(path: Path, record: dict[str, Any]) -> None:
    line = json.dumps(record, default=str) + "\n"
    # One write per line with O_APPEND: concurrent writers never interleave within a line.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class Journal:
    def __init__(self, env: str, deploy_id: str) -> None:
        self.env = env
        self.deploy_id = deploy_id
        self.events = deploy_dir(env) / "deploys.jsonl"
        self.analysis = deploy_dir(env) / f"{deploy_id}.jsonl"

    def event(self, kind: str, **data: Any) -> dict[str, Any]:
        record = {"ts": time.time(), "deploy_id": self.deploy_id, "env": self.env, "event": kind}
        record |= data
        _append(self.events, record)
        _append(self.analysis, {"ts": record["ts"], "kind": "event", **record})
        return record

    def record(self, kind: str, **data: Any) -> None:
        _append(self.analysis, {"ts": time.time(), "kind": kind, **data})


def deploy_events(env: str) -> list[dict[str, Any]]:
    return read_jsonl(deploy_dir(env) / "deploys.jsonl")


def deploy_records(env: str, deploy_id: str) -> list[dict[str, Any]]:
    return read_jsonl(deploy_dir(env) / f"{deploy_id}.jsonl")


@dataclass
class Slots:
    active: str = "blue"
    releases: dict[str, str | None] = field(default_factory=lambda: {"blue": "dev", "green": None})
    previous: str | None = None
    # Releases a contract migration has made unsafe to return to.
    rollback_unsafe: list[str] = field(default_factory=list)

    @property
    def idle(self) -> str:
        return "green" if self.active == "blue" else "blue"

    @classmethod
    def load(cls, env: str) -> Slots:
        path = deploy_dir(env) / "slots.json"
        return cls(**json.loads(path.read_text())) if path.exists() else cls()

    def save(self, env: str) -> None:
        path = deploy_dir(env) / "slots.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.rename(path)
