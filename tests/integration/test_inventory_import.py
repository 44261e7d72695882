"""Stock lists in and out, through the real functions on real PostgreSQL: the ``stock`` import
kind (opening balances and counted stock: every row validated with row/column/reason, a preview
of on hand old → new, a commit that posts the differences as adjustments through post_move, all
or nothing, and a compensating rollback refused when stock moved since), the export in the
import's columns (it round-trips), and the stock overview's filters."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from ucm import bootstrap, context, outbox
from ucm.db import Database
from ucm.fc.discovery import load_functions
from ucm.fc.testing import Client
from ucm.identity import org
from ucm.inventory import stock

from tests.conftest import system_conn
from tests.integration.identity_world import ROOT_PRINCIPAL, World, uniq
from tests.integration.inventory_world import balance, ean, inventory_world, make_sku, ok


@pytest.fixture(scope="module")
def w(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from inventory_world(db, tmp_path_factory, "stock-import")


@dataclass
class Shop:
    w: World
    store: str
    code: str
    manager: str
    cat: str
    child: str
    child_name: str


@pytest.fixture
def shop(w: World) -> Shop:
    """A fresh store of region A (no stock history yet), its manager, a category and a subcategory."""
    code = uniq("S")
    with context.use(context.system("test")):
        s = org.StoreInput(code, "导入测试店", w.region_a, "测试地址", "07:00-23:00", "active", "Asia/Shanghai")
        made = org.create_store(w.db, ROOT_PRINCIPAL, s)
    store, code = str(made["id"]), str(made["code"])
    root = w.call("POST", "/catalog/categories", w.admin_user, {"code": uniq("C"), "name": uniq("饮料")}).json()
    child = w.call("POST", "/catalog/categories", w.admin_user,
                   {"code": uniq("C"), "name": uniq("果汁"), "parent_id": root["id"]}).json()
    return Shop(w, store, code, w.user("store_manager", "stores", [store]), root["id"], child["id"], child["name"])


def code_of(w: World, sku: str) -> str:
    return str(w.call("GET", f"/catalog/sku/{sku}", w.admin_user).json()["code"])


def upload(shop: Shop, rows: list[list[str]], headers: list[str] | None = None, store: str | None = "",
           who: str | None = None, data: bytes | None = None) -> dict[str, Any]:
    w = shop.w
    r = w.call("POST", "/imports", who or shop.manager, {
        "kind": "stock", "filename": "库存.csv", "content_type": "text/csv",
        "store_id": shop.store if store == "" else store})
    assert r.status_code == 201, r.text
    if data is None:
        buf = io.StringIO()
        csv.writer(buf).writerows([headers or ["门店编码", "商品编码", "库存数量"], *rows])
        data = buf.getvalue().encode("utf-8-sig")
    key = r.json()["upload"]["key"]
    objects = bootstrap.container().objects
    info = objects.put(key, data, "text/csv")
    Client(load_functions()["imports"]).events.oss(objects.bucket, key, size=info.size, etag=info.etag)
    got = w.call("GET", f"/imports/{r.json()['job']['id']}", who or shop.manager)
    out: dict[str, Any] = got.json()
    return out


def on_hand(w: World, store: str, sku: str) -> Any:
    """From the balances (the list is never cached)."""
    r = w.call("GET", "/inventory/stock", w.admin_user, query={"store_id": store, "sku_id": sku})
    return r.json()["items"][0]["on_hand"]


def ats(w: World, store: str, sku: str) -> Any:
    """From the ATS cache when current."""
    return balance(w, store, sku)["ats"]


def deliver_moves(w: World, job_id: str) -> None:
    """What the relay does after commit: the import's stock.moved events to inventory-events."""
    with system_conn(w.db) as conn:
        rows = conn.execute("select id, topic, aggregate_id, store_id, payload, trace_id, actor, occurred_at"
                            " from outbox where topic = 'stock.moved' and payload->>'ref_id' = %s",
                            (f"import:{job_id}",)).fetchall()
    out = Client(load_functions()["inventory-events"]).events.kafka([outbox._event(r) for r in rows])
    assert out["status"] == 200 and out["applied"] == len(rows) > 0, out


def written(w: World, store: str) -> tuple[int, int]:
    with system_conn(w.db) as conn:
        row = conn.execute("select (select count(*) from stock_ledger where store_id = %(s)s) as l,"
                           " (select count(*) from outbox where topic = 'stock.moved' and store_id = %(s)s) as e",
                           {"s": store}).fetchone()
    return row["l"], row["e"]


