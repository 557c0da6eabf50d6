"""Outgoing e-mail behind one interface: SMTP for real, a file outbox for development."""

from __future__ import annotations

import asyncio
import hashlib
import smtplib
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from fixia.config import EmailSettings
from fixia.db import uuid7


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    # The sender's idempotency key: a re-sent copy carries the same Message-ID.
    message_id: str | None = None


class EmailSender(Protocol):
    async def send(self, email: Email) -> None: ...


def _message(sender: str, email: Email) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = email.to
    msg["Subject"] = email.subject
    if email.message_id:
        digest = hashlib.sha256(email.message_id.encode()).hexdigest()[:32]
        msg["Message-ID"] = f"<{digest}@fixia.com.ar>"
    msg.set_content(email.body)
    return msg


class OutboxEmailSender:
    """Writes each message as an .eml file, so developers can open what would have been sent."""

    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = directory
        self.sender = sender

    async def send(self, email: Email) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        # Nanosecond prefix: files sort in sending order, even within one millisecond.
        path = self.directory / f"{time.time_ns():020d}-{uuid7()}.eml"
        data = _message(self.sender, email).as_bytes()
        await asyncio.to_thread(path.write_bytes, data)


class SmtpEmailSender:
    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings

    def _send_sync(self, email: Email) -> None:
        s = self.settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username and s.smtp_password:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
            smtp.send_message(_message(s.sender, email))

    async def send(self, email: Email) -> None:
        # smtplib blocks; a thread keeps the event loop serving other requests meanwhile.
        await asyncio.to_thread(self._send_sync, email)


def build_email_sender(settings: EmailSettings) -> EmailSender:
    if settings.backend == "smtp":
        return SmtpEmailSender(settings)
    return OutboxEmailSender(settings.outbox_dir, settings.sender)
