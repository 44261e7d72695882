"""OLTP port: PostgreSQL through a psycopg 3 pool, and the unit of work.

Every write runs in ``Database.transaction()``: one PostgreSQL transaction that sets the
caller's scope with ``set_config(…, true)`` (RLS policies read it), and through which the
service writes its business rows, the audit row (``uow.audit``) and the outbox row
(``uow.emit``). After commit, listeners (the outbox relay) publish what was emitted.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool, PoolTimeout
from typing_extensions import LiteralString

from ucm import context
from ucm.errors import unavailable
from ucm.ports import Event

log = logging.getLogger(__name__)

Row = dict[str, Any]
Params = Sequence[Any] | Mapping[str, Any] | None

# One round trip sets the whole caller context for this transaction only (is_local = true),
# so a pooled connection never carries one caller's scope into the next.
_SET_CONTEXT: LiteralString = """
select set_config('app.trace_id', %(trace)s, true),
       set_config('app.actor', %(actor)s, true),
       set_config('app.scope_all', %(all)s, true),
       set_config('app.store_ids', %(stores)s, true)
"""

_INSERT_OUTBOX: LiteralString = """
insert into outbox (id, topic, aggregate_id, store_id, payload, trace_id, actor, occurred_at)
values (%s, %s, %s, %s, %s, %s, %s, %s)
"""

_INSERT_AUDIT: LiteralString = """
insert into audit_log (actor, action, target_type, target_id, store_id, before, after, request_id, source_ip)
values (%s, %s, %s, %s, %s, %s, %s, %s, %s)
"""

# Many events in one statement. PostgreSQL refuses COPY FROM into a table under row-level
# security (outbox is), and psycopg sends list parameters slowly (100,000 payloads: seconds), so
# each column travels as one text, its values joined by U+001F: JSON never holds that character
# unescaped, ids never at all; '' stands for a null store.
_INSERT_OUTBOX_MANY: LiteralString = """
insert into outbox (id, topic, aggregate_id, store_id, payload, trace_id, actor, occurred_at)
select u.id::uuid, %(topic)s, u.aggregate_id, u.store_id, u.payload::jsonb, %(trace)s, %(actor)s, %(at)s::timestamptz
from unnest(string_to_array(%(ids)s, chr(31)), string_to_array(%(aggregates)s, chr(31)),
            string_to_array(%(stores)s, chr(31), ''), string_to_array(%(payloads)s, chr(31)))
    as u(id, aggregate_id, store_id, payload)
