"""Cache adapters: Redis / Tair through redis-py (cloud) and an in-process TTL cache (embedded).

Both namespace every key with a prefix (default ``ucm:``) so several apps, or tests, can
share one Redis database, and both raise ``ValueError`` for a non-positive TTL.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis

DEFAULT_PREFIX = "ucm:"


class CacheUnavailable(ConnectionError):
    """The cache server could not be reached or did not answer in time."""


def _ttl_ms(ttl_s: float) -> int:
    if ttl_s <= 0:
        raise ValueError(f"cache ttl must be positive, got {ttl_s!r}")
    return max(1, round(ttl_s * 1000))


class RedisCache:
    adapter_name = "redis"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout_s: float = 1.0,
    ) -> None:
        # Imported here: the embedded default never needs redis-py (cold-start cost).
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.prefix = prefix
        self._errors_to_wrap: tuple[type[Exception], ...] = (redis.ConnectionError, redis.TimeoutError)
        # A cache must fail fast: short socket timeouts and a single immediate retry, which
        # covers a pooled connection the server dropped while the FC instance was frozen.
        self._client: redis.Redis[bytes] = redis.Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 1),
            decode_responses=False,
        )
        conn = self._client.connection_pool.connection_kwargs
        self._where = str(conn.get("path") or f"{conn.get('host')}:{conn.get('port')}")  # never the password

    def _key(self, key: str) -> str:
        return self.prefix + key

    @contextmanager
    def _errors(self, op: str) -> Iterator[None]:
        try:
            yield
        except self._errors_to_wrap as exc:
            raise CacheUnavailable(f"Redis {op} at {self._where} failed: {exc}") from exc

    def get(self, key: str) -> bytes | None:
        with self._errors("get"):
            value = self._client.get(self._key(key))
        return None if value is None else bytes(value)

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        px = _ttl_ms(ttl_s)
        with self._errors("set"):
            self._client.set(self._key(key), value, px=px)

    def delete(self, *keys: str) -> int:
        if not keys:
            return 0
        with self._errors("delete"):
            return int(self._client.delete(*(self._key(k) for k in keys)))

    def get_many(self, *keys: str) -> list[bytes | None]:
        if not keys:
            return []
        with self._errors("mget"):
            values = self._client.mget([self._key(k) for k in keys])
        return [None if v is None else bytes(v) for v in values]

    def incr_many(self, keys: Sequence[str], ttl_s: float) -> None:
        px = _ttl_ms(ttl_s)
        if not keys:
            return
        with self._errors("incr"):
            pipe = self._client.pipeline(transaction=False)
            for k in keys:
                pipe.incr(self._key(k))
                pipe.pexpire(self._key(k), px)
            pipe.execute()

    def ping(self) -> None:
        with self._errors("ping"):
            self._client.ping()

    def close(self) -> None:
        self._client.close()


class MemoryCache:
    """A thread-safe, size-bounded TTL cache in this process (least recently used goes first).

    One FC instance or the local runner only: entries are not shared between processes.
    """

    adapter_name = "memory"

    def __init__(self, max_items: int = 10_000, *, prefix: str = DEFAULT_PREFIX) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self.prefix = prefix
        self.max_items = max_items
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()  # key -> (expires_at, value)
        self._lock = threading.Lock()

    def _key(self, key: str) -> str:
        return self.prefix + key

    def get(self, key: str) -> bytes | None:
        k = self._key(key)
        with self._lock:
            item = self._items.get(k)
            if item is None:
                return None
            if item[0] <= time.monotonic():
                del self._items[k]
                return None
            self._items.move_to_end(k)
            return item[1]

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        expires_at = time.monotonic() + _ttl_ms(ttl_s) / 1000
        k = self._key(key)
        with self._lock:
            self._items[k] = (expires_at, bytes(value))
            self._items.move_to_end(k)
            # Expired entries are dropped lazily (on get, or here as the oldest): no sweeper thread.
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def delete(self, *keys: str) -> int:
        now = time.monotonic()
        removed = 0
        with self._lock:
            for key in keys:
                item = self._items.pop(self._key(key), None)
                if item is not None and item[0] > now:  # Redis counts only live keys
                    removed += 1
        return removed

    def get_many(self, *keys: str) -> list[bytes | None]:
        return [self.get(k) for k in keys]

    def incr_many(self, keys: Sequence[str], ttl_s: float) -> None:
        expires_at = time.monotonic() + _ttl_ms(ttl_s) / 1000
        now = time.monotonic()
        with self._lock:  # read and write under one lock: concurrent bumps never lose a count
            for key in keys:
                k = self._key(key)
                item = self._items.get(k)
                n = int(item[1]) if item is not None and item[0] > now else 0
                self._items[k] = (expires_at, str(n + 1).encode())
                self._items.move_to_end(k)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def ping(self) -> None:
        return None

    def close(self) -> None:
        with self._lock:
            self._items.clear()
