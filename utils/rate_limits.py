"""Rate limits: views declare named limits; each app gets its own Limiter.

One Limiter per app (not a module-level one) keeps each app's storage its
own: `memory://` counts per process, and Redis (REDIS_URL) is what makes
several workers and hosts share one count.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, request
from flask_jwt_extended import decode_token
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import RedisStorage, Storage

from utils.emails import normalize_email
from utils.redis_client import is_redis_url, redis_connection_options

logger = logging.getLogger(__name__)

# name -> (config key holding the limit, what the limit is counted by)
NAMED_LIMITS = {
    "login": ("RATELIMIT_LOGIN", "ip_and_email"),
    "login_ip": ("RATELIMIT_LOGIN_IP", "ip"),
    # The login limit again, for the password that change-password and account deletion check.
    "password_check": ("RATELIMIT_LOGIN", "ip_and_user"),
    "register": ("RATELIMIT_REGISTER", "ip"),
    "forgot_password": ("RATELIMIT_FORGOT_PASSWORD", "email"),
    # The view names the invitation its code resolves to (`subject`), so every spelling and
    # every code of one invitation count together, and codes that resolve to none share one.
    "rsvp": ("RATELIMIT_RSVP", "ip_and_subject"),
    "claims": ("RATELIMIT_CLAIMS", "ip"),
    # Every lookup counts, a failed one too, so codes cannot be walked from one address nor
    # one code tried from many.
    "claim_lookup": ("RATELIMIT_CLAIM_LOOKUP", "claim_code"),
    "claim_lookup_ip": ("RATELIMIT_CLAIM_LOOKUP_IP", "ip"),
    "uploads": ("RATELIMIT_UPLOADS", "ip"),
}

# Probes, docs and gateway callbacks are never throttled.
EXEMPT_ENDPOINTS = frozenset(
    {
        "system.health",
        "metrics",
        "api-docs.openapi_json",
        "api-docs.openapi_swagger_ui",
        "docs_assets.docs_assets",
    }
)
# The bucket of requests no route matches (unknown paths, wrong or invented methods).
UNROUTED = "<unrouted>"


def rate_limit(*names: str, subject: Callable[[], str] | None = None):
    """Mark a view with named limits; `init_rate_limits` applies them.

    A limit counted by IP and subject needs `subject`: what the request is about, computed
    from it (called once the request's route is known, before the view runs).
    """
    unknown = set(names) - set(NAMED_LIMITS)
    if unknown:
        raise ValueError(f"unknown rate limits: {sorted(unknown)}")
    by_subject = {name for name in names if NAMED_LIMITS[name][1] == "ip_and_subject"}
    if by_subject != (set(names) if subject is not None else set()):
        raise ValueError(f"a subject goes with the limits counted by one: {sorted(by_subject)}")

    def mark(func):
        func._rate_limits = (*getattr(func, "_rate_limits", ()), *((n, subject) for n in names))
        return func

    return mark


def exempt_from_rate_limits(func):
    func._rate_limit_exempt = True
    return func


def _json_email() -> str:
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return normalize_email(email) if isinstance(email, str) else ""


def _token_user() -> str:
    """The user id the request's access token names (limits run before the view checks it).

    The signature is verified, so nobody picks another user's bucket; a token that does not
    verify falls in the IP's bucket and is refused by the view anyway.
    """
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or not token:
        return ""
    try:
        return str(decode_token(token.strip()).get("sub", ""))
    except Exception:  # noqa: BLE001 - any unusable token
        return ""


def _claim_code() -> str:
    """The claim code in the path, as the lookup compares it (services/claims.py)."""
    return str((request.view_args or {}).get("code", "")).strip().upper()


def _is_routed_preflight() -> bool:
    """A browser asking whether it may send a cross-origin request to one of our routes
    (answered by flask-cors)."""
    return (
        request.method == "OPTIONS"
        and request.endpoint is not None
        and "Origin" in request.headers
        and "Access-Control-Request-Method" in request.headers
    )


KEY_FUNCTIONS = {
    "ip": get_remote_address,
    "email": lambda: _json_email() or get_remote_address(),
    "ip_and_email": lambda: f"{get_remote_address()}|{_json_email()}",
    "ip_and_user": lambda: f"{get_remote_address()}|user:{_token_user()}",
    "claim_code": lambda: f"claim:{_claim_code()}",
}


def _ip_and(subject: Callable[[], str]) -> Callable[[], str]:
    return lambda: f"{get_remote_address()}|{subject()}"


def init_rate_limits(app: Flask) -> Limiter:
    """Build the app's Limiter: limits resolved once, counted for every request that is served.

    A request no route matches (404, 405, invented methods) counts against the default limit
    under one bucket, so probing paths or methods is throttled like anything else. A CORS
    preflight of a route counts against nothing and is never refused: a refused preflight fails
    the browser's CORS check, so the SPA would see a network error instead of the 429.
    """
    config = app.config
    exempt = EXEMPT_ENDPOINTS | {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "_rate_limit_exempt", False)
    }
    storage_uri = config["RATELIMIT_STORAGE_URI"]
    redis_storage = is_redis_url(storage_uri)
    if storage_uri.startswith("memory://"):
        storage_uri = LazyMemoryStorage.URI
    elif redis_storage:
        # Redis, counting in this process's memory while it is unreachable (a limits storage of
        # our own, so Flask-Limiter's private fallback machinery is not needed).
        storage_uri = RedisOrMemoryStorage.uri_for(storage_uri)
    limiter = Limiter(
        key_func=get_remote_address,
        default_limits=[config["RATELIMIT_DEFAULT"]],
        storage_uri=storage_uri,
        storage_options=redis_connection_options(config) if redis_storage else {},
        key_prefix=config["REDIS_KEY_PREFIX"],
        # The app's after-request step writes the headers (add_rate_limit_headers).
        headers_enabled=False,
        strategy="fixed-window",
        request_identifier=lambda: request.endpoint or UNROUTED,
    )
    limiter.request_filter(lambda: request.endpoint in exempt or _is_routed_preflight())
    # Declared as Flask-Limiter's LimitManager: ResolvedOnceLimits wraps one and answers the
    # same public calls (resolve_limits, exemption_scope), delegating the rest.
    limiter.limit_manager = ResolvedOnceLimits(limiter.limit_manager)  # type: ignore[assignment]
    limiter.init_app(app)
    for endpoint, view in list(app.view_functions.items()):
        limited: Callable[..., Any] = view
        for name, subject in getattr(view, "_rate_limits", ()):
            config_key, key_kind = NAMED_LIMITS[name]
            key_func = KEY_FUNCTIONS[key_kind] if subject is None else _ip_and(subject)
            limited = limiter.limit(config[config_key], key_func=key_func, scope=name)(limited)
        app.view_functions[endpoint] = limited
    app.extensions["rate_limiter"] = limiter
    return limiter


def add_rate_limit_headers(limiter: Limiter, response) -> None:
    """X-RateLimit-Limit/-Remaining/-Reset of the request's tightest limit; Retry-After on 429."""
    if not limiter.enabled:
        return
    current = limiter.current_limit
    if current is None:
        return
    try:
        reset_at, remaining = current.reset_at, current.remaining
    except Exception:  # noqa: BLE001 - the storage went away mid-request: no headers, no 500
        return
    headers = response.headers
    headers.add("X-RateLimit-Limit", str(current.limit.amount))
    headers.add("X-RateLimit-Remaining", str(remaining))
    headers.add("X-RateLimit-Reset", str(reset_at))
    if response.status_code == 429 and "Retry-After" not in headers:
        headers.add("Retry-After", str(max(1, reset_at - int(time.time()))))


class ResolvedOnceLimits:
    """Flask-Limiter's limit manager, remembering each endpoint's limits after its first request.

    The stock manager rebuilds (and re-parses) every limit on every request. Ours are fixed
    once the app is built: config strings and the decorators `init_rate_limits` applies.
    """

    def __init__(self, manager):
        self._manager = manager
        self._limits = {}
        self._exemptions = {}

    def __getattr__(self, name):
        return getattr(self._manager, name)

    def resolve_limits(self, app, endpoint=None, blueprint=None, *args, **kwargs):
        key = (endpoint, blueprint, *args, *sorted(kwargs.items()))
        resolved = self._limits.get(key)
        if resolved is None:
            found = self._manager.resolve_limits(app, endpoint, blueprint, *args, **kwargs)
            resolved = self._limits[key] = tuple(tuple(group) for group in found)
        return resolved

    def exemption_scope(self, app, endpoint, blueprint):
        key = (endpoint, blueprint)
        scope = self._exemptions.get(key)
        if scope is None:
            scope = self._exemptions[key] = self._manager.exemption_scope(app, endpoint, blueprint)
        return scope


class LazyMemoryStorage(Storage):
    """Fixed-window counters in this process's memory that expire when read: no threads.

    limits' MemoryStorage starts a timer thread on most hits to expire keys. Here a key past
    its window counts as absent, and expired keys are swept inline at most once per
    SWEEP_SECONDS, so keys never read again do not pile up.
    """

    STORAGE_SCHEME = ["lazy-memory"]
    URI = "lazy-memory://"
    SWEEP_SECONDS = 60

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, clock=time.time, **options
    ):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._clock = clock
        self._windows: dict[str, list] = {}  # key -> [count, expires_at]
        self._lock = threading.Lock()
        self._next_sweep = clock() + self.SWEEP_SECONDS

    @property
    def base_exceptions(self):
        return ValueError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = self._clock()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            window = self._windows.get(key)
            if window is None or window[1] <= now:
                window = self._windows[key] = [0, now + expiry]
            window[0] += amount
            return window[0]

    def get(self, key: str) -> int:
        window = self._windows.get(key)
        return window[0] if window is not None and window[1] > self._clock() else 0

    def get_expiry(self, key: str) -> float:
        now = self._clock()
        window = self._windows.get(key)
        return window[1] if window is not None and window[1] > now else now

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            count = len(self._windows)
            self._windows.clear()
        return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)

    def _sweep(self, now: float) -> None:
        self._windows = {key: window for key, window in self._windows.items() if window[1] > now}
        self._next_sweep = now + self.SWEEP_SECONDS


