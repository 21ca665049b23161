"""Failed password checks per account, counted in the rate limiter's storage.

The route limits (utils/rate_limits.py) count requests per IP and per IP + account; this counts
failed password checks per account whatever the IP, so guesses spread over many addresses are
stopped too. The count lives in the Flask-Limiter storage: in memory per process, or in Redis
(REDIS_URL) shared by every worker and host. The key is a digest of the normalised e-mail, so
it works the same for an address no account has.
"""

import functools
import hashlib
import math
import time

from flask import current_app
from limits import RateLimitItem, parse

SCOPE = "login_account"


def retry_after(account: str) -> int | None:
    """Seconds until `account` may be tried again; None while it is under its limit."""
    limiter, item = _limiter_and_limit()
    if limiter is None:
        return None
    identifiers = _identifiers(account)
    if limiter.test(item, *identifiers):
        return None
    reset_at, _remaining = limiter.get_window_stats(item, *identifiers)
    return max(1, math.ceil(reset_at - time.time()))


def record_failure(account: str) -> None:
    limiter, item = _limiter_and_limit()
    if limiter is not None:
        limiter.hit(item, *_identifiers(account))


def _limiter_and_limit():
    extension = current_app.extensions.get("rate_limiter")
    if extension is None or not extension.enabled:
        return None, None
    # `limiter` is the in-memory fallback while the storage is unreachable, as for route limits.
    return extension.limiter, _parse(current_app.config["RATELIMIT_LOGIN_ACCOUNT"])


@functools.lru_cache(maxsize=8)
def _parse(limit: str) -> RateLimitItem:
    return parse(limit)


def _identifiers(account: str) -> tuple[str, str, str]:
    digest = hashlib.sha256(account.encode()).hexdigest()[:32]
    return current_app.config["REDIS_KEY_PREFIX"], SCOPE, digest
