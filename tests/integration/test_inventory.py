"""Inventory core through the real inventory-api function (FC entry point) on real PostgreSQL:
moves and their bad input, idempotency, the negative-stock policy, balance == ledger, stock as
of a past moment, the append-only ledger, stock.moved in the outbox, and exactness under
concurrent writers (duplicates of one idempotency key included)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from ucm import context
from ucm.db import Database, one_line
from ucm.errors import Problem
from ucm.fc.discovery import load_functions
from ucm.inventory import moves, sql, stock
from ucm.ports import Event

from tests.conftest import system_conn
from tests.integration.identity_world import ROOT_PRINCIPAL, World
from tests.integration.inventory_world import balance, category, inventory_world, make_sku, move, ok, set_policy


@pytest.fixture(scope="module")
def w(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from inventory_world(db, tmp_path_factory, "inventory")


@pytest.fixture(scope="module")
def ref(w: World) -> dict[str, str]:
    cat = category(w, "库存类目")
    return {"cat": cat, "sku": make_sku(w, cat), "kg": make_sku(w, cat, is_weighed=True, unit="kg"),
            "local_b": make_sku(w, cat, store_id=w.store_b)}


@pytest.fixture(scope="module")
def manager_a(w: World) -> str:
    return w.user("store_manager", "stores", [w.store_a])


def new_sku(w: World, ref: dict[str, str]) -> str:
    return make_sku(w, ref["cat"])


def on_hand(w: World, store: str, sku: str) -> Any:
    return balance(w, store, sku)["on_hand"]


def written(w: World, store: str) -> tuple[int, int, int, int]:
    """Ledger rows, moves, stock.moved events and move audit rows of a store: what a refused move
    must not change (the move's one statement writes all four)."""
    with system_conn(w.db) as conn:
        row = conn.execute(
            "select (select count(*) from stock_ledger where store_id = %(s)s) as l,"
            " (select count(*) from stock_move where store_id = %(s)s) as m,"
            " (select count(*) from outbox where topic = 'stock.moved' and store_id = %(s)s) as e,"
            " (select count(*) from audit_log where action = 'inventory.move' and store_id = %(s)s) as a",
            {"s": store}).fetchone()
    return row["l"], row["m"], row["e"], row["a"]


# --- moves ---------------------------------------------------------------------------------------


def test_receive_damage_and_read_back(w: World, ref: dict[str, str], manager_a: str) -> None:
    sku = new_sku(w, ref)
    got = ok(w, manager_a, w.store_a, "purchase_receipt", [(sku, "24")], ref="PO-1")
    assert got["lines"] == [{"sku_id": sku, "ledger_id": got["lines"][0]["ledger_id"], "qty_delta": 24,
                             "on_hand_after": 24}]
    assert got["store_id"] == w.store_a and got["reason"] == "purchase_receipt" and got["ref"] == "PO-1"
    ok(w, manager_a, w.store_a, "damage", [(sku, 3)])
    ats = w.call("GET", "/inventory/ats", manager_a, query={"store_id": w.store_a, "sku_id": sku}).json()
    assert ats["on_hand"] == 21 and ats["ats"] == 21 and ats["reserved"] == 0
    items = w.call("GET", "/inventory/stock", manager_a, query={"store_id": w.store_a, "sku_id": sku}).json()["items"]
    assert [(i["sku_id"], i["on_hand"], i["ats"]) for i in items] == [(sku, 21, 21)]
    led = w.call("GET", "/inventory/ledger", manager_a, query={"store_id": w.store_a, "sku_id": sku}).json()["items"]
    assert [(x["reason"], x["qty_delta"], x["on_hand_after"]) for x in led] == [("damage", -3, 21),
                                                                                ("purchase_receipt", 24, 24)]
    only = w.call("GET", "/inventory/ledger", manager_a,
                  query={"store_id": w.store_a, "sku_id": sku, "reason": "damage"}).json()["items"]
    assert len(only) == 1 and only[0]["actor"].startswith("user:")


def test_weighed_quantities_keep_three_decimals(w: World, ref: dict[str, str]) -> None:
    got = ok(w, w.admin_user, w.store_a2, "purchase_receipt", [(ref["kg"], "12.345")])
    assert got["lines"][0]["qty_delta"] == "12.345"
    ok(w, w.admin_user, w.store_a2, "sale", [(ref["kg"], "0.5")])
    assert on_hand(w, w.store_a2, ref["kg"]) == "11.845"


def test_adjustment_is_signed_and_needs_a_reason_code(w: World, ref: dict[str, str]) -> None:
    sku = new_sku(w, ref)
    ok(w, w.admin_user, w.store_a, "purchase_receipt", [(sku, 10)])
    r = move(w, w.admin_user, w.store_a, "adjustment", [(sku, -2)])
    assert r.status_code == 400 and r.json()["code"] == "inventory.reason_code.missing"
    ok(w, w.admin_user, w.store_a, "adjustment", [(sku, -2)], reason_code="LABEL_ERROR", note="条码贴错")
    assert on_hand(w, w.store_a, sku) == 8


@pytest.mark.parametrize("case", ["unknown_sku", "other_store_sku", "zero", "fractional", "negative_receipt",
                                  "not_a_number", "too_precise", "duplicate_line", "no_key", "unknown_store",
                                  "store_out_of_scope", "transfer_reason"])
def test_bad_input_is_refused_and_nothing_is_written(w: World, ref: dict[str, str], manager_a: str,
                                                     case: str) -> None:
    sku = ref["sku"]
    store, who = w.store_a, manager_a
    lines: list[tuple[str, Any]] = [(sku, 1)]
    reason, key = "purchase_receipt", uuid.uuid4().hex
    expect = {"unknown_sku": (422, "inventory.sku.unknown"), "other_store_sku": (422, "inventory.sku.unknown"),
              "zero": (400, "inventory.quantity.zero"), "fractional": (400, "inventory.quantity.fractional"),
              "negative_receipt": (400, "inventory.quantity.sign"),
              "not_a_number": (400, "inventory.quantity.invalid"),
              "too_precise": (400, "inventory.quantity.precision"),
              "duplicate_line": (400, "inventory.lines.duplicate"),
              "no_key": (400, "inventory.idempotency_key.missing"),
              "unknown_store": (404, "system.store.not_found"),
              "store_out_of_scope": (404, "system.store.not_found"),
              "transfer_reason": (400, "common.validation")}[case]
    if case == "unknown_sku":
        lines = [(sku, 1), ("no-such-sku", 1)]
    elif case == "other_store_sku":
        lines = [(ref["local_b"], 1)]
    elif case == "zero":
        lines = [(sku, "0")]
    elif case == "fractional":
        lines = [(sku, "1.5")]
    elif case == "negative_receipt":
        lines = [(sku, -1)]
    elif case == "not_a_number":
        lines = [(sku, "十")]
    elif case == "too_precise":
        lines = [(ref["kg"], "0.0001")]
    elif case == "duplicate_line":
        lines = [(sku, 1), (sku, 2)]
    elif case == "no_key":
        key = ""
    elif case == "unknown_store":
        store, who = "no-such-store", w.admin_user
    elif case == "store_out_of_scope":
        store = w.store_b
    elif case == "transfer_reason":
        reason = "transfer_in"  # only the transfer flow posts these
    before = written(w, w.store_a), written(w, w.store_b)
    body = {"store_id": store, "reason": reason, "lines": [{"sku_id": s, "quantity": q} for s, q in lines]}
    if key:
        body["idempotency_key"] = key
    r = w.call("POST", "/inventory/move", who, body)
    assert r.status_code == expect[0], r.text
    if expect[1]:
        assert r.json()["code"] == expect[1], r.text
        assert r.json()["title"]  # zh-CN, for the shop manager
    assert (written(w, w.store_a), written(w, w.store_b)) == before


def test_a_read_of_another_stores_stock_is_not_found(w: World, ref: dict[str, str], manager_a: str) -> None:
    ok(w, w.admin_user, w.store_b, "purchase_receipt", [(ref["sku"], 5)])
    for path in ("/inventory/ats", "/inventory/ledger", "/inventory/stock", "/inventory/stock-as-of"):
        q = {"store_id": w.store_b, "sku_id": ref["sku"], "at": datetime.now(timezone.utc).isoformat()}
        r = w.call("GET", path, manager_a, query=q)
        assert r.status_code == 404, (path, r.text)
    mine = w.call("GET", "/inventory/stock", manager_a, query={"limit": "500"}).json()["items"]
    assert all(i["store_id"] == w.store_a for i in mine)
    r = w.call("GET", "/inventory/stock", w.admin_user, query={"store_id": w.store_b, "sku_id": ref["sku"]})
    assert r.json()["items"][0]["on_hand"] >= 5


# --- idempotency -------------------------------------------------------------------------------------


def test_the_same_key_is_applied_once_and_returns_the_first_result(w: World, ref: dict[str, str],
                                                                   manager_a: str) -> None:
    sku = new_sku(w, ref)
    key = uuid.uuid4().hex
    first = move(w, manager_a, w.store_a, "purchase_receipt", [(sku, 7)], key=key)
    again = w.call("POST", "/inventory/move", manager_a,
                   {"store_id": w.store_a, "reason": "purchase_receipt", "lines": [{"sku_id": sku, "quantity": 7}]})
    assert again.status_code == 400  # the key is required
    r = w.client_for("/inventory/move").http.request(
        "POST", "/inventory/move", headers={"Authorization": f"Bearer {w.token(manager_a)}", "Idempotency-Key": key},
        json_body={"store_id": w.store_a, "reason": "purchase_receipt", "lines": [{"sku_id": sku, "quantity": 7}]})
    assert first.status_code == r.status_code == 200, r.text
    assert r.json() == first.json()
    assert on_hand(w, w.store_a, sku) == 7
    other = move(w, manager_a, w.store_a, "purchase_receipt", [(sku, 8)], key=key)
    assert other.status_code == 422 and other.json()["code"] == "common.idempotency_reused"
    assert on_hand(w, w.store_a, sku) == 7


# --- negative stock ------------------------------------------------------------------------------


def test_refuse_policy_refuses_the_whole_move(w: World, ref: dict[str, str]) -> None:
    a, b = new_sku(w, ref), new_sku(w, ref)
    ok(w, w.admin_user, w.store_a, "purchase_receipt", [(a, 5), (b, 1)])
    before = written(w, w.store_a)
    r = move(w, w.admin_user, w.store_a, "damage", [(a, 2), (b, 3)])
    assert r.status_code == 422 and r.json()["code"] == "inventory.insufficient_stock", r.text
    assert b in r.json()["detail"] and a not in r.json()["detail"]
    assert written(w, w.store_a) == before
    assert (on_hand(w, w.store_a, a), on_hand(w, w.store_a, b)) == (5, 1)
    never = new_sku(w, ref)  # no balance row yet: starts from 0
    r = move(w, w.admin_user, w.store_a, "supplier_return", [(never, 1)])
    assert r.status_code == 422 and r.json()["code"] == "inventory.insufficient_stock"
    ok(w, w.admin_user, w.store_a, "damage", [(a, 5)])  # down to exactly zero is fine
    assert on_hand(w, w.store_a, a) == 0


def test_sales_are_never_refused_and_allow_lets_stock_go_negative(w: World, ref: dict[str, str]) -> None:
    sku = new_sku(w, ref)
    ok(w, w.admin_user, w.store_a, "sale", [(sku, 3)])  # refuse policy, yet the counter's sale goes through
    assert on_hand(w, w.store_a, sku) == -3
    assert move(w, w.admin_user, w.store_a, "damage", [(sku, 1)]).status_code == 422
    set_policy(w, w.store_a2, "allow")
    try:
        ok(w, w.admin_user, w.store_a2, "damage", [(sku, 4)])
        assert on_hand(w, w.store_a2, sku) == -4
    finally:
        set_policy(w, w.store_a2, "refuse")
    assert move(w, w.admin_user, w.store_a2, "damage", [(sku, 1)]).status_code == 422


# --- ledger, as of, invariant ------------------------------------------------------------------------


def test_stock_as_of_a_past_moment(w: World, ref: dict[str, str]) -> None:
    a, b = new_sku(w, ref), new_sku(w, ref)
    ok(w, w.admin_user, w.store_a2, "purchase_receipt", [(a, 10), (b, 4)])
    time.sleep(0.05)
    t1 = datetime.now(timezone.utc)
    time.sleep(0.05)
    ok(w, w.admin_user, w.store_a2, "sale", [(a, 3)])
    q = {"store_id": w.store_a2, "at": t1.isoformat(), "sku_id": a}
    assert w.call("GET", "/inventory/stock-as-of", w.admin_user, query=q).json()["items"][0]["on_hand"] == 10
    now = {"store_id": w.store_a2, "at": datetime.now(timezone.utc).isoformat(), "limit": "500"}
    whole = {i["sku_id"]: i["on_hand"] for i in w.call("GET", "/inventory/stock-as-of", w.admin_user,
                                                          query=now).json()["items"]}
    assert whole[a] == 7 and whole[b] == 4
    early = {"store_id": w.store_a2, "at": "2000-01-01T00:00:00", "sku_id": a}
    assert w.call("GET", "/inventory/stock-as-of", w.admin_user, query=early).json()["items"][0]["on_hand"] == 0
    paged = w.call("GET", "/inventory/stock-as-of", w.admin_user, query={**now, "limit": "1"}).json()
    assert len(paged["items"]) == 1 and paged["next_cursor"]
    # the balances agree with the ledger everywhere
    with context.use(context.system("test")):
        assert stock.check_invariants(w.db) == []


def test_the_invariant_check_reports_drift(w: World, ref: dict[str, str], pg_database: tuple[str, str]) -> None:
    sku = new_sku(w, ref)
    ok(w, w.admin_user, w.store_a2, "purchase_receipt", [(sku, 2)])
    with psycopg.connect(pg_database[0], autocommit=True) as owner:
        owner.execute("update stock_balance set on_hand = on_hand + 1 where store_id = %s and sku_id = %s",
                      (w.store_a2, sku))
        try:
            with context.use(context.system("test")):
                drift = stock.check_invariants(w.db)
            assert [(d.store_id, d.sku_id, d.balance, d.ledger_sum) for d in drift] == [
                (w.store_a2, sku, Decimal("3.000"), Decimal("2.000"))]
        finally:
            owner.execute("update stock_balance set on_hand = on_hand - 1 where store_id = %s and sku_id = %s",
                          (w.store_a2, sku))


def test_the_ledger_is_append_only_even_for_the_owner(w: World, ref: dict[str, str],
                                                      pg_database: tuple[str, str]) -> None:
    ok(w, w.admin_user, w.store_a, "purchase_receipt", [(ref["sku"], 1)])
    with system_conn(w.db) as conn:  # the app role: no row is there to change or remove
        assert conn.execute("update stock_ledger set qty_delta = 100").rowcount == 0
        assert conn.execute("delete from stock_ledger").rowcount == 0
    with psycopg.connect(pg_database[0], autocommit=True) as owner:
        for stmt in ("update stock_ledger set qty_delta = 100", "delete from stock_ledger",
                     "truncate stock_ledger cascade"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                owner.execute(stmt)  # type: ignore[arg-type]


def test_each_line_emits_stock_moved_through_the_outbox(w: World, ref: dict[str, str]) -> None:
    """The move's one statement writes its audit row and an outbox row per line, and the events
    handed to the after-commit publisher are those rows."""
    a, b = sorted([new_sku(w, ref), new_sku(w, ref)])
    published: list[Event] = []
    stop = w.db.on_commit(published.extend)
    try:
        got = ok(w, w.admin_user, w.store_a, "purchase_receipt", [(b, 3), (a, 2)], ref="PO-9")
    finally:
        stop()
    with system_conn(w.db) as conn:
        rows = conn.execute("select id, aggregate_id, store_id, payload, trace_id, actor from outbox"
                            " where topic = 'stock.moved' and payload->>'move_id' = %s order by aggregate_id",
                            (got["move_id"],)).fetchall()
        audit = conn.execute("select actor, action, target_type, store_id, after, request_id from audit_log"
                             " where target_id = %s", (got["move_id"],)).fetchall()
    by_sku = {r["payload"]["sku_id"]: r for r in rows}
    assert set(by_sku) == {a, b} and len(rows) == 2
    p = by_sku[b]["payload"]
    assert (p["store_id"], p["qty_delta"], p["reason"], p["ref_id"]) == (w.store_a, "3", "purchase_receipt", "PO-9")
    assert p["ts"] and by_sku[b]["store_id"] == w.store_a and by_sku[b]["aggregate_id"] == f"{w.store_a}:{b}"
    mine = {e.id: e for e in published if e.type == "stock.moved" and e.data["move_id"] == got["move_id"]}
    assert sorted(mine) == sorted(str(r["id"]) for r in rows)
    assert all(mine[str(r["id"])].data == r["payload"] and mine[str(r["id"])].trace_id == r["trace_id"] for r in rows)
    assert len(audit) == 1
    row = audit[0]
    assert (row["action"], row["target_type"], row["store_id"]) == ("inventory.move", "stock_move", w.store_a)
    assert row["actor"] == rows[0]["actor"] and row["actor"].startswith("user:")
    assert row["request_id"] == rows[0]["trace_id"]
    assert row["after"]["lines"] == [{"sku_id": a, "qty_delta": "2"}, {"sku_id": b, "qty_delta": "3"}]
    assert (row["after"]["reason"], row["after"]["ref"]) == ("purchase_receipt", "PO-9")


def test_post_move_inside_a_callers_transaction(w: World, ref: dict[str, str]) -> None:
    """Transfers and stocktakes post through post_move in their own transaction: it commits with
    their rows; a taken key raises KeyTaken and a refused line the Problem (with the on hand the
    statement saw), and then nothing of the move or the caller is written."""
    sku = new_sku(w, ref)
    key = uuid.uuid4().hex
    with context.use(context.system("test")):
        with w.db.transaction() as uow:
            out = moves.post_move(uow, w.store_a2, "purchase_receipt", [(sku, Decimal(4))], key, ref="T-1")
            uow.audit("test.caller", "stock_move", out["move_id"], store_id=w.store_a2)
        assert out["lines"][0]["on_hand_after"] == 4 and out["ref"] == "T-1"
        before = written(w, w.store_a2)
        with pytest.raises(moves.KeyTaken), w.db.transaction() as uow:
            uow.audit("test.caller", "stock_move", "never", store_id=w.store_a2)
            moves.post_move(uow, w.store_a2, "purchase_receipt", [(sku, Decimal(4))], key)
        with pytest.raises(Problem) as refused, w.db.transaction() as uow:
            moves.post_move(uow, w.store_a2, "damage", [(sku, Decimal(-5))], uuid.uuid4().hex)
        assert refused.value.code == "inventory.insufficient_stock" and refused.value.detail == sku
        assert [e.message for e in refused.value.errors] == ["现有 4，本次 -5"]
        assert written(w, w.store_a2) == before
    with system_conn(w.db) as conn:
        callers = conn.execute("select target_id from audit_log where action = 'test.caller' and store_id = %s",
                               (w.store_a2,)).fetchall()
    assert [r["target_id"] for r in callers] == [out["move_id"]]
    assert on_hand(w, w.store_a2, sku) == 4


# --- concurrency -------------------------------------------------------------------------------------


@pytest.mark.parametrize("prepare", [True, False])
def test_one_trip_survives_psycopgs_deallocation_and_works_unprepared(w: World, ref: dict[str, str],
                                                                    prepare: bool) -> None:
    """A direct move prepares its statements on the connection; psycopg deallocates all prepared
    statements after any rollback on it, and the next move prepares them again. With
    DB__PREPARE=false nothing is prepared."""
    sku = new_sku(w, ref)
    db = Database(w.db.conninfo, min_size=1, max_size=1, prepare=prepare)
    try:

        def prepared() -> set[str]:
            with db.connection() as conn:
                return {r["name"] for r in conn.execute("select name from pg_prepared_statements").fetchall()}

        with context.use(context.system("test")):
            for _ in range(7):
                moves.apply_move(db, None, ROOT_PRINCIPAL, w.store_a2, "purchase_receipt", [(sku, 1)],
                                 uuid.uuid4().hex)
                with db.transaction() as uow:  # psycopg prepares its own statements from the 5th run on
                    uow.one("select 1 as one")
            assert bool(prepared()) == prepare
            with pytest.raises(Problem), db.transaction() as uow:  # a rollback: DEALLOCATE ALL
                uow.one("select 1 as one")
                raise moves.not_visible_store()
            assert prepared() == set()
            out = moves.apply_move(db, None, ROOT_PRINCIPAL, w.store_a2, "purchase_receipt", [(sku, 1)],
                                   uuid.uuid4().hex)
            assert bool(prepared()) == prepare
    finally:
        db.close()
    assert out["lines"][0]["on_hand_after"] == 8 and on_hand(w, w.store_a2, sku) == 8


def test_the_move_statement_is_parsed_once_per_process() -> None:
    """psycopg parses a query's placeholders once per text only up to a size and number of
    parameters; past either it parses the move's statement on every call (≈ 0.3 ms of CPU)."""
    from psycopg import _queries

    assert len(sql.MOVE.encode()) <= _queries.MAX_CACHED_STATEMENT_LENGTH
    params, _ = moves._statement("st", "sale", [("a", Decimal(-1))], "k", None, "", None)
    assert len(params) <= _queries.MAX_CACHED_STATEMENT_PARAMS
    assert one_line("select  'a  b',\n  'it''s   x'  from\tt ") == "select 'a  b', 'it''s   x' from t"
    for bad in ("select 1 -- note", "select \"Col  A\"", "select E'\\n'"):
        with pytest.raises(ValueError):
            one_line(bad)  # type: ignore[arg-type]


def test_concurrent_writers_lose_nothing_and_apply_duplicates_once(w: World, ref: dict[str, str]) -> None:
    """16 threads move stock on 4 hot SKUs at once: receipts, damages that may be refused, and
    each thread also resubmits keys other threads use. Afterwards: exact totals, no drift, one
    ledger row per acknowledged line."""
    hot = [new_sku(w, ref) for _ in range(4)]
    store = w.store_a2
    per_thread, threads = 40, 16
    db = Database(w.db.conninfo, min_size=4, max_size=16)
    acked: dict[str, dict[str, Any]] = {}
    refused: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def worker(t: int) -> None:
        try:
            start.wait()
            with context.use(context.system("test-writer")):
                for i in range(per_thread):
                    # every key is submitted by two threads (t and t ^ 1)
                    n = (t // 2) * per_thread + i
                    key = f"k{n}"
                    sku = hot[n % len(hot)]
                    reason, qty = ("damage", 2) if n % 3 == 0 else ("purchase_receipt", 1 + n % 5)
                    try:
                        out = moves.apply_move(db, None, ROOT_PRINCIPAL, store, reason, [(sku, qty)], key)
                    except Problem as p:
                        assert p.code == "inventory.insufficient_stock", p
                        with lock:
                            refused.append(key)
                        continue
                    with lock:
                        if key in acked:
                            assert acked[key] == out  # the duplicate got the first result
                        acked[key] = out
        except BaseException as exc:  # reported below
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    db.close()
    assert not errors, errors
    assert len(acked) + len(set(refused) - set(acked)) == threads // 2 * per_thread
    expected = {s: 0 for s in hot}
    for out in acked.values():
        line = out["lines"][0]
        expected[line["sku_id"]] += line["qty_delta"]
    assert {s: on_hand(w, store, s) for s in hot} == expected
    assert all(v >= 0 for v in expected.values())  # refuse policy held under concurrency
    with system_conn(w.db) as conn:
        n = conn.execute("select count(*) as n from stock_ledger where sku_id = any(%s)", (hot,)).fetchone()["n"]
    assert n == len(acked)
    with context.use(context.system("test")):
        assert stock.check_invariants(w.db) == []


def test_the_daily_timer_and_the_cli_run_the_check(w: World, ref: dict[str, str], pg_database: tuple[str, str],
                                                   tmp_path: Any) -> None:
    import os
    import subprocess
    import sys

    from ucm.fc.testing import Client

    from tests.conftest import ROOT

    ok(w, w.admin_user, w.store_a, "purchase_receipt", [(ref["sku"], 2)])
    timer = Client(load_functions()["inventory-api"]).events.timer("invariant_check")
    assert timer["status"] == 200 and timer["results"] == [{"drift": 0}]
    out = subprocess.run([sys.executable, "-m", "ucm.cli", "inventory-check"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "PYTHONPATH": f"{ROOT}/shared:{ROOT}",
                                                      "DB__CONN": pg_database[1], "APP__DATA_DIR": str(tmp_path)})
    assert out.returncode == 0 and out.stdout.startswith("ok"), out.stdout + out.stderr
