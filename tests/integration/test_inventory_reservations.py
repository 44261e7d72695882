"""Reservations through the real inventory-api function on real PostgreSQL: reserved follows
from the rows in the same transaction, ATS refuses over-reservation (unless the store allows
negative stock), idempotent requests, release/consume/expiry, bad input with nothing written,
the invariant check, and the exact ATS cache (a deterministic read/commit interleaving)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import redis
from ucm import bootstrap, context, outbox, topics
from ucm.adapters.cache import RedisCache
from ucm.adapters.kafka import KafkaBatchConsumer, KafkaPublisher
from ucm.db import Database
from ucm.embedded.tansu import TansuBroker
from ucm.errors import Problem
from ucm.fc.discovery import load_functions
from ucm.fc.testing import Client
from ucm.inventory import moves, reservations, stock, transfers

from tests.conftest import REDIS_URL, system_conn
from tests.integration.identity_world import ROOT_PRINCIPAL, World
from tests.integration.inventory_world import balance, category, inventory_world, make_sku, ok, set_policy


@pytest.fixture(scope="module")
def w(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    prefix = f"ucmtest:{uuid.uuid4().hex[:8]}:"  # this module's own namespace in the shared Redis db
    cache = RedisCache(REDIS_URL, prefix=prefix)
    yield from inventory_world(db, tmp_path_factory, "reservations", cache=cache)
    raw = redis.Redis.from_url(REDIS_URL)
    keys = list(raw.scan_iter(match=prefix + "*"))
    if keys:
        raw.delete(*keys)
    raw.close()
    cache.close()


@pytest.fixture(scope="module")
def cat(w: World) -> str:
    return category(w, "预留类目")


@pytest.fixture(scope="module")
def manager_a(w: World) -> str:
    return w.user("store_manager", "stores", [w.store_a])


def stocked(w: World, cat: str, qty: int, store: str | None = None, **over: Any) -> str:
    sku = make_sku(w, cat, **over)
    ok(w, w.admin_user, store or w.store_a, "purchase_receipt", [(sku, qty)])
    return sku


def reserve(w: World, who: str, store: str, lines: list[tuple[str, Any]], key: str | None = None,
            **extra: Any) -> Any:
    body = {"store_id": store, "lines": [{"sku_id": s, "quantity": q} for s, q in lines],
            "idempotency_key": key or uuid.uuid4().hex, **extra}
    return w.call("POST", "/inventory/reservations", who, body)


def counts(w: World, store: str) -> tuple[int, int, int]:
    """Reservation rows, stock.reserved events and the sum of reserved: what a refusal must not change."""
    with system_conn(w.db) as conn:
        row = conn.execute(
            "select (select count(*) from stock_reservation where store_id = %(s)s) as r,"
            " (select count(*) from outbox where topic = 'stock.reserved' and store_id = %(s)s) as e,"
            " (select coalesce(sum(reserved), 0) from stock_balance where store_id = %(s)s) as q",
            {"s": store}).fetchone()
    return row["r"], row["e"], row["q"]


def test_reserve_release_and_consume(w: World, cat: str, manager_a: str) -> None:
    a, b = stocked(w, cat, 10), stocked(w, cat, 5)
    r = reserve(w, manager_a, w.store_a, [(b, 2), (a, 3)], ref="ORD-1")
    assert r.status_code == 201, r.text
    items = {i["sku_id"]: i for i in r.json()["items"]}
    assert (items[a]["quantity"], items[a]["status"], items[a]["ats_after"], items[a]["ref"]) == (3, "active", 7,
                                                                                                   "ORD-1")
    assert items[b]["ats_after"] == 3
    got = balance(w, w.store_a, a)
    assert (got["on_hand"], got["reserved"], got["ats"]) == (10, 3, 7)

    listed = w.call("GET", "/inventory/reservations", manager_a, query={"store_id": w.store_a, "ref": "ORD-1"})
    assert {i["id"] for i in listed.json()["items"]} == {items[a]["id"], items[b]["id"]}

    rel = w.call("POST", f"/inventory/reservations/{items[a]['id']}/release", manager_a)
    assert rel.status_code == 200 and rel.json()["status"] == "released" and rel.json()["ended_at"], rel.text
    assert balance(w, w.store_a, a)["ats"] == 10
    again = w.call("POST", f"/inventory/reservations/{items[a]['id']}/release", manager_a)
    assert again.status_code == 409 and again.json()["code"] == "inventory.reservation.not_active", again.text
    assert w.call("POST", f"/inventory/reservations/{items[a]['id']}/consume", manager_a).status_code == 409

    con = w.call("POST", f"/inventory/reservations/{items[b]['id']}/consume", manager_a)
    assert con.status_code == 200 and con.json()["status"] == "consumed"
    assert balance(w, w.store_a, b)["reserved"] == 0
    only = w.call("GET", "/inventory/reservations", manager_a,
                  query={"store_id": w.store_a, "sku_id": b, "status": "consumed"}).json()["items"]
    assert [i["id"] for i in only] == [items[b]["id"]]
    with system_conn(w.db) as conn:
        events = conn.execute("select payload from outbox where topic = 'stock.reserved' and payload->>'sku_id' = %s"
                              " order by occurred_at", (a,)).fetchall()
        audit = conn.execute("select action, after from audit_log where target_id = any(%s) order by id",
                             ([items[a]["id"], items[b]["id"]],)).fetchall()
    assert [(e["payload"]["status"], e["payload"]["qty"]) for e in events] == [("active", "3.000"),
                                                                                ("released", "3.000")]
    assert [x["action"] for x in audit] == ["inventory.reserve", "inventory.reservation.released",
                                            "inventory.reservation.consumed"]
    assert {li["id"] for li in audit[0]["after"]["lines"]} == {items[a]["id"], items[b]["id"]}


def test_over_reservation_is_refused_whole_unless_the_store_allows_negative(w: World, cat: str) -> None:
    a, b = stocked(w, cat, 10, w.store_a2), stocked(w, cat, 1, w.store_a2)
    assert reserve(w, w.admin_user, w.store_a2, [(a, 6)]).status_code == 201
    before = counts(w, w.store_a2)
    r = reserve(w, w.admin_user, w.store_a2, [(a, 5), (b, 1)])
    assert r.status_code == 422 and r.json()["code"] == "inventory.insufficient_stock", r.text
    assert r.json()["errors"][0]["field"] == f"sku:{a}" and "可售 4" in r.json()["errors"][0]["message"]
    assert counts(w, w.store_a2) == before
    never = make_sku(w, cat)  # no balance row at all: ATS 0
    assert reserve(w, w.admin_user, w.store_a2, [(never, 1)]).status_code == 422
    set_policy(w, w.store_a2, "allow")
    try:
        r = reserve(w, w.admin_user, w.store_a2, [(a, 5), (never, 2)])
        assert r.status_code == 201, r.text
        assert {i["sku_id"]: i["ats_after"] for i in r.json()["items"]} == {a: -1, never: -2}
    finally:
        set_policy(w, w.store_a2, "refuse")
    assert stock.check_invariants(w.db) == []


def test_same_key_replays_and_applies_once(w: World, cat: str) -> None:
    sku = stocked(w, cat, 10)
    key = uuid.uuid4().hex
    first = reserve(w, w.admin_user, w.store_a, [(sku, 4)], key=key, ref="ORD-2")
    again = reserve(w, w.admin_user, w.store_a, [(sku, 4)], key=key, ref="ORD-2")
    assert first.status_code == again.status_code == 201
    assert [i["id"] for i in again.json()["items"]] == [i["id"] for i in first.json()["items"]]
    other = reserve(w, w.admin_user, w.store_a, [(sku, 5)], key=key, ref="ORD-2")
    assert other.status_code == 422 and other.json()["code"] == "common.idempotency_reused"
    assert balance(w, w.store_a, sku)["reserved"] == 4


def test_concurrent_reservations_never_exceed_ats(w: World, cat: str) -> None:
    """Twelve writers (two of them sharing a key) race for 10 units, 3 each: exactly three
    reservations exist afterwards, the shared key's two callers got the same one."""
    sku = stocked(w, cat, 10)
    shared = uuid.uuid4().hex
    keys = [shared, shared] + [uuid.uuid4().hex for _ in range(10)]
    db = Database(w.db.conninfo, min_size=4, max_size=12)
    won: dict[str, list[str]] = {}
    refused: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(len(keys))

    def go(key: str) -> None:
        try:
            start.wait()
            with context.use(context.system("test-reserver")):
                try:
                    out = reservations.reserve(db, None, w.store_a, [(sku, 3)], None, None, key)
                except Problem as p:
                    assert p.code == "inventory.insufficient_stock", p
                    with lock:
                        refused.append(key)
                    return
            with lock:
                won.setdefault(key, []).append(out["items"][0]["id"])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.close()
    assert not errors, errors
    assert len(won) == 3 and all(len(set(ids)) == 1 for ids in won.values())
    got = balance(w, w.store_a, sku)
    assert got["reserved"] == 9 and got["ats"] == 1
    with system_conn(w.db) as conn:
        n = conn.execute("select count(*) as n from stock_reservation where sku_id = %s", (sku,)).fetchone()["n"]
    assert n == 3
    assert stock.check_invariants(w.db) == []