class RedisOrMemoryStorage(Storage):
    """limits' Redis storage that counts in this process's memory while Redis cannot be reached.

    Every call that meets Redis failing is answered from memory, so no request fails because
    Redis went away under it, and the next ones skip Redis for RETRY_SECONDS (one request per
    interval pays the connection timeout, REDIS_TIMEOUT_SECONDS). The first call after that tries
    Redis again: back on it by itself once it answers. Counts made in memory meanwhile stay
    there; as with any fallback, the shared count is per process during the outage.
    """

    STORAGE_SCHEME = ["redis+memory", "rediss+memory"]
    RETRY_SECONDS = 2.0

    @staticmethod
    def uri_for(redis_url: str) -> str:
        """The URI limits' registry hands to this storage: `redis+memory://host...`."""
        scheme, _, rest = redis_url.partition("://")
        return f"{scheme}+memory://{rest}"

    def __init__(self, uri: str, wrap_exceptions: bool = False, clock=time.monotonic, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.redis = RedisStorage(_redis_uri(uri), **options)
        self.memory = LazyMemoryStorage()
        self._clock = clock
        self._redis_retry_at = 0.0

    @property
    def base_exceptions(self):
        return ValueError  # Redis errors never leave this storage

    @property
    def using_memory(self) -> bool:
        return self._clock() < self._redis_retry_at

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._either("incr", key, expiry, amount)

    def get(self, key: str) -> int:
        return self._either("get", key)

    def get_expiry(self, key: str) -> float:
        return self._either("get_expiry", key)

    def check(self) -> bool:
        return self._either("check")

    def reset(self) -> int | None:
        self.memory.reset()
        return self._either("reset")

    def clear(self, key: str) -> None:
        self.memory.clear(key)
        self._either("clear", key)

    def _either(self, operation: str, *args):
        if not self.using_memory:
            try:
                return getattr(self.redis, operation)(*args)
            except (*_as_tuple(self.redis.base_exceptions), OSError) as error:
                logger.warning("Rate limits count in memory for now: Redis failed (%s)", error)
                self._redis_retry_at = self._clock() + self.RETRY_SECONDS
        return getattr(self.memory, operation)(*args)


def _redis_uri(uri: str) -> str:
    """`redis+memory://host...` back to the Redis URL it was made from."""
    scheme, _, rest = uri.partition("://")
    return f"{scheme.removesuffix('+memory')}://{rest}"


def _as_tuple(exceptions) -> tuple:
    return exceptions if isinstance(exceptions, tuple) else (exceptions,)
