"""SKUs: master data, pack levels and barcodes, scanned-code resolution, the list (with search
and export) and each SKU's history.

A SKU is HQ-wide (store_id null, maintained with global scope) or local to one store. RLS on
sku and barcode keeps other stores' local SKUs out of every read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from psycopg.errors import UniqueViolation
from psycopg.types.json import Jsonb

from ucm import context, idempotency, pagination, tabular, topics
from ucm.catalog import barcodes, prices, scans, sku_not_found, sql
from ucm.catalog.rules import (
    STATUS_LABELS,
    STATUSES,
    BarcodeInput,
    PackInput,
    RuleError,
    SkuInput,
    check_sku,
    clean,
    parse_code,
    parse_plu,
    parse_quantity,
    parse_tax_rate,
)
from ucm.db import Database, UnitOfWork
from ucm.errors import FieldError, Problem, bad_request, conflict, not_found
from ucm.identity import audit_log
from ucm.identity.grants import stale
from ucm.identity.principal import Principal
from ucm.ports import Cache, ObjectStore
from ucm.times import json_value, utcnow

CACHE_TTL_S = 300.0
EXPORT_MAX_ROWS = 100_000
_MASTER_FIELDS = ("code", "name", "short_name", "brand_id", "category_id", "unit", "is_weighed", "plu", "tax_rate",
                  "origin", "shelf_life_days", "status", "attributes", "packs", "barcodes")


# --- input --------------------------------------------------------------------------------------


def parse_input(body: Mapping[str, Any]) -> SkuInput:
    """The API body (strings for money, rates and quantities) → a checked ``SkuInput``; every
    problem reported at once as field errors."""
    errors: list[FieldError] = []

    def rule(name: str, fn: Any, raw: Any) -> Any:
        try:
            return fn(raw)
        except RuleError as exc:
            errors.append(FieldError(name, exc.code, exc.message))
            return None

    code = rule("code", parse_code, body.get("code") or "")
    tax = rule("tax_rate", parse_tax_rate, body.get("tax_rate") or "")
    plu = rule("plu", parse_plu, body.get("plu") or "")
    packs = []
    for i, p in enumerate(body.get("packs") or []):
        qty = rule(f"packs[{i}].quantity", parse_quantity, str(p.get("quantity", "")))
        packs.append(PackInput(clean(p.get("name")), qty or Decimal(1)))
    s = SkuInput(
        code=code or "", name=clean(body.get("name")), category_id=body.get("category_id") or "",
        tax_rate=tax if tax is not None else Decimal(0), short_name=clean(body.get("short_name")),
        brand_id=body.get("brand_id") or None, unit=clean(body.get("unit") or "个"),
        is_weighed=bool(body.get("is_weighed")), plu=plu, origin=clean(body.get("origin")),
        shelf_life_days=body.get("shelf_life_days"), status=body.get("status") or "draft",
        attributes=dict(body.get("attributes") or {}), store_id=body.get("store_id") or None, packs=packs,
        barcodes=[BarcodeInput(str(b.get("code", "")), b.get("pack_name") or None) for b in body.get("barcodes") or []],
    )
    more, _ = check_sku(s)
    errors.extend(more)
    if errors:
        raise bad_request("catalog.sku.invalid", "商品信息有误，请检查标红的项", errors=errors)
    return s


def _row_params(s: SkuInput) -> dict[str, Any]:
    return {"code": s.code, "store_id": s.store_id, "name": s.name, "short_name": s.short_name,
            "brand_id": s.brand_id, "category_id": s.category_id, "unit": s.unit, "is_weighed": s.is_weighed,
            "plu": s.plu, "tax_rate": s.tax_rate, "origin": s.origin, "shelf_life_days": s.shelf_life_days,
            "status": s.status, "attributes": Jsonb(s.attributes)}


def _check_refs(uow: UnitOfWork, s: SkuInput) -> None:
    if uow.one(sql.CATEGORY_EXISTS, (s.category_id,)) is None:
        raise Problem(422, "catalog.category.unknown", "类目不存在，请先在类目页新建")
    if s.brand_id and uow.one(sql.BRAND_EXISTS, (s.brand_id,)) is None:
        raise Problem(422, "catalog.brand.unknown", "品牌不存在，请先在品牌页新建")


def check_write_scope(who: Principal, store_id: str | None) -> None:
    """HQ-wide SKUs are HQ's to change; a store's local SKUs, its managers'."""
    if store_id is None and not who.all_stores:
        raise Problem(403, "catalog.sku.hq_only", "总部商品只能由总部维护；门店可新建本店自有商品")
    if store_id is not None and not who.all_stores and store_id not in who.store_ids:
        raise Problem(403, "catalog.sku.store_scope", "您只能维护自己门店的商品")


