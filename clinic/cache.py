"""A Redis cache that steps aside when Redis is down, so an outage never turns a page into a 500.

Nothing this project keeps in the cache is the only copy of anything: settings rows are read again
from the database, allauth's rate-limit histories and the ledger's double-tap tokens start afresh.
So on a connection error or timeout the backend answers from this process's memory (a LocMemCache)
and leaves Redis alone for ``RETRY_AFTER`` seconds, instead of paying a timeout on every call; the
first call after that window tries Redis again. Short socket timeouts (0.25 s) bound what a dead or
unreachable Redis costs the request that finds out. A warning says so at most once a minute per
process, naming no key (keys may be derived from what a user typed).

During an outage the memory is per process: rate limits count per web worker (with N workers an
address gets up to N times the allowance), and a double tap that lands on two workers is not
caught by the ledger's token. Sessions are unaffected: they live in the database.
"""

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

log = logging.getLogger(__name__)

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
SOCKET_TIMEOUT_SECONDS = 0.25
RETRY_AFTER_SECONDS = 15
WARN_EVERY_SECONDS = 60

# Every method of Django's RedisCache that talks to Redis; BaseCache builds the rest on these.
REDIS_METHODS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
)


class _Outage:
    """Whether Redis at one location is resting, shared by every thread of the process (Django
    makes one cache object per thread, and each should not pay its own timeout to find out)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.resting_until = 0.0
        self.down = False
        self.warned_at = None

    def resting(self):
        return time.monotonic() < self.resting_until

    def begin(self, error, retry_after):
        now = time.monotonic()
        with self.lock:
            self.down = True
            self.resting_until = now + retry_after
            warn = self.warned_at is None or now - self.warned_at >= WARN_EVERY_SECONDS
            if warn:
                self.warned_at = now
        if warn:
            log.warning(
                "Redis cache unreachable (%s: %s); this process uses its own memory and tries Redis "
                "again every %s s",
                type(error).__name__,
                error,
                retry_after,
            )

    def end(self):
        if not self.down:
            return
        with self.lock:
            was_down, self.down = self.down, False
        if was_down:
            log.info("Redis cache reachable again")


_outages = {}
_outages_lock = threading.Lock()


def _outage_for(location):
    with _outages_lock:
        return _outages.setdefault(location, _Outage())


class RedisCacheWithFallback(RedisCache):
    """Django's RedisCache; on a connection error or timeout, this process's memory for a while.

    OPTIONS as for RedisCache (passed to redis-py's connection pool), plus ``RETRY_AFTER`` (seconds
    before Redis is tried again after a failure)."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = options.pop("RETRY_AFTER", RETRY_AFTER_SECONDS)
        options.setdefault("socket_connect_timeout", SOCKET_TIMEOUT_SECONDS)
        options.setdefault("socket_timeout", SOCKET_TIMEOUT_SECONDS)
        # redis-py retries a failed command three times by default: four timeouts, not one.
        options.setdefault("retry", Retry(NoBackoff(), 0))
        super().__init__(server, {**params, "OPTIONS": options})
        location = server if isinstance(server, str) else ",".join(server)
        self.outage = _outage_for(location)
        fallback_params = {key: value for key, value in params.items() if key not in ("BACKEND", "OPTIONS")}
        # LocMemCache shares its store between instances of the same name: one store per process.
        self.fallback = LocMemCache(
            f"redis-fallback:{location}", {**fallback_params, "OPTIONS": {"MAX_ENTRIES": 1000}}
        )

    @property
    def using_fallback(self):
        return self.outage.resting()


def _with_fallback(name):
    redis_method = getattr(RedisCache, name)

    def method(self, *args, **kwargs):
        if self.outage.resting():
            return getattr(self.fallback, name)(*args, **kwargs)
        try:
            result = redis_method(self, *args, **kwargs)
        except REDIS_DOWN as error:
            self.outage.begin(error, self.retry_after)
            return getattr(self.fallback, name)(*args, **kwargs)
        self.outage.end()
        return result

    method.__name__ = name
    method.__doc__ = redis_method.__doc__
    return method


for _name in REDIS_METHODS:
    setattr(RedisCacheWithFallback, _name, _with_fallback(_name))
