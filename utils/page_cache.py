"""The public page cache: rendered pages keyed by code, valid for one pair of versions.

A page is stored with the invitation's version and its link's version as they were when it
was built. Writers bump those versions in the database and, once committed, publish them
(`publish`); a page whose versions are not the current ones is a miss. So a page is never
served stale after a commit, on any worker or host:

- `RedisPageCache` (REDIS_URL set): pages and current versions live in Redis, shared by
  every worker and host; one Lua call reads a page and checks its versions atomically, with
  no SQL. Versions only ever move up (a slow reader cannot publish an older one), and a
  missing version is a miss. If publishing fails (Redis unreachable for that worker only),
  pages still expire after PUBLIC_CACHE_TTL_SECONDS.
- `LocalPageCache` (no Redis): pages in this process; the current versions are read from
  the database with one indexed query per request, which is what makes several workers and
  hosts agree without a shared store.
- `NoPageCache` (PUBLIC_CACHE_TTL_SECONDS=0): every request builds the page.

A page embeds absolute URLs built from PUBLIC_BASE_URL and MEDIA_BASE_URL (never from a
request), so the Redis keys include a digest of both.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import redis
from flask import Flask, current_app

from utils.media import media_base_url, public_base_url
from utils.metrics import PUBLIC_PAGE_CACHE

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Versions:
    invitation_id: int
    invitation_version: int
    url_id: int
    url_version: int


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    etag: str
    # Epoch seconds after which the page may show something else (RSVP closing, expiry).
    valid_until: float


class NoPageCache:
    def get(self, code: str, current_versions: Callable[[], Versions | None]) -> CachedPage | None:
        return None

    def put(self, code: str, versions: Versions, page: CachedPage) -> None:
        return None

    def publish(self, kind: str, versions: dict[int, int]) -> None:
        return None


class LocalPageCache:
    def __init__(self, ttl_seconds: float, max_entries: int):
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._pages: OrderedDict[str, tuple[Versions, CachedPage, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, code: str, current_versions: Callable[[], Versions | None]) -> CachedPage | None:
        with self._lock:
            entry = self._pages.get(code)
            if entry is not None:
                self._pages.move_to_end(code)
        if entry is None:
            return None
        versions, page, stored_until = entry
        if min(page.valid_until, stored_until) <= time.time() or current_versions() != versions:
            with self._lock:
                self._pages.pop(code, None)
            return None
        return page

    def put(self, code: str, versions: Versions, page: CachedPage) -> None:
        with self._lock:
            self._pages[code] = (versions, page, time.time() + self.ttl)
            self._pages.move_to_end(code)
            while len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)

    def publish(self, kind: str, versions: dict[int, int]) -> None:
        # Every reader checks the database's versions; nothing to tell other processes.
        return None


# Reads a page and returns it only if both versions it was built for are the current ones.
_GET_SCRIPT = """
local page = redis.call('HMGET', KEYS[1], 'body', 'etag', 'until', 'inv', 'iv', 'url', 'uv')
if not page[1] then return false end
local iv = redis.call('GET', ARGV[1] .. page[4])
local uv = redis.call('GET', ARGV[2] .. page[6])
if iv ~= page[5] or uv ~= page[7] then return false end
return {page[1], page[2], page[3]}
"""

# Raises each version key to at least the given value (never lowers it), refreshing its TTL.
_RAISE = """
local function raise(key, version, ttl)
  local current = tonumber(redis.call('GET', key) or '0')
  if current < tonumber(version) then
    redis.call('SET', key, version, 'EX', ttl)
  else
    redis.call('EXPIRE', key, ttl)
  end
end
"""

_PUBLISH_SCRIPT = (
    _RAISE
    + """
for i = 1, #KEYS do raise(KEYS[i], ARGV[i], ARGV[#ARGV]) end
return #KEYS
"""
)

_PUT_SCRIPT = (
    _RAISE
    + """
