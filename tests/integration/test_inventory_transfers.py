"""Transfers between stores through the real inventory-api function on real PostgreSQL: the
full flow with one manager per store (each sees the transfer, each acts only on its side),
partial shipping and receipts, over-receipt, close with a shortage, cancel, state and version
conflicts, bad input with nothing written, two concurrent ships applying once, weighed
quantities, and balance == ledger and the in-transit invariant afterwards."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from ucm import context
from ucm.db import Database
from ucm.errors import Problem
from ucm.inventory import stock, transfers

from tests.conftest import system_conn
from tests.integration.identity_world import ROOT_PRINCIPAL, World
from tests.integration.inventory_world import balance, category, inventory_world, make_sku, ok


@pytest.fixture(scope="module")
def w(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from inventory_world(db, tmp_path_factory, "transfers")


@pytest.fixture(scope="module")
def cat(w: World) -> str:
    return category(w, "调拨类目")


def sku(w: World, cat: str, **over: Any) -> str:
    return make_sku(w, cat, **{"name": "调拨测试商品", **over})


@pytest.fixture(scope="module")
def mgr(w: World) -> dict[str, str]:
    """One store manager per store: A (the source in most tests) and B (the destination)."""
    return {"a": w.user("store_manager", "stores", [w.store_a]), "b": w.user("store_manager", "stores", [w.store_b]),
            "a2": w.user("store_manager", "stores", [w.store_a2])}


def stock_in(w: World, store: str, lines: list[tuple[str, Any]]) -> None:
    ok(w, w.admin_user, store, "purchase_receipt", lines)


def create(w: World, who: str, frm: str, to: str, lines: list[tuple[str, Any]], **extra: Any) -> Any:
    return w.call("POST", "/inventory/transfers", who, {
        "from_store_id": frm, "to_store_id": to, "lines": [{"sku_id": s, "quantity": q} for s, q in lines], **extra})


def created(w: World, who: str, frm: str, to: str, lines: list[tuple[str, Any]], **extra: Any) -> dict[str, Any]:
    r = create(w, who, frm, to, lines, **extra)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def act(w: World, who: str, t: dict[str, Any], action: str, body: dict[str, Any] | None = None) -> Any:
    if action in ("ship", "close", "cancel"):
        body = {"version": t["version"], **(body or {})}
    if action == "receive":
        body = {"idempotency_key": uuid.uuid4().hex, **(body or {})}
    return w.call("POST", f"/inventory/transfers/{t['id']}/{action}", who, body or {})


def done(w: World, who: str, t: dict[str, Any], action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    r = act(w, who, t, action, body)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def receipt(lines: list[tuple[str, Any]], reason: str | None = None, note: str = "") -> dict[str, Any]:
    return {"lines": [{"sku_id": s, "quantity": q, **({"discrepancy_reason": reason, "note": note} if reason else {})}
                      for s, q in lines]}


def line(t: dict[str, Any], s: str) -> dict[str, Any]:
    found: dict[str, Any] = next(x for x in t["lines"] if x["sku_id"] == s)
    return found


def written(w: World) -> dict[str, int]:
    """Everything a refused request must leave as it was."""
    with system_conn(w.db) as conn:
        row = conn.execute(
            "select (select count(*) from stock_transfer) as transfers,"
            " (select count(*) from stock_transfer_line) as lines,"
            " (select count(*) from stock_transfer_receipt) as receipts,"
            " (select count(*) from stock_ledger) as ledger,"
            " (select count(*) from stock_move) as moves,"
            " (select count(*) from outbox where topic in ('stock.transfer', 'stock.moved')) as events,"
            " (select count(*) from audit_log where action like 'inventory.%%') as audit,"
            " (select coalesce(sum(in_transit), 0) from stock_balance) as in_transit,"
            " (select coalesce(sum(on_hand), 0) from stock_balance) as on_hand,"
            " (select coalesce(sum(version), 0) from stock_transfer) as versions").fetchone()
    return dict(row)


def drift_of(w: World, skus: set[str]) -> list[Any]:
    """Balance against ledger, and in transit against the open transfer lines, for these SKUs."""
    with context.use(context.system("test")):
        return [d for d in stock.check_invariants(w.db) if d.sku_id in skus]


def transfer_events(w: World, transfer_id: str) -> list[str]:
    with system_conn(w.db) as conn:
        rows = conn.execute("select payload->>'status' as status from outbox where topic = 'stock.transfer'"
                            " and aggregate_id = %s order by seq", (transfer_id,)).fetchall()
    return [r["status"] for r in rows]


# --- the flow ------------------------------------------------------------------------------------


def test_full_flow_each_manager_acts_on_its_side(w: World, cat: str, mgr: dict[str, str]) -> None:
    can, kg = sku(w, cat), sku(w, cat, is_weighed=True, unit="kg")
    stock_in(w, w.store_a, [(can, 10), (kg, "5.000")])
    t = created(w, mgr["a"], w.store_a, w.store_b, [(can, 6), (kg, "2.345")], note="周末补货")
    assert t["status"] == "created" and t["code"].startswith("TR") and t["version"] == 1
    assert (line(t, can)["qty_requested"], line(t, kg)["qty_requested"]) == (6, "2.345")
    assert (t["can_ship"], t["can_cancel"], t["can_receive"], t["can_close"]) == (True, True, False, False)

    # B's manager sees it (without having store A in scope) and may not ship it.
    seen = w.call("GET", f"/inventory/transfers/{t['id']}", mgr["b"]).json()
    assert seen["id"] == t["id"] and (seen["can_ship"], seen["can_receive"]) == (False, False)
    # Each side is shown the other store's name, though its store row is outside the scope.
    assert (seen["from_store_name"], seen["to_store_name"]) == ("徐汇测试店", "天河测试店")
    incoming = w.call("GET", "/inventory/transfers", mgr["b"], query={"store_id": w.store_b, "direction": "in"})
    assert [x["from_store_name"] for x in incoming.json()["items"] if x["id"] == t["id"]] == ["徐汇测试店"]
    outgoing = w.call("GET", "/inventory/transfers", mgr["a"], query={"direction": "out"}).json()["items"]
    assert t["id"] in [x["id"] for x in outgoing]
    assert t["id"] not in [x["id"] for x in w.call("GET", "/inventory/transfers", mgr["b"],
                                                      query={"direction": "out"}).json()["items"]]
    r = act(w, mgr["b"], t, "ship")
    assert r.status_code == 403 and r.json()["code"] == "inventory.transfer.wrong_side", r.text

    t = done(w, mgr["a"], t, "ship")
    assert t["status"] == "shipped" and t["version"] == 2 and t["shipped_by"].startswith("user:")
    assert balance(w, w.store_a, can)["on_hand"] == 4 and balance(w, w.store_a, kg)["on_hand"] == "2.655"
    at_b = balance(w, w.store_b, can)
    assert (at_b["on_hand"], at_b["in_transit"], at_b["ats"]) == (0, 6, 6)  # ATS includes in transit
    assert balance(w, w.store_b, kg)["in_transit"] == "2.345"

    r = act(w, mgr["a"], t, "receive", receipt([(can, 6)]))
    assert r.status_code == 403 and r.json()["code"] == "inventory.transfer.wrong_side", r.text
    t = done(w, mgr["b"], t, "receive", receipt([(can, 4)]))
    assert t["status"] == "partially_received" and line(t, can)["qty_outstanding"] == 2
    assert (t["can_receive"], t["can_close"]) == (True, True)
    at_b = balance(w, w.store_b, can)
    assert (at_b["on_hand"], at_b["in_transit"], at_b["ats"]) == (4, 2, 6)
    t = done(w, mgr["b"], t, "receive", receipt([(can, 2), (kg, "2.345")]))
    assert t["status"] == "received" and len(t["receipts"]) == 2
    assert t["receipts"][1]["lines"][1] == {"sku_id": kg, "quantity": "2.345", "discrepancy_reason": None, "note": ""}
    kg_b = balance(w, w.store_b, kg)
    assert (kg_b["on_hand"], kg_b["in_transit"]) == ("2.345", "0.000")

    r = act(w, mgr["a"], t, "close")
    assert r.status_code == 403 and r.json()["code"] == "inventory.transfer.wrong_side"
    t = done(w, mgr["b"], t, "close")
    assert t["status"] == "closed" and t["closed_by"].startswith("user:") and not any(
        t[f] for f in ("can_ship", "can_receive", "can_close", "can_cancel"))
    led = w.call("GET", "/inventory/ledger", mgr["b"], query={"store_id": w.store_b, "sku_id": can}).json()["items"]
    assert [(x["reason"], x["qty_delta"], x["ref"]) for x in led] == [("transfer_in", 2, t["code"]),
                                                                    ("transfer_in", 4, t["code"])]
    assert transfer_events(w, t["id"]) == ["created", "shipped", "partially_received", "received", "closed"]
    with system_conn(w.db) as conn:
        audit = conn.execute("select action, store_id from audit_log where target_type = 'stock_transfer'"
                             " and target_id = %s order by id", (t["id"],)).fetchall()
    assert [(a["action"].rsplit(".", 1)[1], a["store_id"]) for a in audit] == [
        ("create", w.store_a), ("ship", w.store_a), ("receive", w.store_b), ("receive", w.store_b),
        ("close", w.store_b)]
    assert drift_of(w, {can, kg}) == []


def test_outsiders_do_not_see_a_transfer(w: World, cat: str, mgr: dict[str, str]) -> None:
    s = sku(w, cat)
    stock_in(w, w.store_a, [(s, 3)])
    t = created(w, mgr["a"], w.store_a, w.store_b, [(s, 1)])
    r = w.call("GET", f"/inventory/transfers/{t['id']}", mgr["a2"])
    assert r.status_code == 404 and r.json()["code"] == "inventory.transfer.not_found"
    assert act(w, mgr["a2"], t, "ship").status_code == 404
    items = w.call("GET", "/inventory/transfers", mgr["a2"], query={"limit": "500"}).json()["items"]
    assert t["id"] not in [x["id"] for x in items]
    r = w.call("GET", "/inventory/transfers", mgr["a2"], query={"store_id": w.store_a})
    assert r.status_code == 404


def test_list_pages_newest_first_and_filters_status(w: World, cat: str, mgr: dict[str, str]) -> None:
    s = sku(w, cat)
    ids = [created(w, w.admin_user, w.store_a2, w.store_b, [(s, 1)])["id"] for _ in range(3)]
    got: list[str] = []
    cursor = None
    while True:
        q = {"store_id": w.store_a2, "direction": "out", "status": "created", "limit": "2"}
        if cursor:
            q["cursor"] = cursor
        page = w.call("GET", "/inventory/transfers", w.admin_user, query=q)
        got += [x["id"] for x in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert [i for i in got if i in ids] == ids[::-1]
    none = w.call("GET", "/inventory/transfers", w.admin_user, query={"store_id": w.store_a2, "status": "closed"})
    assert not {x["id"] for x in none.json()["items"]} & set(ids)


def test_ship_less_receive_part_and_close_with_a_shortage(w: World, cat: str, mgr: dict[str, str]) -> None:
    a, b = sku(w, cat), sku(w, cat)
    stock_in(w, w.store_a, [(a, 10), (b, 10)])
    t = created(w, mgr["a"], w.store_a, w.store_b, [(a, 6), (b, 3)])
    r = act(w, mgr["a"], t, "ship", {"lines": [{"sku_id": a, "quantity": 7}]})
    assert r.status_code == 422 and r.json()["code"] == "inventory.transfer.over_shipment"
    t = done(w, mgr["a"], t, "ship", {"lines": [{"sku_id": a, "quantity": 5}]})  # b not shipped at all
    assert (line(t, a)["qty_shipped"], line(t, b)["qty_shipped"]) == (5, 0)
    assert balance(w, w.store_a, b)["on_hand"] == 10 and balance(w, w.store_b, b)["in_transit"] == 0
    t = done(w, mgr["b"], t, "receive", receipt([(a, 3)]))
    before = (balance(w, w.store_a, a)["on_hand"], balance(w, w.store_b, a)["on_hand"])

    r = act(w, mgr["b"], t, "close")
    assert r.status_code == 422 and r.json()["code"] == "inventory.transfer.discrepancy_reason_missing"
    assert r.json()["errors"][0]["field"] == f"sku:{a}"
    r = act(w, mgr["b"], t, "close", {"discrepancy_reason": "other"})
    assert r.status_code == 400 and r.json()["code"] == "inventory.transfer.note_required"
    t = done(w, mgr["b"], t, "close", {"lines": [{"sku_id": a, "discrepancy_reason": "damaged", "note": "路上压坏"}]})
    assert t["status"] == "closed"
    got = line(t, a)
    assert (got["qty_lost"], got["qty_outstanding"], got["discrepancy_reason"]) == (2, 0, "damaged")
    # Lost in transit: out of transit, no on-hand change at either store.
    assert balance(w, w.store_b, a)["in_transit"] == 0
    assert (balance(w, w.store_a, a)["on_hand"], balance(w, w.store_b, a)["on_hand"]) == before == (5, 3)
    assert drift_of(w, {a, b}) == []


def test_over_receipt_needs_a_reason(w: World, cat: str, mgr: dict[str, str]) -> None:
    s = sku(w, cat)
    stock_in(w, w.store_a, [(s, 10)])
    t = done(w, mgr["a"], created(w, mgr["a"], w.store_a, w.store_b, [(s, 5)]), "ship")
    t = done(w, mgr["b"], t, "receive", receipt([(s, 2)]))
    before = written(w)
    r = act(w, mgr["b"], t, "receive", receipt([(s, 4)]))
    assert r.status_code == 422 and r.json()["code"] == "inventory.transfer.over_receipt", r.text
    assert r.json()["errors"] == [{"field": "lines[0].quantity", "code": "inventory.transfer.over_receipt",
                                   "message": "待收 3，本次 4"}]
    assert written(w) == before
    t = done(w, mgr["b"], t, "receive", receipt([(s, 4)], "over", "多发了一箱"))
    assert t["status"] == "received" and line(t, s)["qty_received"] == 6 and line(t, s)["discrepancy_reason"] == "over"
    at_b = balance(w, w.store_b, s)
    assert (at_b["on_hand"], at_b["in_transit"]) == (6, 0)  # transit went down by 3 only, never below 0
    assert act(w, mgr["b"], t, "receive", receipt([(s, 1)], "over")).json()["code"] == "inventory.transfer.state"
    t = done(w, mgr["b"], t, "close")
    assert line(t, s)["qty_lost"] == 0 and drift_of(w, {s}) == []


def test_cancel_before_shipping_only(w: World, cat: str, mgr: dict[str, str]) -> None:
    s = sku(w, cat)
    stock_in(w, w.store_a, [(s, 2)])
    t = created(w, mgr["a"], w.store_a, w.store_b, [(s, 2)])
    assert act(w, mgr["b"], t, "cancel").json()["code"] == "inventory.transfer.wrong_side"
    r = act(w, mgr["a"], {**t, "version": 99}, "cancel")
    assert r.status_code == 409 and r.json()["code"] == "common.version_conflict"
    t = done(w, mgr["a"], t, "cancel")
    assert t["status"] == "cancelled" and t["cancelled_by"].startswith("user:")
    r = act(w, mgr["a"], t, "ship")
    assert r.status_code == 409 and r.json()["code"] == "inventory.transfer.state"
    assert balance(w, w.store_a, s)["on_hand"] == 2 and transfer_events(w, t["id"]) == ["created", "cancelled"]
    shipped = done(w, mgr["a"], created(w, mgr["a"], w.store_a, w.store_b, [(s, 1)]), "ship")
    assert act(w, mgr["a"], shipped, "cancel").json()["code"] == "inventory.transfer.state"


def test_state_and_version_conflicts_write_nothing(w: World, cat: str, mgr: dict[str, str]) -> None:
    s = sku(w, cat)
    stock_in(w, w.store_a, [(s, 5)])
    t = created(w, mgr["a"], w.store_a, w.store_b, [(s, 2)])
    before = written(w)
    for who, action in ((mgr["b"], "receive"), (mgr["b"], "close")):
        r = act(w, who, t, action, receipt([(s, 1)]) if action == "receive" else None)
        assert r.status_code == 409 and r.json()["code"] == "inventory.transfer.state", r.text
    r = act(w, mgr["a"], {**t, "version": 0}, "ship")
    assert r.status_code == 409 and r.json()["code"] == "common.version_conflict"
    assert written(w) == before
    shipped = done(w, mgr["a"], t, "ship")
    again = act(w, mgr["a"], shipped, "ship")
    assert again.status_code == 409 and again.json()["code"] == "inventory.transfer.state"
    assert balance(w, w.store_a, s)["on_hand"] == 3
    r = act(w, mgr["b"], shipped, "close", {"discrepancy_reason": "short", "version": 1})
    assert r.status_code == 409 and r.json()["code"] == "common.version_conflict"
    r = w.call("GET", f"/inventory/transfers/{uuid.uuid4()}", mgr["a"])
    assert r.status_code == 404 and r.json()["code"] == "inventory.transfer.not_found"


def test_insufficient_stock_at_the_source_ships_nothing(w: World, cat: str, mgr: dict[str, str]) -> None:
    a, b = sku(w, cat), sku(w, cat)
    stock_in(w, w.store_a, [(a, 10), (b, 1)])
    t = created(w, mgr["a"], w.store_a, w.store_b, [(a, 4), (b, 2)])
    before = written(w)
    r = act(w, mgr["a"], t, "ship")
    assert r.status_code == 422 and r.json()["code"] == "inventory.insufficient_stock", r.text
    assert written(w) == before
    got = w.call("GET", f"/inventory/transfers/{t['id']}", mgr["a"]).json()
    assert got["status"] == "created" and line(got, a)["qty_shipped"] == 0


def test_idempotent_create_and_receive(w: World, cat: str, mgr: dict[str, str]) -> None:
    s = sku(w, cat)
    stock_in(w, w.store_a, [(s, 5)])
    key = uuid.uuid4().hex
    first = created(w, mgr["a"], w.store_a, w.store_b, [(s, 2)], idempotency_key=key)
    again = created(w, mgr["a"], w.store_a, w.store_b, [(s, 2)], idempotency_key=key)
    assert again["id"] == first["id"] and again["code"] == first["code"]
    r = create(w, mgr["a"], w.store_a, w.store_b, [(s, 3)], idempotency_key=key)
    assert r.status_code == 422 and r.json()["code"] == "common.idempotency_reused"
    t = done(w, mgr["a"], first, "ship")
    body = {**receipt([(s, 1)]), "idempotency_key": uuid.uuid4().hex}
    done(w, mgr["b"], t, "receive", body)
    before = written(w)
    t = done(w, mgr["b"], t, "receive", body)
    assert written(w) == before and line(t, s)["qty_received"] == 1 and len(t["receipts"]) == 1
    r = act(w, mgr["b"], t, "receive", {**receipt([(s, 1)]), "idempotency_key": ""})
    assert r.status_code == 400 and r.json()["code"] == "inventory.idempotency_key.missing"


# --- bad input --------------------------------------------------------------------------------------


BAD_CREATE = {
    "same_store": (422, "inventory.transfer.same_store"),
    "unknown_sku": (422, "inventory.sku.unknown"),
    "store_local_sku": (422, "inventory.transfer.sku_store_local"),
    "zero": (400, "inventory.quantity.zero"),
    "negative": (400, "inventory.quantity.sign"),
    "fractional": (400, "inventory.quantity.fractional"),
    "too_precise": (400, "inventory.quantity.precision"),
    "duplicate_line": (400, "inventory.lines.duplicate"),
    "unknown_to_store": (422, "inventory.transfer.to_store_unknown"),
    "unknown_from_store": (404, "system.store.not_found"),
    "from_out_of_scope": (404, "system.store.not_found"),
}


@pytest.mark.parametrize("case", list(BAD_CREATE))
def test_bad_create_is_refused_and_nothing_is_written(w: World, cat: str, mgr: dict[str, str], case: str) -> None:
    s = sku(w, cat)
    who, frm, to = mgr["a"], w.store_a, w.store_b
    lines: list[tuple[str, Any]] = [(s, 1)]
    if case == "same_store":
        to = w.store_a
    elif case == "unknown_sku":
        lines = [(s, 1), ("no-such-sku", 1)]
    elif case == "store_local_sku":
        lines = [(sku(w, cat, store_id=w.store_a), 1)]
    elif case == "zero":
        lines = [(s, 0)]
    elif case == "negative":
        lines = [(s, -2)]
    elif case == "fractional":
        lines = [(s, "1.5")]
    elif case == "too_precise":
        lines = [(sku(w, cat, is_weighed=True, unit="kg"), "1.2345")]
    elif case == "duplicate_line":
        lines = [(s, 1), (s, 2)]
    elif case == "unknown_to_store":
        to = "no-such-store"
    elif case == "unknown_from_store":
        who, frm = w.admin_user, "no-such-store"
    elif case == "from_out_of_scope":
        who = mgr["b"]
    before = written(w)
    r = create(w, who, frm, to, lines)
    status, code = BAD_CREATE[case]
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    assert r.json()["title"]  # a message for the shop manager
    assert written(w) == before


BAD_RECEIPT = {
    "fractional": (400, "inventory.quantity.fractional"),
    "unknown_line": (422, "inventory.transfer.line_unknown"),
    "bad_reason": (400, "common.validation"),
    "other_without_note": (400, "inventory.transfer.note_required"),
    "zero": (400, "inventory.quantity.zero"),
}


@pytest.mark.parametrize("case", list(BAD_RECEIPT))
def test_bad_receipt_is_refused_and_nothing_is_written(w: World, cat: str, mgr: dict[str, str], case: str) -> None:
    s = sku(w, cat)
    stock_in(w, w.store_a, [(s, 5)])
    t = done(w, mgr["a"], created(w, mgr["a"], w.store_a, w.store_b, [(s, 5)]), "ship")
    body: dict[str, Any] = {
        "fractional": receipt([(s, "1.5")]), "unknown_line": receipt([(sku(w, cat), 1)]),
        "bad_reason": receipt([(s, 9)], "stolen"), "other_without_note": receipt([(s, 9)], "other"),
        "zero": receipt([(s, 0)])}[case]
    before = written(w)
    r = act(w, mgr["b"], t, "receive", body)
    assert (r.status_code, r.json()["code"]) == BAD_RECEIPT[case], r.text
    assert written(w) == before


# --- concurrency ------------------------------------------------------------------------------------


def test_two_concurrent_ships_apply_once(w: World, cat: str, mgr: dict[str, str]) -> None:
    s = sku(w, cat)
    stock_in(w, w.store_a, [(s, 10)])
    t = created(w, mgr["a"], w.store_a, w.store_b, [(s, 4)])
    db = Database(w.db.conninfo, min_size=2, max_size=4)
    start = threading.Barrier(2)
    results: list[Any] = []
    lock = threading.Lock()

    def worker() -> None:
        start.wait()
        with context.use(context.system("test-ship")):
            try:
                out: Any = transfers.ship(db, None, ROOT_PRINCIPAL, t["id"], t["version"])
            except Problem as p:
                out = p
        with lock:
            results.append(out)

    pool = [threading.Thread(target=worker) for _ in range(2)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    db.close()
    problems = [r for r in results if isinstance(r, Problem)]
    assert len(results) == 2 and len(problems) == 1 and problems[0].status == 409, results
    assert balance(w, w.store_a, s)["on_hand"] == 6 and balance(w, w.store_b, s)["in_transit"] == 4
    led = w.call("GET", "/inventory/ledger", w.admin_user, query={"store_id": w.store_a, "sku_id": s}).json()["items"]
    assert [x["reason"] for x in led] == ["transfer_out", "purchase_receipt"]
    assert drift_of(w, {s}) == []


def test_opposite_ships_at_once_do_not_deadlock(w: World, cat: str) -> None:
    """A→B and B→A of the same SKUs shipped at the same moment both go through."""
    s1, s2 = sku(w, cat), sku(w, cat)
    for store in (w.store_a, w.store_b):
        stock_in(w, store, [(s1, 5), (s2, 5)])
    there = created(w, w.admin_user, w.store_a, w.store_b, [(s1, 1), (s2, 1)])
    back = created(w, w.admin_user, w.store_b, w.store_a, [(s1, 2), (s2, 2)])
    db = Database(w.db.conninfo, min_size=2, max_size=4)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(t: dict[str, Any]) -> None:
        start.wait()
        try:
            with context.use(context.system("test-ship")):
                transfers.ship(db, None, ROOT_PRINCIPAL, t["id"], t["version"])
        except BaseException as exc:  # reported below
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(t,)) for t in (there, back)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    db.close()
    assert not errors, errors
    assert (balance(w, w.store_a, s1)["in_transit"], balance(w, w.store_b, s1)["in_transit"]) == (2, 1)
    assert drift_of(w, {s1, s2}) == []


def test_the_invariant_check_sees_in_transit_drift(w: World, cat: str, mgr: dict[str, str]) -> None:
    s = sku(w, cat)
    stock_in(w, w.store_a, [(s, 3)])
    done(w, mgr["a"], created(w, mgr["a"], w.store_a, w.store_b, [(s, 3)]), "ship")
    assert drift_of(w, {s}) == []
    with system_conn(w.db) as conn:
        conn.execute("update stock_balance set in_transit = in_transit + 1 where store_id = %s and sku_id = %s",
                     (w.store_b, s))
    try:
        assert [(d.store_id, d.measure, d.balance, d.ledger_sum) for d in drift_of(w, {s})] == [
            (w.store_b, "in_transit", 4, 3)]
    finally:
        with system_conn(w.db) as conn:
            conn.execute("update stock_balance set in_transit = in_transit - 1 where store_id = %s and sku_id = %s",
                         (w.store_b, s))
    assert drift_of(w, {s}) == []


def test_a_store_manager_picks_the_destination_from_code_and_name_only(w: World, mgr: dict[str, str]) -> None:
    r = w.call("GET", "/inventory/transfer-destinations", mgr["a"], query={"from_store_id": w.store_a})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    ids = {i["id"] for i in items}
    assert w.store_b in ids and w.store_a not in ids  # other stores, never the source itself
    assert all(set(i) == {"id", "code", "name", "region_id"} for i in items)  # nothing but the slip's fields
    # Only from a store of one's own, and only with the transfer permission.
    r = w.call("GET", "/inventory/transfer-destinations", mgr["a"], query={"from_store_id": w.store_b})
    assert r.status_code == 404 and r.json()["code"] == "system.store.not_found", r.text
    viewer = w.user("bi_viewer", "stores", [w.store_a])
    r = w.call("GET", "/inventory/transfer-destinations", viewer, query={"from_store_id": w.store_a})
    assert r.status_code == 403, r.text
