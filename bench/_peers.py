"""Real peers for the benchmarks: a freshly migrated database on the PostgreSQL service."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from ucm import migrate, provision

PG_SUPERUSER = os.environ.get("TEST_PG_SUPERUSER", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def bench_database() -> Iterator[tuple[str, str]]:
    """(owner, app) conninfo of a new migrated database, dropped afterwards."""
    name = f"ucm_bench_{uuid.uuid4().hex[:8]}"
    p = provision.ensure_database(PG_SUPERUSER, name)
    owner = provision.conninfo_for(PG_SUPERUSER, database=name, user=p.owner)
    migrate.migrate_postgres(owner, p.app)
    try:
        yield owner, provision.conninfo_for(PG_SUPERUSER, database=name, user=p.app)
    finally:
        provision.drop_database(PG_SUPERUSER, name)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
