"""OLTP port: PostgreSQL through a psycopg 3 pool, and the unit of work.

Every write runs in ``Database.transaction()``: one PostgreSQL transaction that sets the
caller's scope with ``set_config(…, true)`` (RLS policies read it), and through which the
service writes its business rows, the audit row (``uow.audit``) and the outbox row
(``uow.emit``). After commit, listeners (the outbox relay) publish what was emitted.
A hot write that fits in one statement (a stock move) can instead go through
``Database.one_trip()``: scope and statement in one round trip, its audit and outbox rows written
by the statement itself (``AUDIT_INSERT``, ``OUTBOX_INSERT``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import abc, generators, pq
from psycopg.adapt import PyFormat, Transformer
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

# The audit row, with named parameters (``audit_params``) so that a bigger statement can write
# it in a data-modifying CTE.
AUDIT_INSERT: LiteralString = """
insert into audit_log (actor, action, target_type, target_id, store_id, before, after, request_id, source_ip)
values (%(audit_actor)s, %(audit_action)s, %(audit_target_type)s, %(audit_target_id)s, %(audit_store)s,
        %(audit_before)s::jsonb, %(audit_after)s::jsonb, %(audit_trace)s, %(audit_ip)s)
"""

# Many events in one statement (``outbox_params``; also usable as a data-modifying CTE).
# PostgreSQL refuses COPY FROM into a table under row-level security (outbox is), and psycopg
# sends list parameters slowly (100,000 payloads: seconds), so each column travels as one text,
# its values joined by U+001F: JSON never holds that character unescaped, ids never at all; ''
# stands for a null store.
OUTBOX_INSERT: LiteralString = """
insert into outbox (id, topic, aggregate_id, store_id, payload, trace_id, actor, occurred_at)
select u.id::uuid, %(ev_topic)s, u.aggregate_id, u.store_id, u.payload::jsonb, %(ev_trace)s, %(ev_actor)s,
       %(ev_at)s::timestamptz
from unnest(string_to_array(%(ev_ids)s, chr(31)), string_to_array(%(ev_aggregates)s, chr(31)),
            string_to_array(%(ev_stores)s, chr(31), ''), string_to_array(%(ev_payloads)s, chr(31)))
    as u(id, aggregate_id, store_id, payload)
