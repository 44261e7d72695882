"""Stocktakes (盘点) through the real inventory-api and imports functions on real PostgreSQL:
the snapshot, counting while the store keeps trading (moves after the snapshot netted out),
found-on-shelf SKUs, recount, reasons, the two-person rule both ways, posting the variances as
ledger entries, the scanner file import, category scope, bad input with nothing written, the
HQ threshold setting, and balance == ledger afterwards."""

from __future__ import annotations

import csv
import io
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from ucm import bootstrap, context
from ucm.catalog.barcodes import gtin_check_digit
from ucm.db import Database
from ucm.errors import Problem
from ucm.fc.discovery import load_functions
from ucm.fc.testing import Client
from ucm.identity import org
from ucm.inventory import moves, stock, stocktakes

from tests.conftest import system_conn
from tests.integration.identity_world import ROOT_PRINCIPAL, World, uniq
from tests.integration.inventory_world import ean, inventory_world


@pytest.fixture(scope="module")
def w(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from inventory_world(db, tmp_path_factory, "stocktakes")


@dataclass
class Shop:
    """A fresh store of region A (one open stocktake per store: each test has its own), its
    manager, and a category tree root ⊃ child of its own, with SKUs in it."""

    w: World
    store: str
    manager: str
    root: str
    child: str
    other_cat: str

    def sku(self, cat: str | None = None, price: str = "5.00", **over: Any) -> str:
        body = {"code": uniq("ST"), "name": "盘点测试商品", "category_id": cat or self.child, "tax_rate": "13%",
                "status": "active", "standard_price": price, **over}
        r = self.w.call("POST", "/catalog/sku", self.w.admin_user, body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def move(self, reason: str, lines: list[tuple[str, Any]]) -> None:
        r = self.w.call("POST", "/inventory/move", self.w.admin_user, {
            "store_id": self.store, "reason": reason, "idempotency_key": uuid.uuid4().hex,
            "lines": [{"sku_id": s, "quantity": q} for s, q in lines]})
        assert r.status_code == 200, r.text

    def on_hand(self, sku: str) -> Any:
        r = self.w.call("GET", "/inventory/ats", self.w.admin_user, query={"store_id": self.store, "sku_id": sku})
        assert r.status_code == 200, r.text
        return r.json()["on_hand"]


@pytest.fixture
def shop(w: World) -> Shop:
    with context.use(context.system("test")):
        s = org.StoreInput(uniq("S"), "盘点测试店", w.region_a, "测试地址", "07:00-23:00", "active", "Asia/Shanghai")
        store = str(org.create_store(w.db, ROOT_PRINCIPAL, s)["id"])
    root = w.call("POST", "/catalog/categories", w.admin_user, {"code": uniq("C"), "name": uniq("盘点类目")}).json()
    child = w.call("POST", "/catalog/categories", w.admin_user,
                   {"code": uniq("C"), "name": uniq("子类"), "parent_id": root["id"]})
    assert child.status_code == 201, child.text
    other = w.call("POST", "/catalog/categories", w.admin_user, {"code": uniq("C"), "name": uniq("其他类目")}).json()
    return Shop(w, store, w.user("store_manager", "stores", [store]), root["id"], child.json()["id"], other["id"])


def call(w: World, who: str, method: str, path: str, body: Any = None, status: int = 200,
         query: dict[str, str] | None = None) -> dict[str, Any]:
    r = w.call(method, path, who, body, query=query)
    assert r.status_code == status, r.text
    out: dict[str, Any] = r.json()
    return out


def create(shop: Shop, who: str | None = None, cats: list[str] | None = None, key: str | None = None) -> dict[str, Any]:
    return call(shop.w, who or shop.manager, "POST", "/inventory/stocktakes",
                {"store_id": shop.store, "category_ids": [shop.root] if cats is None else cats,
                 "idempotency_key": key}, 201)


def count(shop: Shop, st: str, counts: list[dict[str, Any]], mode: str = "set", who: str | None = None,
          status: int = 200) -> dict[str, Any]:
    return call(shop.w, who or shop.manager, "PUT", f"/inventory/stocktakes/{st}/counts",
                {"counts": counts, "mode": mode}, status)


def head(shop: Shop, st: str, who: str | None = None) -> dict[str, Any]:
    return call(shop.w, who or shop.manager, "GET", f"/inventory/stocktakes/{st}")


def lines(shop: Shop, st: str, **query: str) -> dict[str, dict[str, Any]]:
    items = call(shop.w, shop.manager, "GET", f"/inventory/stocktakes/{st}/lines", query={"limit": "500", **query})
    return {i["sku_id"]: i for i in items["items"]}


def submit(shop: Shop, st: str, who: str | None = None, **extra: Any) -> dict[str, Any]:
    return call(shop.w, who or shop.manager, "POST", f"/inventory/stocktakes/{st}/submit",
                {"version": head(shop, st)["version"], **extra})


def reasons(shop: Shop, st: str, given: dict[str, str]) -> dict[str, Any]:
    return call(shop.w, shop.manager, "PUT", f"/inventory/stocktakes/{st}/lines/reasons",
                {"lines": [{"sku_id": s, "reason": r, "note": "测试"} for s, r in given.items()]})


def approve(shop: Shop, st: str, who: str, status: int = 200) -> dict[str, Any]:
    return call(shop.w, who, "POST", f"/inventory/stocktakes/{st}/approve", {"version": head(shop, st)["version"]},
                status)


def written(w: World, store: str) -> tuple[int, int, int, int]:
    """Ledger rows, moves, stocktake events and stocktake audit rows of a store."""
    with system_conn(w.db) as conn:
        row = conn.execute(
            "select (select count(*) from stock_ledger where store_id = %(s)s) as l,"
            " (select count(*) from stock_move where store_id = %(s)s) as m,"
            " (select count(*) from outbox where topic = 'stock.stocktake' and store_id = %(s)s) as e,"
            " (select count(*) from audit_log where action like 'inventory.stocktake.%%' and store_id = %(s)s) as a",
            {"s": store}).fetchone()
    return row["l"], row["m"], row["e"], row["a"]


def ledger(shop: Shop, sku: str) -> list[tuple[str, Any, str | None]]:
    items = call(shop.w, shop.w.admin_user, "GET", "/inventory/ledger",
                 query={"store_id": shop.store, "sku_id": sku})["items"]
    return [(x["reason"], x["qty_delta"], x["ref"]) for x in items]


def no_drift(shop: Shop) -> None:
    assert [d for d in stock.check_invariants(shop.w.db) if d.store_id == shop.store] == []


# --- the whole flow ----------------------------------------------------------------------------------


def test_count_while_trading_then_approve_posts_the_netted_variance(shop: Shop) -> None:
    w = shop.w
    a, b_code = shop.sku(), ean()
    b = shop.sku(cat=shop.root, barcodes=[{"code": b_code}])
    kg = shop.sku(is_weighed=True, unit="kg", price="20.00")
    outside = shop.sku(cat=shop.other_cat)
    found = shop.sku(status="draft")  # not active, no stock: not in the snapshot
    shop.move("purchase_receipt", [(a, 10), (b, 5), (kg, "2.500"), (outside, 4)])

    st = create(shop)
    assert st["status"] == "counting" and st["code"].startswith("PD") and st["category_ids"] == [shop.root]
    assert st["totals"]["lines"] == 3 and st["totals"]["uncounted"] == 3  # a, b, kg: the subtree, not outside
    snap = lines(shop, st["id"])
    assert {s: snap[s]["snapshot_qty"] for s in snap} == {a: 10, b: 5, kg: "2.500"}

    shop.move("sale", [(a, 2)])  # between the snapshot and the count: netted out
    got = count(shop, st["id"], [{"sku_id": a, "quantity": 7}, {"sku_id": kg, "quantity": "2.400"}])
    assert {x["sku_id"]: (x["expected_qty"], x["variance"]) for x in got["lines"]} == {
        a: (8, -1), kg: ("2.500", "-0.100")}
    shop.move("sale", [(a, 1)])  # after the count: stays in on hand, not in the variance
    count(shop, st["id"], [{"barcode": b_code}], mode="add")  # scans add up
    count(shop, st["id"], [{"barcode": b_code, "quantity": 5}], mode="add")
    count(shop, st["id"], [{"sku_id": found, "quantity": 2}])  # found on the shelf
    r = w.call("PUT", f"/inventory/stocktakes/{st['id']}/counts", shop.manager,
               {"counts": [{"sku_id": outside, "quantity": 4}]})
    assert r.status_code == 422 and r.json()["code"] == "inventory.stocktake.sku_out_of_scope", r.text

    seen = lines(shop, st["id"])
    assert seen[a]["moves_after_snapshot"] == -2 and seen[a]["counted_qty"] == 7 and seen[a]["variance"] == -1
    assert (seen[b]["counted_qty"], seen[b]["variance"]) == (6, 1)
    assert (seen[found]["in_snapshot"], seen[found]["snapshot_qty"], seen[found]["variance"]) == (False, 0, 2)
    assert set(lines(shop, st["id"], only="variance")) == {a, b, kg, found}
    assert lines(shop, st["id"], only="uncounted") == {}

    sub = submit(shop, st["id"])
    assert sub["status"] == "review" and sub["submitted_by"].startswith("user:")
    # 1 × 5 + 1 × 5 + 0.1 × 20 + 2 × 5 = 22.00, below HQ's 500.00: the creator may approve.
    assert sub["totals"]["variance_value"] == "22.00" and sub["totals"]["gain_value"] == "15.00"
    assert sub["needs_second_approver"] is False and sub["can_approve"] is False  # reasons missing
    before = written(w, shop.store)
    r = w.call("POST", f"/inventory/stocktakes/{st['id']}/approve", shop.manager, {"version": sub["version"]})
    assert r.status_code == 422 and r.json()["code"] == "inventory.stocktake.reason_missing", r.text
    assert len(r.json()["errors"]) == 4 and written(w, shop.store) == before

    reasons(shop, st["id"], {a: "theft", b: "counting_error", kg: "expired", found: "receiving_error"})
    assert head(shop, st["id"])["can_approve"] is True
    done = approve(shop, st["id"], shop.manager)
    assert done["status"] == "approved" and done["variance_value"] == "22.00"
    assert done["approval_threshold"] == "500.00" and done["approved_by"] == done["created_by"]

    # On hand = counted + moves after the count; the entries carry the stocktake's code.
    assert shop.on_hand(a) == 6 and shop.on_hand(b) == 6 and shop.on_hand(kg) == "2.400"
    assert shop.on_hand(found) == 2 and shop.on_hand(outside) == 4
    assert ledger(shop, a)[0] == ("stocktake_loss", -1, st["code"])
    assert ledger(shop, b)[0] == ("stocktake_gain", 1, st["code"])
    assert ledger(shop, kg)[0] == ("stocktake_loss", "-0.100", st["code"])
    no_drift(shop)
    with system_conn(w.db) as conn:
        events = [r["payload"] for r in conn.execute(
            "select payload from outbox where topic = 'stock.stocktake' and aggregate_id = %s order by seq",
            (st["id"],))]
    assert [e["action"] for e in events] == ["created", "counted", "counted", "counted", "counted", "submitted",
                                             "reasons", "approved"]
    assert events[-1]["status"] == "approved" and events[-1]["store_id"] == shop.store
    r = w.call("POST", f"/inventory/stocktakes/{st['id']}/approve", shop.manager, {"version": done["version"]})
    assert r.status_code == 409 and r.json()["code"] == "inventory.stocktake.state"


def test_recount_sends_lines_back_and_a_clean_count_posts_nothing(shop: Shop) -> None:
    a, b = shop.sku(), shop.sku()
    shop.move("purchase_receipt", [(a, 10), (b, 3)])
    st = create(shop)["id"]
    count(shop, st, [{"sku_id": a, "quantity": 3}, {"sku_id": b, "quantity": 3}])
    submit(shop, st)
    reasons(shop, st, {a: "theft"})
    back = call(shop.w, shop.manager, "POST", f"/inventory/stocktakes/{st}/recount", {"sku_ids": [a]})
    assert back["status"] == "counting" and back["totals"]["uncounted"] == 1
    again = lines(shop, st)
    assert again[a]["counted_qty"] is None and again[a]["recount"] is True and again[a]["reason"] is None
    assert again[b]["counted_qty"] == 3  # the others keep their counts
    count(shop, st, [{"sku_id": a, "quantity": 10}])
    submit(shop, st)
    before = written(shop.w, shop.store)[:2]
    assert approve(shop, st, shop.manager)["variance_value"] == "0.00"
    assert written(shop.w, shop.store)[:2] == before and shop.on_hand(a) == 10


def test_two_person_rule_above_the_threshold(shop: Shop) -> None:
    w = shop.w
    a = shop.sku(price="10.00")
    shop.move("purchase_receipt", [(a, 200)])
    area = w.user("area_manager", "regions", [w.region_a])  # may approve, but created and submitted
    st = create(shop, who=area)["id"]
    count(shop, st, [{"sku_id": a, "quantity": 100}], who=area)
    sub = submit(shop, st, who=area)
    reasons(shop, st, {a: "theft"})
    view = head(shop, st, who=area)
    assert view["totals"]["variance_value"] == "1000.00" and view["needs_second_approver"] is True
    assert view["can_approve"] is False and sub["submitted_by"] == sub["created_by"]

    before = written(w, shop.store)
    r = w.call("POST", f"/inventory/stocktakes/{st}/approve", area, {"version": view["version"]})
    assert r.status_code == 403 and r.json()["code"] == "inventory.stocktake.self_approval", r.text
    assert r.json()["title"]
    r = w.call("POST", f"/inventory/stocktakes/{st}/approve", shop.manager, {"version": view["version"]})
    assert r.status_code == 403 and r.json()["code"] == "inventory.stocktake.approver_required", r.text
    assert written(w, shop.store) == before and head(shop, st)["status"] == "review" and shop.on_hand(a) == 200

    second = w.user("area_manager", "regions", [w.region_a])
    assert head(shop, st, who=second)["can_approve"] is True
    done = approve(shop, st, second)
    assert done["status"] == "approved" and done["approved_by"] != done["created_by"]
    assert shop.on_hand(a) == 100
    no_drift(shop)


def test_a_loss_that_would_go_negative_is_refused_until_recounted(shop: Shop) -> None:
    a = shop.sku()
    shop.move("purchase_receipt", [(a, 5)])
    st = create(shop)["id"]
    count(shop, st, [{"sku_id": a, "quantity": 2}])  # expected 5: loss 3
    shop.move("sale", [(a, 4)])  # sales after the count exceed what was counted: on hand 1
    submit(shop, st)
    reasons(shop, st, {a: "theft"})
    before = written(shop.w, shop.store)
    r = shop.w.call("POST", f"/inventory/stocktakes/{st}/approve", shop.manager,
                    {"version": head(shop, st)["version"]})
    assert r.status_code == 422 and r.json()["code"] == "inventory.stocktake.negative_stock", r.text
    assert written(shop.w, shop.store) == before and shop.on_hand(a) == 1
    call(shop.w, shop.manager, "POST", f"/inventory/stocktakes/{st}/recount", {"sku_ids": [a]})
    count(shop, st, [{"sku_id": a, "quantity": 0}])  # a count of 0 is a count
    submit(shop, st)
    reasons(shop, st, {a: "theft"})
    approve(shop, st, shop.manager)
    assert shop.on_hand(a) == 0
    no_drift(shop)


def test_whole_store_uncounted_lines_need_a_decision(shop: Shop) -> None:
    a, idle = shop.sku(cat=shop.other_cat), shop.sku()
    shop.move("purchase_receipt", [(a, 3)])
    st = create(shop, cats=[])
    assert st["category_ids"] == [] and st["totals"]["lines"] >= 2  # every active SKU, and a
    assert lines(shop, st["id"], q=call(shop.w, shop.w.admin_user, "GET", f"/catalog/sku/{idle}")["code"])[idle][
        "snapshot_qty"] == 0  # active without a balance row: in the snapshot at 0
    code = call(shop.w, shop.w.admin_user, "GET", f"/catalog/sku/{a}")["code"]
    assert set(lines(shop, st["id"], q=code)) == {a}
    path = f"/inventory/stocktakes/{st['id']}/lines"
    first = call(shop.w, shop.manager, "GET", path, query={"limit": "1"})
    second = call(shop.w, shop.manager, "GET", path, query={"limit": "1", "cursor": first["next_cursor"]})
    assert first["next_cursor"] and second["items"][0]["sku_code"] > first["items"][0]["sku_code"]
    r = shop.w.call("POST", f"/inventory/stocktakes/{st['id']}/submit", shop.manager, {"version": st["version"]})
    assert r.status_code == 422 and r.json()["code"] == "inventory.stocktake.uncounted", r.text
    # Named one by one up to 100 (the shared test database holds many active SKUs), counted in full.
    uncounted = head(shop, st["id"])["totals"]["uncounted"]
    assert f"还有 {uncounted} 个商品未盘点" in r.json()["title"]
    assert len(r.json()["errors"]) == min(uncounted, stocktakes.MAX_LISTED)
    assert a in lines(shop, st["id"], only="uncounted", q=code)
    assert head(shop, st["id"])["status"] == "counting"
    sub = submit(shop, st["id"], uncounted_as_zero=True)
    assert sub["status"] == "review" and sub["totals"]["uncounted"] == 0
    assert lines(shop, st["id"], only="variance")[a]["variance"] == -3
    reasons(shop, st["id"], {a: "damage"})
    approve(shop, st["id"], shop.manager)
    assert shop.on_hand(a) == 0
    no_drift(shop)



def test_scans_count_packs_and_scale_label_weights(shop: Shop) -> None:
    unit_bc, case_bc = ean(), ean()
    cola = shop.sku(packs=[{"name": "箱", "quantity": "24"}],
                    barcodes=[{"code": unit_bc}, {"code": case_bc, "pack_name": "箱"}])
    plu = f"{random.randrange(10000, 99999)}"
    pork = shop.sku(is_weighed=True, unit="kg", plu=plu)

    def label(grams: int) -> str:
        body = f"22{plu}{grams:05d}"
        return body + gtin_check_digit(body)

    st = create(shop)["id"]
    count(shop, st, [{"barcode": case_bc}, {"barcode": unit_bc, "quantity": 3}], mode="add")
    count(shop, st, [{"barcode": label(1250)}, {"barcode": label(800)}], mode="add")
    got = lines(shop, st)
    assert got[cola]["counted_qty"] == 27 and got[pork]["counted_qty"] == "2.050"
    count(shop, st, [{"barcode": case_bc, "quantity": 2}])  # set: two cases
    assert lines(shop, st)[cola]["counted_qty"] == 48


def _together(n: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run ``work(i)`` in ``n`` threads started at once, with their own pool and system scope."""
    start = threading.Barrier(n)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        start.wait()
        with context.use(context.system("test-scanner")):
            try:
                out = work(i)
                with lock:
                    results.append(out)
            except BaseException as exc:  # collected for the assertions
                with lock:
                    errors.append(exc)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return results, errors


def test_scanners_count_at_once_while_the_till_sells(shop: Shop) -> None:
    a, b = shop.sku(), shop.sku()
    shop.move("purchase_receipt", [(a, 100), (b, 100)])
    db = Database(shop.w.db.conninfo, min_size=2, max_size=12)
    try:
        # Six creates at once: one stocktake, the others are told one is open.
        made, refused = _together(6, lambda i: stocktakes.create(db, ROOT_PRINCIPAL, shop.store, [shop.root]))
        assert len(made) == 1 and [p.code for p in refused if isinstance(p, Problem)] == [
            "inventory.stocktake.open_exists"] * 5, refused
        st = made[0]["id"]
        scan = [stocktakes.Count(a, None, 1), stocktakes.Count(b, None, 1)]

        def work(i: int) -> None:
            for _ in range(10):
                if i < 8:  # eight scanners, both SKUs each time (lines locked in one order: no deadlock)
                    stocktakes.count(db, ROOT_PRINCIPAL, st, scan, "add")
                else:  # two tills
                    moves.apply_move(db, None, ROOT_PRINCIPAL, shop.store, "sale", [(a, 1)], uuid.uuid4().hex)

        _, errors = _together(10, work)
    finally:
        db.close()
    assert errors == []
    got = lines(shop, st)
    assert (got[a]["counted_qty"], got[b]["counted_qty"]) == (80, 80)  # no scan lost
    assert shop.on_hand(a) == 80 and got[a]["expected_qty"] == 100 + got[a]["moves_after_snapshot"]
    submit(shop, st)
    reasons(shop, st, {s: "counting_error" for s in (a, b) if got[s]["variance"] != 0})
    approve(shop, st, shop.manager)
    # on hand = counted + the sales after a's last count
    assert shop.on_hand(a) == 80 + got[a]["variance"] and shop.on_hand(b) == 80
    no_drift(shop)

# --- the scanner file import ---------------------------------------------------------------------------


def import_file(shop: Shop, st: str, rows: list[list[str]], headers: list[str] | None = None) -> dict[str, Any]:
    w = shop.w
    job = call(w, shop.manager, "POST", "/imports", {"kind": "stocktake_count", "filename": "扫描.csv",
                                                     "content_type": "text/csv", "store_id": shop.store,
                                                     "target_id": st}, 201)
    buf = io.StringIO()
    csv.writer(buf).writerows([headers or ["条码", "数量"], *rows])
    key = job["upload"]["key"]
    objects = bootstrap.container().objects
    info = objects.put(key, buf.getvalue().encode("utf-8-sig"), "text/csv")
    Client(load_functions()["imports"]).events.oss(objects.bucket, key, size=info.size, etag=info.etag)
    return call(w, shop.manager, "GET", f"/imports/{job['job']['id']}")


def test_scanner_file_import_validates_all_rows_then_sets_the_counts(shop: Shop) -> None:
    w = shop.w
    a_code, b_code = ean(), ean()
    a = shop.sku(barcodes=[{"code": a_code}])
    b = shop.sku(barcodes=[{"code": b_code}])
    c_sku = shop.sku()
    c_code = call(w, w.admin_user, "GET", f"/catalog/sku/{c_sku}")["code"]
    outside_code = ean()
    shop.sku(cat=shop.other_cat, barcodes=[{"code": outside_code}])
    shop.move("purchase_receipt", [(a, 2), (b, 9)])
    st = create(shop)["id"]

    bad_digit = a_code[:-1] + str((int(a_code[-1]) + 1) % 10)
    job = import_file(shop, st, [[a_code, ""], [a_code, "1"], [b_code, "1.5"], [bad_digit, "1"],
                                 [outside_code, "1"], [c_code, "0"]])
    assert job["status"] == "invalid" and job["counts"]["error"] == 3, job
    errors = call(w, shop.manager, "GET", f"/imports/{job['id']}/rows", query={"action": "error"})["items"]
    where = {(e["row_no"], err["column"], err["code"]) for e in errors for err in e["errors"]}
    assert where == {(4, "数量", "inventory.quantity.fractional"), (5, "条码", "catalog.barcode.check_digit"),
                     (6, "条码", "inventory.stocktake.sku_out_of_scope")}
    report = w.call("GET", f"/imports/{job['id']}/errors", shop.manager, query={"format": "csv"})
    assert report.status_code == 200 and "校验位" in report.body.decode("utf-8-sig")
    r = w.call("POST", f"/imports/{job['id']}/commit", shop.manager, {"version": job["version"]})
    assert r.status_code == 422 and head(shop, st)["totals"]["counted"] == 0  # all or nothing

    rows = [[a_code, ""], [a_code, "1"], [b_code, "7"], [c_code, "0"]]
    for _ in range(2):  # the same file twice: the sums are SET, nothing doubles
        job = import_file(shop, st, rows)
        assert job["status"] == "ready" and job["counts"]["update"] == 4 and job["target_id"] == st, job
        done = call(w, shop.manager, "POST", f"/imports/{job['id']}/commit", {"version": job["version"]})
        assert done["status"] == "committed"
    got = lines(shop, st)
    assert {s: (got[s]["counted_qty"], got[s]["variance"]) for s in (a, b, c_sku)} == {
        a: (2, 0), b: (7, -2), c_sku: (0, 0)}
    r = w.call("POST", f"/imports/{job['id']}/rollback", shop.manager)
    assert r.status_code == 422 and r.json()["code"] == "inventory.stocktake.import_rollback", r.text

    call(w, shop.manager, "POST", f"/inventory/stocktakes/{st}/cancel", {"version": head(shop, st)["version"]})
    r = w.call("POST", "/imports", shop.manager, {"kind": "stocktake_count", "filename": "x.csv",
                                                  "content_type": "text/csv", "store_id": shop.store,
                                                  "target_id": st})
    assert r.status_code == 409 and r.json()["code"] == "inventory.stocktake.state", r.text
    r = w.call("POST", "/imports", shop.manager, {"kind": "stocktake_count", "filename": "x.csv",
                                                  "content_type": "text/csv", "store_id": shop.store})
    assert r.status_code == 400 and r.json()["code"] == "imports.target", r.text


# --- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["add_zero", "fractional", "negative", "not_a_number", "unknown_sku",
                                  "other_store_sku", "unknown_barcode", "duplicate", "both_targets", "no_quantity"])
def test_bad_counts_are_refused_and_nothing_is_written(shop: Shop, case: str) -> None:
    w = shop.w
    a = shop.sku()
    st = create(shop)["id"]
    body: list[dict[str, Any]] = [{"sku_id": a, "quantity": 1}]
    mode = "set"
    expect = {"add_zero": (400, "inventory.quantity.zero"), "fractional": (400, "inventory.quantity.fractional"),
              "negative": (400, "inventory.quantity.sign"), "not_a_number": (400, "inventory.quantity.invalid"),
              "unknown_sku": (422, "inventory.sku.unknown"), "other_store_sku": (422, "inventory.sku.unknown"),
              "unknown_barcode": (422, "catalog.barcode.not_found"), "duplicate": (400, "inventory.lines.duplicate"),
              "both_targets": (400, "inventory.stocktake.count_target"),
              "no_quantity": (400, "inventory.quantity.missing")}[case]
    if case == "add_zero":
        body, mode = [{"sku_id": a, "quantity": 0}], "add"
    elif case == "fractional":
        body.append({"sku_id": shop.sku(), "quantity": "1.5"})
    elif case == "negative":
        body = [{"sku_id": a, "quantity": -1}]
    elif case == "not_a_number":
        body = [{"sku_id": a, "quantity": "十"}]
    elif case == "unknown_sku":
        body.append({"sku_id": "no-such-sku", "quantity": 1})
    elif case == "other_store_sku":
        body = [{"sku_id": shop.sku(store_id=w.store_b), "quantity": 1}]
    elif case == "unknown_barcode":
        body.append({"barcode": ean(), "quantity": 1})
    elif case == "duplicate":
        body.append({"sku_id": a, "quantity": 2})
    elif case == "both_targets":
        body = [{"sku_id": a, "barcode": ean(), "quantity": 1}]
    elif case == "no_quantity":
        body = [{"sku_id": a}]
    before = written(w, shop.store)
    r = w.call("PUT", f"/inventory/stocktakes/{st}/counts", shop.manager, {"counts": body, "mode": mode})
    assert (r.status_code, r.json()["code"]) == expect, r.text
    assert r.json()["title"]
    assert written(w, shop.store) == before and head(shop, st)["totals"]["counted"] == 0


def test_store_scope_state_and_version_rules(shop: Shop) -> None:
    w = shop.w
    r = w.call("POST", "/inventory/stocktakes", shop.manager, {"store_id": w.store_b, "category_ids": []})
    assert r.status_code == 404 and r.json()["code"] == "system.store.not_found", r.text
    r = w.call("POST", "/inventory/stocktakes", w.admin_user, {"store_id": "no-such-store"})
    assert r.status_code == 404, r.text
    r = w.call("POST", "/inventory/stocktakes", shop.manager, {"store_id": shop.store, "category_ids": ["nope"]})
    assert r.status_code == 422 and r.json()["code"] == "inventory.stocktake.category_unknown", r.text
    key = uuid.uuid4().hex
    st = create(shop, key=key)
    again = call(w, shop.manager, "POST", "/inventory/stocktakes",
                 {"store_id": shop.store, "category_ids": [shop.root], "idempotency_key": key}, 201)
    assert (again["id"], again["version"]) == (st["id"], st["version"])  # the first result
    r = w.call("POST", "/inventory/stocktakes", shop.manager, {"store_id": shop.store, "idempotency_key": key})
    assert r.status_code == 422 and r.json()["code"] == "common.idempotency_reused", r.text
    r = w.call("POST", "/inventory/stocktakes", shop.manager, {"store_id": shop.store})
    assert r.status_code == 409 and r.json()["code"] == "inventory.stocktake.open_exists", r.text

    other = w.user("store_manager", "stores", [w.store_a])
    for method, path, body in (("GET", "", None), ("GET", "/lines", None),
                               ("PUT", "/counts", {"counts": [{"sku_id": "x", "quantity": 1}]}),
                               ("POST", "/cancel", {"version": 1})):
        r = w.call(method, f"/inventory/stocktakes/{st['id']}{path}", other, body)
        assert r.status_code == 404 and r.json()["code"] == "inventory.stocktake.not_found", (path, r.text)
    listed = call(w, other, "GET", "/inventory/stocktakes", query={"limit": "500"})["items"]
    assert st["id"] not in {x["id"] for x in listed}
    mine = call(w, shop.manager, "GET", "/inventory/stocktakes", query={"store_id": shop.store, "status": "counting"})
    assert [x["id"] for x in mine["items"]] == [st["id"]] and mine["items"][0]["totals"]["lines"] == 0

    r = w.call("POST", f"/inventory/stocktakes/{st['id']}/submit", shop.manager, {"version": st["version"] + 1})
    assert r.status_code == 409 and r.json()["code"] == "common.version_conflict", r.text
    r = w.call("PUT", f"/inventory/stocktakes/{st['id']}/lines/reasons", shop.manager,
               {"lines": [{"sku_id": "x", "reason": "theft"}]})
    assert r.status_code == 409 and r.json()["code"] == "inventory.stocktake.state", r.text
    r = w.call("PUT", f"/inventory/stocktakes/{st['id']}/lines/reasons", shop.manager,
               {"lines": [{"sku_id": "x", "reason": "lost"}]})
    assert r.status_code == 400, r.text
    finance = w.user("finance", "stores", [shop.store])
    assert head(shop, st["id"], who=finance)["can_cancel"] is False  # reads, but does not count
    r = w.call("POST", f"/inventory/stocktakes/{st['id']}/cancel", finance, {"version": st["version"]})
    assert r.status_code == 403, r.text
    done = call(w, shop.manager, "POST", f"/inventory/stocktakes/{st['id']}/cancel", {"version": st["version"]})
    assert done["status"] == "cancelled" and done["cancelled_by"]
    r = w.call("PUT", f"/inventory/stocktakes/{st['id']}/counts", shop.manager,
               {"counts": [{"sku_id": "x", "quantity": 1}]})
    assert r.status_code == 409 and r.json()["code"] == "inventory.stocktake.state", r.text
    assert create(shop)["status"] == "counting"  # the store is free again


def test_hq_sets_the_approval_threshold(shop: Shop) -> None:
    w = shop.w
    cur = call(w, shop.manager, "GET", "/inventory/stocktake-settings")
    assert cur["approval_threshold"] == "500.00"
    body = {"approval_threshold": "10.00", "version": cur["version"]}
    r = w.call("PUT", "/inventory/stocktake-settings", shop.manager, body)
    assert r.status_code == 403, r.text
    scoped_hq = w.user("hq_admin", "stores", [shop.store])  # the permission, but not the global scope
    r = w.call("PUT", "/inventory/stocktake-settings", scoped_hq, body)
    assert r.status_code == 403 and r.json()["code"] == "system.hq_only", r.text
    r = w.call("PUT", "/inventory/stocktake-settings", w.admin_user, {**body, "approval_threshold": "-1"})
    assert r.status_code == 400 and r.json()["code"] == "inventory.stocktake.threshold_invalid", r.text
    a = shop.sku()
    shop.move("purchase_receipt", [(a, 5)])
    st = create(shop)["id"]
    count(shop, st, [{"sku_id": a, "quantity": 2}])  # 3 × 5.00 = 15.00
    submit(shop, st)
    reasons(shop, st, {a: "damage"})
    try:
        changed = call(w, w.admin_user, "PUT", "/inventory/stocktake-settings", body)
        assert changed["approval_threshold"] == "10.00" and changed["version"] == cur["version"] + 1
        r = w.call("PUT", "/inventory/stocktake-settings", w.admin_user, body)
        assert r.status_code == 409, r.text
        assert head(shop, st)["needs_second_approver"] is True
        r = w.call("POST", f"/inventory/stocktakes/{st}/approve", shop.manager, {"version": head(shop, st)["version"]})
        assert r.status_code == 403 and r.json()["code"] == "inventory.stocktake.approver_required", r.text
    finally:
        call(w, w.admin_user, "PUT", "/inventory/stocktake-settings",
             {"approval_threshold": "500.00", "version": cur["version"] + 1})
    assert approve(shop, st, shop.manager)["approval_threshold"] == "500.00"
