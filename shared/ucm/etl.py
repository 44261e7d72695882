"""Event → ClickHouse ETL (plan §9.4): every business event lands in the ``events`` fact table,
from which the report modules build their materialized views."""

from __future__ import annotations

import json
from datetime import datetime

from ucm.ports import Event, Olap

COLUMNS = ("id", "type", "occurred_at", "store_id", "aggregate_id", "trace_id", "actor", "data")


def store_events(olap: Olap, events: list[Event]) -> None:
    rows = [
        [e.id, e.type, datetime.fromisoformat(e.occurred_at), e.store_id, e.aggregate_id,
         e.trace_id or "", e.actor or "", json.dumps(e.data, ensure_ascii=False)]
        for e in events
    ]
    olap.insert("events", rows, COLUMNS)
