"""Configuration, read from environment variables in this one place.

Every variable is documented in docs/configuration.md. ``Config.from_env()`` is what the
app, the seed loader and ``migrations/conf.py`` use; tests build a ``Config``
directly with ``Config.from_env(overrides)``.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import os
import urllib.parse
from pathlib import Path

import limits

from janus import secret_key
from janus.paths import default_data_dir
from janus.smtp_url import SmtpSettings, parse_smtp_url
from janus.storage.location import S3Location, S3Settings, check_endpoint

# JANUS_DATA_DIR unset: a checkout's instance/, an installed package's
# platform data folder (janus.paths, docs/configuration.md).
DEFAULT_INSTANCE_DIR = default_data_dir()
# gunicorn.conf.py binds here unless JANUS_BIND says otherwise.
DEFAULT_BIND = "127.0.0.1:8000"


class ConfigError(ValueError):
    """A variable is set to something unusable."""


def default_database_url(data_dir: Path = DEFAULT_INSTANCE_DIR) -> str:
    # Absolute, so the working directory never decides which file is used.
    return f"sqlite:///{Path(data_dir).resolve() / 'janus.db'}"


def _int(env, name, default, minimum=0, maximum=None):
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name} must be <= {maximum}, got {value}")
    return value


def _bool(env, name, default):
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _list(env, name, default):
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _rate(env, name, default):
    """A rate in the limits library's syntax; unset is the default, "" turns it off."""
    raw = env.get(name)
    if raw is None:
        return default
    raw = raw.strip()
    if raw:
        try:
            limits.parse_many(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a rate such as 10/minute or "
                              f"10/minute;100/hour, got {raw!r}") from None
    return raw


def _networks(env, name, default):
    """Comma-separated addresses or CIDR networks, each checked here."""
    items = _list(env, name, default)
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(f"{name} must list addresses or CIDR networks "
                              f"(10.0.0.0/8,::1), got {item!r}") from None
    return items


def _public_url(env, name, default):
    """An absolute http(s) URL, optionally with a path prefix; stored without
    a trailing slash so that a path ("/console") can be appended."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    problem = None
    try:
        parts = urllib.parse.urlsplit(raw)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        parts, problem = None, "it does not parse"
    if parts is not None:
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problem = "it must start with http:// or https:// and name a host"
        elif parts.username is not None or parts.password is not None:
            problem = "it must not carry a user or password"
        elif parts.query or parts.fragment or "?" in raw or "#" in raw:
            problem = "it must not carry a query or fragment"
        elif any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
            problem = "it must not contain spaces or control characters"
    if problem:
        raise ConfigError(f"{name} must be an absolute http(s) URL such as "
                          f"https://janus.example or https://example.org/janus "
                          f"({problem}), got {raw!r}")
    return raw.rstrip("/")


# Ten years at most: an unbounded count would overflow the date arithmetic.
KNOWN_ADDRESS_DAYS_MAX = 3650

RATE_STORAGE_SCHEMES = ("sqlite", "memory", "redis", "rediss", "redis+unix")


def _storage(env, name, default):
    raw = (env.get(name) or "").strip() or default
    if raw.partition("://")[0] not in RATE_STORAGE_SCHEMES or "://" not in raw:
        raise ConfigError(f"{name} must be sqlite://, memory:// or a redis:// URL, got {raw!r}")
    return raw


def _secret_key(env, name):
    raw = env.get(name) or ""
    try:
        return secret_key.parse(raw) if raw.strip() else None
    except secret_key.SecretKeyError as exc:
        raise ConfigError(str(exc)) from None


def _storage_url(env, name):
    """s3://bucket/prefix, normalised (no trailing slash); unset or "": None."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    try:
        return S3Location.parse(raw).url
    except ValueError as exc:
        raise ConfigError(f"{name} {exc}") from None


def _endpoint(env, name):
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    try:
        return check_endpoint(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} {exc}") from None


def _smtp(env, name):
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    try:
        return parse_smtp_url(raw)
    except ValueError as exc:
        # Never the URL itself: it may hold the password.
        raise ConfigError(f"{name} must be smtp://[user:password@]host[:port][?starttls=true] "
                          f"or smtps://...: {exc}") from None


def _mail_from(env, name, default):
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if any(c in raw for c in "\r\n\0") or "@" not in raw or len(raw) > 254:
        raise ConfigError(f"{name} must be one address such as "
                          f"\"Janus <janus@example.org>\", got {raw!r}")
    return raw