@pytest.mark.parametrize("case", ["unknown_sku", "other_store_sku", "zero", "negative", "fractional", "ttl_zero",
                                  "ttl_too_long", "no_key", "unknown_store", "store_out_of_scope", "duplicate"])
def test_bad_input_is_refused_and_nothing_is_written(w: World, cat: str, manager_a: str, case: str) -> None:
    sku = stocked(w, cat, 10)
    local_b = make_sku(w, cat, store_id=w.store_b)
    key = uuid.uuid4().hex
    expect = {"unknown_sku": (422, "inventory.sku.unknown"), "other_store_sku": (422, "inventory.sku.unknown"),
              "zero": (400, "inventory.quantity.zero"), "negative": (400, "inventory.quantity.sign"),
              "fractional": (400, "inventory.quantity.fractional"), "ttl_zero": (400, "inventory.reservation.ttl"),
              "ttl_too_long": (400, "inventory.reservation.ttl"), "no_key": (400, "inventory.idempotency_key.missing"),
              "unknown_store": (404, "system.store.not_found"), "store_out_of_scope": (404, "system.store.not_found"),
              "duplicate": (400, "inventory.lines.duplicate")}[case]
    all_lines: dict[str, list[tuple[str, Any]]] = {
        "unknown_sku": [(sku, 1), ("no-such-sku", 1)], "other_store_sku": [(local_b, 1)], "zero": [(sku, 0)],
        "negative": [(sku, -1)], "fractional": [(sku, "1.5")], "duplicate": [(sku, 1), (sku, 2)]}
    lines = all_lines.get(case, [(sku, 1)])
    extra: dict[str, Any] = {"ttl_zero": {"ttl_s": 0}, "ttl_too_long": {"ttl_s": 7 * 24 * 3600 + 1}}.get(case, {})
    store = {"unknown_store": "no-such-store", "store_out_of_scope": w.store_b}.get(case, w.store_a)
    body: dict[str, Any] = {"store_id": store, "lines": [{"sku_id": s, "quantity": q} for s, q in lines], **extra}
    if case != "no_key":
        body["idempotency_key"] = key
    before = counts(w, w.store_a), counts(w, w.store_b)
    r = w.call("POST", "/inventory/reservations", manager_a, body)
    assert (r.status_code, r.json()["code"]) == expect, r.text
    assert r.json()["title"]
    assert (counts(w, w.store_a), counts(w, w.store_b)) == before