def _write_children(uow: UnitOfWork, sku_id: str, s: SkuInput) -> None:
    """Packs and barcodes, replaced as a whole. A barcode held by another SKU is refused."""
    uow.execute(sql.DELETE_BARCODES, (sku_id,))
    uow.execute(sql.DELETE_PACKS, (sku_id,))
    pack_ids: dict[str, str] = {}
    for p in s.packs:
        row = uow.one(sql.INSERT_PACK, (sku_id, s.store_id, p.name, p.quantity))
        assert row is not None
        pack_ids[p.name] = row["id"]
    for i, b in enumerate(s.barcodes):
        bc = barcodes.parse(b.code)  # checked by parse_input
        if uow.one(sql.INSERT_BARCODE, (bc.code, sku_id, pack_ids.get(b.pack or ""), s.store_id, bc.kind)) is None:
            owner = _barcode_owner(uow, bc.code)
            raise conflict("catalog.barcode.duplicate", f"条码 {bc.code} 已被其他商品使用",
                           f"barcodes[{i}]: {owner}")


def _barcode_owner(uow: UnitOfWork, code: str) -> str:
    # Under the caller's scope the owner may be another store's local SKU: name it only if visible.
    row = uow.one(sql.BARCODE_OWNER, (code,))
    return f"{row['code']} {row['name']}" if row else "其他门店的自有商品"


def _unique_problem(exc: UniqueViolation) -> Problem:
    name = exc.diag.constraint_name or ""
    if "plu" in name:
        return conflict("catalog.sku.plu_duplicate", "PLU 已被其他称重商品使用")
    return conflict("catalog.sku.duplicate", "商品编码已存在")


# --- writes -------------------------------------------------------------------------------------


def create_sku(db: Database, objects: ObjectStore | None, who: Principal, body: Mapping[str, Any],
               idempotency_key: str | None = None) -> dict[str, Any]:
    s = parse_input(body)
    check_write_scope(who, s.store_id)
    with db.transaction() as uow:
        done = idempotency.recall(uow, idempotency_key, "catalog.sku.create", body)
        if done is not None:
            return dict(done)
        _check_refs(uow, s)
        try:
            with uow.conn.transaction():
                row = uow.one(sql.INSERT_SKU, _row_params(s))
        except UniqueViolation as exc:
            raise _unique_problem(exc) from None
        assert row is not None
        sku_id = row["id"]
        _write_children(uow, sku_id, s)
        head = {"id": sku_id, "store_id": s.store_id}
        for kind, field in (("standard", "standard_price"), ("member", "member_price")):
            if body.get(field):
                prices.insert_price(uow, who, head, prices.PriceInput(s.store_id, kind, str(body[field])))
        out = _details(uow, objects, [sku_id])[0]
        uow.audit("catalog.sku.create", "sku", sku_id, after=out, store_id=s.store_id)
        uow.emit(topics.SKU_UPDATED, sku_id, {"sku_id": sku_id, "changed_fields": list(_MASTER_FIELDS),
                                               "ts": utcnow().isoformat()}, store_id=s.store_id)
        idempotency.remember(uow, idempotency_key, out)
    return out


