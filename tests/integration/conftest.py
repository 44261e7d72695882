"""Integration fixtures shared across modules.

chdb hosts one engine per process: while any client is open on one data directory, another
directory cannot be opened in the same process (it can after every client is closed). So the
whole test session shares one chdb directory, opened once (~0.7 s); tests keep apart by table
or database names. ``ClickHouseOlap.embedded(chdb_path, "other_db")`` opens a second client on
the same engine, with its own default database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ucm.adapters.clickhouse import ClickHouseOlap


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chdb")


@pytest.fixture(scope="session")
def olap(chdb_path: Path) -> Iterator[ClickHouseOlap]:
    """The session's chdb, default database ``ucm_test`` (not migrated: call migrate_clickhouse)."""
    client = ClickHouseOlap.embedded(chdb_path, "ucm_test")
    yield client
    client.close()
