"""Real peers for the benchmarks: a freshly migrated database on the PostgreSQL service."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager

from ucm import provision

PG_SUPERUSER = os.environ.get("TEST_PG_SUPERUSER", "postgresql://postgres@127.0.0.1:5432/postgres")


def bench_database() -> AbstractContextManager[tuple[str, str]]:
    """(owner, app) conninfo of a new migrated database, dropped afterwards."""
    return provision.scratch_database(PG_SUPERUSER, "ucm_bench")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