def test_another_stores_reservation_is_not_found(w: World, cat: str, manager_a: str) -> None:
    sku = stocked(w, cat, 5, w.store_b)
    r = reserve(w, w.admin_user, w.store_b, [(sku, 2)])
    rid = r.json()["items"][0]["id"]
    for action in ("release", "consume"):
        x = w.call("POST", f"/inventory/reservations/{rid}/{action}", manager_a)
        assert x.status_code == 404 and x.json()["code"] == "inventory.reservation.not_found", x.text
    assert w.call("GET", "/inventory/reservations", manager_a, query={"store_id": w.store_b}).status_code == 404
    assert w.call("POST", "/inventory/reservations/no-such-id/release", w.admin_user).status_code == 404
    assert balance(w, w.store_b, sku)["reserved"] == 2  # untouched


def test_the_timer_expires_reservations_and_gives_stock_back(w: World, cat: str) -> None:
    sku = stocked(w, cat, 10)
    short = reserve(w, w.admin_user, w.store_a, [(sku, 4)], ttl_s=60).json()["items"][0]["id"]
    long = reserve(w, w.admin_user, w.store_a, [(sku, 1)]).json()["items"][0]["id"]
    with system_conn(w.db) as conn:  # an hour passes for the first one
        conn.execute("update stock_reservation set expires_at = now() - interval '1 second' where id = %s", (short,))
    assert balance(w, w.store_a, sku)["reserved"] == 5
    out = Client(load_functions()["inventory-api"]).events.timer("expire_reservations")
    assert out["status"] == 200 and out["results"][0]["expired"] >= 1
    got = balance(w, w.store_a, sku)  # the cached 5 is stale: the sweep bumped the generation
    assert (got["reserved"], got["ats"]) == (1, 9)
    items = {i["id"]: i["status"] for i in w.call("GET", "/inventory/reservations", w.admin_user,
                                                  query={"store_id": w.store_a, "sku_id": sku}).json()["items"]}
    assert items == {short: "expired", long: "active"}
    assert w.call("POST", f"/inventory/reservations/{short}/release", w.admin_user).status_code == 409
    assert stock.check_invariants(w.db) == []


