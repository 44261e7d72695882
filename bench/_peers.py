"""Real peers for the benchmarks: a freshly migrated database on the PostgreSQL service."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from ucm import provision

PG_SUPERUSER = os.environ.get("TEST_PG_SUPERUSER", "postgresql://postgres@127.0.0.1:5432/postgres")


def bench_database() -> AbstractContextManager[tuple[str, str]]:
    """(owner, app) conninfo of a new migrated database, dropped afterwards."""
    return provision.scratch_database(PG_SUPERUSER, "ucm_bench")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


@contextmanager
def function_container(db: Any, data_dir: Path) -> Iterator[Any]:
    """The process-wide container on ``db`` with an in-process cache (yielded), as one function
    instance has it; removed afterwards."""
    from ucm import bootstrap
    from ucm.adapters.cache import MemoryCache
    from ucm.config import AppSettings, DbSettings, Settings

    cache = MemoryCache()
    s = Settings(db=DbSettings(conn=db.conninfo), app=AppSettings(data_dir=data_dir))
    bootstrap.reset(bootstrap.Container(s, db=db, cache=cache))
    try:
        yield cache
    finally:
        bootstrap.reset(None)


def admin_headers(db: Any) -> dict[str, str]:
    """Authorization of an HQ admin created in ``db``, signed with the container's secret."""
    from ucm import bootstrap, context
    from ucm.identity import auth, users

    with context.use(context.system("bench")):
        users.ensure_admin(db, "bench_admin", "Bench@2026x")
        pair = auth.login(db, auth.Settings(bootstrap.container().settings.app.secret), "bench_admin",
                          "Bench@2026x", None)
    return {"Authorization": f"Bearer {pair.access_token}"}
