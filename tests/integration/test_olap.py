"""The OLAP port on chdb: the real ClickHouse engine in-process, on the session's data directory
(``olap`` in conftest.py; chdb runs one engine per process). Tables get per-test names."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from ucm import migrate
from ucm.adapters.clickhouse import ClickHouseOlap, OlapError, http_params

SRC = Path(__file__).resolve().parents[2] / "shared"


def _name(stem: str) -> str:
    return f"{stem}_{uuid.uuid4().hex[:8]}"


def _sales_table(olap: ClickHouseOlap) -> str:
    table = _name("sales")
    olap.command(f"""
        CREATE TABLE {table} (
            store_id LowCardinality(String), sku String, qty UInt32,
            amount Decimal(12, 2), sold_at DateTime('Asia/Shanghai')
        ) ENGINE = MergeTree PARTITION BY toYYYYMM(sold_at) ORDER BY (store_id, sold_at)""")
    return table


SH = ZoneInfo("Asia/Shanghai")  # aware datetimes: clickhouse-connect reads naive ones as UTC
ROWS = [
    ["S001", "p01", 2, Decimal("7.00"), datetime(2025, 3, 1, 9, 30, tzinfo=SH)],
    ["S001", "p08", 1, Decimal("3.50"), datetime(2025, 3, 1, 18, 5, tzinfo=SH)],
    ["S001", "p01", 1, Decimal("3.50"), datetime(2025, 3, 2, 10, 0, tzinfo=SH)],
    ["S002", "p04", 3, Decimal("9.90"), datetime(2025, 3, 1, 12, 0, tzinfo=SH)],
]
COLUMNS = ["store_id", "sku", "qty", "amount", "sold_at"]


def test_unqualified_names_use_the_database(olap: ClickHouseOlap) -> None:
    assert olap.query("SELECT currentDatabase() AS db") == [{"db": "ucm_test"}]
    assert olap.adapter_name == "chdb"
    olap.ping()


def test_decimal_round_trip_and_parameters(olap: ClickHouseOlap) -> None:
    table = _sales_table(olap)
    olap.insert(table, ROWS, COLUMNS)
    olap.insert(table, [], COLUMNS)  # nothing to write is not an error
    rows = olap.query(
        f"SELECT sku, sum(qty) AS qty, sum(amount) AS amount FROM {table}"
        " WHERE store_id = {store:String} AND sold_at >= {since:DateTime} GROUP BY sku ORDER BY sku",
        {"store": "S001", "since": datetime(2025, 3, 1, tzinfo=SH)},
    )
    assert rows == [
        {"sku": "p01", "qty": 3, "amount": Decimal("10.50")},
        {"sku": "p08", "qty": 1, "amount": Decimal("3.50")},
    ]
    assert isinstance(rows[0]["amount"], Decimal)
    first = olap.query(f"SELECT sold_at FROM {table} ORDER BY sold_at LIMIT 1")[0]["sold_at"]
    assert first == ROWS[0][4] and first.tzinfo is not None  # aware, the same instant
    olap.command(f"DELETE FROM {table} WHERE store_id = {{store:String}}", {"store": "S002"})
    assert olap.query(f"SELECT count() AS n FROM {table}") == [{"n": 3}]


def test_materialized_view_into_summing_merge_tree(olap: ClickHouseOlap) -> None:
    sales = _sales_table(olap)
    daily = _name("sales_daily")
    olap.command(f"""
        CREATE TABLE {daily} (store_id String, day Date, qty UInt64, amount Decimal(18, 2))
        ENGINE = SummingMergeTree ORDER BY (store_id, day)""")
    olap.command(f"""
        CREATE MATERIALIZED VIEW {daily}_mv TO {daily} AS
        SELECT store_id, toDate(sold_at) AS day, sum(qty) AS qty, sum(amount) AS amount
        FROM {sales} GROUP BY store_id, day""")
    olap.insert(sales, ROWS[:2], COLUMNS)
    olap.insert(sales, ROWS[2:], COLUMNS)  # a second insert: a second part until merged
    olap.insert(sales, [["S001", "p02", 1, Decimal("0.01"), datetime(2025, 3, 1, 23, 59, tzinfo=SH)]], COLUMNS)
    expected = [
        {"store_id": "S001", "day": date(2025, 3, 1), "qty": 4, "amount": Decimal("10.51")},
        {"store_id": "S001", "day": date(2025, 3, 2), "qty": 1, "amount": Decimal("3.50")},
        {"store_id": "S002", "day": date(2025, 3, 1), "qty": 3, "amount": Decimal("9.90")},
    ]
    # Before a merge rows may be split across parts: reports aggregate again.
    assert olap.query(
        f"SELECT store_id, day, sum(qty) AS qty, sum(amount) AS amount FROM {daily}"
        " GROUP BY store_id, day ORDER BY store_id, day") == expected
    olap.command(f"OPTIMIZE TABLE {daily} FINAL")
    assert olap.query(f"SELECT store_id, day, qty, amount FROM {daily} ORDER BY store_id, day") == expected


def test_migrations_apply_once(chdb_path: Path) -> None:
    database = _name("mig")
    olap = ClickHouseOlap.embedded(chdb_path, database)  # a second client on the session's engine
    try:
        first = migrate.migrate_clickhouse(olap)
        assert first == [f"{m.version}_{m.name}" for m in migrate.load("clickhouse")]
        assert migrate.migrate_clickhouse(olap) == []
        tables = {r["name"] for r in olap.query("SELECT name FROM system.tables WHERE database = currentDatabase()")}
        assert {"events", "schema_migrations"} <= tables
    finally:
        olap.command(f"DROP DATABASE IF EXISTS {database}")
        olap.close()


def test_second_data_directory_in_this_process_is_refused(olap: ClickHouseOlap, tmp_path: Path) -> None:
    with pytest.raises(OlapError, match="one data directory per process"):
        ClickHouseOlap.embedded(tmp_path / "other")
    olap.ping()  # the open engine is unharmed


def test_second_process_on_the_same_directory_is_refused(olap: ClickHouseOlap, chdb_path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(SRC)!r})
        from ucm.adapters.clickhouse import ClickHouseOlap, OlapError
        try:
            ClickHouseOlap.embedded({str(chdb_path)!r})
        except OlapError as exc:
            print(exc)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60).stdout
    assert "in use by another process" in out
    assert "one process per data directory" in out


def test_http_url_parsing() -> None:
    assert http_params("http://bi%40ucm:p%3Ass@ck.internal:8123") == {
        "interface": "http", "host": "ck.internal", "port": 8123, "username": "bi@ucm", "password": "p:ss"}
    assert http_params("https://ck.example.com")["port"] == 8443
    with pytest.raises(ValueError):
        http_params("ck.internal:8123")


def test_http_unreachable_fails_clearly() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OlapError, match=f"cannot reach ClickHouse at 127.0.0.1:{port}"):
        ClickHouseOlap.http(f"http://127.0.0.1:{port}", connect_timeout_s=1)
