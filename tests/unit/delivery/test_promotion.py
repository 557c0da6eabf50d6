"""The promotion pipeline comes from deploy/environments/*.toml; a release goes further only
after it passed the stage before; production's requirements are refused up front."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixiactl.cli import app
from fixiactl.deploy import dora, promotion, requirements
from fixiactl.deploy.releases import Release
from fixiactl.errors import FixiactlError
from fixiactl.stack.config import EnvConfig, load_env

NOW = 1_800_000_000.0
runner = CliRunner()


def said(output: str) -> str:
    """The CLI's output with rich's line wrapping undone."""
    return " ".join(output.split())


@pytest.fixture(autouse=True)
def state_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "stacks"
    monkeypatch.setenv("FIXIACTL_STATE_ROOT", str(root))
    monkeypatch.setenv("FIXIACTL_RELEASES_DIR", str(tmp_path / "releases"))
    for key in (
        "FIXIA_SECRET_MERCADOPAGO_ACCESS_TOKEN",
        "FIXIA_SECRET_MERCADOPAGO_ACCESS_TOKEN_FILE",
    ):
        monkeypatch.delenv(key, raising=False)
    return root


def log(root: Path, env: str, *events: dict[str, object]) -> None:
    path = root / env / "deploy" / "deploys.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        out.writelines(json.dumps(e) + "\n" for e in events)


def ev(deploy: str, event: str, ts: float = NOW, **extra: object) -> dict[str, object]:
    return {"deploy_id": deploy, "event": event, "ts": ts, **extra}


def pipeline_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **stages: str | None) -> None:
    deploy = tmp_path / "deploy"
    (deploy / "environments").mkdir(parents=True)
    for name, source in stages.items():
        text = f'fixia_env = "staging"\n\n[pipeline]\npromotes_from = "{source or ""}"\n'
        (deploy / "environments" / f"{name}.toml").write_text(text)
    monkeypatch.setattr(promotion, "DEPLOY", deploy)


# -- the pipeline is the toml ------------------------------------------------------------------


def test_the_pipeline_is_read_from_the_environment_files() -> None:
    assert promotion.pipeline() == ["development", "staging", "pre-production", "production"]
    assert promotion.previous_env("production") == "pre-production"
    assert promotion.previous_env("development") is None


def test_a_changed_file_changes_the_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline_dir(tmp_path, monkeypatch, dev=None, qa="dev", live="qa")
    assert promotion.pipeline() == ["dev", "qa", "live"]
    assert promotion.previous_env("live") == "qa"
    with pytest.raises(FixiactlError, match="'staging' is not in the pipeline"):
        promotion.check("r1", "staging")


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ({"a": None, "b": None}, "not one chain"),
        ({"a": None, "b": "nowhere"}, "not one chain"),
        ({"a": None, "b": "a", "c": "a"}, "two stages promote from the same one"),
        ({"a": None, "b": "c", "c": "b"}, "has a cycle"),
    ],
)
def test_a_broken_pipeline_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stages: dict[str, str | None], message: str
) -> None:
    pipeline_dir(tmp_path, monkeypatch, **stages)
    with pytest.raises(FixiactlError, match=message):
        promotion.pipeline()


# -- passing the previous stage ------------------------------------------------------------


def test_a_release_promoted_in_the_previous_stage_may_go_on(state_root: Path) -> None:
    log(state_root, "staging", ev("d1", "promoted", release="r1"))
    assert promotion.check("r1", "pre-production") == "staging"
    assert promotion.check("r1", "development") == promotion.FIRST


def test_a_release_never_deployed_there_is_refused(state_root: Path) -> None:
    log(state_root, "development", ev("d1", "promoted", release="r0"))
    with pytest.raises(FixiactlError, match="r1 has not passed development") as err:
        promotion.check("r1", "staging")
    assert err.value.hint and "fixiactl deploy r1 --env development" in err.value.hint


def test_a_release_rolled_back_automatically_is_refused(state_root: Path) -> None:
    log(state_root, "development", ev("d1", "rolled_back", release="r1", reasons=["SPRT: 12 %"]))
    with pytest.raises(FixiactlError, match=r"r1 was rolled back in development \(deploy d1: SPRT"):
        promotion.check("r1", "staging")


def test_a_release_rolled_back_by_hand_is_refused_until_it_passes_again(state_root: Path) -> None:
    log(
        state_root,
        "development",
        ev("d1", "promoted", release="r1"),
        ev("d2", "promoted", release="r0", rollback_of="d1"),
    )
    with pytest.raises(FixiactlError, match="rolled back in development by hand"):
        promotion.check("r1", "staging")
    log(state_root, "development", ev("d3", "promoted", release="r1"))
    assert promotion.check("r1", "staging") == "development"


def test_a_failed_manual_rollback_undoes_nothing(state_root: Path) -> None:
    log(
        state_root,
        "development",
        ev("d1", "promoted", release="r1"),
        ev("d2", "failed", release="r0", rollback_of="d1", reason="r0 not ready"),
    )
    assert promotion.check("r1", "staging") == "development"


def test_the_latest_deploy_of_the_release_decides(state_root: Path) -> None:
    log(
        state_root,
        "development",
        ev("d1", "promoted", release="r1"),
        ev("d2", "promoted", release="r2"),
        ev("d3", "failed", release="r1", stage="readiness", reason="blue not ready"),
    )
    with pytest.raises(FixiactlError, match=r"r1 failed in development .*blue not ready"):
        promotion.check("r1", "staging")
    assert promotion.check("r2", "staging") == "development"


def test_dora_counts_promotions_in_lead_time(state_root: Path) -> None:
    commit = datetime.fromtimestamp(NOW - 7200, UTC).isoformat()
    ts = NOW
    log(
        state_root,
        "production",
        ev("d1", "promoted", ts, release="r1", commit_time=commit, promoted_from="pre-production"),
    )
    figures = dora.compute("production", window_days=1, now=ts + 10)
    assert figures["promotions"] == 1
    assert figures["lead_time_seconds"] == pytest.approx(7200)


# -- production's requirements ---------------------------------------------------------------


def release(faults: dict[str, str] | None = None) -> Release:
    return Release(
        "1.0-abc", "1.0", "abc" * 13 + "a", "2027-01-01T00:00:00+00:00", "", "", [], faults or {}
    )


def production(**app_env: str) -> EnvConfig:
    return EnvConfig(name="production", fixia_env="production", app_env=app_env)


def test_the_real_production_file_needs_a_token_from_the_secrets_store() -> None:
    config = load_env("production")
    with pytest.raises(FixiactlError, match="no access token is available from the secrets store"):
        requirements.check(config, environ={})
    assert config.app_env["FIXIA_PAYMENTS__PROVIDER"] == "mercadopago"


def test_a_token_file_satisfies_production(tmp_path: Path) -> None:
    token = tmp_path / "mp_token"
    token.write_text("APP_USR-123\n")
    env = {"FIXIA_SECRET_MERCADOPAGO_ACCESS_TOKEN_FILE": str(token)}
    requirements.check(load_env("production"), release(), environ=env)
    requirements.check(
        production(FIXIA_PAYMENTS__PROVIDER="mercadopago"),
        environ={"FIXIA_SECRET_MERCADOPAGO_ACCESS_TOKEN": "x"},
    )


@pytest.mark.parametrize(("content", "message"), [(None, "cannot be read"), ("\n", "is empty")])
def test_a_bad_token_file_is_refused(tmp_path: Path, content: str | None, message: str) -> None:
    token = tmp_path / "mp_token"
    if content is not None:
        token.write_text(content)
    env = {"FIXIA_SECRET_MERCADOPAGO_ACCESS_TOKEN_FILE": str(token)}
    with pytest.raises(FixiactlError, match=message):
        requirements.check(load_env("production"), environ=env)


def test_a_token_in_the_environment_file_is_refused_in_production_only() -> None:
    plain = {"FIXIA_PAYMENTS__PROVIDER": "mercadopago", requirements.TOKEN: "APP_USR-1"}
    with pytest.raises(FixiactlError, match="must not live in git"):
        requirements.check(production(**plain), environ={})
    requirements.check(EnvConfig(name="staging", fixia_env="staging", app_env=plain), environ={})


def test_production_refuses_the_sandbox_provider() -> None:
    with pytest.raises(FixiactlError, match="sandbox payment provider is refused"):
        requirements.check(production(), environ={})


def test_vault_needs_its_token() -> None:
    config = production(FIXIA_PAYMENTS__PROVIDER="mercadopago", FIXIA_SECRETS__PROVIDER="vault")
    with pytest.raises(FixiactlError, match="no Vault token"):
        requirements.check(config, environ={})
    requirements.check(config, environ={"VAULT_TOKEN": "s.abc"})


def test_production_refuses_fault_injection() -> None:
    ok = {"FIXIA_SECRET_MERCADOPAGO_ACCESS_TOKEN": "x"}
    config = production(FIXIA_PAYMENTS__PROVIDER="mercadopago")
    with pytest.raises(
        FixiactlError, match=r"release 1.0-abc carries fault injection \(error_rate=0.15\)"
    ):
        requirements.check(config, release({"error_rate": "0.15"}), environ=ok)
    with pytest.raises(FixiactlError, match="production carries fault injection"):
        requirements.check(config, release(), environ=ok | {"FIXIA_FAULTS__EXTRA_LATENCY_MS": "5"})
    staging = EnvConfig(name="staging", fixia_env="staging")
    requirements.check(staging, release({"error_rate": "0.15"}), environ={})


# -- through the command line, before any stack exists -------------------------------------


def test_stack_up_production_without_its_token_is_refused_before_anything_starts(
    state_root: Path,
) -> None:
    result = runner.invoke(app, ["stack", "up", "--env", "production", "--base-port", "0"])
    assert result.exit_code == 1, result.output
    assert "no access token is available from the secrets store" in said(result.output)
    assert not (state_root / "production").exists()


def test_promoting_a_faulty_release_to_production_is_refused(
    state_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    faulty = release({"error_rate": "0.15"})
    folder = tmp_path / "releases" / faulty.id
    folder.mkdir(parents=True)
    (folder / "release.json").write_text(json.dumps(faulty.as_dict()))
    monkeypatch.setenv("FIXIA_SECRET_MERCADOPAGO_ACCESS_TOKEN", "APP_USR-1")
    log(state_root, "pre-production", ev("d1", "promoted", release=faulty.id))
    result = runner.invoke(app, ["promote", faulty.id, "--to", "production", "--json"])
    assert result.exit_code == 1, result.output
    assert "carries fault injection" in said(result.output)
    assert not (state_root / "production" / "deploy" / "deploys.jsonl").exists()
    skipped = runner.invoke(app, ["promote", faulty.id, "--to", "staging", "--json"])
    assert skipped.exit_code == 1 and f"{faulty.id} has not passed development" in said(
        skipped.output
    )


def test_the_checkout_release_has_its_migrations_for_a_rollback() -> None:
    """`fixiactl rollback` back to what `stack up` started (release "dev", an editable install)
    runs the migration gate on it: its migrations are the checkout's source tree."""
    from fixiactl.deploy.migrations import scan_migrations
    from fixiactl.deploy.releases import checkout_release
    from fixiactl.deploy.slots import migrations_dir

    found = migrations_dir(checkout_release())
    assert found.name == "versions" and scan_migrations(found).heads()
