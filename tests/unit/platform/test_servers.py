"""`fixia serve`'s server choice: the setting, the per-environment stack setting, and the
forwarded client address both servers are given."""

from __future__ import annotations

import shutil
import uuid

import httpx
import pytest
from starlette.types import Receive, Scope, Send
from typer.testing import CliRunner
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from fixia.cli import app as fixia_cli
from fixia.config import Settings
from fixia.platform import servers
from fixiactl.errors import FixiactlError
from fixiactl.stack.config import load_env, load_or_create_state, state_dir
from fixiactl.stack.render import app_environment


def test_the_setting_defaults_to_uvicorn_and_accepts_granian(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FIXIA_ENV", "test")
    assert Settings().serve.server == "uvicorn"
    monkeypatch.setenv("FIXIA_SERVE__SERVER", "granian")
    assert Settings().serve.server == "granian"


def test_serve_refuses_an_unknown_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIXIA_ENV", "test")
    called: list[str] = []
    monkeypatch.setattr(servers, "run", lambda server, **_: called.append(server))
    result = CliRunner().invoke(
        fixia_cli, ["serve", "--server", "hypercorn"], env={"COLUMNS": "200"}
    )
    # A fixed set of choices is an enum: a usage error (exit 2) naming them, nothing served.
    assert result.exit_code == 2 and "'uvicorn', 'granian'" in result.output
    assert called == []


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_serve_runs_the_chosen_server(monkeypatch: pytest.MonkeyPatch, server: str) -> None:
    monkeypatch.setenv("FIXIA_ENV", "test")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    called: list[tuple[str, int]] = []
    monkeypatch.setattr(
        servers, "run", lambda chosen, **kw: called.append((chosen, kw["graceful_shutdown_s"]))
    )
    result = CliRunner().invoke(fixia_cli, ["serve", "--server", server])
    assert result.exit_code == 0, result.output
    assert called == [(server, 20)]


def test_a_stack_slot_gets_its_environments_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIXIACTL_APP_SERVER", raising=False)
    config = load_env(f"test-{uuid.uuid4().hex[:6]}", base_port=0)
    try:
        state = load_or_create_state(config)
        slot_env = app_environment(config, state, "blue")
        assert slot_env["FIXIA_SERVE__SERVER"] == config.app_server
        monkeypatch.setenv("FIXIACTL_APP_SERVER", "granian")
        config = load_env(config.name, base_port=0)
        assert app_environment(config, state, "blue")["FIXIA_SERVE__SERVER"] == "granian"
        monkeypatch.setenv("FIXIACTL_APP_SERVER", "gunicorn")
        with pytest.raises(FixiactlError):
            load_env(config.name, base_port=0)
    finally:
        shutil.rmtree(state_dir(config.name), ignore_errors=True)


async def _echo_client(scope: Scope, receive: Receive, send: Send) -> None:
    client = scope.get("client") or ("-", 0)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(client[0]).encode()})


@pytest.mark.parametrize(
    ("peer", "seen"), [("127.0.0.1", "203.0.113.9"), ("198.51.100.7", "198.51.100.7")]
)
async def test_the_forwarded_address_is_believed_only_from_loopback(
    monkeypatch: pytest.MonkeyPatch, peer: str, seen: str
) -> None:
    """What fixia.asgi.proxied wraps the app in for granian: uvicorn's own rule."""
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    proxied = ProxyHeadersMiddleware(_echo_client, trusted_hosts=servers.forwarded_allow_ips())
    transport = httpx.ASGITransport(app=proxied, client=(peer, 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.get("/", headers={"x-forwarded-for": "203.0.113.9"})
    assert response.text == seen
