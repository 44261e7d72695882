"""The cache port: one behaviour suite over Redis (the real service, db 15) and the in-process cache."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from ucm.adapters.cache import CacheUnavailable, MemoryCache, RedisCache
from ucm.ports import Cache

from tests.conftest import REDIS_URL


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["redis", "memory"])
def cache(request: pytest.FixtureRequest) -> Iterator[Cache]:
    prefix = f"ucmtest:{uuid.uuid4().hex[:8]}:"  # this test's own namespace in the shared Redis db
    c: RedisCache | MemoryCache = RedisCache(REDIS_URL, prefix=prefix) if request.param == "redis" \
        else MemoryCache(prefix=prefix)
    yield c
    if isinstance(c, RedisCache):
        raw = redis.Redis.from_url(REDIS_URL)
        keys = list(raw.scan_iter(match=prefix + "*"))
        if keys:
            raw.delete(*keys)
        raw.close()
    c.close()


def test_set_get_and_overwrite(cache: Cache) -> None:
    cache.set("sku:1", b"v1", 60)
    assert cache.get("sku:1") == b"v1"
    cache.set("sku:1", b"v2", 60)
    assert cache.get("sku:1") == b"v2"


def test_missing_key_is_none(cache: Cache) -> None:
    assert cache.get("no-such-key") is None


def test_ttl_expiry(cache: Cache) -> None:
    cache.set("short", b"x", 0.3)
    cache.set("long", b"y", 30)
    assert cache.get("short") == b"x"
    time.sleep(0.45)
    assert cache.get("short") is None
    assert cache.get("long") == b"y"


def test_non_positive_ttl_is_refused(cache: Cache) -> None:
    with pytest.raises(ValueError):
        cache.set("k", b"x", 0)


def test_delete_counts_existing_keys(cache: Cache) -> None:
    cache.set("a", b"1", 60)
    cache.set("b", b"2", 60)
    assert cache.delete("a", "b", "never-set") == 2
    assert cache.get("a") is None
    assert cache.delete("a") == 0
    assert cache.delete() == 0


def test_expired_key_does_not_count_as_deleted(cache: Cache) -> None:
    cache.set("gone", b"1", 0.05)
    time.sleep(0.15)
    assert cache.delete("gone") == 0


def test_binary_and_chinese_values(cache: Cache) -> None:
    blob = bytes(range(256)) * 4
    cache.set("blob", blob, 60)
    cache.set("商品:可口可乐", "可口可乐 330ml".encode(), 60)
    assert cache.get("blob") == blob
    assert cache.get("商品:可口可乐") == "可口可乐 330ml".encode()
    cache.set("empty", b"", 60)
    assert cache.get("empty") == b""


def test_get_many_keeps_order_and_misses(cache: Cache) -> None:
    cache.set("a", b"1", 60)
    cache.set("c", b"3", 60)
    assert cache.get_many("a", "b", "c") == [b"1", None, b"3"]
    assert cache.get_many() == []


def test_incr_many_counts_from_zero_and_expires(cache: Cache) -> None:
    cache.incr_many(["gen:x", "gen:y"], 60)
    cache.incr_many(["gen:x"], 0.3)
    assert cache.get_many("gen:x", "gen:y") == [b"2", b"1"]
    with pytest.raises(ValueError):
        cache.incr_many(["gen:x"], 0)
    time.sleep(0.45)
    assert cache.get("gen:x") is None  # the last bump set its lifetime
    cache.incr_many(["gen:x"], 60)
    assert cache.get("gen:x") == b"1"


def test_concurrent_incr_many_loses_no_count(cache: Cache) -> None:
    def bump() -> None:
        for _ in range(50):
            cache.incr_many(["gen:hot"], 60)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.get("gen:hot") == b"200"


def test_ping(cache: Cache) -> None:
    cache.ping()
    assert cache.adapter_name in {"redis", "memory"}


def test_keys_live_under_the_prefix() -> None:
    prefix = f"ucmtest:{uuid.uuid4().hex[:8]}:"
    c, other = RedisCache(REDIS_URL, prefix=prefix), RedisCache(REDIS_URL, prefix=prefix + "other:")
    raw = redis.Redis.from_url(REDIS_URL)
    try:
        c.set("k", b"v", 60)
        assert raw.get(prefix + "k") == b"v"
        assert other.get("k") is None
    finally:
        raw.delete(prefix + "k")
        for x in (c, other, raw):
            x.close()


def test_redis_down_fails_fast() -> None:
    c = RedisCache(f"redis://127.0.0.1:{_closed_port()}/15")
    started = time.monotonic()
    with pytest.raises(CacheUnavailable, match=r"127\.0\.0\.1"):
        c.ping()
    with pytest.raises(CacheUnavailable):
        c.get("k")
    assert time.monotonic() - started < 1.0
    c.close()


def test_memory_cache_evicts_least_recently_used() -> None:
    c = MemoryCache(max_items=3)
    for k in "abc":
        c.set(k, k.encode(), 60)
    assert c.get("a") == b"a"  # a is now the most recently used
    c.set("d", b"d", 60)
    assert c.get("b") is None
    assert [c.get(k) for k in "acd"] == [b"a", b"c", b"d"]


def test_memory_cache_is_thread_safe() -> None:
    c = MemoryCache(max_items=500)

    def work(n: int) -> None:
        for i in range(2000):
            c.set(f"{n}:{i % 700}", b"x", 60)
            c.get(f"{(n + 1) % 8}:{i % 700}")
            c.delete(f"{n}:{(i * 7) % 700}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(c._items) <= 500
