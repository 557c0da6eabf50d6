"""What an environment's settings demand, checked before anything starts.

The app refuses, at start-up, production settings it cannot run safely (`fixia.config`):
the sandbox payment provider, MercadoPago without its access token, any fault injection.
Left to the app, that refusal is a slot crash-looping under supervisord, a failed migration
with a traceback, or a deploy recorded as failed. `stack up`, `deploy`, `promote` and
`rollback` check the same rules first and refuse with a message saying what to set.
`fixiactl` never imports `fixia`, so the rules are restated here on the raw settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from fixiactl.deploy.releases import Release
from fixiactl.errors import FixiactlError
from fixiactl.stack.config import EnvConfig

# Setting names, not secrets: the plain setting, and the secrets store's (config/secrets.py).
TOKEN = "FIXIA_PAYMENTS__MERCADOPAGO_ACCESS_TOKEN"  # noqa: S105
SECRET = "FIXIA_SECRET_MERCADOPAGO_ACCESS_TOKEN"  # noqa: S105  # pragma: allowlist secret
STORE_HINT = (
    f"put the token in the secrets store: a file readable only by the stack's user named by "
    f"{SECRET}_FILE (in the environment's app_env or the environment of `fixiactl stack up`), "
    "or Vault (FIXIA_SECRETS__PROVIDER=vault, FIXIA_SECRETS__VAULT_TOKEN, key "
    "mercadopago_access_token); see docs/operations/deploy.md"
)


def effective_settings(config: EnvConfig, environ: Mapping[str, str]) -> dict[str, str]:
    """What a slot sees: the stack's inherited environment, overridden by its env file."""
    return {**environ, "FIXIA_ENV": config.fixia_env, **config.app_env}


def check(
    config: EnvConfig, release: Release | None = None, environ: Mapping[str, str] | None = None
) -> None:
    """Raise a FixiactlError naming the first requirement `config` (running `release`) breaks."""
    settings = effective_settings(config, os.environ if environ is None else environ)
    production = settings["FIXIA_ENV"] == "production"
    where = f"deploy/environments/{config.name}.toml"
    provider = settings.get("FIXIA_PAYMENTS__PROVIDER", "sandbox")
    if production and provider == "sandbox":
        raise FixiactlError(
            f"{config.name} is a production environment: the sandbox payment provider is refused",
            hint=f'set FIXIA_PAYMENTS__PROVIDER = "mercadopago" under [app_env] in {where}',
        )
    if provider == "mercadopago":
        _payment_token(config, settings, production)
    if production:
        _no_faults(config, settings, release)


def _payment_token(config: EnvConfig, settings: Mapping[str, str], production: bool) -> None:
    if production and TOKEN in config.app_env:
        raise FixiactlError(
            f"{config.name}'s MercadoPago token is written in its environment definition: a "
            "production secret must not live in git",
            hint=f"remove {TOKEN} from app_env; {STORE_HINT}",
        )
    store = settings.get("FIXIA_SECRETS__PROVIDER", "env")
    if store == "vault":
        if not (settings.get("FIXIA_SECRETS__VAULT_TOKEN") or settings.get("VAULT_TOKEN")):
            raise FixiactlError(
                f"{config.name} reads its secrets from Vault but has no Vault token",
                hint="set FIXIA_SECRETS__VAULT_TOKEN (or VAULT_TOKEN) for `fixiactl stack up`",
            )
        return
    if store != "env":
        raise FixiactlError(
            f"unknown FIXIA_SECRETS__PROVIDER {store!r} in {config.name}", hint="env or vault"
        )
    file = settings.get(f"{SECRET}_FILE")
    if file:
        path = Path(file)
        try:
            readable = bool(path.read_text().strip())
        except OSError as exc:
            raise FixiactlError(
                f"{config.name}'s MercadoPago token file {file} cannot be read: {exc.strerror}",
                hint=STORE_HINT,
            ) from exc
        if not readable:
            raise FixiactlError(f"{config.name}'s MercadoPago token file {file} is empty")
        return
    if settings.get(SECRET) or (not production and settings.get(TOKEN)):
        return
    raise FixiactlError(
        f"{config.name} pays through MercadoPago (FIXIA_PAYMENTS__PROVIDER=mercadopago) but no "
        "access token is available from the secrets store",
        hint=STORE_HINT,
    )


def _no_faults(config: EnvConfig, settings: Mapping[str, str], release: Release | None) -> None:
    faults = dict(release.faults) if release else {}
    faults |= {k: v for k, v in settings.items() if k.startswith("FIXIA_FAULTS__")}
    if faults:
        what = f"release {release.id}" if release and release.faults else config.name
        raise FixiactlError(
            f"{what} carries fault injection "
            f"({', '.join(f'{k}={v}' for k, v in sorted(faults.items()))}): "
            f"{config.name} is a production environment and refuses it",
            hint="deploy a release built without --fault, and keep FIXIA_FAULTS__* out of "
            "production's environment",
        )
