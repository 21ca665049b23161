"""Settings per environment, read from the environment (and `.env`)."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent


def load_settings_file() -> None:
    """ENV_FILE (the deploy kit's /etc/invitaciones.env), else `.env` next to app.py.

    Read with python-dotenv wherever the app starts (gunicorn, worker, beat, cron's flask), and
    only for variables the process does not already have, so a unit's or crontab's own line
    (APP_ENV=production) wins over the file.
    """
    named = os.environ.get("ENV_FILE")
    if named and not Path(named).is_file():
        raise RuntimeError(f"Refusing to start: ENV_FILE {named} is not a file")
    load_dotenv(named or BASE_DIR / ".env")


load_settings_file()

DEFAULT_SECRET = "dev-secret-change-me"  # noqa: S105 - refused in production
DEFAULT_CORS_ORIGINS = "http://localhost:3000,http://localhost:3001"
# Where development keeps its data when no database is set; production refuses it.
FALLBACK_DATABASE_URL = f"sqlite:///{BASE_DIR / 'instance' / 'invitaciones.db'}"
# RFC 7518 wants HMAC keys of at least 256 bits; SECRET_KEY signs too.
MIN_SECRET_BYTES = 32

# Secret settings (config key -> the environment variable that sets it). Production refuses
# a value found in .env.example or a well-known placeholder for any of them; the first two
# are required and must hold at least MIN_SECRET_BYTES.
SECRET_SETTINGS = {
    "SECRET_KEY": "SECRET_KEY",
    "JWT_SECRET_KEY": "JWT_SECRET",
    "IZIPAY_PASSWORD": "IZIPAY_PASSWORD",
    "IZIPAY_HMAC_KEY": "IZIPAY_HMAC_KEY",
    "MAIL_PASSWORD": "MAIL_PASSWORD",
    "FTP_PASSWORD": "FTP_PASSWORD",
    "METRICS_TOKEN": "METRICS_TOKEN",
}
REQUIRED_SECRETS = ("SECRET_KEY", "JWT_SECRET_KEY")
PLACEHOLDER_SECRETS = frozenset(
    {
        DEFAULT_SECRET,
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "secret-key",
        "secretkey",
        "my-secret",
        "mysecret",
        "supersecret",
        "your-secret-key",
        "jwt-secret",
        "password",
        "default",
        "example",
        "test",
        "testing",
        "development",
    }
)
PLACEHOLDER_MARKERS = ("change-me", "changeme", "change_me", "replace-me", "replaceme")


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    return int(value) if value is not None else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in (env_str(name, default) or "").split(",") if item.strip()]


def database_url() -> str:
    """`DATABASE_URL`, else MySQL from the `DB_*` variables, else SQLite under instance/."""
    url = env_str("DATABASE_URL")
    if url:
        return url
    host = env_str("DB_HOST")
    if host:
        user = quote_plus(env_str("DB_USER", "root"))
        password = quote_plus(env_str("DB_PASSWORD", ""))
        credentials = f"{user}:{password}" if password else user
        port = env_int("DB_PORT", 3306)
        name = env_str("DB_NAME", "invitaciones_web")
        return f"mysql+pymysql://{credentials}@{host}:{port}/{name}?charset=utf8mb4"
    return FALLBACK_DATABASE_URL


def engine_options(url: str) -> dict:
    if url.startswith("mysql"):
        return {"pool_pre_ping": True, "pool_recycle": 280}
    # SQLite has one writer at a time: wait for the lock instead of failing "database is locked".
    return {"connect_args": {"timeout": 30}}


class Config:
    ENV_NAME = "base"
    DEBUG = False
    TESTING = False

    SECRET_KEY = env_str("SECRET_KEY", DEFAULT_SECRET)
    JWT_SECRET_KEY = env_str("JWT_SECRET", DEFAULT_SECRET)
    JWT_ALGORITHM = "HS256"
    JWT_DECODE_ALGORITHMS = ["HS256"]
    JWT_TOKEN_LOCATION = ["headers"]
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15))
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=env_int("JWT_REFRESH_DAYS", 7))

    SQLALCHEMY_DATABASE_URI = database_url()
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    REDIS_URL = env_str("REDIS_URL")
    # Connect and read timeout of every Redis client: a hung Redis degrades like a dead one.
    REDIS_TIMEOUT_SECONDS = float(env_str("REDIS_TIMEOUT_SECONDS", "0.2"))
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_DEFAULT = env_str("RATELIMIT_DEFAULT", "300 per minute")
    RATELIMIT_LOGIN = env_str("RATELIMIT_LOGIN", "5 per minute")
    RATELIMIT_LOGIN_IP = env_str("RATELIMIT_LOGIN_IP", "20 per minute")
    RATELIMIT_LOGIN_ACCOUNT = env_str("RATELIMIT_LOGIN_ACCOUNT", "20 per 15 minutes")
    RATELIMIT_REGISTER = env_str("RATELIMIT_REGISTER", "10 per hour")
    RATELIMIT_FORGOT_PASSWORD = env_str("RATELIMIT_FORGOT_PASSWORD", "5 per hour")
    RATELIMIT_RSVP = env_str("RATELIMIT_RSVP", "20 per hour")
    RATELIMIT_CLAIMS = env_str("RATELIMIT_CLAIMS", "5 per hour")
    RATELIMIT_CLAIM_LOOKUP = env_str("RATELIMIT_CLAIM_LOOKUP", "10 per hour")
    RATELIMIT_CLAIM_LOOKUP_IP = env_str("RATELIMIT_CLAIM_LOOKUP_IP", "10 per hour")
    RATELIMIT_UPLOADS = env_str("RATELIMIT_UPLOADS", "60 per hour")
    # Namespaces every Redis key (limits, caches), so apps can share one Redis safely.
    REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX", "invitaciones")
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)

    CORS_ORIGINS = env_list("CORS_ORIGINS", DEFAULT_CORS_ORIGINS)
    MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 10)
    # The whole request may carry a file of MAX_UPLOAD_MB plus its multipart envelope.
    MAX_CONTENT_LENGTH = (MAX_UPLOAD_MB + 1) * 1024 * 1024

    PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL")
    # Production requires an https PUBLIC_BASE_URL; this lets `make serve` run over plain http.
    ALLOW_HTTP_PUBLIC_BASE_URL = env_bool("ALLOW_HTTP_PUBLIC_BASE_URL", False)
    FRONTEND_URL = env_str("FRONTEND_URL", "http://localhost:3000")
    # The SPA's routes e-mails link to, after FRONTEND_URL; the reset token is appended.
    FRONTEND_RESET_PASSWORD_PATH = env_str("FRONTEND_RESET_PASSWORD_PATH", "/reset-password?token=")
    FRONTEND_MY_INVITATIONS_PATH = env_str("FRONTEND_MY_INVITATIONS_PATH", "/mis-invitaciones")
    # The public invitation page cache (docs/guest-side.md, "The guest side"); 0 turns it off.
    PUBLIC_CACHE_TTL_SECONDS = env_int("PUBLIC_CACHE_TTL_SECONDS", 300)
    PUBLIC_CACHE_MAX_ENTRIES = env_int("PUBLIC_CACHE_MAX_ENTRIES", 2000)
    # The most people one answer through the main or custom link may bring.
    RSVP_MAX_PARTY_SIZE = env_int("RSVP_MAX_PARTY_SIZE", 20)
    ORDER_TTL_MINUTES = env_int("ORDER_TTL_MINUTES", 60)
    BCRYPT_ROUNDS = env_int("BCRYPT_ROUNDS", 12)

    ADMIN_EMAIL = env_str("ADMIN_EMAIL")
    ADMIN_PASSWORD = env_str("ADMIN_PASSWORD")

    MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / "instance" / "media"))
    MEDIA_BASE_URL = env_str("MEDIA_BASE_URL")
    FTP_HOST = env_str("FTP_HOST")
    FTP_PORT = env_int("FTP_PORT", 21)
    FTP_USER = env_str("FTP_USER")
    FTP_PASSWORD = env_str("FTP_PASSWORD")
    FTP_BASE_DIR = env_str("FTP_BASE_DIR", "/")
    # The longest wait for one FTPS step (connect, a reply, a block of data), and for a whole
    # operation with its retries; within one request, all its FTPS operations together
    # (docs/operations.md, "Operations"). Well inside gunicorn's timeout (gunicorn.conf.py).
    FTP_TIMEOUT_SECONDS = float(env_str("FTP_TIMEOUT_SECONDS", "5"))
    FTP_DEADLINE_SECONDS = float(env_str("FTP_DEADLINE_SECONDS", "12"))
    # A CA bundle when the server's certificate is signed by a private one.
    FTP_CA_FILE = env_str("FTP_CA_FILE")

    IZIPAY_USERNAME = env_str("IZIPAY_USERNAME")
    IZIPAY_PASSWORD = env_str("IZIPAY_PASSWORD")
    IZIPAY_PUBLIC_KEY = env_str("IZIPAY_PUBLIC_KEY")
    IZIPAY_HMAC_KEY = env_str("IZIPAY_HMAC_KEY")
    IZIPAY_ENDPOINT = env_str("IZIPAY_ENDPOINT", "https://api.micuentaweb.pe")
    IZIPAY_IPN_URL = env_str("IZIPAY_IPN_URL")
    IZIPAY_TIMEOUT_SECONDS = float(env_str("IZIPAY_TIMEOUT_SECONDS", "10"))

    MAIL_SERVER = env_str("MAIL_SERVER")
    MAIL_PORT = env_int("MAIL_PORT", 587)
    MAIL_USERNAME = env_str("MAIL_USERNAME")
    MAIL_PASSWORD = env_str("MAIL_PASSWORD")
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", True)
    MAIL_DEFAULT_SENDER = env_str("MAIL_DEFAULT_SENDER", "no-reply@invitaciones.local")
    # The whole exchange with the mail server (connect to the end of the message) ends by then.
    MAIL_TIMEOUT_SECONDS = float(env_str("MAIL_TIMEOUT_SECONDS", "10"))

    # Inside a request, what runs after its commit (file deletions, a job run inline without
    # a broker) waits on storage this long in all: the answer is already decided.
    AFTER_COMMIT_DEADLINE_SECONDS = float(env_str("AFTER_COMMIT_DEADLINE_SECONDS", "1"))
    # /health waits this long for its checks; one not over by then is reported "timeout".
    HEALTH_TIMEOUT_SECONDS = float(env_str("HEALTH_TIMEOUT_SECONDS", "0.8"))

    # Background jobs on Celery (docs/operations.md, "Background jobs"): this broker, Redis's by
    # default; with none, every job runs inline in the process that asked for it (`make run`).
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL
    JOB_MAX_RETRIES = env_int("JOB_MAX_RETRIES", 6)
    # The first retry waits this long, each next one twice as long (at most an hour).
    JOB_RETRY_BACKOFF_SECONDS = env_int("JOB_RETRY_BACKOFF_SECONDS", 30)
    # A request hands its jobs to a Redis broker with this connect and read timeout, once:
    # a frozen broker costs it about that long, and the jobs stay in the outbox for the relay.
    # The process then leaves its jobs there without asking for JOB_BROKER_PAUSE_SECONDS.
    JOB_BROKER_TIMEOUT_SECONDS = float(env_str("JOB_BROKER_TIMEOUT_SECONDS", "0.2"))
    JOB_BROKER_PAUSE_SECONDS = float(env_str("JOB_BROKER_PAUSE_SECONDS", "15"))
    # An owner gets at most one e-mail of new RSVP answers per invitation per this many seconds.
    RSVP_NOTICE_SECONDS = env_int("RSVP_NOTICE_SECONDS", 300)
    # The port a worker serves its /metrics on (0: none).
    WORKER_METRICS_PORT = env_int("WORKER_METRICS_PORT", 0)

    LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
    LOG_FORMAT = env_str("LOG_FORMAT", "text")
    # When set, GET /metrics answers only `Authorization: Bearer <it>` (docs/operations.md,
    # "Operations"); unset, it is open to whoever reaches it, as behind the deploy kit's nginx
    # (internal only).
    METRICS_TOKEN = env_str("METRICS_TOKEN")

    API_TITLE = "Invitaciones Web API"
    API_VERSION = "1.0.0"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    # Served by the app itself from the swagger-ui-bundle package: the docs work offline.
    OPENAPI_SWAGGER_UI_URL = "/api/docs/assets/"

    @classmethod
    def check(cls, settings: dict) -> None:
        """Refuse settings that must never run; overridden where stricter rules apply."""


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = env_bool("FLASK_DEBUG", False)


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SQLALCHEMY_DATABASE_URI = env_str("TEST_DATABASE_URL", "sqlite://")
    BCRYPT_ROUNDS = 4
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    REDIS_URL = None
    JWT_SECRET_KEY = "testing-jwt-secret-" + "x" * 48  # noqa: S105 - 64+ bytes, HS512-safe too
    SECRET_KEY = "testing-secret-key"  # noqa: S105
    ADMIN_EMAIL = None
    ADMIN_PASSWORD = None
    IZIPAY_USERNAME = IZIPAY_PASSWORD = IZIPAY_PUBLIC_KEY = IZIPAY_HMAC_KEY = None
    FTP_HOST = None
    MAIL_SERVER = None
    CELERY_BROKER_URL = None


class ProductionConfig(Config):
    ENV_NAME = "production"
    # Read, not forced off, so that a debug flag left on is refused instead of hidden.
    DEBUG = env_bool("FLASK_DEBUG", False)
    SESSION_COOKIE_SECURE = True

    @classmethod
    def check(cls, settings: dict) -> None:
        problems = []
        examples = example_secret_values()
        for key, variable in SECRET_SETTINGS.items():
            value = settings.get(key)
            if not value:
                if key in REQUIRED_SECRETS:
                    problems.append(f"{variable} is missing")
            elif is_placeholder_secret(value, examples):
                problems.append(f"{variable} is an example or placeholder value")
            elif key in REQUIRED_SECRETS and len(value.encode()) < MIN_SECRET_BYTES:
                problems.append(f"{variable} must be at least {MIN_SECRET_BYTES} bytes")
        if settings.get("DEBUG"):
            problems.append("debug mode must be off in production")
        database_named = env_str("DATABASE_URL") or env_str("DB_HOST")
        if settings.get("SQLALCHEMY_DATABASE_URI") == FALLBACK_DATABASE_URL and not database_named:
            problems.append("DATABASE_URL (or DB_HOST) is missing: production never uses SQLite")
        problems.extend(public_base_url_problems(settings))
        if problems:
            raise RuntimeError("Refusing to start: " + "; ".join(problems))


def public_base_url_problems(settings: dict) -> list[str]:
    url = settings.get("PUBLIC_BASE_URL")
    if not url:
        return ["PUBLIC_BASE_URL is missing"]
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.get("ALLOW_HTTP_PUBLIC_BASE_URL") else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        return [f"PUBLIC_BASE_URL must be an https URL (got {url!r})"]
    return []


EXAMPLE_FILES = (BASE_DIR / ".env.example", BASE_DIR / "deploy" / "invitaciones.env.example")


def example_secret_values(*paths: Path) -> set[str]:
    """The values the example files give the secret variables: copied as they are, they are
    public."""
    variables = set(SECRET_SETTINGS.values())
    values = set()
    for path in paths or EXAMPLE_FILES:
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            name, separator, value = line.lstrip("# ").partition("=")
            if separator and name.strip() in variables and value.strip():
                values.add(value.strip())
    return values


def is_placeholder_secret(value: str, examples: set[str]) -> bool:
    folded = value.strip().lower()
    return (
        value.strip() in examples
        or folded in PLACEHOLDER_SECRETS
        or any(marker in folded for marker in PLACEHOLDER_MARKERS)
    )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
