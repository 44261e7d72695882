"""OLAP adapter: ClickHouse through clickhouse-connect, over HTTP (cloud) or in-process chdb.

Both variants are the same clickhouse-connect client, so the same DDL, queries and
server-side parameters (``{name:Type}``) run on ApsaraDB ClickHouse and on chdb. The client's
default database is set, so unqualified table names resolve to ``database``.

chdb hosts one engine per process and one process per data directory: a second data
directory in the same process (while the first is open), or a second process on the same
directory, is refused; ``embedded`` turns either case into an ``OlapError`` that says so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

# Timezone-aware datetimes out, as psycopg gives for timestamptz (naive ones would be UTC
# wearing no label). Going in, clickhouse-connect reads a naive datetime as UTC too.
_TZ_MODE = "aware"
_OTHER_PATH = re.compile(r"already initialized with path '([^']*)'")


class OlapError(RuntimeError):
    """ClickHouse / chdb could not be opened or reached."""


def http_params(url: str) -> dict[str, Any]:
    """get_client keyword arguments from ``http(s)://user:pass@host:port``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"ClickHouse URL must be http(s)://[user:pass@]host[:port], got {parts.scheme}://…")
    secure = parts.scheme == "https"
    return {
        "interface": parts.scheme,
        "host": parts.hostname,
        "port": parts.port or (8443 if secure else 8123),
        "username": unquote(parts.username) if parts.username else "default",
        "password": unquote(parts.password) if parts.password else "",
    }


def _quote(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _use_database(client: Client, database: str) -> None:
    client.command(f"CREATE DATABASE IF NOT EXISTS {_quote(database)}")
    client.database = database  # sent with every request (HTTP) / applied with USE (chdb)


def _lock_holder(path: Path) -> str | None:
    """What the ClickHouse status file says about the process holding this data directory."""
    try:
        lines = (path / "status").read_text(errors="replace").splitlines()
    except OSError:
        return None
    return ", ".join(line.strip() for line in lines if line.startswith(("PID", "Started"))) or None


def _chdb_open_error(path: Path, exc: Exception) -> OlapError:
    text = str(exc)
    other = _OTHER_PATH.search(text)
    if other:
        return OlapError(
            f"chdb cannot open {path}: this process already runs chdb on {other.group(1)}, and chdb allows "
            "one data directory per process; close every ClickHouseOlap on that directory first, "
            "or share it"
        )
    holder = _lock_holder(path)
    if holder:
        return OlapError(
            f"chdb data directory {path} is in use by another process ({holder}); chdb allows one "
            "process per data directory: stop that process (another local runner or test run?), "
            "use another directory, or set CK__HTTP to a ClickHouse server"
        )
    return OlapError(f"chdb cannot open {path}: {text}")


class ClickHouseOlap:
    adapter_name: str

    def __init__(self, client: Client, database: str, adapter_name: str) -> None:
        self._client = client
        self.database = database
        self.adapter_name = adapter_name

    @classmethod
    def http(
        cls,
        url: str,
        database: str = "ucm",
        *,
        connect_timeout_s: float = 3.0,
        timeout_s: float = 60.0,
    ) -> ClickHouseOlap:
        # Imported here: importing clickhouse-connect costs cold-start time for functions
        # that never touch OLAP.
        import clickhouse_connect
        from clickhouse_connect.driver.exceptions import OperationalError

        params = http_params(url)
        try:
            client = clickhouse_connect.get_client(
                **params,
                connect_timeout=connect_timeout_s,
                send_receive_timeout=timeout_s,
                # A ClickHouse session runs one query at a time; an FC instance serves
                # concurrent requests from one client, so no session.
                autogenerate_session_id=False,
                tz_mode=_TZ_MODE,
            )
        except OperationalError as exc:
            raise OlapError(f"cannot reach ClickHouse at {params['host']}:{params['port']}: {exc}") from exc
        _use_database(client, database)
        return cls(client, database, "clickhouse")

    @classmethod
    def embedded(cls, path: str | os.PathLike[str], database: str = "ucm") -> ClickHouseOlap:
        import clickhouse_connect
        from clickhouse_connect.driver.exceptions import Error

        data_dir = Path(path).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            client = clickhouse_connect.get_client(interface="chdb", path=str(data_dir), tz_mode=_TZ_MODE)
        except Error as exc:
            raise _chdb_open_error(data_dir, exc) from exc
        try:
            _use_database(client, database)
        except Exception:
            client.close()
            raise
        return cls(client, database, "chdb")

    def command(self, sql: str, parameters: Mapping[str, Any] | None = None) -> None:
        self._client.command(sql, parameters=dict(parameters) if parameters else None)

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        result = self._client.query(sql, parameters=dict(parameters) if parameters else None)
        return list(result.named_results())

    def insert(self, table: str, rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> None:
        if rows:
            self._client.insert(table, list(rows), column_names=list(columns))

    def ping(self) -> None:
        # Not client.ping(): that returns False and hides why; a query raises with the reason.
        self._client.command("SELECT 1")

    def close(self) -> None:
        self._client.close()