def update_sku(db: Database, cache: Cache | None, objects: ObjectStore | None, who: Principal, sku_id: str,
               body: Mapping[str, Any], version: int) -> dict[str, Any]:
    s = parse_input(body)
    with db.transaction() as uow:
        before_rows = _details(uow, objects, [sku_id])
        if not before_rows:
            raise sku_not_found()
        before = before_rows[0]
        if s.store_id != before["store_id"]:
            fixed = FieldError("store_id", "catalog.sku.store_fixed", "商品的归属（总部或门店）不能修改")
            raise bad_request("catalog.sku.invalid", "商品信息有误，请检查标红的项", errors=[fixed])
        check_write_scope(who, before["store_id"])
        _check_refs(uow, s)
        try:
            with uow.conn.transaction():
                row = uow.one(sql.UPDATE_SKU, {**_row_params(s), "id": sku_id, "version": version})
        except UniqueViolation as exc:
            raise _unique_problem(exc) from None
        if row is None:
            raise stale()
        _write_children(uow, sku_id, s)
        after = _details(uow, objects, [sku_id])[0]
        changed = [f for f in _MASTER_FIELDS if _comparable(before, f) != _comparable(after, f)]
        uow.audit("catalog.sku.update", "sku", sku_id, before=before, after=after, store_id=s.store_id)
        uow.emit(topics.SKU_UPDATED, sku_id, {"sku_id": sku_id, "changed_fields": changed, "ts": utcnow().isoformat()},
                 store_id=s.store_id)
    forget_cached(cache, [sku_id])
    return after


def _comparable(d: Mapping[str, Any], f: str) -> Any:
    return json.dumps(d.get(f), sort_keys=True, default=str)


def batch_status(db: Database, cache: Cache | None, who: Principal, ids: Sequence[str], status: str) -> int:
    """All or nothing: every SKU must be visible and writable by the caller."""
    if status not in STATUSES:
        raise bad_request("catalog.sku.invalid", "状态须为 草稿、在售 或 停售",
                          errors=[FieldError("status", "catalog.sku.status", "状态须为 草稿、在售 或 停售")])
    wanted = list(dict.fromkeys(ids))
    if not wanted or len(wanted) > 1000:
        raise bad_request("catalog.sku.batch_size", "一次可修改 1–1000 个商品")
    with db.transaction() as uow:
        visible = {r["id"]: r["store_id"] for r in uow.all(sql.VISIBLE_SKUS, (wanted,))}
        missing = [i for i in wanted if i not in visible]
        if missing:
            raise not_found("catalog.sku.not_found", "部分商品找不到，或您无权查看", f"{len(missing)} 个商品")
        for store_id in set(visible.values()):
            check_write_scope(who, store_id)
        rows = uow.all(sql.BATCH_STATUS, {"ids": wanted, "status": status})
        ts = utcnow().isoformat()
        for r in rows:
            uow.audit("catalog.sku.status", "sku", r["id"], after={"status": status}, store_id=r["store_id"])
            uow.emit(topics.SKU_UPDATED, r["id"], {"sku_id": r["id"], "changed_fields": ["status"], "ts": ts},
                     store_id=r["store_id"])
    forget_cached(cache, wanted)
    return len(rows)


# --- reads --------------------------------------------------------------------------------------


def _norm_decimal(value: Any) -> str:
    d = Decimal(str(value)).normalize()
    return format(d, "f")


def _rows(uow: UnitOfWork, ids: Sequence[str]) -> list[dict[str, Any]]:
    """SKUs in the order of ``ids`` (the invisible ones left out), with ``main_image_keys``."""
    rows = {r["id"]: r for r in uow.all(sql.SKU_DETAILS, {"ids": list(ids)})}
    out = []
    for i in ids:
        r = rows.get(i)
        if r is None:
            continue
        r["tax_rate"] = _norm_decimal(r["tax_rate"])
        r["packs"] = [{**p, "quantity": _norm_decimal(p["quantity"])} for p in r["packs"]]
        r["main_image_keys"] = r.pop("main_image")
        out.append(r)
    return out


def _present(row: dict[str, Any], objects: ObjectStore | None) -> dict[str, Any]:
    """Image keys → short-lived URLs (never cached: they expire)."""
    out = dict(row)
    img = out.pop("main_image_keys", None)
    out["main_image"] = _image_urls(objects, img) if img else None
    return out


def _details(uow: UnitOfWork, objects: ObjectStore | None, ids: Sequence[str]) -> list[dict[str, Any]]:
    return [_present(r, objects) for r in _rows(uow, ids)]


