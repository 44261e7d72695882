"""The outbox relay and idempotent consumption.

Relay: publishes outbox rows that are not yet sent, in ``seq`` order, then marks them sent.
One relay at a time (an advisory lock), so per-aggregate order is the commit order. A crash
between publish and mark-sent leaves the rows unsent: they are published again, and consumers
drop the duplicate on its event id (``apply_once``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from typing_extensions import LiteralString

from ucm import context
from ucm.db import Database, UnitOfWork
from ucm.ports import Event, EventPublisher

log = logging.getLogger(__name__)

_RELAY_LOCK = 727_402

_SELECT_UNSENT: LiteralString = """
select id, topic, aggregate_id, store_id, payload, trace_id, actor, occurred_at
from outbox where sent_at is null order by seq limit %s
"""
_MARK_SENT: LiteralString = "update outbox set sent_at = now(), attempts = attempts + 1 where id = any(%s)"
_MARK_FAILED: LiteralString = (
    "update outbox set attempts = attempts + 1, last_error = %s where id = any(%s)"
)
_CLAIM: LiteralString = (
    "insert into processed_event (consumer, event_id) values (%s, %s) on conflict do nothing returning 1"
)
_CLAIM_MANY: LiteralString = """
insert into processed_event (consumer, event_id) select %s, unnest(%s::text[])
on conflict do nothing returning event_id
"""


def _event(row: dict[str, object]) -> Event:
    payload = row["payload"]
    occurred = row["occurred_at"]
    return Event(
        id=str(row["id"]),
        type=str(row["topic"]),
        occurred_at=occurred.isoformat() if hasattr(occurred, "isoformat") else str(occurred),
        aggregate_id=str(row["aggregate_id"]),
        data=payload if isinstance(payload, dict) else json.loads(str(payload)),
        store_id=row["store_id"] if row["store_id"] is None else str(row["store_id"]),
        trace_id=None if row["trace_id"] is None else str(row["trace_id"]),
        actor=None if row["actor"] is None else str(row["actor"]),
    )


class Relay:
    def __init__(self, db: Database, publisher: EventPublisher, batch: int = 500) -> None:
        self.db = db
        self.publisher = publisher
        self.batch = batch

    def sweep(self, max_batches: int = 20) -> int:
        """Publish unsent rows; return how many were sent. Returns 0 if another relay is busy."""
        sent = 0
        for _ in range(max_batches):
            n = self._one_batch()
            sent += n
            if n < self.batch:
                break
        return sent

    def _one_batch(self) -> int:
        with self.db.transaction(context.system("outbox-relay")) as uow:
            conn = uow.conn
            got = conn.execute("select pg_try_advisory_xact_lock(%s) as ok", (_RELAY_LOCK,)).fetchone()
            if not got or not got["ok"]:
                return 0
            rows = conn.execute(_SELECT_UNSENT, (self.batch,)).fetchall()
            if not rows:
                return 0
            events = [_event(r) for r in rows]
            ids = [e.id for e in events]
            try:
                self.publisher.publish(events)
            except Exception as exc:
                log.warning("outbox publish failed: %s", exc, extra={"fields": {"events": len(ids)}})
                with conn.transaction():  # savepoint: keep the attempt count, rows stay unsent
                    conn.execute(_MARK_FAILED, (str(exc)[:500], ids))
                return 0
            conn.execute(_MARK_SENT, (ids,))
            return len(events)

    def after_commit(self, events: list[Event]) -> None:
        """Publish at once what a transaction just emitted (best effort, for low latency)."""
        self.sweep(max_batches=1)


def apply_once(db: Database, consumer: str, event: Event, apply: Callable[[UnitOfWork, Event], None]) -> bool:
    """Apply ``event`` in one transaction with its processed-event record; False if seen before."""
    # Consumers act for the platform (global scope), under the event's trace and actor.
    ctx = context.system(consumer, event.trace_id, event.actor or "system")
    with context.use(ctx):
        with db.transaction(ctx) as uow:
            if uow.one(_CLAIM, (consumer, event.id)) is None:
                log.info("event already applied", extra={"fields": {"consumer": consumer, "event_id": event.id}})
                return False
            apply(uow, event)
        log.info("event applied", extra={"fields": {"consumer": consumer, "event_id": event.id, "type": event.type}})
        return True


def apply_batch_once(db: Database, consumer: str, events: list[Event],
                     apply: Callable[[UnitOfWork, list[Event]], None]) -> int:
    """Apply the events of ``events`` not seen before, together, in one transaction with their
    processed-event records; return how many were applied."""
    if not events:
        return 0
    first = events[0]
    ctx = context.system(consumer, first.trace_id, first.actor or "system")
    with context.use(ctx):
        with db.transaction(ctx) as uow:
            claimed = {r["event_id"] for r in uow.all(_CLAIM_MANY, (consumer, [e.id for e in events]))}
            fresh = [e for e in events if e.id in claimed]
            if fresh:
                apply(uow, fresh)
        # The first ids only: an import's batch of 500 must not make a 20 kB log line.
        log.info("event batch applied", extra={"fields": {"consumer": consumer, "applied": len(fresh),
                                                          "duplicates": len(events) - len(fresh),
                                                          "event_ids": [e.id for e in fresh[:20]]}})
        return len(fresh)
