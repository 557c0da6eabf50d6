"""The SMS senders' contract, kept by both: the outbox (development, tests) and Twilio's
Messages API, here against a local HTTP receiver that answers as Twilio does. A message
sent is a message the receiving side holds, to the number in E.164, body unchanged; a
provider's refusal is an error the queue retries, never a silent loss."""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from pydantic import SecretStr, ValidationError

from fixia.config import SmsSettings
from fixia.platform.sms import Sms, SmsDeliveryError, SmsSender, build_sms_sender, e164

SID, TOKEN = "AC0123456789abcdef0123456789abcdef", "test-token"  # pragma: allowlist secret


@dataclass
class Receiver:
    url: str
    messages: list[dict[str, str]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    answer: int = 201


@pytest.fixture
def twilio() -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            if self.path == f"/2010-04-01/Accounts/{SID}/Messages.json":
                receiver.auth.append(self.headers.get("Authorization", ""))
                if receiver.answer < 400:
                    receiver.messages.append({k: v[0] for k, v in parse_qs(body).items()})
            self.send_response(receiver.answer if self.path.endswith("Messages.json") else 404)
            self.end_headers()
            self.wfile.write(json.dumps({"sid": "SM1", "status": "queued"}).encode())

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield receiver
    server.shutdown()
    server.server_close()


Backend = tuple[SmsSender, Callable[[], list[dict[str, str]]]]


def outbox_backend(tmp_path: Path, _: Receiver) -> Backend:
    sender = build_sms_sender(SmsSettings(outbox_dir=tmp_path / "sms"))

    def held() -> list[dict[str, str]]:
        return [json.loads(p.read_text()) for p in sorted((tmp_path / "sms").glob("*.json"))]

    return sender, held


def twilio_backend(_: Path, receiver: Receiver) -> Backend:
    settings = SmsSettings(
        backend="twilio",
        twilio_api_url=receiver.url,
        twilio_account_sid=SID,
        twilio_auth_token=SecretStr(TOKEN),
        twilio_from="+15005550006",
    )

    def held() -> list[dict[str, str]]:
        return [{"to": m["To"], "body": m["Body"]} for m in receiver.messages]

    return build_sms_sender(settings), held


@pytest.mark.parametrize("backend", [outbox_backend, twilio_backend], ids=["outbox", "twilio"])
async def test_a_sent_message_is_held_by_the_receiving_side(
    backend: Callable[[Path, Receiver], Backend], tmp_path: Path, twilio: Receiver
) -> None:
    sender, held = backend(tmp_path, twilio)
    await sender.send(Sms(to="+5492804123456", body="Tu código es 123456"))
    await sender.send(Sms(to="+5492804000000", body="otro"))
    assert held() == [
        {"to": "+5492804123456", "body": "Tu código es 123456"},
        {"to": "+5492804000000", "body": "otro"},
    ]


async def test_twilio_gets_e164_basic_auth_and_its_sender(tmp_path: Path, twilio: Receiver) -> None:
    sender, _ = twilio_backend(tmp_path, twilio)
    await sender.send(Sms(to="+54 9 280 412-3456", body="hola"))
    [message] = twilio.messages
    assert message["To"] == "+5492804123456" and message["From"] == "+15005550006"
    assert twilio.auth[0].startswith("Basic ")


async def test_a_refusal_or_an_unreachable_provider_is_an_error(
    tmp_path: Path, twilio: Receiver
) -> None:
    sender, _ = twilio_backend(tmp_path, twilio)
    twilio.answer = 400
    with pytest.raises(SmsDeliveryError, match="400"):
        await sender.send(Sms(to="+5492804123456", body="x"))
    down = SmsSettings(
        backend="twilio",
        twilio_api_url="http://127.0.0.1:9",  # discard port: nothing listens
        twilio_account_sid=SID,
        twilio_auth_token=SecretStr(TOKEN),
        twilio_from="+15005550006",
    )
    send: Callable[[Sms], Awaitable[None]] = build_sms_sender(down).send
    with pytest.raises(SmsDeliveryError, match="unreachable"):
        await send(Sms(to="+5492804123456", body="x"))


def test_twilio_without_credentials_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="TWILIO_ACCOUNT_SID"):
        SmsSettings(backend="twilio")
    assert e164("+54 (280) 412-3456") == "+542804123456"
