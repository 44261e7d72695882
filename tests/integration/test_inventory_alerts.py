"""Stock alerts through the real inventory-api function on real PostgreSQL: negative stock is
flagged in the move's own transaction and cleared when stock is back; thresholds (per SKU and a
store default); the daily evaluation raises and resolves low-stock and slow-mover alerts for
every store; acknowledging; the CLI; bad input and other stores' alerts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ucm import bootstrap, context
from ucm.db import Database
from ucm.fc.discovery import load_functions
from ucm.fc.testing import Client
from ucm.inventory import alerts

from tests.conftest import ROOT, system_conn
from tests.integration.identity_world import World, uniq
from tests.integration.inventory_world import category, inventory_world, make_sku, ok, set_policy


@pytest.fixture(scope="module")
def w(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from inventory_world(db, tmp_path_factory, "alerts")


@pytest.fixture(scope="module")
def cat(w: World) -> str:
    return category(w, "预警类目")


@pytest.fixture(scope="module")
def manager_a(w: World) -> str:
    return w.user("store_manager", "stores", [w.store_a])


def alerts_of(w: World, who: str, store: str, sku: str, **q: str) -> list[dict[str, Any]]:
    r = w.call("GET", "/inventory/alerts", who, query={"store_id": store, "limit": "500", **q})
    assert r.status_code == 200, r.text
    return [a for a in r.json()["items"] if a["sku_id"] == sku]


def put_threshold(w: World, who: str, body: dict[str, Any]) -> Any:
    return w.call("PUT", "/inventory/thresholds", who, body)


def evaluate(at: datetime | None = None) -> dict[str, int]:
    with context.use(context.system("test")):
        return alerts.evaluate(bootstrap.container().db, at)


def test_negative_stock_is_flagged_in_the_moves_transaction_and_cleared(w: World, cat: str,
                                                                         manager_a: str) -> None:
    sku = make_sku(w, cat)
    ok(w, w.admin_user, w.store_a, "purchase_receipt", [(sku, 2)])
    ok(w, w.admin_user, w.store_a, "sale", [(sku, 5)])  # sales are never refused: on hand −3
    open_ = alerts_of(w, manager_a, w.store_a, sku, kind="negative")
    assert [(a["status"], a["on_hand"], a["sku_code"]) for a in open_] == [("open", -3, open_[0]["sku_code"])]
    ok(w, w.admin_user, w.store_a, "sale", [(sku, 1)])  # still negative: the same alert, current on hand
    assert [(a["status"], a["on_hand"], a["on_hand_when_raised"])
            for a in alerts_of(w, manager_a, w.store_a, sku)] == [("open", -4, -3)]
    ok(w, w.admin_user, w.store_a, "purchase_receipt", [(sku, 4)])  # back to 0
    assert [a["status"] for a in alerts_of(w, manager_a, w.store_a, sku)] == ["resolved"]

    set_policy(w, w.store_a2, "allow")  # a store allowing negative stock: a damage takes it below
    try:
        kg = make_sku(w, cat, is_weighed=True, unit="kg")
        ok(w, w.admin_user, w.store_a2, "damage", [(kg, "1.5")])  # no balance row yet: inserted negative
        got = alerts_of(w, w.admin_user, w.store_a2, kg)
        assert [(a["kind"], a["status"], a["on_hand"]) for a in got] == [("negative", "open", "-1.500")]
    finally:
        set_policy(w, w.store_a2, "refuse")


def test_a_refused_move_opens_no_alert(w: World, cat: str) -> None:
    sku = make_sku(w, cat)
    ok(w, w.admin_user, w.store_a, "purchase_receipt", [(sku, 1)])
    r = w.call("POST", "/inventory/move", w.admin_user, {"store_id": w.store_a, "reason": "damage",
                                                         "idempotency_key": uniq("k"),
                                                         "lines": [{"sku_id": sku, "quantity": 2}]})
    assert r.status_code == 422
    assert alerts_of(w, w.admin_user, w.store_a, sku) == []


def test_thresholds_low_stock_evaluation_and_ack(w: World, cat: str, manager_a: str) -> None:
    low, fine, by_default = make_sku(w, cat), make_sku(w, cat), make_sku(w, cat)
    ok(w, w.admin_user, w.store_a, "purchase_receipt", [(low, 3), (fine, 50), (by_default, 4)])
    assert put_threshold(w, manager_a, {"store_id": w.store_a, "sku_id": low, "low_stock": 5}).status_code == 200
    assert put_threshold(w, manager_a, {"store_id": w.store_a, "sku_id": fine, "low_stock": "10"}).status_code == 200
    r = put_threshold(w, manager_a, {"store_id": w.store_a, "sku_id": None, "low_stock": 4, "slow_mover_days": 45})
    assert r.status_code == 200 and r.json() == {"store_id": w.store_a, "sku_id": None, "low_stock": "4",
                                                 "slow_mover_days": 45}, r.text
    listed = w.call("GET", "/inventory/thresholds", manager_a, query={"store_id": w.store_a}).json()
    assert listed["low_stock_default"] == "4" and listed["slow_mover_days"] == 45
    assert {i["sku_id"]: i["low_stock"] for i in listed["items"]}.items() >= {low: 5, fine: 10}.items()
    ok(w, w.admin_user, w.store_a, "sale", [(low, 1)])  # a last sale to show

    Client(load_functions()["inventory-api"]).events.timer("evaluate_alerts")
    got = alerts_of(w, manager_a, w.store_a, low, kind="low_stock")
    assert len(got) == 1
    a = got[0]
    assert (a["status"], a["on_hand"], a["threshold"], a["sku_name"]) == ("open", 2, 5, "测试商品")
    assert a["last_sale_at"] is not None
    assert [x["threshold"] for x in alerts_of(w, manager_a, w.store_a, by_default, kind="low_stock")] == [4]
    assert alerts_of(w, manager_a, w.store_a, fine) == []
    evaluate()  # again: the same alert, not a second one
    assert [x["id"] for x in alerts_of(w, manager_a, w.store_a, low, kind="low_stock")] == [a["id"]]

    ack = w.call("POST", f"/inventory/alerts/{a['id']}/ack", manager_a)
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged", ack.text
    again = w.call("POST", f"/inventory/alerts/{a['id']}/ack", manager_a)
    assert again.status_code == 409 and again.json()["code"] == "inventory.alert.not_open"
    assert [x["id"] for x in alerts_of(w, manager_a, w.store_a, low, status="acknowledged")] == [a["id"]]

    ok(w, w.admin_user, w.store_a, "purchase_receipt", [(low, 10)])
    assert put_threshold(w, manager_a, {"store_id": w.store_a, "sku_id": None, "low_stock": None}).status_code == 200
    out = evaluate()
    assert out["low_stock_resolved"] >= 2
    assert [x["status"] for x in alerts_of(w, manager_a, w.store_a, low)] == ["resolved"]
    assert [x["status"] for x in alerts_of(w, manager_a, w.store_a, by_default)] == ["resolved"]
    with system_conn(w.db) as conn:
        audit = conn.execute("select after from audit_log where action = 'inventory.alerts.evaluate'"
                             " and store_id = %s order by id", (w.store_a,)).fetchall()
    assert audit and audit[-1]["after"].get("low_stock_resolved", 0) >= 2


def test_slow_movers_are_raised_and_resolved(w: World, cat: str) -> None:
    """Judged at a later moment: a SKU on hand for the store's N days without a sale is a slow
    mover; one sold within them is not; one sold out is resolved."""
    store = w.store_a2
    idle, selling = make_sku(w, cat), make_sku(w, cat)
    ok(w, w.admin_user, store, "purchase_receipt", [(idle, 5), (selling, 5)])
    time.sleep(0.05)
    ok(w, w.admin_user, store, "sale", [(selling, 1)])
    led = w.call("GET", "/inventory/ledger", w.admin_user, query={"store_id": store, "sku_id": selling}).json()
    received, sold = (datetime.fromisoformat(x["occurred_at"]) for x in reversed(led["items"]))
    assert put_threshold(w, w.admin_user, {"store_id": store, "low_stock": None, "slow_mover_days": 1}).status_code \
        == 200
    at = received + (sold - received) / 2 + timedelta(days=1)  # 1 day after a moment between the two
    try:
        evaluate(at)
        got = alerts_of(w, w.admin_user, store, idle, kind="slow_mover")
        assert [(a["status"], a["on_hand"], a["last_sale_at"]) for a in got] == [("open", 5, None)]
        assert alerts_of(w, w.admin_user, store, selling, kind="slow_mover") == []
        evaluate(at + timedelta(days=1))  # a day later the seller is slow too
        assert [a["status"] for a in alerts_of(w, w.admin_user, store, selling, kind="slow_mover")] == ["open"]
        ok(w, w.admin_user, store, "sale", [(idle, 5)])  # sold out
        evaluate(at)
        assert [a["status"] for a in alerts_of(w, w.admin_user, store, idle, kind="slow_mover")] == ["resolved"]
    finally:
        put_threshold(w, w.admin_user, {"store_id": store, "low_stock": None, "slow_mover_days": 30})


@pytest.mark.parametrize("case", ["negative", "not_a_number", "too_precise", "fractional", "unknown_sku", "days_on_sku",
                                  "days_out_of_range", "store_out_of_scope", "unknown_store"])
def test_bad_thresholds_are_refused_and_nothing_is_written(w: World, cat: str, manager_a: str, case: str) -> None:
    sku = make_sku(w, cat)
    body: dict[str, Any] = {"store_id": w.store_a, "sku_id": sku, "low_stock": 3}
    expect = {"negative": (400, "inventory.threshold.invalid"), "not_a_number": (400, "inventory.threshold.invalid"),
              "too_precise": (400, "inventory.threshold.invalid"), "unknown_sku": (422, "inventory.sku.unknown"),
              "fractional": (400, "inventory.quantity.fractional"),
              "days_on_sku": (400, "inventory.slow_mover_days.invalid"),
              "days_out_of_range": (400, "inventory.slow_mover_days.invalid"),
              "store_out_of_scope": (404, "system.store.not_found"),
              "unknown_store": (404, "system.store.not_found")}[case]
    changes: dict[str, dict[str, Any]] = {
        "negative": {"low_stock": -1}, "not_a_number": {"low_stock": "三"}, "too_precise": {"low_stock": "0.0001"},
        "fractional": {"low_stock": "2.5"},
        "unknown_sku": {"sku_id": "no-such-sku"}, "days_on_sku": {"slow_mover_days": 10},
        "days_out_of_range": {"sku_id": None, "slow_mover_days": 0}, "store_out_of_scope": {"store_id": w.store_b},
        "unknown_store": {"store_id": "no-such"}}
    body.update(changes[case])
    with system_conn(w.db) as conn:
        before = conn.execute("select (select count(*) from stock_threshold) as t,"
                              " (select count(*) from stock_policy where slow_mover_days <> 30) as p").fetchone()
    r = put_threshold(w, manager_a, body)
    assert (r.status_code, r.json()["code"]) == expect, r.text
    with system_conn(w.db) as conn:
        after = conn.execute("select (select count(*) from stock_threshold) as t,"
                             " (select count(*) from stock_policy where slow_mover_days <> 30) as p").fetchone()
    assert after == before


def test_another_stores_alerts_are_not_found(w: World, cat: str, manager_a: str) -> None:
    sku = make_sku(w, cat)
    ok(w, w.admin_user, w.store_b, "sale", [(sku, 1)])  # B goes negative: B's alert
    b_alert = alerts_of(w, w.admin_user, w.store_b, sku)[0]
    r = w.call("POST", f"/inventory/alerts/{b_alert['id']}/ack", manager_a)
    assert r.status_code == 404 and r.json()["code"] == "inventory.alert.not_found"
    for path in ("/inventory/alerts", "/inventory/thresholds"):
        assert w.call("GET", path, manager_a, query={"store_id": w.store_b}).status_code == 404
    assert alerts_of(w, w.admin_user, w.store_b, sku)[0]["status"] == "open"


def test_the_cli_evaluates_alerts(w: World, pg_database: tuple[str, str], tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "ucm.cli", "inventory-alerts"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "PYTHONPATH": f"{ROOT}/shared:{ROOT}",
                                                      "DB__CONN": pg_database[1], "APP__DATA_DIR": str(tmp_path)})
    assert out.returncode == 0 and out.stdout.startswith("low_stock_raised="), out.stdout + out.stderr
