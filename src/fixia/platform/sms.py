"""Text messages behind one interface. The outbox writes each message as a JSON file (as
development e-mail writes .eml files); Twilio's Messages API delivers them in production
(it reaches Argentine mobiles, and its API is one authenticated form POST)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import httpx

from fixia.config import SmsSettings
from fixia.db import uuid7


@dataclass(frozen=True)
class Sms:
    to: str
    body: str


class SmsDeliveryError(Exception):
    """The provider refused or could not take the message; the queue retries the job."""


class SmsSender(Protocol):
    async def send(self, sms: Sms) -> None: ...


class OutboxSmsSender:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, sms: Sms) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{time.time_ns():020d}-{uuid7()}.json"
        await asyncio.to_thread(path.write_text, json.dumps(asdict(sms)))


def e164(phone: str) -> str:
    """Twilio takes E.164 only; profiles keep numbers as people type them (+54 9 280 ...)."""
    return "+" + re.sub(r"\D", "", phone)


class TwilioSmsSender:
    def __init__(
        self, settings: SmsSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        token = settings.twilio_auth_token
        self.sid, self.sender = settings.twilio_account_sid, settings.twilio_from
        self.auth = (self.sid, token.get_secret_value() if token else "")
        self.url = (
            f"{settings.twilio_api_url.rstrip('/')}/2010-04-01/Accounts/{self.sid}/Messages.json"
        )
        self.transport = transport

    async def send(self, sms: Sms) -> None:
        form = {"To": e164(sms.to), "From": self.sender, "Body": sms.body}
        try:
            async with httpx.AsyncClient(timeout=10, transport=self.transport) as client:
                response = await client.post(self.url, data=form, auth=self.auth)
        except httpx.HTTPError as exc:
            raise SmsDeliveryError(f"Twilio unreachable: {exc.__class__.__name__}") from exc
        if response.status_code >= 400:
            # Twilio's error body names the problem (21211 invalid number, 20003 auth...).
            raise SmsDeliveryError(f"Twilio answered {response.status_code}: {response.text[:200]}")


def build_sms_sender(settings: SmsSettings) -> SmsSender:
    if settings.backend == "twilio":
        return TwilioSmsSender(settings)
    return OutboxSmsSender(settings.outbox_dir)