def _image_urls(objects: ObjectStore | None, img: Mapping[str, Any]) -> dict[str, Any]:
    if objects is None:
        return {"id": img["id"], "url": None, "thumb_url": None}
    return {"id": img["id"], "url": objects.presign_get(img["object_key"], 3600),
            "thumb_url": objects.presign_get(img["thumb_key"], 3600)}


def _cache_key(sku_id: str) -> str:
    return f"sku:{sku_id}"


def forget_cached(cache: Cache | None, sku_ids: Sequence[str]) -> None:
    """Drop the cached SKU and its price sheet."""
    if cache is not None and sku_ids:
        cache.delete(*(_cache_key(i) for i in sku_ids), *(prices.price_cache_key(i) for i in sku_ids))


def _visible(row: Mapping[str, Any]) -> bool:
    return context.current().scope.covers(row["store_id"])


def get_sku(db: Database, cache: Cache | None, objects: ObjectStore | None, sku_id: str) -> dict[str, Any]:
    """One SKU. Cached (``sku:<id>``, dropped on every change and by the sku.updated consumer);
    the cached copy is shown only if the caller's scope covers it, as RLS would."""
    if cache is not None:
        raw = cache.get(_cache_key(sku_id))
        if raw is not None:
            row = json.loads(raw)
            if not _visible(row):
                raise sku_not_found()
            return _present(row, objects)
    with db.transaction() as uow:
        found = _rows(uow, [sku_id])
    if not found:
        raise sku_not_found()
    if cache is not None:
        cache.set(_cache_key(sku_id), json.dumps(found[0], default=json_value).encode(), CACHE_TTL_S)
    return _present(found[0], objects)


def resolve_barcode(db: Database, objects: ObjectStore | None, raw: str) -> dict[str, Any]:
    """A scanned code → the SKU, the pack level and the quantity it stands for. Scale labels
    (22 + PLU + grams) give the weighed SKU and the weight in kg."""
    with db.transaction() as uow:
        hit = scans.resolve(uow, [raw])[raw]
        if isinstance(hit, Problem) and hit.status == 400:
            raise hit
        details = _details(uow, objects, [hit.sku_id]) if isinstance(hit, scans.Scan) else []
    if not details or not isinstance(hit, scans.Scan):
        raise not_found("catalog.barcode.not_found", "没有找到这个条码对应的商品")
    return {"sku": details[0], "pack_name": hit.pack_name,
            "quantity": _norm_decimal(hit.per) if hit.per is not None else "1",
            "label_price": str(hit.label_price) if hit.label_price is not None else None}


def _category_path(uow: UnitOfWork, category_id: str | None) -> str | None:
    if not category_id:
        return None
    row = uow.one(sql.GET_CATEGORY, (category_id,))
    if row is None:
        raise not_found("catalog.category.not_found", "找不到该类目")
    return str(row["path"])


def list_skus(db: Database, objects: ObjectStore | None, *, q: str | None = None, store_id: str | None = None,
              brand_id: str | None = None, category_id: str | None = None, status: str | None = None,
              barcode: str | None = None, sort: str = "code", limit: int | None = None,
              cursor: str | None = None, with_prices: bool | None = None) -> dict[str, Any]:
    """Filtered list with keyset pages; ``q`` goes to the search port (ranked, one page).
    With a store, each item carries the price in force there now (HQ's without a store)."""
    n = pagination.check_limit(limit)
    if status is not None and status not in STATUSES:
        raise bad_request("catalog.sku.status", "状态须为 draft、active 或 discontinued")
    if sort not in ("code", "-updated_at"):
        raise bad_request("common.sort", "排序只支持 code 或 -updated_at")
    prices.require_store(store_id)
    code = clean(barcode).replace(" ", "") if barcode else None
    with db.transaction() as uow:
        if q and q.strip():
            ids = _search_ids(q, store_id, brand_id, category_id, status, n)
            page: dict[str, Any] = {"items": None, "next_cursor": None}
        else:
            params: dict[str, Any] = {"store": store_id, "status": status, "brand": brand_id,
                                      "category_path": _category_path(uow, category_id), "barcode": code,
                                      "limit": n + 1}
            if sort == "code":
                after = pagination.decode(cursor, 1)
                rows = uow.all(sql.LIST_SKU_IDS, {**params, "after_code": after[0] if after else None})
                page = pagination.page(rows, n, ["code"])
            else:
                after = pagination.decode(cursor, 2)
                rows = uow.all(sql.LIST_SKU_IDS_RECENT, {**params, "after_at": after[0] if after else None,
                                                         "after_id": after[1] if after else None})
                page = pagination.page(rows, n, ["updated_at", "id"])
            ids = [r["id"] for r in page["items"]]
        items = _details(uow, objects, ids)
        if with_prices or (with_prices is None and store_id is not None):
            _attach_prices(uow, items, store_id)
    return {"items": items, "next_cursor": page["next_cursor"]}


