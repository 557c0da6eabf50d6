"""Where secrets come from: a `SecretProvider`, chosen by `secrets.provider` in settings.

- `env` (the default): `FIXIA_SECRET_<NAME>`, or the file named by `FIXIA_SECRET_<NAME>_FILE`
  (Docker/Kubernetes secrets, systemd credentials). The usual `FIXIA_*` settings keep working;
  a provided secret overrides them.
- `vault`: HashiCorp Vault KV version 2 through hvac; one secret (`<mount>/<path>`) holds
  every key.

`overlay(data)` runs before settings validation, so a secret fetched here passes the same
fail-fast checks (placeholders refused outside development) as one set in the environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

# Secret name -> where it lands in the settings (section, field). JSON-valued ones are marked.
SETTINGS_PATHS: dict[str, tuple[str | None, str]] = {
    "jwt_keys": ("auth", "jwt_keys"),
    "jwt_active_kid": ("auth", "jwt_active_kid"),
    "encryption_key": (None, "encryption_key"),
    "webhook_secret": ("payments", "webhook_secret"),
    "mercadopago_access_token": ("payments", "mercadopago_access_token"),
    "database_url": (None, "database_url"),
}
JSON_SECRETS = frozenset({"jwt_keys"})


class SecretError(RuntimeError):
    """The secret store could not be read (unreachable, denied, malformed)."""


class SecretProvider(Protocol):
    def get(self, name: str) -> str | None:
        """The secret's current value, or None when the store does not hold it."""
        ...


class EnvFileSecretProvider:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def get(self, name: str) -> str | None:
        key = f"FIXIA_SECRET_{name.upper()}"
        file = self._environ.get(f"{key}_FILE")
        if file:
            try:
                return Path(file).read_text().rstrip("\n")
            except OSError as error:
                raise SecretError(f"cannot read {key}_FILE={file}: {error}") from error
        return self._environ.get(key)


class VaultSecretProvider:
    """KV v2: GET /v1/<mount>/data/<path>. The secret is read once and cached, so settings
    loading makes one request however many keys it needs."""

    def __init__(
        self, *, url: str, token: str, mount: str, path: str, timeout_s: float = 5.0
    ) -> None:
        try:
            import hvac  # type: ignore[import-untyped]
        except ImportError as missing:
            raise SecretError(
                "secrets.backend=vault needs the vault extra: pip install 'fixia[vault]'"
            ) from missing
        self._client = hvac.Client(url=url, token=token, timeout=timeout_s)
        self._mount, self._path = mount, path
        self._data: dict[str, Any] | None = None

    def _read(self) -> dict[str, Any]:
        import hvac.exceptions  # type: ignore[import-untyped]
        import requests

        if self._data is None:
            try:
                response = self._client.secrets.kv.v2.read_secret_version(
                    path=self._path, mount_point=self._mount, raise_on_deleted_version=True
                )
            except hvac.exceptions.InvalidPath:
                response = {"data": {"data": {}}}
            except (hvac.exceptions.VaultError, requests.RequestException) as error:
                raise SecretError(f"Vault read of {self._mount}/{self._path}: {error}") from error
            self._data = dict(response["data"]["data"])
        return self._data

    def get(self, name: str) -> str | None:
        value = self._read().get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)


def build_secret_provider(section: Mapping[str, Any]) -> SecretProvider:
    """From the raw `secrets` settings section (before validation, hence a mapping)."""
    provider = section.get("provider", "env")
    if provider == "env":
        return EnvFileSecretProvider()
    if provider == "vault":
        raw: Any = section.get("vault_token") or os.environ.get("VAULT_TOKEN")
        token = raw.get_secret_value() if hasattr(raw, "get_secret_value") else raw
        if not token:
            raise SecretError("secrets.provider=vault needs FIXIA_SECRETS__VAULT_TOKEN")
        return VaultSecretProvider(
            url=section.get("vault_url", "http://127.0.0.1:8200"),
            token=str(token),
            mount=section.get("vault_mount", "secret"),
            path=section.get("vault_path", "fixia"),
            timeout_s=float(section.get("vault_timeout_s", 5.0)),
        )
    raise SecretError(f"unknown secrets.provider {provider!r}")


def overlay(data: dict[str, Any], provider: SecretProvider | None = None) -> dict[str, Any]:
    """The raw settings input with every secret the provider holds put in place."""
    section = data.get("secrets") or {}
    if not isinstance(section, Mapping):
        section = section.model_dump() if hasattr(section, "model_dump") else {}
    provider = provider or build_secret_provider(section)
    merged = dict(data)
    for name, (group, field) in SETTINGS_PATHS.items():
        value = provider.get(name)
        if value is None:
            continue
        parsed: Any = json.loads(value) if name in JSON_SECRETS else value
        if group is None:
            merged[field] = parsed
            continue
        current = merged.get(group) or {}
        if not isinstance(current, Mapping):
            current = current.model_dump()
        merged[group] = {**current, field: parsed}
    return merged
