"""The local stand-in for Slack, PagerDuty and e-mail: Alertmanager's real notifiers POST to
it, and it appends each request (path = which fake vendor, body = their payload) to a JSONL
file. Tests and operators read that file with `received()`."""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MAX_BODY = 1_000_000
_lock = threading.Lock()


def _handler(out: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
            raw = self.rfile.read(length)
            try:
                body: Any = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
            line = json.dumps({"time": time.time(), "path": self.path, "body": body})
            with _lock, out.open("a") as f:
                f.write(line + "\n")
            # PagerDuty's Events API answers 202; Slack and webhooks accept any 2xx.
            self.send_response(202)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status":"success"}')

        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def received(path: Path) -> list[dict[str, Any]]:
    """Every request recorded so far, oldest first."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def alert_names(path: Path, status: str = "firing") -> set[str]:
    """Alert names seen in any fake vendor's payload (PagerDuty, Slack or webhook)."""
    names = set()
    for entry in received(path):
        body = entry["body"]
        if not isinstance(body, dict):
            continue
        if entry["path"].startswith("/pagerduty"):
            if body.get("event_action") == "trigger" or status != "firing":
                names.update(_pagerduty_names(body))
        elif entry["path"].startswith("/email"):
            names.update(
                a["labels"].get("alertname", "")
                for a in body.get("alerts", [])
                if a.get("status") == status
            )
        else:
            names.update(_slack_titles(body, status))
    names.discard("")
    return names


def _pagerduty_names(body: dict[str, Any]) -> set[str]:
    details = body.get("payload", {}).get("custom_details", {})
    firing = details.get("firing", "")
    return {
        line.split("=", 1)[1].strip()
        for line in str(firing).splitlines()
        if line.strip().startswith("- alertname =")
    }


def _slack_titles(body: dict[str, Any], status: str) -> set[str]:
    prefix = "[FIRING" if status == "firing" else "[RESOLVED"
    names = set()
    for attachment in body.get("attachments", []):
        title = str(attachment.get("title", ""))
        if title.startswith(prefix):
            # Default title: "[FIRING:1] AlertName (label values...)"
            parts = title.split("] ", 1)
            if len(parts) == 2:
                names.add(parts[1].split(" ", 1)[0])
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), _handler(args.out))
    server.serve_forever()


if __name__ == "__main__":
    main()
