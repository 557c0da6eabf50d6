"""`media_s3` in an environment's file: the stack's S3 server is a supervised program with no
keys on its command line, the slots' env files point media at it, and it is off otherwise."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixiactl.errors import FixiactlError
from fixiactl.stack import media
from fixiactl.stack.config import EnvConfig, load_env, load_or_create_state, state_dir
from fixiactl.stack.render import render_all


@pytest.fixture
def media_env() -> Iterator[EnvConfig]:
    config = load_env(f"test-media-{uuid.uuid4().hex[:6]}", base_port=0)
    yield config
    shutil.rmtree(state_dir(config.name), ignore_errors=True)


def _env_file(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def test_the_s3_program_runs_without_keys_and_the_slots_use_it(media_env: EnvConfig) -> None:
    assert media_env.media_s3
    state = load_or_create_state(media_env)
    render_all(media_env, state, as_root=False)
    root = state_dir(media_env.name)
    supervisord = (root / "supervisord.conf").read_text()
    assert "[program:s3]" in supervisord
    assert f"moto_server -H 127.0.0.1 -p {state.ports['s3']}" in supervisord
    assert state.s3_access_key and state.s3_secret_key not in supervisord
    assert state.s3_access_key not in supervisord
    for slot in ("blue", "green"):
        env = _env_file(root / f"app-{slot}.env")
        assert env["FIXIA_MEDIA__STORAGE"] == "s3"
        assert env["FIXIA_MEDIA__S3_ENDPOINT_URL"] == f"http://127.0.0.1:{state.ports['s3']}"
        assert env["FIXIA_MEDIA__S3_BUCKET"] == media.BUCKET
        assert env["FIXIA_MEDIA__S3_SECRET_ACCESS_KEY"] == state.s3_secret_key
    assert json.loads((root / "stack.json").read_text())["s3_secret_key"] == state.s3_secret_key


def test_off_by_default_and_turned_on_for_an_existing_stack() -> None:
    config = load_env(f"test-{uuid.uuid4().hex[:6]}", base_port=0)
    try:
        state = load_or_create_state(config)
        render_all(config, state, as_root=False)
        root = state_dir(config.name)
        assert "[program:s3]" not in (root / "supervisord.conf").read_text()
        assert "FIXIA_MEDIA__STORAGE" not in (root / "app-blue.env").read_text()
        assert not state.s3_access_key
        # The same stack with media_s3 turned on: keys added once, other secrets kept.
        config.media_s3 = True
        on = load_or_create_state(config)
        assert on.s3_access_key and on.db_password == state.db_password
        assert load_or_create_state(config).s3_secret_key == on.s3_secret_key
    finally:
        shutil.rmtree(state_dir(config.name), ignore_errors=True)


def test_a_missing_server_names_the_install_command(
    media_env: EnvConfig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(media, "server_binary", lambda: tmp_path / "moto_server")
    with pytest.raises(FixiactlError) as caught:
        media.check_binary(media_env)
    assert caught.value.hint and "make venv" in caught.value.hint
