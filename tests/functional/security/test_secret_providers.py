"""SecretProvider conformance: env/files and Vault KV v2 (hvac against a local KV v2 server)
deliver the same secrets into Settings, and fail loudly when the store refuses."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import hvac
import pytest

from fixia.config import Settings
from fixia.config.secrets import (
    EnvFileSecretProvider,
    SecretError,
    SecretProvider,
    VaultSecretProvider,
    overlay,
)
from tests.functional.security.fake_vault import fake_vault

# In process only: these tests build their own apps and settings.
pytestmark = pytest.mark.inprocess

SECRETS = {
    "jwt_keys": json.dumps({"k2026": "a-real-jwt-signing-key-" + "j" * 40}),
    "jwt_active_kid": "k2026",
    "encryption_key": "an-encryption-key-for-personal-data-" + "e" * 20,
    "webhook_secret": "a-webhook-secret-" + "w" * 30,
}
Store = Callable[[dict[str, str]], SecretProvider]


@pytest.fixture
def env_store(tmp_path: Path) -> Store:
    """Each secret in a file named by FIXIA_SECRET_<NAME>_FILE (one as a plain variable)."""

    def make(values: dict[str, str]) -> SecretProvider:
        environ = {}
        for name, value in values.items():
            if name == "jwt_active_kid":
                environ[f"FIXIA_SECRET_{name.upper()}"] = value
                continue
            path = tmp_path / name
            path.write_text(value + "\n")
            environ[f"FIXIA_SECRET_{name.upper()}_FILE"] = str(path)
        return EnvFileSecretProvider(environ)

    return make


@pytest.fixture
def vault_store() -> Iterator[Store]:
    with fake_vault() as server:

        def make(values: dict[str, str]) -> SecretProvider:
            admin = hvac.Client(url=server.url, token=server.token)
            admin.secrets.kv.v2.create_or_update_secret(
                path="fixia/production", secret=values, mount_point="secret"
            )
            return VaultSecretProvider(
                url=server.url, token=server.token, mount="secret", path="fixia/production"
            )

        yield make


@pytest.fixture(params=["env", "vault"])
def store(request: pytest.FixtureRequest) -> Store:
    fixture: Store = request.getfixturevalue(f"{request.param}_store")
    return fixture


def test_provider_returns_what_the_store_holds(store: Store) -> None:
    provider = store(SECRETS)
    for name, value in SECRETS.items():
        assert provider.get(name) == value
    assert provider.get("mercadopago_access_token") is None


def test_secrets_reach_settings_and_pass_production_checks(store: Store) -> None:
    provider = store(SECRETS)
    data = overlay({"env": "production", "payments": {"provider": "mercadopago"}}, provider)
    data["payments"]["mercadopago_access_token"] = "APP_USR-token"
    settings = Settings(**data)
    assert settings.auth.jwt_active_kid == "k2026"
    assert settings.auth.jwt_keys["k2026"].get_secret_value().startswith("a-real-jwt")
    assert settings.encryption_key.get_secret_value() == SECRETS["encryption_key"]
    assert settings.payments.webhook_secret.get_secret_value() == SECRETS["webhook_secret"]


def test_without_secrets_production_refuses_placeholders(store: Store) -> None:
    provider = store({"jwt_active_kid": "k1"})
    with pytest.raises(ValueError, match="placeholder secrets are refused"):
        Settings(**overlay({"env": "staging"}, provider))


def test_vault_refusal_is_an_error_not_an_empty_secret() -> None:
    with fake_vault() as server:
        provider = VaultSecretProvider(
            url=server.url,
            token="wrong-token",
            mount="secret",
            path="fixia",
        )
        with pytest.raises(SecretError, match="Vault read"):
            provider.get("jwt_keys")
        missing = VaultSecretProvider(
            url=server.url, token=server.token, mount="secret", path="nothing-here"
        )
        assert missing.get("jwt_keys") is None


def test_settings_select_the_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_vault() as server:
        hvac.Client(url=server.url, token=server.token).secrets.kv.v2.create_or_update_secret(
            path="fixia", secret=SECRETS, mount_point="secret"
        )
        monkeypatch.setenv("FIXIA_SECRETS__PROVIDER", "vault")
        monkeypatch.setenv("FIXIA_SECRETS__VAULT_URL", server.url)
        monkeypatch.setenv("FIXIA_SECRETS__VAULT_TOKEN", server.token)
        settings = Settings(env="staging")
    assert settings.secrets.provider == "vault"
    assert settings.auth.jwt_active_kid == "k2026"