"""

_SEP = "\x1f"


def one_line(sql: LiteralString) -> LiteralString:
    """``sql`` with each run of whitespace outside quotes made one space. psycopg parses a query
    for its placeholders once per text only up to 4 KiB (``MAX_CACHED_STATEMENT_LENGTH``), and
    again on every call past that (≈ 0.3 ms of CPU for a stock move's statement): a long
    statement that runs often is kept under it this way. No comments, backslashes or quoted
    identifiers in ``sql``: they could not be kept apart from the rest."""
    if any(mark in sql for mark in ("--", "/*", "\\", '"')):
        raise ValueError("one_line: SQL with comments, backslashes or quoted identifiers")
    parts = sql.split("'")  # even parts are outside string literals ('' escapes keep the parity)
    parts[::2] = [re.sub(r"\s+", " ", part) for part in parts[::2]]
    return "'".join(parts).strip()


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def new_events(type: str, items: Sequence[tuple[str, Mapping[str, Any], str | None]]) -> list[Event]:
    """Events of one type for many aggregates, stamped with the caller's context; ``items``:
    (aggregate_id, data, store_id). Written with ``outbox_params`` + ``OUTBOX_INSERT``."""
    ctx = context.current()
    now = datetime.now(timezone.utc).isoformat()
    return [Event(id=str(uuid.uuid4()), type=type, occurred_at=now, aggregate_id=aggregate_id,
                  data=dict(data), store_id=store_id, trace_id=ctx.trace_id, actor=ctx.actor)
            for aggregate_id, data, store_id in items]


def outbox_params(events: Sequence[Event]) -> dict[str, Any]:
    """The parameters of ``OUTBOX_INSERT`` for ``events`` (all of one type, from ``new_events``)."""
    first = events[0]
    return {"ev_topic": first.type, "ev_trace": first.trace_id, "ev_actor": first.actor, "ev_at": first.occurred_at,
            "ev_ids": _SEP.join(e.id for e in events), "ev_aggregates": _SEP.join(e.aggregate_id for e in events),
            "ev_stores": _SEP.join(e.store_id or "" for e in events),
            "ev_payloads": _SEP.join(json.dumps(e.data, ensure_ascii=False, default=str) for e in events)}


def audit_params(action: str, target_type: str, target_id: str, *, before: Mapping[str, Any] | None = None,
                 after: Mapping[str, Any] | None = None, store_id: str | None = None) -> dict[str, Any]:
    """The parameters of ``AUDIT_INSERT``: who (from the caller's context) did what to what."""
    ctx = context.current()
    return {"audit_actor": ctx.actor, "audit_action": action, "audit_target_type": target_type,
            "audit_target_id": target_id, "audit_store": store_id, "audit_before": _json(before),
            "audit_after": _json(after), "audit_trace": ctx.trace_id, "audit_ip": ctx.source_ip}


def _context_params(ctx: context.Context) -> dict[str, str]:
    return {"trace": ctx.trace_id, "actor": ctx.actor, "all": "on" if ctx.scope.all_stores else "off",
            "stores": ",".join(sorted(ctx.scope.store_ids))}


# one_trip's statements by connection: the names of those prepared on it (``_one_write``).
_PREPARED: weakref.WeakKeyDictionary[psycopg.Connection[DictRow], set[bytes]] = weakref.WeakKeyDictionary()
_NAMED = re.compile(r"%\((\w+)\)s")


@lru_cache(maxsize=32)
def _positional(sql: str) -> tuple[bytes, tuple[str, ...], bytes]:
    """``sql`` with its ``%(name)s`` placeholders numbered ($1 …), the names in that order, and
    a statement name that identifies the text."""
    names: list[str] = []

    def number(m: re.Match[str]) -> str:
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"

    text = _NAMED.sub(number, sql)
    if "%" in _NAMED.sub("", sql):
        raise ValueError("one_trip: only %(name)s placeholders")
    return text.encode(), tuple(names), b"ucm_" + hashlib.sha1(sql.encode()).hexdigest()[:16].encode()


def _one_write(conn: psycopg.Connection[DictRow], statements: Sequence[tuple[LiteralString, Mapping[str, Any]]],
               prepare: bool) -> list[list[Row]]:
    """Send ``statements`` and a sync in one write on libpq's pipeline (psycopg's pipeline sends
    each statement as soon as it is queued: a packet and a wake-up of the server per statement),
    then read every result: each statement's rows, or the first error raised. What precedes the
    sync is one implicit transaction. Each statement is prepared once per connection and
    parameter types, as psycopg does (unless ``prepare`` is off)."""
    tx = Transformer(conn)
    sends = []  # all parameters dumped before anything is sent
    for sql, params in statements:
        text, names, base = _positional(sql)
        values = tx.dump_sequence([params[n] for n in names], [PyFormat.AUTO] * len(names))
        types = tuple(tx.types or ())
        sends.append((text, values, types, tx.formats, base + b"_%x" % (hash(types) & 0xFFFFFFFF)))
    pgconn = conn.pgconn
    known = _PREPARED.setdefault(conn, set())
    expect: list[bytes | None] = []  # per result to come: the name a Parse prepares, None for rows
    out: list[list[Row]] = []
    error: psycopg.Error | None = None
    with conn.lock:
        pgconn.enter_pipeline_mode()
        try:
            for text, values, types, formats, name in sends:
                if not prepare:
                    pgconn.send_query_params(text, values, param_types=types, param_formats=formats)
                else:
                    if name not in known:
                        pgconn.send_prepare(name, text, param_types=types)
                        expect.append(name)
                    pgconn.send_query_prepared(name, values, param_formats=formats)
                expect.append(None)
            pgconn.pipeline_sync()
            conn.wait(generators.send(pgconn))
            for prepared in expect:
                res = conn.wait(generators.fetch_many(pgconn))[-1]
                if res.status == pq.ExecStatus.FATAL_ERROR:
                    error = error or psycopg.errors.error_from_result(res, encoding=conn.info.encoding)
                elif res.status == pq.ExecStatus.PIPELINE_ABORTED:
                    pass
                elif prepared is not None:
                    known.add(prepared)
                else:
                    out.append(_rows(tx, res))
            res = conn.wait(generators.fetch_many(pgconn))[-1]
            assert res.status == pq.ExecStatus.PIPELINE_SYNC, res.status
        except BaseException:
            pgconn.finish()  # results may be left unread: the pool replaces a closed connection
            raise
        pgconn.exit_pipeline_mode()
    if error is not None:
        raise error
    return out


def _rows(tx: abc.Transformer, res: pq.abc.PGresult) -> list[Row]:
    tx.set_pgresult(res)
    names = [(res.fname(i) or b"").decode() for i in range(res.nfields)]
    return tx.load_rows(0, res.ntuples, lambda values: dict(zip(names, values, strict=True)))


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
        events = new_events(type, items)
        if not events:
            return events
        self.conn.execute(OUTBOX_INSERT, outbox_params(events))
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
        self.conn.execute(AUDIT_INSERT, audit_params(action, target_type, target_id, before=before, after=after,
                                                     store_id=store_id))


CommitListener = Callable[[list[Event]], None]


class Database:
    adapter_name: str

    def __init__(self, conninfo: str, *, min_size: int = 1, max_size: int = 8, adapter_name: str = "postgres",
                 prepare: bool = True) -> None:
        self.conninfo = conninfo
        self.adapter_name = adapter_name
        self.prepare = prepare
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
            # Prepared statements (psycopg prepares a statement on its 5th run on a connection):
            # PostgreSQL then keeps its plan instead of planning it on every call, which was a
            # third of a stock move's database time. Off (``DB__PREPARE=false``) behind a pooler
            # in transaction mode that does not track them (PgBouncer < 1.21, some cloud proxies).
            kwargs={"row_factory": dict_row, "autocommit": True, "prepare_threshold": 5 if prepare else None,
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
                conn.execute(_SET_CONTEXT, _context_params(ctx))
                uow = UnitOfWork(conn)
                yield uow
            events = uow.events
        self._published(events)

    def one_trip(self, sql: LiteralString, params: Mapping[str, Any], events: Sequence[Event] = (),
                 ctx: context.Context | None = None) -> list[Row]:
        """One statement in a transaction of its own, sent with the caller's scope in one round
        trip, and its rows. PostgreSQL runs what a pipeline sends up to its sync as one implicit
        transaction: committed at the sync, or rolled back as a whole by any error (raised here),
        so the statement must do all the checking itself (nothing can be judged in Python before
        the commit). ``events``: those the statement wrote to the outbox itself
        (``OUTBOX_INSERT``), published after commit like a transaction's."""
        ctx = ctx or context.current()
        statements = [(_SET_CONTEXT, _context_params(ctx)), (sql, params)]
        with self.connection() as conn:
            try:
                rows = _one_write(conn, statements, self.prepare)[-1]
            except psycopg.errors.InvalidSqlStatementName:
                # psycopg deallocates every prepared statement after a rollback on the connection:
                # nothing was written (the implicit transaction failed), prepare and send again
                _PREPARED.pop(conn, None)
                rows = _one_write(conn, statements, self.prepare)[-1]
        self._published(list(events))
        return rows

    def _published(self, events: list[Event]) -> None:
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
