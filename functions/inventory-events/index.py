"""stock.moved, stock.reserved and stock.transfer → the cached ATS (contract: docs/inventory-api.md,
"Reservations", ATS cache). Writers bump the generation of what they changed after commit; this consumer bumps
it again from the events, covering a writer whose bump was lost (it crashed after commit, or the
cache was briefly unreachable)."""

from ucm import topics
from ucm.bootstrap import container
from ucm.db import UnitOfWork
from ucm.fc.app import FunctionApp
from ucm.inventory import stock
from ucm.ports import Event

app = FunctionApp("inventory-events", timeout_s=60,
                  description="库存事件：按 stock.moved / stock.reserved / stock.transfer 让缓存的可售数量失效")


@app.on_kafka_batch(topics.STOCK_MOVED, topics.STOCK_RESERVED, topics.STOCK_TRANSFER, batch_size=500,
                    batch_window_s=3)
def invalidate_ats(uow: UnitOfWork, events: list[Event]) -> None:
    # One bump per store × SKU however many of its events the batch holds.
    by_store: dict[str, set[str]] = {}
    for e in events:
        if e.type == topics.STOCK_TRANSFER:  # in transit changed at the destination
            to_store = e.data.get("to_store_id")
            if to_store:
                by_store.setdefault(str(to_store), set()).update(map(str, e.data.get("in_transit_sku_ids") or ()))
            continue
        store_id, sku_id = e.data.get("store_id") or e.store_id, e.data.get("sku_id")
        if store_id and sku_id:
            by_store.setdefault(str(store_id), set()).add(str(sku_id))
    cache = container().cache
    for store_id, skus in sorted(by_store.items()):
        stock.invalidate_ats(cache, store_id, sorted(skus))


handler = app.handler
