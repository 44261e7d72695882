"""Catalog through the real catalog-api function (FC entry point) on real PostgreSQL: SKUs,
barcodes, categories, brands, prices and their timelines, scope rules, bad input."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from openpyxl import load_workbook
from ucm import bootstrap
from ucm.catalog.barcodes import gtin_check_digit
from ucm.db import Database
from ucm.fc.discovery import load_functions

from tests.conftest import container_for, system_conn
from tests.integration.identity_world import World, uniq, world


def ean13(body12: str) -> str:
    return body12 + gtin_check_digit(body12)


@pytest.fixture(scope="module")
def w(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    container_for(db, tmp_path_factory.mktemp("catalog"))
    yield world(db, load_functions()["system-api"])
    bootstrap.reset(None)


@pytest.fixture(scope="module")
def ref(w: World) -> dict[str, str]:
    """A category tree 饮料 > 碳酸饮料, 饮料 > 饮用水, and a brand."""
    top = w.call("POST", "/catalog/categories", w.admin_user, {"code": uniq("DRINK"), "name": uniq("饮料")})
    assert top.status_code == 201, top.text
    soda = w.call("POST", "/catalog/categories", w.admin_user,
                  {"code": uniq("SODA"), "name": "碳酸饮料", "parent_id": top.json()["id"]}).json()
    water = w.call("POST", "/catalog/categories", w.admin_user,
                   {"code": uniq("WATER"), "name": "饮用水", "parent_id": top.json()["id"]}).json()
    brand = w.call("POST", "/catalog/brands", w.admin_user, {"code": uniq("KO"), "name": uniq("可口可乐")}).json()
    return {"top": top.json()["id"], "soda": soda["id"], "water": water["id"], "brand": brand["id"]}


_seq = iter(range(10_000, 99_999))


def sku_body(ref: dict[str, str], **over: Any) -> dict[str, Any]:
    n = next(_seq)
    body: dict[str, Any] = {
        "code": uniq("SKU"), "name": f"可口可乐 330ml {n}", "short_name": "可乐", "brand_id": ref["brand"],
        "category_id": ref["soda"], "unit": "瓶", "tax_rate": "13%", "origin": "中国", "shelf_life_days": 365,
        "status": "active", "packs": [{"name": "箱", "quantity": "24"}],
        "barcodes": [{"code": ean13(f"690{n:09d}")}, {"code": ean13(f"691{n:09d}"), "pack_name": "箱"}],
        "standard_price": "3.50",
    }
    body.update(over)
    return body


def create(w: World, ref: dict[str, str], who: str | None = None, **over: Any) -> dict[str, Any]:
    r = w.call("POST", "/catalog/sku", who or w.admin_user, sku_body(ref, **over))
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


# --- SKUs ----------------------------------------------------------------------------------------


def test_create_and_read_a_sku(w: World, ref: dict[str, str]) -> None:
    s = create(w, ref, member_price="3.20")
    assert s["tax_rate"] == "0.13" and s["status"] == "active" and s["store_id"] is None
    assert s["category_path"][-1] == "碳酸饮料" and len(s["category_path"]) == 2
    assert s["packs"] == [{"id": s["packs"][0]["id"], "name": "箱", "quantity": "24"}]
    assert {b["pack_name"] for b in s["barcodes"]} == {None, "箱"}
    got = w.call("GET", f"/catalog/sku/{s['id']}", w.admin_user).json()
    assert got["code"] == s["code"] and got["version"] == 1
    again = w.call("GET", f"/catalog/sku/{s['id']}", w.admin_user).json()  # served from the cache
    assert again == got
    price = w.call("GET", "/catalog/price", w.admin_user, query={"sku_id": s["id"]}).json()
    assert price["amount"] == "3.50" and price["rule"] == "standard"  # money as a decimal string
    member = w.call("GET", "/catalog/price", w.admin_user, query={"sku_id": s["id"], "tier": "gold"}).json()
    assert member["amount"] == "3.20" and member["rule"] == "member"
    with system_conn(w.db) as conn:
        events = conn.execute("select topic, payload from outbox where aggregate_id = %s", (s["id"],)).fetchall()
        audit = conn.execute("select action from audit_log where target_id = %s", (s["id"],)).fetchall()
    assert [e["topic"] for e in events] == ["sku.updated"]
    assert "catalog.sku.create" in [a["action"] for a in audit]


def test_update_uses_the_version_and_reports_changed_fields(w: World, ref: dict[str, str]) -> None:
    s = create(w, ref)
    body = {k: v for k, v in sku_body(ref).items() if k not in ("standard_price",)}
    body.update(code=s["code"], name="可口可乐 零度 330ml", barcodes=s["barcodes"][:1], version=s["version"])
    body["barcodes"] = [{"code": b["code"], "pack_name": b["pack_name"]} for b in s["barcodes"]]
    r = w.call("PUT", f"/catalog/sku/{s['id']}", w.admin_user, body)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "可口可乐 零度 330ml" and r.json()["version"] == 2
    assert w.call("GET", f"/catalog/sku/{s['id']}", w.admin_user).json()["name"] == "可口可乐 零度 330ml"
    stale = w.call("PUT", f"/catalog/sku/{s['id']}", w.admin_user, {**body, "name": "旧页面的修改"})
    assert stale.status_code == 409 and stale.json()["code"] == "common.version_conflict"
    with system_conn(w.db) as conn:
        last = conn.execute("select payload from outbox where aggregate_id = %s order by occurred_at desc limit 1",
                            (s["id"],)).fetchone()
    assert last is not None and "name" in last["payload"]["changed_fields"]
    assert "code" not in last["payload"]["changed_fields"]
    hist = w.call("GET", f"/catalog/sku/{s['id']}/history", w.admin_user).json()["items"]
    actions = [h["action"] for h in hist]
    assert actions[0] == "catalog.sku.update" and "catalog.sku.create" in actions
    assert hist[0]["before"]["name"] != hist[0]["after"]["name"]


def test_bad_input_is_reported_field_by_field_and_nothing_is_written(w: World, ref: dict[str, str]) -> None:
    code = uniq("BAD")
    r = w.call("POST", "/catalog/sku", w.admin_user, sku_body(
        ref, code=code, tax_rate="abc",
        barcodes=[{"code": "6901234567890"}, {"code": "123"}, {"code": "6901234567890"}],
        packs=[{"name": "瓶", "quantity": "0"}]))
    assert r.status_code == 400, r.text
    p = r.json()
    assert p["code"] == "catalog.sku.invalid" and p["title"]
    fields = {e["field"]: e["code"] for e in p["errors"]}
    assert fields["tax_rate"] == "catalog.sku.tax_rate"
    assert fields["barcodes[0].code"] == "catalog.barcode.check_digit"
    assert fields["packs[0].quantity"] == "catalog.pack.quantity"
    assert "packs[0].name" in fields  # a pack named like the base unit
    assert w.call("GET", "/catalog/sku", w.admin_user, query={"barcode": "6901234567890"}).json()["items"] == []
    unknown = w.call("POST", "/catalog/sku", w.admin_user, sku_body(ref, category_id="nope"))
    assert unknown.status_code == 422 and unknown.json()["code"] == "catalog.category.unknown"


def test_a_barcode_belongs_to_one_sku(w: World, ref: dict[str, str]) -> None:
    a = create(w, ref)
    taken = a["barcodes"][0]["code"]
    r = w.call("POST", "/catalog/sku", w.admin_user, sku_body(ref, barcodes=[{"code": taken}]))
    assert r.status_code == 409 and r.json()["code"] == "catalog.barcode.duplicate"
    assert a["code"] in r.json()["detail"]
    dup = w.call("POST", "/catalog/sku", w.admin_user, sku_body(ref, code=a["code"]))
    assert dup.status_code == 409 and dup.json()["code"] == "catalog.sku.duplicate"


def test_idempotency_key_returns_the_first_result(w: World, ref: dict[str, str]) -> None:
    body = sku_body(ref)
    key = uniq("idem")
    headers = {"Authorization": f"Bearer {w.token(w.admin_user)}", "Idempotency-Key": key}
    api = w.client_for("/catalog/sku").http
    first = api.request("POST", "/catalog/sku", json_body=body, headers=headers)
    second = api.request("POST", "/catalog/sku", json_body=body, headers=headers)
    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    other = api.request("POST", "/catalog/sku", json_body={**body, "name": "别的商品"}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "common.idempotency_reused"


def test_scanned_codes_resolve_to_sku_pack_and_weight(w: World, ref: dict[str, str]) -> None:
    s = create(w, ref)
    case = next(b["code"] for b in s["barcodes"] if b["pack_name"] == "箱")
    r = w.call("GET", f"/catalog/barcodes/{case}", w.admin_user).json()
    assert r["sku"]["id"] == s["id"] and r["pack_name"] == "箱" and r["quantity"] == "24"
    fw = "".join(chr(ord(c) + 0xFEE0) for c in s["barcodes"][0]["code"])  # full-width digits from a form
    assert w.call("GET", f"/catalog/barcodes/{fw}", w.admin_user).json()["quantity"] == "1"
    plu = f"{next(_seq) % 100000:05d}"
    apple = create(w, ref, is_weighed=True, plu=plu, unit="kg", packs=[], barcodes=[])
    label = "22" + plu + "01250"
    label += gtin_check_digit(label)
    got = w.call("GET", f"/catalog/barcodes/{label}", w.admin_user).json()
    assert got["sku"]["id"] == apple["id"] and got["quantity"] == "1.25"
    bad = w.call("GET", "/catalog/barcodes/6901234567890", w.admin_user)
    assert bad.status_code == 400 and bad.json()["code"] == "catalog.barcode.check_digit"
    assert w.call("GET", f"/catalog/barcodes/{ean13('699999999999')}", w.admin_user).status_code == 404


def test_list_filters_pages_and_exports(w: World, ref: dict[str, str]) -> None:
    water = [create(w, ref, category_id=ref["water"], name=f"农夫山泉 550ml {i}") for i in range(3)]
    by_top = w.call("GET", "/catalog/sku", w.admin_user, query={"category_id": ref["top"], "limit": "500"}).json()
    ids = {i["id"] for i in by_top["items"]}
    assert {s["id"] for s in water} <= ids  # the parent category includes its subtree
    page1 = w.call("GET", "/catalog/sku", w.admin_user, query={"category_id": ref["water"], "limit": "2"}).json()
    page2 = w.call("GET", "/catalog/sku", w.admin_user,
                   query={"category_id": ref["water"], "limit": "2", "cursor": page1["next_cursor"]}).json()
    assert len(page1["items"]) == 2 and len(page2["items"]) >= 1
    assert not {i["id"] for i in page1["items"]} & {i["id"] for i in page2["items"]}
    with_price = w.call("GET", "/catalog/sku", w.admin_user,
                        query={"category_id": ref["water"], "store_id": w.store_a}).json()["items"]
    assert all(i["price"]["amount"] == "3.50" and i["price"]["rule"] == "standard" for i in with_price)
    assert all(i["price"]["member_amount"] == "3.50" for i in with_price)  # no member price: the same
    raw = w.client_for("/catalog/sku").http.request(
        "GET", "/catalog/sku", headers={"Authorization": f"Bearer {w.token(w.admin_user)}"},
        query={"category_id": ref["water"], "format": "csv"})
    assert raw.status_code == 200 and raw.body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.body.decode("utf-8-sig"))))
    assert rows[0][:2] == ["商品编码", "商品名称"] and len(rows) == 1 + len(water)
    xlsx = w.client_for("/catalog/sku").http.request(
        "GET", "/catalog/sku", headers={"Authorization": f"Bearer {w.token(w.admin_user)}"},
        query={"category_id": ref["water"], "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.body)).active
    assert sheet is not None and sheet.max_row == 1 + len(water)


def test_batch_status_is_all_or_nothing(w: World, ref: dict[str, str]) -> None:
    a, b = create(w, ref), create(w, ref)
    path = "/catalog/sku/batch-status"
    r = w.call("POST", path, w.admin_user, {"ids": [a["id"], "missing"], "status": "discontinued"})
    assert r.status_code == 404
    assert w.call("GET", f"/catalog/sku/{a['id']}", w.admin_user).json()["status"] == "active"
    ok = w.call("POST", path, w.admin_user, {"ids": [a["id"], b["id"]], "status": "discontinued"})
    assert ok.json() == {"updated": 2}
    assert w.call("GET", f"/catalog/sku/{a['id']}", w.admin_user).json()["status"] == "discontinued"


# --- scope ---------------------------------------------------------------------------------------


def test_store_managers_keep_local_skus_to_their_store(w: World, ref: dict[str, str]) -> None:
    mgr_a = w.user("store_manager", "stores", [w.store_a])
    mgr_b = w.user("store_manager", "stores", [w.store_b])
    hq = w.call("POST", "/catalog/sku", mgr_a, sku_body(ref))
    assert hq.status_code == 403 and hq.json()["code"] == "catalog.sku.hq_only"
    other = w.call("POST", "/catalog/sku", mgr_a, sku_body(ref, store_id=w.store_b))
    assert other.status_code == 403
    local = create(w, ref, who=mgr_a, store_id=w.store_a, name="本店现烤面包")
    assert w.call("GET", f"/catalog/sku/{local['id']}", mgr_a).status_code == 200
    assert w.call("GET", f"/catalog/sku/{local['id']}", mgr_b).status_code == 404
    listed = w.call("GET", "/catalog/sku", mgr_b, query={"limit": "500", "sort": "-updated_at"}).text
    assert local["id"] not in listed
    code = local["barcodes"][0]["code"]
    assert w.call("GET", f"/catalog/barcodes/{code}", mgr_b).status_code == 404
    clash = w.call("POST", "/catalog/sku", mgr_b, sku_body(ref, store_id=w.store_b, barcodes=[{"code": code}]))
    assert clash.status_code == 409 and local["code"] not in clash.text  # another store's SKU is not named


# --- categories and brands -----------------------------------------------------------------------


def test_moving_a_category_keeps_its_subtree(w: World, ref: dict[str, str]) -> None:
    def cat(name: str, parent: str | None = None) -> dict[str, Any]:
        r = w.call("POST", "/catalog/categories", w.admin_user, {"code": uniq("C"), "name": name, "parent_id": parent})
        assert r.status_code == 201, r.text
        return dict(r.json())

    food, fresh = cat(uniq("食品")), cat(uniq("生鲜"))
    fruit = cat("水果", food["id"])
    apple = cat("苹果", fruit["id"])
    in_apple = create(w, {**ref, "soda": apple["id"]})
    assert w.call("GET", f"/catalog/sku/{in_apple['id']}", w.admin_user).json()["category_path"][-1] == "苹果"
    moved = w.call("PUT", f"/catalog/categories/{fruit['id']}", w.admin_user,
                   {"name": "水果", "parent_id": fresh["id"], "version": fruit["version"]})
    assert moved.status_code == 200, moved.text
    cats = {c["id"]: c for c in w.call("GET", "/catalog/categories", w.admin_user).json()["items"]}
    assert cats[apple["id"]]["path"] == [fresh["name"], "水果", "苹果"] and cats[apple["id"]]["depth"] == 3
    sku = w.call("GET", f"/catalog/sku/{in_apple['id']}", w.admin_user).json()
    assert sku["category_path"] == [fresh["name"], "水果", "苹果"]  # not the cached old path
    with system_conn(w.db) as conn:
        touched = conn.execute("select payload from outbox where aggregate_id = %s order by occurred_at desc limit 1",
                               (in_apple["id"],)).fetchone()
    assert touched is not None and touched["payload"]["changed_fields"] == ["category"]
    cycle = w.call("PUT", f"/catalog/categories/{fresh['id']}", w.admin_user,
                   {"name": fresh["name"], "parent_id": apple["id"], "version": fresh["version"]})
    assert cycle.status_code == 422 and cycle.json()["code"] == "catalog.category.cycle"
    busy = w.call("DELETE", f"/catalog/categories/{fruit['id']}", w.admin_user)
    assert busy.status_code == 422 and busy.json()["code"] == "catalog.category.in_use"
    empty = cat("空类目", fresh["id"])
    assert w.call("DELETE", f"/catalog/categories/{empty['id']}", w.admin_user).status_code == 204


def test_brands_crud_and_in_use(w: World, ref: dict[str, str]) -> None:
    b = w.call("POST", "/catalog/brands", w.admin_user, {"code": uniq("NF"), "name": uniq("农夫山泉")}).json()
    dup = w.call("POST", "/catalog/brands", w.admin_user, {"code": uniq("X"), "name": b["name"]})
    assert dup.status_code == 409
    renamed = w.call("PUT", f"/catalog/brands/{b['id']}", w.admin_user, {"name": b["name"] + "2", "version": 1})
    assert renamed.status_code == 200 and renamed.json()["version"] == 2
    create(w, ref, brand_id=b["id"], short_name=None, origin=None)  # null = empty, as forms send it
    used = w.call("DELETE", f"/catalog/brands/{b['id']}", w.admin_user)
    assert used.status_code == 422 and used.json()["code"] == "catalog.brand.in_use"
    mgr = w.user("store_manager", "stores", [w.store_a])
    assert w.call("POST", "/catalog/brands", mgr, {"code": uniq("M"), "name": uniq("店")}).status_code == 403


# --- prices --------------------------------------------------------------------------------------


def at(dt: datetime) -> str:
    return dt.isoformat()


def test_price_rule_store_over_hq_and_markdown_window(w: World, ref: dict[str, str]) -> None:
    s = create(w, ref)  # HQ standard 3.50
    now = datetime.now(timezone.utc)
    store = w.call("POST", f"/catalog/sku/{s['id']}/prices", w.admin_user,
                   {"store_id": w.store_a, "kind": "standard", "amount": "3.30"})
    assert store.status_code == 201, store.text
    start, end = now + timedelta(hours=1), now + timedelta(hours=3)
    md = w.call("POST", f"/catalog/sku/{s['id']}/prices", w.admin_user,
                {"store_id": w.store_a, "kind": "temporary", "amount": "1.99", "starts_at": at(start),
                 "ends_at": at(end), "note": "晚间生鲜折扣"})
    assert md.status_code == 201 and md.json()["state"] == "scheduled"

    def price(store: str | None, when: datetime) -> dict[str, Any]:
        q = {"sku_id": s["id"], "at": at(when)} | ({"store_id": store} if store else {})
        out: dict[str, Any] = w.call("GET", "/catalog/price", w.admin_user, query=q).json()
        return out

    assert price(w.store_a, now + timedelta(minutes=1))["amount"] == "3.30"
    inside = price(w.store_a, start + timedelta(minutes=5))
    assert inside["amount"] == "1.99" and inside["rule"] == "temporary" and inside["standard_amount"] == "3.30"
    assert price(w.store_a, end)["amount"] == "3.30"  # the window is half-open
    assert price(w.store_b, start + timedelta(minutes=5))["amount"] == "3.50"  # other stores: HQ
    overlap = w.call("POST", f"/catalog/sku/{s['id']}/prices", w.admin_user,
                     {"store_id": w.store_a, "kind": "temporary", "amount": "2.50",
                      "starts_at": at(start + timedelta(hours=1)), "ends_at": at(end + timedelta(hours=1))})
    assert overlap.status_code == 409 and overlap.json()["code"] == "catalog.price.overlap"
    timeline = w.call("GET", f"/catalog/sku/{s['id']}/prices", w.admin_user, query={"store_id": w.store_a}).json()
    states = {(t["kind"], t["store_id"]): t["state"] for t in timeline["items"]}
    assert states[("standard", w.store_a)] == "current" and states[("temporary", w.store_a)] == "scheduled"
    cancel = w.call("POST", f"/catalog/prices/{md.json()['id']}/cancel", w.admin_user)
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    assert price(w.store_a, start + timedelta(minutes=5))["amount"] == "3.30"
    started = w.call("POST", f"/catalog/prices/{store.json()['id']}/cancel", w.admin_user)
    assert started.status_code == 422 and started.json()["code"] == "catalog.price.started"


def test_scheduled_standard_price_takes_over_at_its_start(w: World, ref: dict[str, str]) -> None:
    s = create(w, ref)
    later = datetime.now(timezone.utc) + timedelta(days=2)
    r = w.call("POST", f"/catalog/sku/{s['id']}/prices", w.admin_user,
               {"kind": "standard", "amount": "3.80", "starts_at": at(later)})
    assert r.status_code == 201 and r.json()["state"] == "scheduled"
    q = {"sku_id": s["id"]}
    assert w.call("GET", "/catalog/price", w.admin_user, query=q).json()["amount"] == "3.50"
    assert w.call("GET", "/catalog/price", w.admin_user,
                  query={**q, "at": at(later + timedelta(seconds=1))}).json()["amount"] == "3.80"


def test_price_bad_input(w: World, ref: dict[str, str]) -> None:
    s = create(w, ref)
    path = f"/catalog/sku/{s['id']}/prices"
    for amount in ("-1", "abc", "0", "1.234"):
        r = w.call("POST", path, w.admin_user, {"kind": "standard", "amount": amount})
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == "amount", amount
    above = w.call("POST", path, w.admin_user, {"kind": "member", "amount": "9.99"})
    assert above.status_code == 422 and above.json()["code"] == "catalog.price.member_above_standard"
    no_end = w.call("POST", path, w.admin_user, {"kind": "temporary", "amount": "1.00"})
    assert no_end.status_code == 400 and no_end.json()["errors"][0]["field"] == "ends_at"
    tier = w.call("POST", path, w.admin_user, {"kind": "member", "amount": "3.00", "tier": "diamond"})
    assert tier.status_code == 400


def test_store_managers_price_within_hq_limits(w: World, ref: dict[str, str]) -> None:
    s = create(w, ref)  # HQ 3.50; default guard: 30 % down, 20 % up → 2.45 … 4.20
    mgr = w.user("store_manager", "stores", [w.store_a])
    path = f"/catalog/sku/{s['id']}/prices"
    hq = w.call("POST", path, mgr, {"kind": "standard", "amount": "3.40"})
    assert hq.status_code == 403 and hq.json()["code"] == "catalog.price.hq_only"
    low = w.call("POST", path, mgr, {"store_id": w.store_a, "kind": "standard", "amount": "2.00"})
    assert low.status_code == 422 and low.json()["code"] == "catalog.price.guard" and "2.45" in low.json()["detail"]
    ok = w.call("POST", path, mgr, {"store_id": w.store_a, "kind": "standard", "amount": "2.99"})
    assert ok.status_code == 201, ok.text
    other = w.call("POST", path, mgr, {"store_id": w.store_b, "kind": "standard", "amount": "3.00"})
    assert other.status_code == 403
    guard = w.call("PUT", "/catalog/price-guards", w.admin_user,
                   {"store_id": w.store_a, "max_down_pct": "60", "max_up_pct": "10"})
    assert guard.status_code == 200, guard.text
    deep = w.call("POST", path, mgr, {"store_id": w.store_a, "kind": "temporary", "amount": "1.50",
                                      "ends_at": at(datetime.now(timezone.utc) + timedelta(hours=2))})
    assert deep.status_code == 201, deep.text
    assert w.call("PUT", "/catalog/price-guards", mgr, {"max_down_pct": "90", "max_up_pct": "90"}).status_code == 403


def test_saved_views_are_per_user(w: World) -> None:
    state = {"filters": {"status": "active"}, "columns": {"brand_name": {"show": False}}}
    r = w.call("PUT", "/system/views", w.admin_user, {"page": "catalog.sku", "name": "在售", "state": state})
    assert r.status_code == 200, r.text
    mine = w.call("GET", "/system/views", w.admin_user, query={"page": "catalog.sku"}).json()["items"]
    assert [v["state"] for v in mine if v["name"] == "在售"] == [state]
    other = w.user("bi_viewer", "stores", [w.store_a])
    assert w.call("GET", "/system/views", other, query={"page": "catalog.sku"}).json()["items"] == []
    assert w.call("DELETE", f"/system/views/{r.json()['id']}", other).status_code == 404
    assert w.call("DELETE", f"/system/views/{r.json()['id']}", w.admin_user).status_code == 204


def test_demo_catalog_is_seeded_once_with_tonights_markdown(w: World) -> None:
    from ucm import demo
    from ucm.times import SHANGHAI

    demo.seed(bootstrap.container())
    demo.seed(bootstrap.container())  # idempotent
    listed = w.call("GET", "/catalog/sku", w.admin_user, query={"barcode": "6901020000015"}).json()["items"]
    assert [s["code"] for s in listed] == ["100001"] and listed[0]["brand_name"] == "可口可乐"
    with system_conn(w.db) as conn:
        n = conn.execute("select count(*) as n from sku where code = any(%s)",
                         ([s[0] for s in demo.SKUS],)).fetchone()
        banana = conn.execute("select id from sku where code = '200002'").fetchone()
        s001 = conn.execute("select id from store where code = 'S001'").fetchone()
    assert n is not None and n["n"] == len(demo.SKUS) and banana and s001
    timeline = w.call("GET", f"/catalog/sku/{banana['id']}/prices", w.admin_user,
                      query={"store_id": s001["id"]}).json()["items"]
    markdown = next(t for t in timeline if t["kind"] == "temporary")
    assert datetime.fromisoformat(markdown["starts_at"]).astimezone(SHANGHAI).hour == 19
    inside = datetime.fromisoformat(markdown["starts_at"]) + timedelta(hours=1)
    got = w.call("GET", "/catalog/price", w.admin_user,
                 query={"sku_id": banana["id"], "store_id": s001["id"], "at": inside.isoformat()}).json()
    assert got["amount"] == "4.98" and got["rule"] == "temporary"


def test_cached_price_sheet_agrees_with_the_database_rule(w: World, ref: dict[str, str]) -> None:
    """The price now or later comes from the cached sheet (Python), the past from SQL: the same
    rule, checked on one timeline with store and HQ rows, tiers, schedules and markdowns."""
    from ucm import context
    from ucm.catalog import prices, sql

    s = create(w, ref, member_price="3.30")  # HQ standard 3.50, HQ member (all members) 3.30
    now = datetime.now(timezone.utc)
    path = f"/catalog/sku/{s['id']}/prices"
    plan = [
        {"store_id": w.store_a, "kind": "standard", "amount": "3.40", "starts_at": at(now + timedelta(hours=1))},
        {"kind": "standard", "amount": "3.60", "starts_at": at(now + timedelta(hours=2))},
        {"store_id": w.store_a, "kind": "member", "tier": "gold", "amount": "3.00",
         "starts_at": at(now + timedelta(hours=3))},
        {"kind": "temporary", "amount": "2.50", "starts_at": at(now + timedelta(hours=4)),
         "ends_at": at(now + timedelta(hours=5))},
        {"store_id": w.store_a, "kind": "temporary", "amount": "3.10", "starts_at": at(now + timedelta(hours=6)),
         "ends_at": at(now + timedelta(hours=7))},
    ]
    for body in plan:
        r = w.call("POST", path, w.admin_user, body)
        assert r.status_code == 201, r.text
    checked = 0
    with context.use(context.system("test")):
        sheet = prices._price_sheet(w.db, None, s["id"], now)
        for minutes in range(0, 8 * 60, 20):
            when = now + timedelta(minutes=minutes, seconds=1)
            for store in (None, w.store_a, w.store_b):
                for tier in (None, "gold", "silver"):
                    with w.db.transaction() as uow:
                        rows = uow.all(sql.EFFECTIVE_PRICES, {"ids": [s["id"]], "store": store, "at": when,
                                                              "tier": tier})
                    from_sql = prices._effective(rows[0], store, when, tier)
                    from_sheet = prices.resolve(sheet["rows"], s["id"], store, when, tier)
                    assert from_sql is not None and from_sheet is not None
                    assert (from_sheet["amount"], from_sheet["rule"], from_sheet["price_id"]) == \
                        (from_sql["amount"], from_sql["rule"], from_sql["price_id"]), (minutes, store, tier)
                    checked += 1
    assert checked == 24 * 9
    q = {"sku_id": s["id"], "store_id": w.store_a, "tier": "gold"}
    first = w.call("GET", "/catalog/price", w.admin_user, query=q).json()  # loads and caches the sheet
    assert (first["amount"], first["rule"]) == ("3.30", "member")
    r = w.call("POST", path, w.admin_user, {"store_id": w.store_a, "kind": "temporary", "amount": "1.00",
                                            "ends_at": at(now + timedelta(minutes=30))})
    assert r.status_code == 201, r.text
    after = w.call("GET", "/catalog/price", w.admin_user, query=q).json()  # the change dropped the sheet
    assert (after["amount"], after["rule"]) == ("1.00", "temporary")