def test_invariant_check_reports_a_reserved_counter_that_drifted(w: World, cat: str) -> None:
    sku = stocked(w, cat, 10)
    reserve(w, w.admin_user, w.store_a, [(sku, 3)])
    with system_conn(w.db) as conn:
        conn.execute("update stock_balance set reserved = reserved + 1 where store_id = %s and sku_id = %s",
                     (w.store_a, sku))
    try:
        drift = stock.check_invariants(w.db)
        assert [(d.sku_id, d.measure, d.balance, d.ledger_sum) for d in drift] == [
            (sku, "reserved", Decimal(4), Decimal(3))]
    finally:
        with system_conn(w.db) as conn:
            conn.execute("update stock_balance set reserved = reserved - 1 where store_id = %s and sku_id = %s",
                         (w.store_a, sku))


# --- the exact ATS cache ------------------------------------------------------------------------------


def test_a_reader_racing_a_move_never_caches_a_stale_ats(w: World, cat: str) -> None:
    """The interleaving that defeated delete-after-commit, step by step: the reader misses and
    reads the database (on hand 10); a move commits and invalidates; the reader then stores
    its old value. The next read must not serve it."""
    sku = stocked(w, cat, 10)
    cache = bootstrap.container().cache
    assert cache is not None
    with context.use(context.system("test")):
        value, gen = stock.cached_ats(cache, w.store_a, sku)
        assert value is None
        old = stock.load_ats(w.db, w.store_a, sku)
        ok(w, w.admin_user, w.store_a, "sale", [(sku, 4)])  # commits, then bumps the generation
        stock.store_ats(cache, w.store_a, sku, gen, old)
        assert stock.cached_ats(cache, w.store_a, sku)[0] is None  # stored under an old generation
    assert balance(w, w.store_a, sku)["on_hand"] == 6
    assert balance(w, w.store_a, sku)["on_hand"] == 6  # and now served from the cache
    with context.use(context.system("test")):
        assert stock.cached_ats(cache, w.store_a, sku)[0] == {**old, "on_hand": 6, "ats": 6}


