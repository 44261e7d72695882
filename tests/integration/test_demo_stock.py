"""Demo stock (``ucm.demo``): opening stock at S001–S004 and one transfer in transit S001 → S002,
seeded once through the real inventory services, visible through the real inventory-api."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ucm import bootstrap, demo
from ucm.db import Database
from ucm.fc.discovery import load_functions

from tests.conftest import container_for, system_conn
from tests.integration.identity_world import World, world


@pytest.fixture(scope="module")
def w(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    container_for(db, tmp_path_factory.mktemp("demo_stock"))
    yield world(db, load_functions()["system-api"])
    bootstrap.reset(None)


def _stock(w: World, store: str, sku: str) -> dict[str, object]:
    r = w.call("GET", "/inventory/stock", w.admin_user, query={"store_id": store, "sku_id": sku})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert len(items) == 1, items
    return dict(items[0])


def test_demo_stock_is_seeded_once_with_a_transfer_in_transit(w: World) -> None:
    demo.seed(bootstrap.container())
    demo.seed(bootstrap.container())  # idempotent: no second receipt, no second transfer
    with system_conn(w.db) as conn:
        stores = {r["code"]: r["id"] for r in conn.execute("select id, code from store where code = any(%s)",
                                                            (list(demo.STORE_SHARE),)).fetchall()}
        skus = {r["code"]: r["id"] for r in conn.execute("select id, code from sku where code = any(%s)",
                                                         (list(demo.OPENING),)).fetchall()}
        receipts = conn.execute("select count(*) as n from stock_move where idempotency_key like 'demo:opening:%%'"
                                ).fetchone()
        sent = conn.execute("select count(*) as n from stock_transfer where idempotency_key = %s",
                            ("demo:transfer:S001-S002",)).fetchone()
    assert receipts is not None and receipts["n"] == len(demo.STORE_SHARE)
    assert sent is not None and sent["n"] == 1
    shipped = dict(demo.IN_TRANSIT)
    cola = _stock(w, stores["S001"], skus["100001"])
    assert cola["on_hand"] == 240 - shipped["100001"] and cola["in_transit"] == 0
    at_b = _stock(w, stores["S002"], skus["100001"])
    assert at_b["on_hand"] == 120 and at_b["in_transit"] == shipped["100001"]
    assert at_b["ats"] == 120 + shipped["100001"]
    apples = _stock(w, stores["S004"], skus["200001"])
    assert apples["is_weighed"] is True and apples["on_hand"] == "13.125"  # 52.5 kg × 1/4
    juice = _stock(w, stores["S004"], skus["100008"])
    assert juice["on_hand"] == 2  # 8 × 1/4: whole units only
    moving = w.call("GET", "/inventory/transfers", w.admin_user,
                    query={"store_id": stores["S002"], "direction": "in", "status": "shipped"}).json()["items"]
    assert any(t["from_store_id"] == stores["S001"] and t["line_count"] == len(demo.IN_TRANSIT) for t in moving)
    low = w.call("GET", "/inventory/alerts", w.admin_user,
                 query={"store_id": stores["S001"], "kind": "low_stock", "status": "open"}).json()["items"]
    assert [(a["sku_code"], a["on_hand"], a["threshold"]) for a in low] == [("100008", 8, 12)]
