"""Rate limits on the shared cache: one fixed-window counter, and the REST throttles built on it.

DRF's stock ``UserRateThrottle`` keeps every request's timestamp in one cache entry
(a list read, trimmed, pickled and written back on every request: two round trips
and up to ``rate`` floats each time). A fixed window is one ``incr`` per request;
the price is that a burst straddling two windows may reach twice the rate for a
moment, which is fine for a guard against runaway clients.
"""

import os
import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import SimpleRateThrottle

# One round trip on Redis: the count and, for the window's first hit, its expiry. (The
# cache API needs up to three: incr, which checks that the key exists first, then add
# and incr again when it did not; and a new redis-py client object for each.)
_COUNT_LUA = """
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return hits
"""
_redis: tuple | None = None  # (pid, servers, client, script) of this process


def _redis_counter(backend: RedisCache, key: str, timeout: int) -> int:
    global _redis
    servers = tuple(backend._servers)
    if _redis is None or _redis[:2] != (os.getpid(), servers):
        client = backend._cache.get_client(write=True)  # thread-safe: it draws on a connection pool
        _redis = (os.getpid(), servers, client, client.register_script(_COUNT_LUA))
    _, _, client, script = _redis
    # the same key and stored value as cache.incr/add would use, so cache.get reads it
    return int(script(keys=[backend.make_and_validate_key(key)], args=[timeout], client=client))


def count_in_window(key: str, seconds: int) -> tuple[int, float]:
    """Count one more hit in the current ``seconds``-long window of ``key``:
    ``(hits in this window so far, seconds until the window ends)``. Cache errors
    propagate (each caller decides whether an outage lets requests through)."""
    now = time.time()
    window = int(now // seconds)
    window_key = f"{key}:{window}"
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return _redis_counter(backend, window_key, seconds + 1), (window + 1) * seconds - now
    try:  # the window's counter usually exists already: one incr
        hits = cache.incr(window_key)
    except ValueError:  # the first hit of this window (or another process just opened it)
        hits = 1 if cache.add(window_key, 1, timeout=seconds + 1) else cache.incr(window_key)
    return hits, (window + 1) * seconds - now


class FixedWindowRateThrottle(SimpleRateThrottle):
    """A ``SimpleRateThrottle`` (same rates, scopes and cache keys) counted in fixed windows."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        hits, self._wait = count_in_window(self.key, self.duration)
        return hits <= self.num_requests

    def wait(self):
        return max(self._wait, 0.0)


class UserRateThrottle(FixedWindowRateThrottle):
    """Every request of a signed-in user (by id), or of an anonymous client (by IP)."""

    scope = "user"

    def get_cache_key(self, request, view):
        ident = request.user.pk if request.user and request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class WriteRateThrottle(UserRateThrottle):
    """Rate-limits unsafe methods per user (or IP) separately from reads."""

    scope = "writes"

    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)