def test_the_consumer_covers_a_lost_invalidation_through_the_broker(w: World, cat: str) -> None:
    """A move and a reservation whose writers never bumped the generation (no cache handed to
    them: as if they crashed right after commit) leave a stale cached ATS; their events travel
    through a real Kafka broker to inventory-events, which makes it current. Redelivered, they
    are applied once."""
    sku = stocked(w, cat, 10)
    assert balance(w, w.store_a, sku)["ats"] == 10  # cached
    db = bootstrap.container().db
    with context.use(context.system("test-lost-bump")):
        moved = moves.apply_move(db, None, ROOT_PRINCIPAL, w.store_a, "sale", [(sku, 3)], uuid.uuid4().hex)
        made = reservations.reserve(db, None, w.store_a, [(sku, 2)], "ORD-K", None, uuid.uuid4().hex)
    assert balance(w, w.store_a, sku)["ats"] == 10  # stale: nobody bumped
    with system_conn(w.db) as conn:
        rows = conn.execute(
            "select id, topic, aggregate_id, store_id, payload, trace_id, actor, occurred_at from outbox"
            " where (topic = 'stock.moved' and payload->>'move_id' = %s)"
            " or (topic = 'stock.reserved' and payload->>'reservation_id' = %s) order by occurred_at",
            (moved["move_id"], made["items"][0]["id"])).fetchall()
    events = [outbox._event(r) for r in rows]
    assert [e.type for e in events] == [topics.STOCK_MOVED, topics.STOCK_RESERVED]

    with TansuBroker() as broker:
        publisher = KafkaPublisher(broker.bootstrap, client_id="test-inventory-events")
        consumer = KafkaBatchConsumer(broker.bootstrap, f"g-{uuid.uuid4().hex[:8]}",
                                      [topics.STOCK_MOVED, topics.STOCK_RESERVED])
        try:
            publisher.ensure_topics([topics.STOCK_MOVED, topics.STOCK_RESERVED])
            publisher.publish(events)
            got: list[Any] = []
            deadline = time.monotonic() + 30
            while len(got) < len(events) and time.monotonic() < deadline:
                got += consumer.poll_batch(max_records=100, timeout_s=5.0)
        finally:
            consumer.close()
            publisher.close()
    delivered = [r.event() for r in got]
    assert sorted(e.id for e in delivered) == sorted(e.id for e in events)

    fn = Client(load_functions()["inventory-events"])
    out = fn.events.kafka(delivered)
    assert (out["status"], out["applied"], out["duplicates"]) == (200, 2, 0), out
    now = balance(w, w.store_a, sku)
    assert (now["on_hand"], now["reserved"], now["ats"]) == (7, 2, 5)
    again = fn.events.kafka(delivered)  # Kafka redelivers: applied once
    assert (again["applied"], again["duplicates"]) == (0, 2)


def test_the_consumer_covers_a_lost_bump_of_in_transit(w: World, cat: str) -> None:
    """Shipping and closing a transfer change the destination's in transit, which no stock.moved
    tells: the stock.transfer event names those SKUs, and inventory-events makes their cached
    ATS at the destination current when the shipper's own bump was lost."""
    sku = stocked(w, cat, 10)
    assert balance(w, w.store_b, sku)["ats"] == 0  # cached at the destination
    db = bootstrap.container().db
    with context.use(context.system("test-lost-bump")):
        t = transfers.create(db, ROOT_PRINCIPAL, w.store_a, w.store_b, [transfers.Line(sku, 4)])
        transfers.ship(db, None, ROOT_PRINCIPAL, t["id"], t["version"], None)  # no cache: no bump
    assert balance(w, w.store_b, sku)["in_transit"] == 0  # stale
    with system_conn(w.db) as conn:
        rows = conn.execute(
            "select id, topic, aggregate_id, store_id, payload, trace_id, actor, occurred_at from outbox"
            " where topic = 'stock.transfer' and aggregate_id = %s order by occurred_at", (t["id"],)).fetchall()
    events = [outbox._event(r) for r in rows]
    assert [e.data["action"] for e in events] == ["create", "ship"]
    assert events[1].data["in_transit_sku_ids"] == [sku]
    out = Client(load_functions()["inventory-events"]).events.kafka(events)
    assert (out["status"], out["applied"]) == (200, 2), out
    now = balance(w, w.store_b, sku)
    assert (now["on_hand"], now["in_transit"], now["ats"]) == (0, 4, 4)
