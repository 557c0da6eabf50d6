"""The one settings object. Every knob is an environment variable prefixed FIXIA_."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from fixia.config.runtime import FaultSettings, FlagSettings, GcSettings

# Values shipped in the repository for development. They are refused anywhere else so that a
# production deploy cannot start with a secret everybody can read on GitHub.
PLACEHOLDER_SECRETS = frozenset(
    {
        "dev-insecure-jwt-key-change-me-0123456789",
        "dev-insecure-encryption-key-change-me-0123",
        "dev-insecure-webhook-secret-change-me",
    }
)

Environment = Literal["development", "test", "staging", "production"]


class PlanLimits(BaseModel):
    """What a subscription plan allows. None means unlimited."""

    projects_per_month: int | None
    active_services: int | None
    proposals_per_month: int | None
    price_ars: Decimal
    duration_days: int = 30


def _default_plans() -> dict[str, PlanLimits]:
    return {
        "free": PlanLimits(
            projects_per_month=3, active_services=5, proposals_per_month=10, price_ars=Decimal(0)
        ),
        "premium": PlanLimits(
            projects_per_month=None,
            active_services=20,
            proposals_per_month=60,
            price_ars=Decimal("3900.00"),
        ),
        "professional": PlanLimits(
            projects_per_month=None,
            active_services=None,
            proposals_per_month=None,
            price_ars=Decimal("7900.00"),
        ),
    }


class DatabaseSettings(BaseModel):
    # The embedded default: no server needed for `make run`.
    url: str = "sqlite+aiosqlite:///var/fixia.db"
    pool_size: int = Field(default=5, ge=1, le=100)
    max_overflow: int = Field(default=5, ge=0, le=100)
    pool_timeout_s: float = Field(default=5.0, gt=0)
    statement_timeout_ms: int = Field(default=15_000, ge=0)
    echo: bool = False
    # Behind PgBouncer (transaction pooling) startup parameters are refused: the statement
    # timeout then comes from the database role (`fixiactl stack` sets it).
    via_pgbouncer: bool = False
    # Contract revisions a deploy runs only once the old release has retired (fixiactl sets
    # this on the new slot): readiness does not count them as the schema being behind.
    deferred_revisions: list[str] = Field(default_factory=list)


class AuthSettings(BaseModel):
    # kid -> secret. Several keys let a rotation verify old tokens while signing with the new one.
    jwt_keys: dict[str, SecretStr] = Field(
        default_factory=lambda: {"k1": SecretStr("dev-insecure-jwt-key-change-me-0123456789")}
    )
    jwt_active_kid: str = "k1"
    jwt_issuer: str = "fixia"
    access_ttl_s: int = Field(default=900, ge=60, le=86_400)
    refresh_ttl_s: int = Field(default=30 * 86_400, ge=3600)
    # However often it rotates, a log-in ends after this long.
    session_max_s: int = Field(default=60 * 86_400, ge=3600)
    # Two page loads refreshing with the same token at once are not a theft: a replay of a
    # token used this recently gets a sibling pair instead of revoking the family.
    refresh_reuse_grace_s: int = Field(default=10, ge=0, le=60)
    verify_email_ttl_s: int = 24 * 3600
    reset_password_ttl_s: int = 3600
    max_failed_logins: int = 5
    lockout_s: int = 30 * 60
    password_history: int = 5
    require_verified_email: bool = True
    argon2_time_cost: int = Field(default=2, ge=1, le=10)
    argon2_memory_kib: int = Field(default=19_456, ge=1024, le=1_048_576)
    argon2_parallelism: int = Field(default=1, ge=1, le=8)

    @model_validator(mode="after")
    def _active_kid_known(self) -> AuthSettings:
        if self.jwt_active_kid not in self.jwt_keys:
            raise ValueError(f"jwt_active_kid {self.jwt_active_kid!r} is not in jwt_keys")
        # HS256 (RFC 7518 3.2): a key shorter than the hash's 256 bits can be brute-forced
        # offline from any one token. Keys that only verify count too: they accept tokens.
        short = [kid for kid, key in self.jwt_keys.items() if len(key.get_secret_value()) < 32]
        if short:
            raise ValueError(f"jwt_keys {short} must be at least 32 characters")
        return self


class MarketplaceSettings(BaseModel):
    # Active (pending or accepted) proposals one professional may have on one project.
    proposals_per_professional_per_project: int = 2
    contact_reveal_ttl_s: int = 24 * 3600
    review_edit_window_s: int = 24 * 3600


class PaymentSettings(BaseModel):
    provider: Literal["sandbox", "mercadopago"] = "sandbox"
    # The platform's cut of every job payment; the professional receives the rest.
    commission_rate: Decimal = Field(default=Decimal("0.10"), ge=0, lt=1)
    webhook_secret: SecretStr = SecretStr("dev-insecure-webhook-secret-change-me")
    # Replay window: a signed notification older (or newer) than this is refused. 0 = off.
    webhook_tolerance_s: int = Field(default=300, ge=0)
    mercadopago_access_token: SecretStr | None = None
    mercadopago_api_url: str = "https://api.mercadopago.com"
    # OAuth application, for professionals linking the account they are paid to.
    mercadopago_client_id: str | None = None
    mercadopago_client_secret: SecretStr | None = None
    mercadopago_auth_url: str = "https://auth.mercadopago.com"
    timeout_s: float = Field(default=5.0, gt=0)
    retries: int = Field(default=2, ge=0, le=5)
    breaker_failures: int = Field(default=5, ge=1)
    breaker_reset_s: float = Field(default=30.0, gt=0)
    # Where the sandbox provider delivers its signed webhooks (the app itself by default).
    sandbox_webhook_url: str | None = None
    # The sandbox's simulated checkout lets its payer approve any payment of theirs: an
    # explicit opt-in (make run, tests), never on by default, refused in production.
    sandbox_checkout: bool = False
    # Renewals (docs/money.md): a renewing subscription's period is charged this many hours
    # before it ends; unpaid, the plan is kept this many days past its end (dunning e-mails
    # daily), then the user is downgraded. 0 days: downgraded at the end.
    renewal_lead_hours: int = Field(default=24, ge=0, le=24 * 14)
    renewal_grace_days: int = Field(default=7, ge=0, le=60)


class MoneySettings(BaseModel):
    """Milestones, payouts and reconciliation (docs/money.md)."""

    # A milestone marked done and neither approved nor disputed this long is released.
    auto_release_days: int = Field(default=7, ge=1, le=60)
    # Milestones one scheduler run releases; the next run takes the rest.
    batch_size: int = Field(default=200, ge=1, le=5000)
    # Reconciliation re-checks payments changed within this many days.
    reconcile_days: int = Field(default=3, ge=1, le=90)


class RateLimitSettings(BaseModel):
    enabled: bool = True
    # `limits` notation, per client IP. The spec's intended limits (its own were inert).
    rules: dict[str, str] = Field(
        default_factory=lambda: {
            "login": "5/15minute",
            "register": "3/minute",
            "password": "3/15minute",
            "verify": "10/minute",
            "proposals": "30/hour",
            "webhooks": "300/minute",
            # Listing views: a person browsing opens a few a minute; each viewer counts once
            # a day anyway, this bounds the writes a script can cause.
            "views": "60/minute",
            # Phone codes cost a text message each; verification requests are reviewed by hand.
            "phone_code": "3/10minute",
            "verification": "10/hour",
            # Autocomplete: one request per keystroke of a person typing, never more.
            "suggest": "120/minute",
            # Uploads (the spec's): photos, and the rarer avatars and documents.
            "image_uploads": "10/minute",
            "avatar_uploads": "5/minute",
            "document_uploads": "5/minute",
        }
    )
    fail_closed: list[str] = Field(default_factory=lambda: ["login"])
    # The limiter's own Redis, with noeviction: in the cache's (LRU) instance a flood of
    # cached searches could evict login windows (issue #27). Unset: the shared redis_url.
    redis_url: str | None = None


class CacheSettings(BaseModel):
    categories_ttl_s: float = 300
    service_ttl_s: float = 60
    profile_ttl_s: float = 60
    search_ttl_s: float = 30
    # Autocomplete answers depend only on the data files and the categories.
    suggest_ttl_s: float = 300
    # The per-worker near cache re-reads the invalidation version at most this often: the
    # bound on how stale a cached read may be after a write (0 turns the near cache off).
    near_check_s: float = Field(default=0.5, ge=0, le=10)
    near_max_entries: int = Field(default=2000, ge=0)


class SearchSettings(BaseModel):
    # The area a professional serves when they have not declared one: Trelew reaches Rawson,
    # Gaiman and Playa Unión (16-23 km), not Puerto Madryn (60 km).
    default_service_radius_km: int = Field(default=30, ge=0, le=500)


class EmailSettings(BaseModel):
    backend: Literal["outbox", "smtp"] = "outbox"
    outbox_dir: Path = Path("var/outbox")
    sender: str = "Fixia <no-reply@fixia.com.ar>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_s: float = 10.0


class SmsSettings(BaseModel):
    """Text messages (phone verification codes): the outbox in development and tests, Twilio's
    Messages API in production (docs/trust.md)."""

    backend: Literal["outbox", "twilio"] = "outbox"
    outbox_dir: Path = Path("var/sms-outbox")
    code_ttl_s: int = Field(default=600, ge=60, le=3600)
    code_attempts: int = Field(default=5, ge=1, le=10)
    twilio_api_url: str = "https://api.twilio.com"
    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr | None = None
    twilio_from: str = ""

    @model_validator(mode="after")
    def _twilio_complete(self) -> SmsSettings:
        if self.backend == "twilio" and not (
            self.twilio_account_sid and self.twilio_auth_token and self.twilio_from
        ):
            raise ValueError(
                "FIXIA_SMS__BACKEND=twilio needs FIXIA_SMS__TWILIO_ACCOUNT_SID, "
                "FIXIA_SMS__TWILIO_AUTH_TOKEN and FIXIA_SMS__TWILIO_FROM"
            )
        return self


class QueueSettings(BaseModel):
    """The job queue (docs/operations/queue.md). Crons take an optional sixth field for seconds,
    which tests use to compress time."""

    # Direct to PostgreSQL (the worker LISTENs; PgBouncer's transaction pooling cannot carry
    # that). Unset: the database URL.
    database_url: str | None = None
    pool_size: int = Field(default=4, ge=2, le=50)
    concurrency: int = Field(default=4, ge=1, le=64)
    # Run each request's jobs right after its commit, in the request's process: tests only.
    eager: bool = False
    max_attempts: int = Field(default=10, ge=1, le=30)
    # Exponential backoff: attempt n waits backoff_base_s ** (n + 1) seconds.
    backoff_base_s: int = Field(default=2, ge=1, le=10)
    poll_interval_s: float = Field(default=2.0, gt=0)
    shutdown_grace_s: float = Field(default=20.0, ge=0)
    # A worker silent for this long is dead; its running jobs are retried.
    stalled_after_s: float = Field(default=30.0, ge=5)
    heartbeat_s: float = Field(default=5.0, gt=0)
    expire_subscriptions_cron: str = "*/5 * * * *"
    renewal_reminders_cron: str = "0 12 * * *"
    renewal_reminder_days: int = Field(default=3, ge=1, le=30)
    # Renewing subscriptions: open the due period's charge and collect it (fixia.payments.tasks).
    renew_subscriptions_cron: str = "*/15 * * * *"
    purge_tokens_cron: str = "17 3 * * *"
    # Verification approvals past their date (fixia.trust.tasks).
    expire_verifications_cron: str = "7 * * * *"
    retry_stalled_cron: str = "* * * * *"
    # Storage objects no media row points at (docs/media.md).
    media_sweep_cron: str = "41 * * * *"
    # Milestones due for automatic release (fixia.money.tasks).
    auto_release_cron: str = "23 * * * *"
    # Pending payouts whose retries ran out are sent again (same idempotency key).
    sweep_payouts_cron: str = "53 * * * *"
    # Nightly: milestone payments against the provider, and the ledger against itself.
    reconcile_cron: str = "15 4 * * *"
    # Professionals who wrote lately are scored again for their reply time (fixia.trust.tasks);
    # the lookback overlaps two runs, so a late or missed run loses nobody.
    trust_replies_cron: str = "7 * * * *"
    trust_replies_lookback_s: int = Field(default=7200, ge=60)
    # Unread-message digests (fixia.conversations.tasks) and old stream events.
    conversation_digest_cron: str = "*/5 * * * *"
    stream_prune_cron: str = "23 4 * * *"
    # Finished jobs are deleted after this many days (their failures stay for the alerts).
    keep_finished_days: int = Field(default=7, ge=1)
    # Worker metrics and health (GET /healthz, /metrics) on loopback; 0 turns it off.
    health_port: int = Field(default=0, ge=0, le=65535)


class MediaSettings(BaseModel):
    """Uploaded photos and documents (docs/media.md). FIXIA_MEDIA__*."""

    # filesystem: the embedded default (`make run`, no server); s3: the stack and production.
    storage: Literal["filesystem", "s3"] = "filesystem"
    # Filesystem root; relative paths are under var_dir.
    root: Path = Path("media")
    s3_bucket: str = "fixia-media"
    s3_endpoint_url: str | None = None  # None: AWS itself; else MinIO, moto, Ceph...
    s3_region: str = "us-east-1"
    # Static keys only where the platform has no workload identity; unset: boto3's chain
    # (IRSA / instance role / env), which is what production uses.
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None
    # Where public variants are fetched from: a CDN in front of the bucket. Unset: the app
    # serves them itself under /media/p/ (the embedded default).
    public_base_url: str | None = None
    image_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    document_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # 40 MP: any phone photo; a decompression bomb is far larger and refused from its header.
    max_pixels: int = Field(default=40_000_000, ge=10_000)
    max_frames: int = Field(default=100, ge=1)
    # Longest side of each variant, in pixels.
    variants: dict[str, int] = Field(
        default_factory=lambda: {"thumb": 160, "card": 480, "full": 1600}
    )
    gallery_photos: int = Field(default=8, ge=0)  # besides the cover
    project_photos: int = Field(default=5, ge=0)
    # Stored bytes per plan (variants and documents). Plans not listed use "free".
    quota_bytes: dict[str, int] = Field(
        default_factory=lambda: {
            "free": 200 * 1024 * 1024,
            "premium": 2 * 1024 * 1024 * 1024,
            "professional": 10 * 1024 * 1024 * 1024,
        }
    )
    portfolio_items: dict[str, int] = Field(
        default_factory=lambda: {"free": 12, "premium": 50, "professional": 200}
    )
    signed_url_ttl_s: int = Field(default=300, ge=10, le=3600)
    # Objects no row points at, older than this, are removed by the sweep: longer than any
    # upload takes between its object and its commit (0 only in tests).
    orphan_grace_s: int = Field(default=6 * 3600, ge=0)
    # The upload's bytes are stored right after its commit; a worker that starts on the job
    # first looks again for this long before calling the upload lost.
    upload_wait_s: int = Field(default=120, ge=0)

    def quota_for(self, plan: str) -> int:
        return self.quota_bytes.get(plan, self.quota_bytes.get("free", 0))

    def portfolio_limit(self, plan: str) -> int:
        return self.portfolio_items.get(plan, self.portfolio_items.get("free", 0))


class StreamSettings(BaseModel):
    """Server-Sent Events for messages and notifications (docs/conversations.md)."""

    # auto: Redis pub/sub when a Redis is configured (the stack), else in process (make run).
    broker: Literal["auto", "memory", "redis"] = "auto"
    # Unset: the shared redis_url.
    redis_url: str | None = None
    # Below HAProxy's 30 s client/server timeouts, so an idle stream is never cut.
    heartbeat_s: float = Field(default=15.0, gt=0)
    # Back-pressure: events a slow stream may hold before it falls back to the store.
    queue_size: int = Field(default=64, ge=1, le=10_000)
    # A stream ends after this long and the browser reconnects (Last-Event-ID): streams do
    # not pin a slot for ever, so a drained slot empties.
    max_age_s: float = Field(default=300.0, gt=0)
    replay_batch: int = Field(default=200, ge=1, le=5000)
    keep_days: int = Field(default=7, ge=1)
    # At SIGTERM each stream is told to reconnect after 0.5 s plus a random part of this:
    # a deploy moves its streams to the new slot spread over a few seconds, not in a burst.
    closing_spread_ms: int = Field(default=2500, ge=0, le=60_000)
    # Streams of one process that may authenticate and read the store to start at once:
    # a burst of reconnections waits its turn instead of taking the pool from requests.
    open_concurrency: int = Field(default=4, ge=1, le=1000)


class ConversationSettings(BaseModel):
    """Messaging between the parties of a proposal, service request or job."""

    max_chars: int = Field(default=2000, ge=1, le=2000)
    max_attachments: int = Field(default=4, ge=0, le=10)
    # Masked contact details: after this many in one conversation the sender is flagged.
    flag_after_masked: int = Field(default=3, ge=1)
    # Unread messages older than this are mailed once, in a digest.
    digest_after_min: int = Field(default=15, ge=1)


class WebSettings(BaseModel):
    # None: Secure in production and whenever public_url is https (browsers drop Secure
    # cookies over plain http, e.g. the loopback staging stack). Production refuses false.
    cookie_secure: bool | None = None
    default_locale: Literal["es_AR", "en"] = "es_AR"
    # Origins besides public_url's whose pages may post forms here (web.csrf checks Origin
    # and Referer on unsafe requests); e.g. http://localhost:8000 next to the default.
    trusted_origins: list[str] = Field(default_factory=list)
    # Strict: no inline script or style anywhere, so no 'unsafe-inline' and no nonce needed.
    csp: str = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


class SecuritySettings(BaseModel):
    """HTTP hardening (platform/http_security.py) and API exposure."""

    # The API's own policy: JSON answers load nothing and may not be framed. HTML pages set
    # their own CSP (with nonces); the middleware never replaces a CSP a handler set.
    csp: str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
    # Swagger UI loads its own scripts; it is only served where api_docs is on.
    csp_exempt_paths: list[str] = Field(
        default_factory=lambda: ["/docs", "/docs/oauth2-redirect", "/redoc"]
    )
    hsts_max_age_s: int = Field(default=31_536_000, ge=0)
    referrer_policy: str = "no-referrer"
    # Browser origins allowed to call the API with credentials; empty means same-origin only.
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Web forms (web.pages.read_form): no page has more than a few dozen fields, the longest
    # field is a description of a few KB, and nothing is uploaded (images are https URLs).
    form_max_fields: int = Field(default=100, ge=1)
    form_max_part_bytes: int = Field(default=64 * 1024, ge=1024)
    form_max_files: int = Field(default=0, ge=0)
    # /docs and the OpenAPI document; None means on everywhere except production.
    api_docs: bool | None = None


class SecretsSettings(BaseModel):
    """Where secrets come from (config/secrets.py): env/files, or HashiCorp Vault KV v2."""

    provider: Literal["env", "vault"] = "env"
    # env provider: FIXIA_SECRET_<NAME>, or the file named by FIXIA_SECRET_<NAME>_FILE.
    vault_url: str = "http://127.0.0.1:8200"
    vault_token: SecretStr | None = None
    vault_mount: str = "secret"
    vault_path: str = "fixia"
    vault_timeout_s: float = Field(default=5.0, gt=0)


class ObservabilitySettings(BaseModel):
    """Metrics, traces, logs and error tracking (docs/observability.md)."""

    # The master switch: off turns the metrics middleware, tracing and the access log off
    # (the overhead benchmark compares both); /metrics and app logs stay.
    enabled: bool = True
    metrics_enabled: bool = True
    tracing_enabled: bool = True
    access_log: bool = True
    # The share of cache hits (2xx/304 from the cached-read fast path, faster than
    # slow_request_ms) that get an access-log line and a server span. Their RED metrics are
    # always kept; errors, slow requests and everything that is no hit are always logged and
    # traced. 1 logs every hit (docs/observability.md, Sampling cache hits).
    hit_sample_ratio: float = Field(default=0.05, ge=0, le=1)
    slow_request_ms: float = Field(default=250.0, ge=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Traces are always created (their ids correlate logs); exporting them is opt-in.
    otlp_endpoint: str | None = None
    otlp_headers: dict[str, str] = Field(default_factory=dict)
    sample_ratio: float = Field(default=1.0, ge=0, le=1)
    service_name: str = "fixia-api"
    # SQL spans come from SQLAlchemy; asyncpg's own spans would duplicate them.
    instrument_asyncpg: bool = False
    sentry_dsn: SecretStr | None = None
    sentry_traces_sample_rate: float = Field(default=0.0, ge=0, le=1)
    # The blue/green slot; the stack sets FIXIA_SLOT, read when this is unset.
    slot: str | None = None

    @property
    def metrics_on(self) -> bool:
        return self.enabled and self.metrics_enabled

    @property
    def tracing_on(self) -> bool:
        return self.enabled and self.tracing_enabled


class ServeSettings(BaseModel):
    """`fixia serve`'s HTTP server (fixia.platform.servers, docs/performance.md)."""

    server: Literal["uvicorn", "granian"] = "uvicorn"
    # In-flight requests get this long after SIGTERM (streams are ended at once).
    graceful_shutdown_s: int = Field(default=20, ge=1, le=600)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FIXIA_", env_nested_delimiter="__", extra="ignore", env_file=None
    )

    # Required: `make run` sets development and the test suite test, every deployment its
    # own; a forgotten variable must not silently run as development.
    env: Environment
    release: str = "dev"
    git_sha: str = "unknown"
    public_url: str = "http://127.0.0.1:8000"
    database_url: str | None = None
    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    sms: SmsSettings = Field(default_factory=SmsSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)
    marketplace: MarketplaceSettings = Field(default_factory=MarketplaceSettings)
    # Redis for the cache and the rate limiter; unset means in-process (embedded default).
    redis_url: str | None = None
    cache: CacheSettings = Field(default_factory=CacheSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    ratelimit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    payments: PaymentSettings = Field(default_factory=PaymentSettings)
    money: MoneySettings = Field(default_factory=MoneySettings)
    web: WebSettings = Field(default_factory=WebSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)
    observability: ObservabilitySettings = Field(default_factory=ObservabilitySettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    streams: StreamSettings = Field(default_factory=StreamSettings)
    conversations: ConversationSettings = Field(default_factory=ConversationSettings)
    # AES-GCM key for personal data at rest (phones). 32+ characters; derived to 256 bits.
    encryption_key: SecretStr = SecretStr("dev-insecure-encryption-key-change-me-0123")
    plans: dict[str, PlanLimits] = Field(default_factory=_default_plans)
    min_age_years: int = 18
    var_dir: Path = Path("var")
    # Deploy drills only (fixiactl release build --fault); refused in production.
    faults: FaultSettings = Field(default_factory=FaultSettings)
    flags: FlagSettings = Field(default_factory=FlagSettings)
    # The serving worker's garbage collector (fixia.asgi applies it).
    gc: GcSettings = Field(default_factory=GcSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)

    @model_validator(mode="before")
    @classmethod
    def _load_secrets(cls, data: Any) -> Any:
        """Secrets from the configured SecretProvider (env/files or Vault), before checks."""
        from fixia.config.secrets import overlay

        return overlay(data) if isinstance(data, dict) else data

    @model_validator(mode="after")
    def _fail_fast(self) -> Settings:
        if self.database_url:
            self.db.url = self.database_url
        if self.web.cookie_secure is None:
            self.web.cookie_secure = self.env == "production" or self.public_url.startswith("https")
        elif self.env == "production" and not self.web.cookie_secure:
            raise ValueError("web.cookie_secure=false is refused in production")
        if "free" not in self.plans:
            raise ValueError("plans must define a 'free' plan")
        dsn = self.observability.sentry_dsn
        if dsn is not None and dsn.get_secret_value() and find_spec("sentry_sdk") is None:
            raise ValueError("observability.sentry_dsn needs the sentry extra: fixia[sentry]")
        if len(self.encryption_key.get_secret_value()) < 32:
            raise ValueError("encryption_key must be at least 32 characters")
        if self.env in ("staging", "production"):
            secrets = [
                self.encryption_key,
                self.payments.webhook_secret,
                *self.auth.jwt_keys.values(),
            ]
            if any(s.get_secret_value() in PLACEHOLDER_SECRETS for s in secrets):
                raise ValueError(
                    f"placeholder secrets are refused in {self.env}: set FIXIA_ENCRYPTION_KEY, "
                    "FIXIA_AUTH__JWT_KEYS and FIXIA_PAYMENTS__WEBHOOK_SECRET"
                )
        if self.payments.provider == "mercadopago" and not self.payments.mercadopago_access_token:
            raise ValueError(
                "payments.provider=mercadopago needs FIXIA_PAYMENTS__MERCADOPAGO_ACCESS_TOKEN"
            )
        if self.env == "production" and self.faults.active:
            raise ValueError("fault injection (FIXIA_FAULTS__*) is refused in production")
        if self.env == "production" and self.payments.sandbox_checkout:
            raise ValueError("the sandbox's simulated checkout is refused in production")
        if self.env == "production" and self.payments.provider == "sandbox":
            raise ValueError("the sandbox payment provider is refused in production")
        return self

    @property
    def api_docs_enabled(self) -> bool:
        docs = self.security.api_docs
        return self.env != "production" if docs is None else docs

    @property
    def media_root(self) -> Path:
        root = self.media.root
        return root if root.is_absolute() else self.var_dir / root

    @property
    def is_sqlite(self) -> bool:
        return self.db.url.startswith("sqlite")

    def plan(self, name: str) -> PlanLimits:
        return self.plans.get(name, self.plans["free"])


@lru_cache
def get_settings() -> Settings:
    return Settings()
