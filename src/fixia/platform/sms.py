"""Text messages behind one interface. The outbox writes each message as a JSON file (as
development e-mail writes .eml files): the only backend until an SMS provider is reachable."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from fixia.config import SmsSettings
from fixia.db import uuid7


@dataclass(frozen=True)
class Sms:
    to: str
    body: str


class SmsSender(Protocol):
    async def send(self, sms: Sms) -> None: ...


class OutboxSmsSender:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, sms: Sms) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{time.time_ns():020d}-{uuid7()}.json"
        await asyncio.to_thread(path.write_text, json.dumps(asdict(sms)))


def build_sms_sender(settings: SmsSettings) -> SmsSender:
    return OutboxSmsSender(settings.outbox_dir)
