"""Events → ClickHouse: the near-real-time reporting feed (plan §9.4)."""

from ucm import etl, topics
from ucm.bootstrap import container
from ucm.db import UnitOfWork
from ucm.fc.app import FunctionApp
from ucm.ports import Event

app = FunctionApp("events-etl", description="报表 ETL：业务事件写入 ClickHouse", timeout_s=60)


@app.on_kafka_batch(*topics.ALL, batch_size=500, batch_window_s=3)
def to_clickhouse(uow: UnitOfWork, events: list[Event]) -> None:
    # One insert per batch; the events' processed records commit only if it succeeded.
    etl.store_events(container().olap, events)


handler = app.handler