def test_opening_balances_preview_commit_recount_and_rollback(shop: Shop) -> None:
    w = shop.w
    barcode = ean()
    a = make_sku(w, shop.cat, barcodes=[{"code": barcode}])
    b, kg = make_sku(w, shop.cat), make_sku(w, shop.cat, is_weighed=True, unit="kg")
    job = upload(shop, [[shop.code, barcode, "24"], ["", code_of(w, b), "5"], [shop.code, code_of(w, kg), "1.25"]])
    assert job["status"] == "ready" and job["counts"]["update"] == 3, (job, w.call(
        "GET", f"/imports/{job['id']}/rows", shop.manager, query={"action": "error"}).text)
    preview = w.call("GET", f"/imports/{job['id']}/rows", shop.manager, query={"action": "update"}).json()["items"]
    assert {r["row_no"]: r["diff"]["on_hand"] for r in preview} == {2: [0, 24], 3: [0, 5], 4: ["0.000", "1.250"]}
    assert written(w, shop.store) == (0, 0)  # nothing before the commit

    r = w.call("POST", f"/imports/{job['id']}/commit", shop.manager, {"version": job["version"]})
    assert r.status_code == 200, r.text
    assert (on_hand(w, shop.store, a), on_hand(w, shop.store, b), on_hand(w, shop.store, kg)) == (24, 5, "1.250")
    led = w.call("GET", "/inventory/ledger", shop.manager, query={"store_id": shop.store}).json()["items"]
    assert {(x["reason"], x["reason_code"], x["ref"]) for x in led} == {("adjustment", "opening",
                                                                         f"import:{job['id']}")}
    assert written(w, shop.store) == (3, 3)

    assert ats(w, shop.store, a) == 24  # cached from here on
    recount = upload(shop, [["", code_of(w, a), "20"], ["", barcode.replace(barcode, code_of(w, b)), "5"]])
    assert (recount["counts"]["update"], recount["counts"]["unchanged"]) == (1, 1), recount
    assert w.call("POST", f"/imports/{recount['id']}/commit", shop.manager,
                  {"version": recount["version"]}).status_code == 200
    assert on_hand(w, shop.store, a) == 20
    assert ats(w, shop.store, a) == 24  # the import bumps no generation itself: its events do
    deliver_moves(w, recount["id"])
    assert ats(w, shop.store, a) == 20
    newest = w.call("GET", "/inventory/ledger", shop.manager, query={"store_id": shop.store}).json()["items"][0]
    assert (newest["qty_delta"], newest["reason_code"]) == (-4, "import")

    r = w.call("POST", f"/imports/{recount['id']}/rollback", shop.manager)
    assert r.status_code == 200, r.text
    assert on_hand(w, shop.store, a) == 24
    ok(w, w.admin_user, shop.store, "sale", [(b, 1)])  # b moved after the first import
    before = written(w, shop.store)
    r = w.call("POST", f"/imports/{job['id']}/rollback", shop.manager)
    assert r.status_code == 409 and r.json()["code"] == "imports.rollback.changed_since", r.text
    assert written(w, shop.store) == before and on_hand(w, shop.store, a) == 24
    with context.use(context.system("test")):
        assert stock.check_invariants(w.db) == []


def test_an_hq_import_moves_several_stores_at_once(shop: Shop) -> None:
    w = shop.w
    sku = make_sku(w, shop.cat)
    a2 = w.call("GET", f"/system/stores/{w.store_a2}", w.admin_user).json()["code"]
    ok(w, w.admin_user, w.store_a2, "purchase_receipt", [(sku, 10)])
    job = upload(shop, [[shop.code, code_of(w, sku), "3"], [a2, code_of(w, sku), "7"]], store=None, who=w.admin_user)
    assert job["status"] == "ready", job
    assert w.call("POST", f"/imports/{job['id']}/commit", w.admin_user, {"version": job["version"]}).status_code == 200
    assert (on_hand(w, shop.store, sku), on_hand(w, w.store_a2, sku)) == (3, 7)
    led = w.call("GET", "/inventory/ledger", w.admin_user, query={"store_id": w.store_a2, "sku_id": sku}).json()
    assert (led["items"][0]["qty_delta"], led["items"][0]["reason_code"]) == (-3, "import")


