"""One conformance test for every EmailSender: the dev outbox and real SMTP (to a local
aiosmtpd server, the stand-in for a provider we cannot reach from here)."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from fixia.config import EmailSettings
from fixia.platform.email import (
    Email,
    EmailSender,
    OutboxEmailSender,
    SmtpEmailSender,
    build_email_sender,
)


class Collector(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[email.message.Message] = []

    def handle_message(self, message: email.message.Message) -> None:
        self.messages.append(message)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, Collector]]:
    handler = Collector()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, handler
    controller.stop()


def _subject(message: email.message.Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _received(kind: str, tmp_path: Path, server: tuple[Controller, Collector]) -> list[str]:
    if kind == "outbox":
        return [
            _subject(email.message_from_bytes(p.read_bytes()))
            for p in sorted((tmp_path / "out").glob("*.eml"))
        ]
    return [_subject(m) for m in server[1].messages]


def _sender(kind: str, tmp_path: Path, server: tuple[Controller, Collector]) -> EmailSender:
    if kind == "outbox":
        return OutboxEmailSender(tmp_path / "out", "Fixia <no-reply@fixia.com.ar>")
    port = server[0].port
    return SmtpEmailSender(EmailSettings(backend="smtp", smtp_host="127.0.0.1", smtp_port=port))


@pytest.mark.parametrize("kind", ["outbox", "smtp"])
async def test_sender_delivers_message(
    kind: str, tmp_path: Path, smtp_server: tuple[Controller, Collector]
) -> None:
    sender = _sender(kind, tmp_path, smtp_server)
    await sender.send(
        Email(
            to="ana@example.com",
            subject="Confirmá tu correo",
            body="Hola Ana: https://fixia/verify?token=abc",
        )
    )
    await sender.send(Email(to="ana@example.com", subject="Segundo", body="ñandú"))
    assert _received(kind, tmp_path, smtp_server) == ["Confirmá tu correo", "Segundo"]


def test_factory_picks_backend(tmp_path: Path) -> None:
    assert isinstance(build_email_sender(EmailSettings(outbox_dir=tmp_path)), OutboxEmailSender)
    assert isinstance(build_email_sender(EmailSettings(backend="smtp")), SmtpEmailSender)


async def test_smtp_unreachable_raises() -> None:
    sender = SmtpEmailSender(
        EmailSettings(backend="smtp", smtp_host="127.0.0.1", smtp_port=1, smtp_timeout_s=1)
    )
    with pytest.raises(OSError):
        await sender.send(Email(to="a@b.co", subject="x", body="y"))
