"""Versioned SQL migrations for PostgreSQL and ClickHouse (``migrations/<engine>/NNNN_name.sql``).

Applied in order, each recorded with its checksum, idempotent (an applied version is
skipped; an applied file that changed since is an error, not silently re-run).

Why not a library: yoyo-migrations and friends speak DB-API to a server; the embedded
ClickHouse (chdb) runs in-process, and no maintained tool fits both engines. This runner
goes through our own ports, so the same files run on chdb and on ClickHouse server.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from ucm.config import PROJECT_ROOT
from ucm.ports import Olap

log = logging.getLogger(__name__)

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_PG_LOCK = 727_401  # advisory lock id: one migrator at a time


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load(engine: str, root: Path = MIGRATIONS_DIR) -> list[Migration]:
    folder = root / engine
    out: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        m = _NAME.match(path.name)
        if not m:
            raise MigrationError(f"{path}: migration files are named NNNN_name.sql")
        out.append(Migration(m.group(1), m.group(2), path.read_text(encoding="utf-8")))
    versions = [m.version for m in out]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{folder}: two migrations share a version number")
    return out


def _check_applied(applied: dict[str, str], migrations: list[Migration], engine: str) -> list[Migration]:
    pending = []
    for m in migrations:
        if m.version in applied:
            if applied[m.version] != m.checksum:
                raise MigrationError(f"{engine} migration {m.version}_{m.name} changed after it was applied")
        else:
            pending.append(m)
    return pending


def migrate_postgres(admin_conninfo: str, app_role: str | None = None, root: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending PostgreSQL migrations as the owner role; grant the app role its rights."""
    migrations = load("postgres", root)
    done: list[str] = []
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(%s)", (_PG_LOCK,))
        try:
            conn.execute(
                "create table if not exists schema_migrations (version text primary key, name text not null,"
                " checksum text not null, applied_at timestamptz not null default now())"
            )
            rows = conn.execute("select version, checksum from schema_migrations").fetchall()
            for m in _check_applied({r[0]: r[1] for r in rows}, migrations, "postgres"):
                with conn.transaction():
                    conn.execute(m.sql.encode())
                    conn.execute(
                        "insert into schema_migrations (version, name, checksum) values (%s, %s, %s)",
                        (m.version, m.name, m.checksum),
                    )
                log.info("applied postgres migration %s_%s", m.version, m.name)
                done.append(f"{m.version}_{m.name}")
            from ucm import rls

            missing = rls.unprotected(conn)
            if missing:
                raise MigrationError(f"store-scoped tables without row-level security: {', '.join(missing)}"
                                     " (add: select ucm_protect_store_rows('<table>');)")
            from ucm.identity import catalog

            catalog.sync(conn)  # permissions and built-in roles follow the code
            if app_role:
                _grant_app_role(conn, app_role)
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (_PG_LOCK,))
    return done


def _grant_app_role(conn: psycopg.Connection[tuple[object, ...]], app_role: str) -> None:
    """The app role reads and writes rows but owns nothing, so RLS always applies to it."""
    owner = conn.execute("select current_user").fetchone()
    if owner and owner[0] == app_role:
        return
    role = sql.Identifier(app_role)
    for stmt in (
        "grant usage on schema public to {r}",
        "grant select, insert, update, delete on all tables in schema public to {r}",
        "grant usage, select on all sequences in schema public to {r}",
        "revoke update, delete, truncate on audit_log from {r}",
        "revoke insert, update, delete, truncate on schema_migrations from {r}",
    ):
        conn.execute(sql.SQL(stmt).format(r=role))


def _statements(text: str) -> list[str]:
    # ClickHouse takes one statement per request; our files end each statement with ';' at a line end.
    body = "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*(?:\n|$)", body) if s.strip()]


def migrate_clickhouse(olap: Olap, root: Path = MIGRATIONS_DIR) -> list[str]:
    migrations = load("clickhouse", root)
    olap.command(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version String, name String, checksum String,"
        " applied_at DateTime DEFAULT now()) ENGINE = ReplacingMergeTree ORDER BY version"
    )
    rows = olap.query("SELECT version, checksum FROM schema_migrations FINAL")
    done = []
    for m in _check_applied({r["version"]: r["checksum"] for r in rows}, migrations, "clickhouse"):
        for stmt in _statements(m.sql):
            olap.command(stmt)
        olap.insert("schema_migrations", [[m.version, m.name, m.checksum]], ["version", "name", "checksum"])
        log.info("applied clickhouse migration %s_%s", m.version, m.name)
        done.append(f"{m.version}_{m.name}")
    return done