def test_every_bad_row_is_reported_and_nothing_is_written(shop: Shop) -> None:
    w = shop.w
    sku, other = make_sku(w, shop.cat), make_sku(w, shop.cat)
    local_b = make_sku(w, shop.cat, store_id=w.store_b)
    b_code = w.call("GET", f"/system/stores/{w.store_b}", w.admin_user).json()["code"]
    rows = [
        ["NO-SUCH-STORE", code_of(w, sku), "1"],  # 2
        [b_code, code_of(w, sku), "1"],  # 3: not this job's store
        [shop.code, "NO-SUCH-SKU", "1"],  # 4
        [shop.code, code_of(w, local_b), "1"],  # 5: store B's own SKU
        [shop.code, code_of(w, sku), "-1"],  # 6
        [shop.code, code_of(w, other), "1.5"],  # 7: counted unit
        [shop.code, code_of(w, other), "十"],  # 8
        [shop.code, code_of(w, sku), "2"],  # 9: fine
        [shop.code, code_of(w, sku), "3"],  # 10: the same SKU again
        [shop.code, code_of(w, other), ""],  # 11
    ]
    job = upload(shop, rows)
    assert job["status"] == "invalid" and job["counts"]["error"] == 9, job
    errors = w.call("GET", f"/imports/{job['id']}/rows", shop.manager, query={"action": "error"}).json()["items"]
    where = {(e["row_no"], err["column"], err["code"]) for e in errors for err in e["errors"]}
    assert where == {
        (2, "门店编码", "system.store.not_found"), (3, "门店编码", "inventory.import.other_store"),
        (4, "商品编码", "inventory.sku.unknown"), (5, "商品编码", "inventory.sku.unknown"),
        (6, "库存数量", "inventory.quantity.sign"), (7, "库存数量", "inventory.quantity.fractional"),
        (8, "库存数量", "inventory.quantity.invalid"), (10, "商品编码", "inventory.import.duplicate"),
        (11, "库存数量", "imports.required")}, where
    r = w.call("POST", f"/imports/{job['id']}/commit", shop.manager, {"version": job["version"]})
    assert r.status_code in (409, 422), r.text
    assert written(w, shop.store) == (0, 0)

    hq = upload(shop, [[shop.code, code_of(w, sku), "1"]], store=None, who=w.admin_user)
    wrong = upload(shop, [[w.call("GET", f"/system/stores/{w.store_a2}", w.admin_user).json()["code"],
                           code_of(w, sku), "1"]], who=w.admin_user)
    assert hq["status"] == "ready"
    wrong_rows = w.call("GET", f"/imports/{wrong['id']}/rows", w.admin_user, query={"action": "error"}).json()
    assert [e["code"] for r in wrong_rows["items"] for e in r["errors"]] == ["inventory.import.other_store"]


def test_the_export_round_trips_and_the_overview_filters(shop: Shop) -> None:
    w = shop.w
    juice, cola = make_sku(w, shop.child, name="橙汁 1L"), make_sku(w, shop.cat, name="可乐_330ml")
    kg = make_sku(w, shop.child, name="散装坚果", is_weighed=True, unit="kg")
    ok(w, w.admin_user, shop.store, "purchase_receipt", [(juice, 3), (cola, 30), (kg, "2.5")])
    assert w.call("PUT", "/inventory/thresholds", shop.manager,
                  {"store_id": shop.store, "sku_id": juice, "low_stock": 5}).status_code == 200
    assert w.call("PUT", "/inventory/thresholds", shop.manager,
                  {"store_id": shop.store, "low_stock": "2"}).status_code == 200

    def items(**q: str) -> list[dict[str, Any]]:
        r = w.call("GET", "/inventory/stock", shop.manager, query={"store_id": shop.store, **q})
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    everything = {i["sku_id"]: i for i in items()}
    assert set(everything) == {juice, cola, kg}
    j = everything[juice]
    assert (j["category_id"], j["category_name"], j["low_stock"], j["ats"], j["store_code"]) == (
        shop.child, shop.child_name, 5, 3, shop.code)
    assert everything[kg]["low_stock"] == "2.000" and everything[cola]["low_stock"] == 2
    assert {i["sku_id"] for i in items(category_id=shop.child)} == {juice, kg}
    assert {i["sku_id"] for i in items(category_id=shop.cat)} == {juice, cola, kg}  # the subtree
    assert [i["sku_id"] for i in items(q="可乐_")] == [cola]
    assert items(q="%") == []  # taken literally
    assert [i["sku_id"] for i in items(below_threshold="true")] == [juice]
    first = w.call("GET", "/inventory/stock", shop.manager, query={"store_id": shop.store, "category_id": shop.cat,
                                                                   "limit": "2"}).json()
    rest = w.call("GET", "/inventory/stock", shop.manager, query={"store_id": shop.store, "category_id": shop.cat,
                                                                  "limit": "2", "cursor": first["next_cursor"]}).json()
    assert len(first["items"]) == 2 and [i["sku_id"] for i in first["items"] + rest["items"]] == sorted(everything)
    r = w.call("GET", "/inventory/stock", shop.manager, query={"store_id": shop.store, "category_id": "no-such"})
    assert r.status_code == 404

    csv_out = w.call("GET", "/inventory/stock", shop.manager, query={"store_id": shop.store, "format": "csv"})
    assert csv_out.status_code == 200 and csv_out.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(csv_out.body.decode("utf-8-sig"))))
    assert tuple(table[0]) == stock.EXPORT_HEADERS
    assert sorted(r[4] for r in table[1:]) == ["2.500", "3", "30"]
    again = upload(shop, [], data=csv_out.body)  # imported back as exported: nothing to change
    assert again["status"] == "ready" and again["counts"].get("unchanged") == 3, again
    xlsx = w.call("GET", "/inventory/stock", shop.manager, query={"store_id": shop.store, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.body[:2] == b"PK"
    assert w.call("GET", "/inventory/stock", shop.manager,
                  query={"store_id": w.store_b, "format": "csv"}).status_code == 404


def test_the_stock_kind_is_offered_with_its_template(shop: Shop) -> None:
    w = shop.w
    r = w.call("GET", "/imports/template", shop.manager, query={"kind": "stock", "format": "csv"})
    assert r.status_code == 200, r.text
    assert r.body.decode("utf-8-sig").splitlines()[0] == ",".join(stock.EXPORT_HEADERS[i] for i in (0, 1, 4))
