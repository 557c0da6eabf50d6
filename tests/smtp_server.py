"""A real SMTP server for tests (aiosmtpd): start, stop, start again on the same port, and
read what it received. `hold` keeps the next transaction waiting at RCPT, so a test can kill
the sender mid-delivery."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mailbox:
    # Each message is also written here as an .eml file, named like the app's file outbox,
    # so the factories that read verification links work unchanged.
    directory: Path
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Set: RCPT waits until `release` is set (the sender is mid-transaction meanwhile).
    hold: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.hold.is_set():
            self.hold.clear()
            self.held.set()
            # aiosmtpd runs hooks on its loop: wait in a thread so other sessions go on.
            await asyncio.to_thread(self.release.wait, 60)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append(message)
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / f"{time.time_ns():020d}.eml").write_bytes(envelope.content)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def snapshot(self) -> list[Message]:
        with self.lock:
            return list(self.messages)


class SmtpServer:
    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.mailbox = Mailbox(directory)
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
