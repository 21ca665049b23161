"""The app's Redis connection, when REDIS_URL is set, and the options every Redis client uses.

A Redis that stops answering (frozen, partitioned) must cost a request at most a few hundred
milliseconds, never hang it: every client (this one and the rate limiter's storage) connects
and reads with REDIS_TIMEOUT_SECONDS and retries once, at once, so a stale pooled connection
is replaced but a dead server is given up on quickly (docs/operations.md, "Operations").
"""

import redis
from flask import Flask, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

REDIS_SCHEMES = frozenset({"redis", "rediss", "redis+unix", "unix"})


def is_redis_url(url: str | None) -> bool:
    return url is not None and url.partition("://")[0] in REDIS_SCHEMES


def redis_connection_options(config) -> dict:
    timeout = config["REDIS_TIMEOUT_SECONDS"]
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        # redis-py's default retries ten times with backoff: seconds, not milliseconds, of waiting.
        "retry": Retry(NoBackoff(), 1),
    }


def init_redis(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions["redis"] = (
        redis.Redis.from_url(url, **redis_connection_options(app.config)) if url else None
    )


def get_redis() -> redis.Redis | None:
    return current_app.extensions.get("redis")


def redis_key(*parts: str) -> str:
    """Namespaced keys, so several apps (or test runs) can share one Redis."""
    return ":".join((current_app.config["REDIS_KEY_PREFIX"], *parts))
