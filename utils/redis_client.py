"""The app's Redis connection, when REDIS_URL is set."""

import redis
from flask import Flask, current_app


def init_redis(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions["redis"] = (
        redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2) if url else None
    )


def get_redis() -> redis.Redis | None:
    return current_app.extensions.get("redis")


def redis_key(*parts: str) -> str:
    """Namespaced keys, so several apps (or test runs) can share one Redis."""
    return ":".join((current_app.config["REDIS_KEY_PREFIX"], *parts))