def _attach_prices(uow: UnitOfWork, items: list[dict[str, Any]], store_id: str | None) -> None:
    ids = [i["id"] for i in items]
    # One query for the page: the member price (tier 普通会员) and, without its candidate, the
    # price a shopper without a card pays.
    found = prices.effective_many(uow, ids, store_id, tier="normal")
    for item in items:
        e = found.get(item["id"])
        if e is None:
            item["price"] = None
            continue
        plain = prices.cheapest([c for c in e["candidates"] if c["rule"] != "member"])
        item["price"] = {"amount": plain["amount"], "rule": plain["rule"], "member_amount": e["amount"]}


def _search_ids(q: str, store_id: str | None, brand_id: str | None, category_id: str | None, status: str | None,
                limit: int) -> list[str]:
    from ucm.bootstrap import container
    from ucm.catalog import search_index

    scope = context.current().scope
    if store_id is not None:
        store_ids: list[str] | None = [store_id]
    else:
        store_ids = None if scope.all_stores else sorted(scope.store_ids)
    return search_index.search_sku_ids(container().search, q.strip(), store_ids=store_ids, brand_id=brand_id,
                                       category_id=category_id, status=status, limit=limit)


EXPORT_HEADERS = ("商品编码", "商品名称", "简称", "品牌", "类目", "单位", "称重", "PLU", "税率", "产地", "保质期(天)",
                  "状态", "条码", "箱规", "箱条码", "标准价", "会员价", "归属门店")


def export_skus(db: Database, fmt: str, *, store_id: str | None = None, **filters: Any) -> tuple[bytes, str]:
    """The filtered list as a file whose columns match the import template (re-importable)."""
    rows: list[list[Any]] = []
    cursor = None
    while len(rows) < EXPORT_MAX_ROWS:
        page = list_skus(db, None, store_id=store_id, limit=pagination.MAX_LIMIT, cursor=cursor, with_prices=True,
                         **filters)
        for s in page["items"]:
            base = [b["code"] for b in s["barcodes"] if b["pack_name"] is None]
            packed = [b["code"] for b in s["barcodes"] if b["pack_name"] is not None]
            packs = [f"{p['name']}={p['quantity']}" for p in s["packs"]]
            price = s.get("price") or {}
            rows.append([s["code"], s["name"], s["short_name"], s["brand_name"] or "", "/".join(s["category_path"]),
                         s["unit"], "是" if s["is_weighed"] else "否", s["plu"] or "",
                         f"{Decimal(s['tax_rate']) * 100:g}%", s["origin"], s["shelf_life_days"] or "",
                         STATUS_LABELS[s["status"]], ";".join(base), ";".join(packs), ";".join(packed),
                         price.get("amount", ""),
                         price.get("member_amount", ""), s["store_id"] or ""])
        cursor = page["next_cursor"]
        if not cursor or filters.get("q"):
            break
    return tabular.render(fmt, EXPORT_HEADERS, rows, "商品")


def history(db: Database, sku_id: str, limit: int | None, cursor: str | None) -> dict[str, Any]:
    """The SKU's audit trail. Visible to whoever may see the SKU (read under the platform's
    scope, since HQ-wide SKUs are audited without a store)."""
    with db.transaction() as uow:
        if uow.one(sql.SKU_HEAD, (sku_id,)) is None:
            raise sku_not_found()
    with context.use(context.system("catalog.history", context.current().trace_id)):
        return audit_log.list_audit(db, audit_log.AuditFilter(target_type="sku", target_id=sku_id), limit, cursor)

