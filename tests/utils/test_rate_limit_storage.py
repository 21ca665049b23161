"""The rate limits' own storage: Redis while it answers, this process's memory while it does not."""

import time

import redis
from limits.storage import storage_from_string
from redis.backoff import NoBackoff
from redis.retry import Retry

from utils.rate_limits import RedisOrMemoryStorage

OPTIONS = {"socket_timeout": 0.2, "socket_connect_timeout": 0.2, "retry": Retry(NoBackoff(), 1)}


class Clock:
    def __init__(self):
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now


def storage_for(url: str, clock=time.monotonic) -> RedisOrMemoryStorage:
    storage = storage_from_string(RedisOrMemoryStorage.uri_for(url), clock=clock, **OPTIONS)
    assert isinstance(storage, RedisOrMemoryStorage)  # limits' registry finds it by its scheme
    return storage


def test_counts_are_kept_in_redis_while_it_answers(own_redis):
    storage = storage_for(own_redis.url)

    counts = [storage.incr("login|1.2.3.4", 60) for _ in range(3)]

    assert counts == [1, 2, 3]
    assert int(redis.Redis.from_url(own_redis.url).get("LIMITS:login|1.2.3.4")) == 3
    assert not storage.using_memory


def test_a_frozen_redis_is_skipped_and_counted_in_memory_without_an_error(own_redis):
    storage = storage_for(own_redis.url)
    storage.incr("rsvp|ip", 3600)
    own_redis.freeze()
    try:
        started = time.monotonic()
        counts = [storage.incr("rsvp|ip", 3600) for _ in range(5)]
        seconds = time.monotonic() - started
    finally:
        own_redis.thaw()

    assert counts == [1, 2, 3, 4, 5]  # a fresh count in memory, never an exception
    assert storage.using_memory
    assert seconds < 1.0  # only the first call waited for Redis


def test_redis_is_tried_again_after_the_retry_interval_and_used_once_it_answers(own_redis):
    clock = Clock()
    storage = storage_for(own_redis.url, clock)
    own_redis.freeze()
    try:
        assert storage.incr("claims|ip", 3600) == 1
    finally:
        own_redis.thaw()
    assert storage.incr("claims|ip", 3600) == 2  # still in memory within the interval

    clock.now += RedisOrMemoryStorage.RETRY_SECONDS + 0.1

    assert storage.incr("claims|ip", 3600) == 1  # Redis's own count, which the outage missed
    assert not storage.using_memory
    assert storage.get("claims|ip") == 1


def test_nothing_listening_is_answered_from_memory_too():
    storage = storage_for("redis://127.0.0.1:1/0")  # port 1: refused at once

    assert storage.incr("key", 60) == 1
    assert storage.get("key") == 1
    assert storage.get_expiry("key") > time.time()
    assert storage.check() is True  # the memory side is always healthy
