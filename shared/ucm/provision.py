"""Create the database and its two roles on a PostgreSQL server we administer (embedded, tests).

In the cloud a DBA does this once (see README, "Deploying"); the roles are:
- owner (``ucm_owner``): owns the tables, runs migrations;
- app (``ucm_app``): what every function connects as; owns nothing, NOBYPASSRLS, so the
  row-level security policies always apply to it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql

OWNER = "ucm_owner"
APP = "ucm_app"


@dataclass(frozen=True)
class Provisioned:
    database: str
    owner: str
    app: str


def ensure_database(superuser_conninfo: str, database: str, owner: str = OWNER, app: str = APP) -> Provisioned:
    with psycopg.connect(superuser_conninfo, autocommit=True) as conn:
        for role, extra in ((owner, "createrole"), (app, "")):
            exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
            if not exists:
                conn.execute(
                    sql.SQL("create role {} login nosuperuser nobypassrls " + extra).format(sql.Identifier(role))
                )
        if not conn.execute("select 1 from pg_database where datname = %s", (database,)).fetchone():
            conn.execute(
                sql.SQL("create database {} owner {} encoding 'UTF8' template template0").format(
                    sql.Identifier(database), sql.Identifier(owner)
                )
            )
    # pg_trgm and btree_gist are trusted extensions, but create them as superuser anyway so
    # that servers where they are not trusted still migrate as the owner.
    with psycopg.connect(conninfo_for(superuser_conninfo, database=database), autocommit=True) as conn:
        conn.execute("create extension if not exists pg_trgm")
        conn.execute("create extension if not exists btree_gist")
        conn.execute(sql.SQL("grant all on schema public to {}").format(sql.Identifier(owner)))
    return Provisioned(database, owner, app)


def drop_database(superuser_conninfo: str, database: str) -> None:
    with psycopg.connect(superuser_conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(database)))


def conninfo_for(conninfo: str, *, database: str | None = None, user: str | None = None) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(conninfo)
    if database:
        params["dbname"] = database
    if user:
        params["user"] = user
    return make_conninfo("", **{k: str(v) for k, v in params.items() if v is not None})


@contextmanager
def scratch_database(superuser_conninfo: str, prefix: str = "ucm_scratch") -> Iterator[tuple[str, str]]:
    """A new, migrated database for tests and benchmarks: yields (owner, app) conninfo, then drops it."""
    from ucm import migrate

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    p = ensure_database(superuser_conninfo, name)
    owner = conninfo_for(superuser_conninfo, database=name, user=p.owner)
    try:
        migrate.migrate_postgres(owner, p.app)
        yield owner, conninfo_for(superuser_conninfo, database=name, user=p.app)
    finally:
        drop_database(superuser_conninfo, name)
