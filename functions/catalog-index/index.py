"""sku.updated → the SKU search index and the SKU cache (contract: docs/catalog-api.md, "Events")."""

from ucm import topics
from ucm.bootstrap import container
from ucm.catalog import search_index, skus
from ucm.db import UnitOfWork
from ucm.fc.app import FunctionApp
from ucm.ports import Event

app = FunctionApp("catalog-index", description="商品搜索索引：按 sku.updated 刷新搜索文档并清除商品缓存", timeout_s=60)


@app.on_kafka_batch(topics.SKU_UPDATED, batch_size=500, batch_window_s=3)
def refresh_skus(uow: UnitOfWork, events: list[Event]) -> None:
    # One refresh per SKU however many of its events the batch holds; the documents are read
    # now, so the newest state wins whatever order the events arrived in.
    sku_ids = sorted({str(e.data.get("sku_id") or e.aggregate_id) for e in events})
    c = container()
    search_index.refresh(uow, c.search, sku_ids)
    skus.forget_cached(c.cache, sku_ids)


handler = app.handler