@dataclasses.dataclass(frozen=True)
class Config:
    database_url: str
    # What Janus keeps on disk: the SQLite default, the local file store,
    # backups, generated secrets (JANUS_DATA_DIR).
    data_dir: Path = DEFAULT_INSTANCE_DIR
    # Connections kept per gunicorn worker (PostgreSQL pool size).
    db_pool_size: int = 8
    # PostgreSQL: prepare the hot queries once per connection (janus.repos.prepared);
    # off behind a pooler in transaction mode.
    pg_prepare: bool = True
    # Start even when the database cannot be reached (janus.startup); else refuse.
    start_without_database: bool = False
    # None: <data_dir>/storage. The store unless storage_url is set; then only
    # the folder `python -m janus.backup copy-store` copies from by default.
    storage_dir: Path | None = None
    # s3://bucket/prefix: files in a bucket shared by every host (janus.storage.s3),
    # reached with the standard AWS_* variables below.
    storage_url: str | None = None
    s3_endpoint_url: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = dataclasses.field(default=None, repr=False)
    s3_region: str | None = None
    # Start-up sweep: leftover temp files and unused originals younger than
    # this are spared (another worker may be writing them right now).
    sweep_grace_seconds: int = 3600
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 20 * 1024 * 1024
    max_image_pixels: int = 50_000_000
    token_ttl_seconds: int = 7 * 24 * 3600
    lockout_threshold: int = 5
    lockout_window_seconds: int = 15 * 60
    # Failures against one account from every address together (distributed
    # guessing); lockout_threshold is per (account, address).
    lockout_account_threshold: int = 20
    allow_registration: bool = True
    cors_origins: tuple = ()
    # Reverse proxies whose X-Forwarded-For is believed: addresses or CIDR
    # networks (janus.web.addresses).
    trusted_proxies: tuple = ()
    # An address the account logged in from (as the client's own address)
    # within this many days is not stopped by the account-wide lockout; 0: none is.
    known_address_days: int = 30
    # Where clients reach Janus ("https://janus.example", maybe with a path
    # prefix): redirects and links are built from it (``link``), never from
    # the request's Host. None: redirects are relative.
    public_url: str | None = None
    log_level: str = "INFO"
    # Request rates (limits syntax, "10/minute;100/hour"; "" off), per address
    # (analysis: per user), counted in a SQLite file in data_dir that the
    # host's workers share (janus.ratelimit_store), in Redis, or per worker.
    rate_limit_storage: str = "sqlite://"
    rate_limit_login: str = "10/minute"
    rate_limit_register: str = "10/hour"
    rate_limit_upload: str = "60/minute"
    rate_limit_analysis: str = "20/minute"
    rate_limit_export: str = "10/minute"
    # Full image decodes one worker runs at once (janus.imaging.gate).
    decode_concurrency: int = 1
    # Exports (GET /<list>/export) one worker streams at once (janus.web.routes.exports).
    export_concurrency: int = 2
    # None: argon2-cffi's current recommended defaults.
    argon2_time_cost: int | None = None
    argon2_memory_kib: int | None = None
    # How long a POST's Idempotency-Key and its stored answer are kept.
    idempotency_ttl_seconds: int = 24 * 3600
    # Who may read GET /metrics: addresses or CIDR networks (others get 404).
    metrics_allow: tuple = ("127.0.0.1/8", "::1")
    # The console (/console): how long a sign-in lasts, and whether its
    # cookies are sent over HTTPS only (set it behind TLS).
    console_session_seconds: int = 8 * 3600
    cookie_secure: bool = False
    # JANUS_SECRET_KEY (janus.secret_key); None: create_app uses the one
    # generated in <data_dir>/secret_key.
    secret_key: bytes | None = dataclasses.field(default=None, repr=False)
    # Mail (janus.mail): None writes each mail to the log (development only).
    smtp: SmtpSettings | None = None
    mail_from: str = "Janus <janus@localhost>"
    # Delivery attempts before a mail is marked failed; the first retry waits
    # mail_retry_seconds, each next one twice as long.
    mail_max_attempts: int = 5
    mail_retry_seconds: int = 30
    # The sender's sweep of the outbox (what a crashed worker left); 0: only
    # when woken after a commit.
    mail_sweep_seconds: int = 60
    # A claimed mail is its sender's for this long: then, its sender taken
    # for dead, another sends it (same Message-ID). Longer than a batch's SMTP.
    mail_lease_seconds: int = 600
    reset_token_ttl_seconds: int = 3600
    # The link an account made in the console is mailed: it may wait a weekend.
    set_password_token_ttl_seconds: int = 259200
    # Per address, and per account (the email asked for).
    rate_limit_password_reset: str = "5/minute;30/hour"
    rate_limit_password_reset_account: str = "3/hour"
    # On: open registration mails a link and login waits for it (janus.services.
    # email_verification); a taken email at registration is no longer told apart.
    require_email_verification: bool = False
    # Resending the link: per address, and per account (the email asked for).
    rate_limit_verify_email: str = "5/minute;30/hour"
    rate_limit_verify_email_account: str = "3/hour"
    # Every request of one API key, whatever its route (janus.web.plugins.AuthPlugin).
    rate_limit_api_key: str = "600/minute"

    def __post_init__(self):
        if self.storage_dir is None:  # built directly (tests): beside the data
            object.__setattr__(self, "storage_dir", Path(self.data_dir) / "storage")

    @property
    def s3_settings(self) -> S3Settings:
        return S3Settings(self.s3_endpoint_url, self.s3_access_key_id,
                          self.s3_secret_access_key, self.s3_region)

    @property
    def backup_dir(self) -> Path:
        return Path(self.data_dir) / "backups"

    def link(self, path: str) -> str:
        """``path`` ("/console/login") as clients reach it: under
        JANUS_PUBLIC_URL when it is set, else ``path`` itself (a relative
        reference, right for a redirect; a mail needs the absolute form, so
        check ``public_url`` first)."""
        return path if self.public_url is None else self.public_url + path

    @classmethod
    def from_env(cls, overrides: dict | None = None, env=None) -> Config:
        env = dict(os.environ if env is None else env)
        if overrides:
            env.update({k: str(v) for k, v in overrides.items()})
        # Each default is declared once, on its field above.
        default = {field.name: field.default for field in dataclasses.fields(cls)}

        def number(name: str, variable: str, minimum: int = 1):
            return _int(env, variable, default[name], minimum)

        data_dir = Path(env.get("JANUS_DATA_DIR") or default_data_dir(env)).resolve()
        return cls(
            database_url=env.get("DATABASE_URL") or default_database_url(data_dir),
            data_dir=data_dir,
            db_pool_size=number("db_pool_size", "JANUS_DB_POOL_SIZE"),
            pg_prepare=_bool(env, "JANUS_PG_PREPARE", default["pg_prepare"]),
            start_without_database=_bool(env, "JANUS_START_WITHOUT_DATABASE",
                                         default["start_without_database"]),
            storage_dir=Path(env.get("JANUS_STORAGE_DIR") or data_dir / "storage").resolve(),
            storage_url=_storage_url(env, "JANUS_STORAGE_URL"),
            s3_endpoint_url=_endpoint(env, "AWS_ENDPOINT_URL"),
            s3_access_key_id=env.get("AWS_ACCESS_KEY_ID") or None,
            s3_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
            s3_region=(env.get("AWS_DEFAULT_REGION") or "").strip() or None,
            sweep_grace_seconds=number("sweep_grace_seconds", "JANUS_SWEEP_GRACE_SECONDS",
                                       minimum=0),
            max_body_bytes=number("max_body_bytes", "JANUS_MAX_BODY_BYTES"),
            max_upload_bytes=number("max_upload_bytes", "JANUS_MAX_UPLOAD_BYTES"),
            max_image_pixels=number("max_image_pixels", "JANUS_MAX_IMAGE_PIXELS"),
            token_ttl_seconds=number("token_ttl_seconds", "JANUS_TOKEN_TTL_SECONDS"),
            lockout_threshold=number("lockout_threshold", "JANUS_LOCKOUT_THRESHOLD"),
            lockout_window_seconds=number("lockout_window_seconds", "JANUS_LOCKOUT_WINDOW_SECONDS"),
            lockout_account_threshold=number("lockout_account_threshold",
                                             "JANUS_LOCKOUT_ACCOUNT_THRESHOLD"),
            allow_registration=_bool(env, "JANUS_ALLOW_REGISTRATION",
                                     default["allow_registration"]),
            cors_origins=_list(env, "JANUS_CORS_ORIGINS", default["cors_origins"]),
            trusted_proxies=_networks(env, "JANUS_TRUSTED_PROXIES", default["trusted_proxies"]),
            known_address_days=_int(env, "JANUS_KNOWN_ADDRESS_DAYS",
                                    default["known_address_days"], 0, KNOWN_ADDRESS_DAYS_MAX),
            public_url=_public_url(env, "JANUS_PUBLIC_URL", default["public_url"]),
            rate_limit_storage=_storage(env, "JANUS_RATE_LIMIT_STORAGE",
                                        default["rate_limit_storage"]),
            rate_limit_login=_rate(env, "JANUS_RATE_LIMIT_LOGIN", default["rate_limit_login"]),
            rate_limit_register=_rate(env, "JANUS_RATE_LIMIT_REGISTER",
                                      default["rate_limit_register"]),
            rate_limit_upload=_rate(env, "JANUS_RATE_LIMIT_UPLOAD", default["rate_limit_upload"]),
            rate_limit_analysis=_rate(env, "JANUS_RATE_LIMIT_ANALYSIS",
                                      default["rate_limit_analysis"]),
            rate_limit_export=_rate(env, "JANUS_RATE_LIMIT_EXPORT", default["rate_limit_export"]),
            decode_concurrency=number("decode_concurrency", "JANUS_DECODE_CONCURRENCY"),
            export_concurrency=number("export_concurrency", "JANUS_EXPORT_CONCURRENCY"),
            log_level=(env.get("JANUS_LOG_LEVEL") or default["log_level"]).upper(),
            argon2_time_cost=number("argon2_time_cost", "JANUS_ARGON2_TIME_COST"),
            argon2_memory_kib=number("argon2_memory_kib", "JANUS_ARGON2_MEMORY_KIB", minimum=8),
            idempotency_ttl_seconds=number("idempotency_ttl_seconds",
                                           "JANUS_IDEMPOTENCY_TTL_SECONDS"),
            metrics_allow=_networks(env, "JANUS_METRICS_ALLOW", default["metrics_allow"]),
            console_session_seconds=number("console_session_seconds",
                                           "JANUS_CONSOLE_SESSION_SECONDS", minimum=60),
            cookie_secure=_bool(env, "JANUS_COOKIE_SECURE", default["cookie_secure"]),
            secret_key=_secret_key(env, "JANUS_SECRET_KEY"),
            smtp=_smtp(env, "JANUS_SMTP_URL"),
            mail_from=_mail_from(env, "JANUS_MAIL_FROM", default["mail_from"]),
            mail_max_attempts=number("mail_max_attempts", "JANUS_MAIL_MAX_ATTEMPTS"),
            mail_retry_seconds=number("mail_retry_seconds", "JANUS_MAIL_RETRY_SECONDS"),
            mail_sweep_seconds=number("mail_sweep_seconds", "JANUS_MAIL_SWEEP_SECONDS",
                                      minimum=0),
            mail_lease_seconds=number("mail_lease_seconds", "JANUS_MAIL_LEASE_SECONDS",
                                      minimum=1),
            reset_token_ttl_seconds=number("reset_token_ttl_seconds",
                                           "JANUS_RESET_TOKEN_TTL_SECONDS", minimum=60),
            set_password_token_ttl_seconds=number("set_password_token_ttl_seconds",
                                                  "JANUS_SET_PASSWORD_TOKEN_TTL_SECONDS",
                                                  minimum=60),
            rate_limit_password_reset=_rate(env, "JANUS_RATE_LIMIT_PASSWORD_RESET",
                                            default["rate_limit_password_reset"]),
            rate_limit_password_reset_account=_rate(
                env, "JANUS_RATE_LIMIT_PASSWORD_RESET_ACCOUNT",
                default["rate_limit_password_reset_account"]),
            require_email_verification=_bool(env, "JANUS_REQUIRE_EMAIL_VERIFICATION",
                                             default["require_email_verification"]),
            rate_limit_verify_email=_rate(env, "JANUS_RATE_LIMIT_VERIFY_EMAIL",
                                          default["rate_limit_verify_email"]),
            rate_limit_verify_email_account=_rate(
                env, "JANUS_RATE_LIMIT_VERIFY_EMAIL_ACCOUNT",
                default["rate_limit_verify_email_account"]),
            rate_limit_api_key=_rate(env, "JANUS_RATE_LIMIT_API_KEY",
                                     default["rate_limit_api_key"]),
        )