"""


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


class UnitOfWork:
    """One transaction: business rows, audit rows and outbox rows commit or vanish together."""

    def __init__(self, conn: psycopg.Connection[DictRow]) -> None:
        self.conn = conn
        self.events: list[Event] = []

    def execute(self, sql: LiteralString, params: Params = None) -> psycopg.Cursor[DictRow]:
        return self.conn.execute(sql, params)

    def one(self, sql: LiteralString, params: Params = None) -> Row | None:
        return self.conn.execute(sql, params).fetchone()

    def all(self, sql: LiteralString, params: Params = None) -> list[Row]:
        return self.conn.execute(sql, params).fetchall()

    def emit(self, type: str, aggregate_id: str, data: Mapping[str, Any], store_id: str | None = None) -> Event:
        ctx = context.current()
        event = Event(
            id=str(uuid.uuid4()),
            type=type,
            occurred_at=datetime.now(timezone.utc).isoformat(),
            aggregate_id=aggregate_id,
            data=dict(data),
            store_id=store_id,
            trace_id=ctx.trace_id,
            actor=ctx.actor,
        )
        self.conn.execute(
            _INSERT_OUTBOX,
            (event.id, event.type, event.aggregate_id, event.store_id, _json(event.data),
             event.trace_id, event.actor, event.occurred_at),
        )
        self.events.append(event)
        return event

    def emit_many(self, type: str, items: Sequence[tuple[str, Mapping[str, Any], str | None]]) -> list[Event]:
        """``emit`` for many aggregates at once (an import's 100,000 ``sku.updated``): one
        statement instead of a round trip per event. ``items``: (aggregate_id, data, store_id)."""
        ctx = context.current()
        now = datetime.now(timezone.utc).isoformat()
        events = [Event(id=str(uuid.uuid4()), type=type, occurred_at=now, aggregate_id=aggregate_id,
                        data=dict(data), store_id=store_id, trace_id=ctx.trace_id, actor=ctx.actor)
                  for aggregate_id, data, store_id in items]
        if not events:
            return events
        sep = "\x1f"
        self.conn.execute(_INSERT_OUTBOX_MANY, {
            "topic": type, "trace": ctx.trace_id, "actor": ctx.actor, "at": now,
            "ids": sep.join(e.id for e in events), "aggregates": sep.join(e.aggregate_id for e in events),
            "stores": sep.join(e.store_id or "" for e in events),
            "payloads": sep.join(json.dumps(e.data, ensure_ascii=False, default=str) for e in events)})
        self.events.extend(events)
        return events

    def audit(
        self,
        action: str,
        target_type: str,
        target_id: str,
        *,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        store_id: str | None = None,
    ) -> None:
        ctx = context.current()
        self.conn.execute(
            _INSERT_AUDIT,
            (ctx.actor, action, target_type, target_id, store_id, _json(before), _json(after),
             ctx.trace_id, ctx.source_ip),
        )


CommitListener = Callable[[list[Event]], None]


class Database:
    adapter_name: str

    def __init__(self, conninfo: str, *, min_size: int = 1, max_size: int = 8, adapter_name: str = "postgres") -> None:
        self.conninfo = conninfo
        self.adapter_name = adapter_name
        self._listeners: list[CommitListener] = []
        # open=True, wait=False: the pool connects in the background so an FC cold start
        # does not block on it; the first request waits only if no connection is ready yet.
        self.pool: ConnectionPool[psycopg.Connection[DictRow]] = ConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            # Times leave the database in the shops' time zone (ISO 8601 with +08:00). No
            # parallel plans: starting workers costs ~10 ms, more than any point query of the
            # API takes (a plan with a never-executed branch still launched them); a report that
            # needs them asks with SET LOCAL.
            kwargs={"row_factory": dict_row, "autocommit": True, "prepare_threshold": None,
                    "options": "-c TimeZone=Asia/Shanghai -c max_parallel_workers_per_gather=0"},
            timeout=5.0,
            open=True,
            name="ucm",
        )

    def on_commit(self, listener: CommitListener) -> Callable[[], None]:
        """Call ``listener`` with the events of each committed transaction; returns an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[DictRow]]:
        try:
            with self.pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise unavailable("common.db_unavailable", "数据库暂时无法连接，请稍后再试") from exc
        except psycopg.OperationalError as exc:
            raise unavailable("common.db_unavailable", "数据库暂时无法连接，请稍后再试", str(exc)) from exc

    @contextmanager
    def transaction(self, ctx: context.Context | None = None) -> Iterator[UnitOfWork]:
        ctx = ctx or context.current()
        with self.connection() as conn:
            with conn.transaction():
                conn.execute(
                    _SET_CONTEXT,
                    {
                        "trace": ctx.trace_id,
                        "actor": ctx.actor,
                        "all": "on" if ctx.scope.all_stores else "off",
                        "stores": ",".join(sorted(ctx.scope.store_ids)),
                    },
                )
                uow = UnitOfWork(conn)
                yield uow
            events = uow.events
        if events:
            for listener in self._listeners:
                try:
                    listener(events)
                except Exception:  # best effort: the relay sweeps what was not sent
                    log.warning("after-commit publish failed; the relay will retry", exc_info=True)

    def ping(self) -> None:
        with self.connection() as conn:
            conn.execute("select 1")

    def close(self) -> None:
        self.pool.close()
