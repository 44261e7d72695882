"""The OLTP port on both PostgreSQL servers: the app role, scope in each transaction, the unit
of work writing business rows + audit + outbox together, and append-only audit."""

from __future__ import annotations

import psycopg
import pytest
from ucm import context
from ucm.db import Database
from ucm.errors import Problem

from tests.conftest import system_conn


def test_app_role_owns_nothing_and_cannot_bypass_rls(any_db: Database) -> None:
    with any_db.connection() as conn:
        role = conn.execute("select rolsuper, rolbypassrls from pg_roles where rolname = current_user").fetchone()
        owned = conn.execute("select count(*) as n from pg_tables where schemaname = 'public'"
                             " and tableowner = current_user").fetchone()
    assert role == {"rolsuper": False, "rolbypassrls": False}
    assert owned == {"n": 0}


def test_scope_is_set_per_transaction_only(any_db: Database) -> None:
    ctx = context.Context(trace_id="t-1", actor="user:42", scope=context.Scope.stores("S2", "S1"))
    with any_db.transaction(ctx) as uow:
        row = uow.one("select current_setting('app.store_ids') as s, current_setting('app.scope_all') as a,"
                      " current_setting('app.actor') as actor")
    assert row == {"s": "S1,S2", "a": "off", "actor": "user:42"}
    with any_db.connection() as conn:  # the same pooled connection carries nothing over
        left = conn.execute("select coalesce(current_setting('app.store_ids', true), '') as s").fetchone()
    assert left == {"s": ""}


def test_unit_of_work_commits_audit_and_outbox_together(any_db: Database) -> None:
    ctx = context.Context(trace_id="trace-uow", actor="user:7", source_ip="10.0.0.9", scope=context.Scope.stores("S1"))
    with context.use(ctx), any_db.transaction() as uow:
        uow.audit("test.thing.create", "thing", "T1", after={"name": "可口可乐"}, store_id="S1")
        ev = uow.emit("test.created", "T1", {"name": "可口可乐"}, store_id="S1")
    with system_conn(any_db) as conn:
        audit = conn.execute("select actor, action, after, request_id, source_ip from audit_log"
                             " where target_id = 'T1'").fetchone()
        out = conn.execute("select topic, aggregate_id, payload, trace_id, actor, sent_at from outbox"
                           " where id = %s", (ev.id,)).fetchone()
    assert audit == {"actor": "user:7", "action": "test.thing.create", "after": {"name": "可口可乐"},
                     "request_id": "trace-uow", "source_ip": "10.0.0.9"}
    assert out == {"topic": "test.created", "aggregate_id": "T1", "payload": {"name": "可口可乐"},
                   "trace_id": "trace-uow", "actor": "user:7", "sent_at": None}


def test_a_failed_transaction_leaves_nothing(any_db: Database) -> None:
    with pytest.raises(RuntimeError), any_db.transaction(context.system("test")) as uow:
        uow.audit("test.thing.create", "thing", "T-rollback")
        uow.emit("test.created", "T-rollback", {})
        raise RuntimeError("business rule failed")
    with system_conn(any_db) as conn:
        n = conn.execute("select (select count(*) from audit_log where target_id = 'T-rollback')"
                         " + (select count(*) from outbox where aggregate_id = 'T-rollback') as n").fetchone()
    assert n == {"n": 0}


def test_audit_log_cannot_be_changed_or_deleted(any_db: Database) -> None:
    with any_db.transaction(context.system("test")) as uow:
        uow.audit("test.audit", "thing", "T-audit")
    for stmt in ("update audit_log set actor = 'x' where target_id = 'T-audit'",
                 "delete from audit_log where target_id = 'T-audit'"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), any_db.transaction(context.system("t")) as uow:
            uow.execute(stmt)  # type: ignore[arg-type]


def test_owner_cannot_rewrite_audit_either(any_pg: tuple[str, str]) -> None:
    with psycopg.connect(any_pg[0], autocommit=True) as conn:
        conn.execute("insert into audit_log (actor, action, target_type, target_id) values ('o','a','t','T-own')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("delete from audit_log where target_id = 'T-own'")


def test_pg_trgm_sees_chinese(any_db: Database) -> None:
    with any_db.connection() as conn:
        row = conn.execute("select array_length(show_trgm('可口可乐'), 1) as n,"
                           " similarity('可口可乐', '可口可乐 330ml') > 0.3 as similar").fetchone()
    assert row is not None and row["n"] >= 3 and row["similar"]


def test_unreachable_database_is_a_503_problem() -> None:
    dead = Database("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1", min_size=0, max_size=1)
    dead.pool.timeout = 1.0
    try:
        with pytest.raises(Problem) as exc:
            dead.ping()
        assert exc.value.status == 503 and exc.value.code == "common.db_unavailable"
    finally:
        dead.close()
