"""Identity numbers (issue 3): the per-request cost of checking a token and setting up the
caller's scope, and login latency (argon2id cost as in ucm.identity.passwords).

- token check + scope: ``principal.authenticate`` on a warm cache (in-process cache, and the
  Redis service) plus building the request context; and the ``set_config`` round trip that
  puts the scope into the transaction.
- login: ``auth.login`` end to end against the PostgreSQL service (argon2 verify, lockout
  bookkeeping, session row, audit row), sequentially.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from ucm import context
from ucm.adapters.cache import MemoryCache, RedisCache
from ucm.db import Database
from ucm.identity import auth, passwords, users
from ucm.identity.principal import authenticate

from bench._peers import bench_database, percentile

SECRET = "bench-secret"
TOKEN_TARGET_MS = 1.0
LOGIN_TARGET_MS = 150.0


def _timed(fn: Any, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def _summary(samples: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(samples, 50), 3), "p95_ms": round(percentile(samples, 95), 3),
            "p99_ms": round(percentile(samples, 99), 3)}


def run(n_token: int = 5000, n_login: int = 60) -> dict[str, Any]:
    with bench_database() as (_, app):
        db = Database(app, min_size=1, max_size=4)
        try:
            user, password = f"bench_{uuid.uuid4().hex[:6]}", "Bench@2026x"
            with context.use(context.system("bench")):
                users.ensure_admin(db, user, password)
                pair = auth.login(db, auth.Settings(SECRET), user, password, None)
            header = f"Bearer {pair.access_token}"
            results: dict[str, Any] = {}
            for name, cache in (("memory_cache", MemoryCache()), ("redis_cache", RedisCache("redis://127.0.0.1:6379/13"))):
                authenticate(db, cache, SECRET, header)  # warm

                def check(cache: Any = cache) -> None:
                    who = authenticate(db, cache, SECRET, header)
                    who.context("trace", "127.0.0.1", "bench")

                results[f"token_check_{name}"] = _summary(_timed(check, n_token))
                cache.close()
            ctx = context.Context("t", scope=context.Scope.stores("S1", "S2"))

            def scope_round_trip() -> None:
                with db.transaction(ctx):
                    pass

            results["transaction_with_scope"] = _summary(_timed(scope_round_trip, 2000))
            with context.use(context.system("bench")):
                logins = _timed(lambda: auth.login(db, auth.Settings(SECRET), user, password, None), n_login)
            results["login"] = _summary(logins)
            results["argon2"] = {"time_cost": passwords.TIME_COST, "memory_kib": passwords.MEMORY_KIB,
                                 "parallelism": passwords.PARALLELISM}
            results["met"] = {
                "token_check_p95_under_1ms": max(results["token_check_memory_cache"]["p95_ms"],
                                                 results["token_check_redis_cache"]["p95_ms"]) < TOKEN_TARGET_MS,
                "login_p95_under_150ms": results["login"]["p95_ms"] < LOGIN_TARGET_MS,
            }
            return results
        finally:
            db.close()


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
