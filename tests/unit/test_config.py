import pytest
from pydantic import SecretStr, ValidationError

from fixia.config import AuthSettings, PaymentSettings, Settings


def test_development_accepts_placeholder_secrets() -> None:
    assert Settings(env="development").env == "development"


@pytest.mark.parametrize("env", ["staging", "production"])
def test_placeholders_refused_outside_development(env: str) -> None:
    with pytest.raises(ValidationError, match="placeholder secrets"):
        Settings(env=env)  # type: ignore[arg-type]


def _production(**payments: object) -> Settings:
    return Settings(
        env="production",
        encryption_key=SecretStr("k" * 40),
        auth=AuthSettings(jwt_keys={"k9": SecretStr("s" * 40)}, jwt_active_kid="k9"),
        payments=PaymentSettings(webhook_secret=SecretStr("w" * 40), **payments),  # type: ignore[arg-type]
    )


def test_production_with_real_secrets() -> None:
    s = _production(provider="mercadopago", mercadopago_access_token=SecretStr("APP_USR-1"))
    assert s.auth.jwt_active_kid == "k9"


def test_production_refuses_sandbox_payments() -> None:
    with pytest.raises(ValidationError, match="sandbox"):
        _production()


def test_mercadopago_needs_a_token() -> None:
    with pytest.raises(ValidationError, match="MERCADOPAGO_ACCESS_TOKEN"):
        Settings(payments=PaymentSettings(provider="mercadopago"))


def test_active_kid_must_exist() -> None:
    with pytest.raises(ValidationError, match="jwt_active_kid"):
        AuthSettings(jwt_keys={"a": SecretStr("x" * 40)}, jwt_active_kid="b")


def test_short_encryption_key_refused() -> None:
    with pytest.raises(ValidationError, match="encryption_key"):
        Settings(encryption_key=SecretStr("short"))


def test_database_url_overrides_and_dialect() -> None:
    s = Settings(database_url="postgresql+asyncpg://u:p@127.0.0.1/db")
    assert s.db.url.startswith("postgresql") and not s.is_sqlite
    assert Settings().is_sqlite


def test_env_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIXIA_ENV", "test")
    monkeypatch.setenv("FIXIA_AUTH__ACCESS_TTL_S", "120")
    s = Settings()
    assert s.env == "test" and s.auth.access_ttl_s == 120


def test_unknown_plan_falls_back_to_free() -> None:
    s = Settings()
    assert s.plan("nonexistent") == s.plans["free"]
    assert s.plan("professional").active_services is None


def test_env_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deployment that forgot FIXIA_ENV must not run as development (sandbox, docs...)."""
    monkeypatch.delenv("FIXIA_ENV", raising=False)
    with pytest.raises(ValidationError, match="env"):
        Settings()
    monkeypatch.setenv("FIXIA_ENV", "development")
    assert Settings().env == "development"


def test_sandbox_checkout_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="simulated checkout"):
        _production(
            provider="mercadopago",
            mercadopago_access_token=SecretStr("APP_USR-1"),
            sandbox_checkout=True,
        )


@pytest.mark.parametrize("secret", ["short", "s" * 31])
def test_short_jwt_keys_refused(secret: str) -> None:
    """Issue #27: an HS256 key shorter than its 256-bit output is guessable offline from any
    token; every key in the ring counts, the ones only verifying too."""
    with pytest.raises(ValidationError, match="at least 32"):
        AuthSettings(jwt_keys={"k1": SecretStr(secret)})
    with pytest.raises(ValidationError, match="at least 32"):
        AuthSettings(jwt_keys={"k1": SecretStr("s" * 40), "old": SecretStr(secret)})


def test_the_optional_extras_are_asked_for_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    # The base install has neither hvac nor sentry-sdk (fixia[vault], fixia[sentry]): using
    # either without its extra says which extra to install instead of a bare ImportError.
    import sys

    import fixia.config as config
    from fixia.config import ObservabilitySettings
    from fixia.config.secrets import SecretError, VaultSecretProvider

    monkeypatch.setattr(config, "find_spec", lambda name: None)
    dsn = ObservabilitySettings(sentry_dsn=SecretStr("https://k@sentry.example/1"))
    with pytest.raises(ValidationError, match=r"fixia\[sentry\]"):
        Settings(observability=dsn)
    monkeypatch.setitem(sys.modules, "hvac", None)  # what an absent package looks like
    with pytest.raises(SecretError, match=r"fixia\[vault\]"):
        VaultSecretProvider(url="http://127.0.0.1:1", token="t", mount="m", path="p")