raise(KEYS[2], ARGV[5], ARGV[9])
raise(KEYS[3], ARGV[7], ARGV[9])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'body', ARGV[1], 'etag', ARGV[2], 'until', ARGV[3],
  'inv', ARGV[4], 'iv', ARGV[5], 'url', ARGV[6], 'uv', ARGV[7])
redis.call('EXPIRE', KEYS[1], ARGV[8])
return 1
"""
)


class RedisPageCache:
    def __init__(self, client: redis.Redis, ttl_seconds: int, key_prefix: str, base: str = ""):
        self.client = client
        self.ttl = max(1, int(ttl_seconds))
        # Versions outlive the pages they validate, so a page never finds its version gone
        # and replaced by an older one.
        self.version_ttl = self.ttl * 2 + 60
        # Pages embed absolute URLs: instances with other base URLs (a restore under a new
        # address sharing the Redis) keep their own pages.
        self.page_prefix = f"{key_prefix}:pub:page:{base}:" if base else f"{key_prefix}:pub:page:"
        self.version_prefixes = {
            "invitation": f"{key_prefix}:pub:iv:",
            "link": f"{key_prefix}:pub:uv:",
        }
        self._get = client.register_script(_GET_SCRIPT)
        self._put = client.register_script(_PUT_SCRIPT)
        self._publish = client.register_script(_PUBLISH_SCRIPT)

    def get(self, code: str, current_versions: Callable[[], Versions | None]) -> CachedPage | None:
        try:
            found = self._get(
                keys=[self.page_prefix + code],
                args=[self.version_prefixes["invitation"], self.version_prefixes["link"]],
            )
        except redis.RedisError:
            logger.warning("Public page cache unreachable; building the page", exc_info=True)
            return None
        if not found:
            return None
        body, etag, valid_until = found
        page = CachedPage(body, etag.decode(), float(valid_until))
        return page if page.valid_until > time.time() else None

    def put(self, code: str, versions: Versions, page: CachedPage) -> None:
        ttl = max(1, min(self.ttl, int(page.valid_until - time.time())))
        try:
            self._put(
                keys=[
                    self.page_prefix + code,
                    self.version_prefixes["invitation"] + str(versions.invitation_id),
                    self.version_prefixes["link"] + str(versions.url_id),
                ],
                args=[
                    page.body,
                    page.etag,
                    repr(page.valid_until),
                    versions.invitation_id,
                    versions.invitation_version,
                    versions.url_id,
                    versions.url_version,
                    ttl,
                    self.version_ttl,
                ],
            )
        except redis.RedisError:
            logger.warning("Public page cache unreachable; page not stored", exc_info=True)

    def publish(self, kind: str, versions: dict[int, int]) -> None:
        if not versions:
            return
        prefix = self.version_prefixes[kind]
        items = sorted(versions.items())
        try:
            self._publish(
                keys=[prefix + str(row_id) for row_id, _ in items],
                args=[version for _, version in items] + [self.version_ttl],
            )
        except redis.RedisError:
            logger.error(
                "Could not publish new %s versions %s: cached pages may show the old ones for "
                "up to %s s",
                kind,
                versions,
                self.ttl,
                exc_info=True,
            )


def init_page_cache(app: Flask) -> None:
    config = app.config
    ttl = float(config["PUBLIC_CACHE_TTL_SECONDS"])
    client = app.extensions.get("redis")
    cache: NoPageCache | LocalPageCache | RedisPageCache
    if ttl <= 0:
        cache = NoPageCache()
    elif client is not None:
        with app.app_context():
            base = hashlib.sha256(f"{public_base_url()} {media_base_url()}".encode()).hexdigest()
        cache = RedisPageCache(client, int(ttl), config["REDIS_KEY_PREFIX"], base[:12])
    else:
        cache = LocalPageCache(ttl, int(config["PUBLIC_CACHE_MAX_ENTRIES"]))
    app.extensions["public_page_cache"] = cache


def page_cache():
    return current_app.extensions["public_page_cache"]


def count(outcome: str) -> None:
    PUBLIC_PAGE_CACHE.labels(outcome).inc()
