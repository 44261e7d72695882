"""Outbox → relay → consumer: a crash between publish and mark-sent redelivers, the consumer
applies each event once, and events of one aggregate arrive in the order they were written.
The consumer is a real (unregistered) function invoked through its FC entry point."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence

import psycopg
import pytest
from ucm import context
from ucm.db import Database, UnitOfWork
from ucm.fc.app import FunctionApp
from ucm.fc.delivery import batch_for, invoke
from ucm.outbox import Relay
from ucm.ports import Event

from tests.conftest import system_conn

TOPIC = "test.outbox"


@pytest.fixture(scope="module")
def applied_table(any_pg: tuple[str, str]) -> str:
    name = f"applied_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(any_pg[0], autocommit=True) as conn:
        conn.execute(f"create table {name} (n bigserial, event_id text, aggregate_id text, seq int, trace text)")
        conn.execute(f"grant select, insert on {name} to ucm_app")
        conn.execute(f"grant usage on sequence {name}_n_seq to ucm_app")
    return name


@pytest.fixture
def consumer(applied_table: str, use_db: Database) -> FunctionApp:
    app = FunctionApp("test-consumer", register=False)

    @app.on_kafka(TOPIC)
    def record(uow: UnitOfWork, event: Event) -> None:
        uow.conn.execute(f"insert into {applied_table} (event_id, aggregate_id, seq, trace)"  # type: ignore[arg-type]
                         " values (%s, %s, %s, current_setting('app.trace_id'))",
                         (event.id, event.aggregate_id, event.data["seq"]))

    return app


class CrashingPublisher:
    """Delivers, then dies before the relay can mark the rows sent (the first ``crashes`` times)."""

    adapter_name = "crashing"

    def __init__(self, app: FunctionApp, crashes: int) -> None:
        self.app = app
        self.crashes = crashes
        self.deliveries = 0

    def publish(self, events: Sequence[Event]) -> None:
        result = invoke(self.app, batch_for(events))
        assert result["status"] == 200, result
        self.deliveries += 1
        if self.crashes > 0:
            self.crashes -= 1
            raise ConnectionError("relay crashed after publishing")

    def ping(self) -> None: ...

    def close(self) -> None: ...


@pytest.fixture
def drained(any_db: Database) -> Iterator[None]:
    with system_conn(any_db) as conn:
        conn.execute("update outbox set sent_at = now() where sent_at is null")
    yield


def emit(db: Database, aggregate: str, seq: int, trace: str) -> Event:
    ctx = context.Context(trace_id=trace, actor="user:test", scope=context.Scope.global_())
    with context.use(ctx), db.transaction() as uow:
        return uow.emit(TOPIC, aggregate, {"seq": seq})


def rows(db: Database, table: str) -> list[dict[str, object]]:
    with db.connection() as conn:
        return conn.execute(f"select event_id, aggregate_id, seq, trace from {table} order by n").fetchall()  # type: ignore[arg-type]


def test_crash_between_publish_and_mark_sent(any_db: Database, consumer: FunctionApp, applied_table: str,
                                             drained: None) -> None:
    events = [emit(any_db, "A-crash", i, f"trace-{i}") for i in range(3)]
    relay = Relay(any_db, CrashingPublisher(consumer, crashes=1))
    assert relay.sweep() == 0  # published, then crashed: nothing marked sent
    with system_conn(any_db) as conn:
        unsent = conn.execute("select count(*) as n, max(attempts) as a from outbox where sent_at is null"
                              " and aggregate_id = 'A-crash'").fetchone()
    assert unsent == {"n": 3, "a": 1}
    assert relay.sweep() == 3  # redelivered and marked
    assert relay.sweep() == 0
    assert relay.publisher.deliveries == 2  # type: ignore[attr-defined]
    got = [r for r in rows(any_db, applied_table) if r["aggregate_id"] == "A-crash"]
    assert [r["event_id"] for r in got] == [e.id for e in events]  # applied once each
    assert [r["trace"] for r in got] == ["trace-0", "trace-1", "trace-2"]  # trace carried into the consumer


def test_duplicate_delivery_is_applied_once(any_db: Database, consumer: FunctionApp, applied_table: str) -> None:
    ev = Event(id=str(uuid.uuid4()), type=TOPIC, occurred_at="2026-11-29T08:00:00+00:00", aggregate_id="A-dup",
               data={"seq": 1}, trace_id="t")
    first = invoke(consumer, batch_for([ev]))
    again = invoke(consumer, batch_for([ev, ev]))
    assert (first["applied"], again["applied"], again["duplicates"]) == (1, 0, 2)
    assert len([r for r in rows(any_db, applied_table) if r["aggregate_id"] == "A-dup"]) == 1


def test_batch_consumer_gets_only_new_events_in_one_transaction(any_db: Database, applied_table: str,
                                                                 use_db: Database) -> None:
    app = FunctionApp("test-batch-consumer", register=False)
    calls: list[list[str]] = []

    @app.on_kafka_batch(TOPIC)
    def record_all(uow: UnitOfWork, events: list[Event]) -> None:
        calls.append([e.id for e in events])
        for e in events:
            uow.conn.execute(f"insert into {applied_table} (event_id, aggregate_id, seq) values (%s, %s, %s)",  # type: ignore[arg-type]
                             (e.id, e.aggregate_id, e.data["seq"]))
        if any(e.data.get("fail") for e in events):
            raise RuntimeError("consumer failed: nothing of the batch may stay applied")

    def ev(seq: int, **extra: object) -> Event:
        return Event(id=str(uuid.uuid4()), type=TOPIC, occurred_at="2026-11-29T08:00:00+00:00",
                     aggregate_id="A-batch", data={"seq": seq, **extra}, trace_id="t")

    a, b, c = ev(1), ev(2), ev(3)
    assert invoke(app, batch_for([a]))["applied"] == 1
    again = invoke(app, batch_for([a, b, c]))
    assert (again["applied"], again["duplicates"]) == (2, 1)
    assert calls == [[a.id], [b.id, c.id]]  # one call per batch, without what was applied before
    bad = ev(4, fail=True)
    with pytest.raises(RuntimeError):
        invoke(app, batch_for([ev(5), bad]))
    got = [r["seq"] for r in rows(any_db, applied_table) if r["aggregate_id"] == "A-batch"]
    assert got == [1, 2, 3]  # the failed batch left neither rows nor processed-event claims
    assert invoke(app, batch_for([a, b]))["duplicates"] == 2


def test_order_per_aggregate_with_concurrent_writers(any_db: Database, consumer: FunctionApp, applied_table: str,
                                                     drained: None) -> None:
    def writer(agg: str) -> None:
        for i in range(15):
            emit(any_db, agg, i, f"{agg}-{i}")

    threads = [threading.Thread(target=writer, args=(f"A-order-{k}",)) for k in range(3)]
    relay = Relay(any_db, CrashingPublisher(consumer, crashes=0), batch=7)  # small batches: many sweeps
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        relay.sweep()
    for t in threads:
        t.join()
    relay.sweep()
    got = [r for r in rows(any_db, applied_table) if str(r["aggregate_id"]).startswith("A-order-")]
    assert len(got) == 45
    for k in range(3):
        assert [r["seq"] for r in got if r["aggregate_id"] == f"A-order-{k}"] == list(range(15))


def test_one_relay_at_a_time(any_db: Database, consumer: FunctionApp, drained: None) -> None:
    emit(any_db, "A-lock", 0, "t")
    relay = Relay(any_db, CrashingPublisher(consumer, crashes=0))
    with any_db.connection() as conn, conn.transaction():
        conn.execute("select pg_advisory_xact_lock(727402)")  # another relay holds the lock
        assert relay.sweep() == 0
    assert relay.sweep() == 1
