"""Reading stock: balances with ATS, available-to-sell for one store × SKU (cached), the
ledger, stock as of a past moment (from the ledger alone) and the balance/ledger invariant."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from typing_extensions import LiteralString

from ucm import context, pagination, tabular
from ucm.db import Database, UnitOfWork
from ucm.errors import not_found
from ucm.inventory import reservations_sql, sql, stock_sql, transfer_sql
from ucm.ports import Cache
from ucm.text import contains_pattern

log = logging.getLogger(__name__)

ATS_CACHE_TTL_S = 30.0  # a safety net only: every change bumps its SKUs' generation after commit
# A generation outlives every value stored under it by far, so a counter that expired (no
# change for a day) never brings an old value back to life.
ATS_GEN_TTL_S = 86_400.0
ZERO = Decimal(0)


def qty_out(value: Decimal, weighed: bool) -> str | int:
    """Quantities leave as decimal strings when the unit allows fractions (kg), integers otherwise."""
    return str(value.quantize(Decimal("0.001"))) if weighed else int(value)


def ats_cache_key(store_id: str, sku_id: str) -> str:
    return f"ats:{store_id}:{sku_id}"


def ats_gen_key(store_id: str, sku_id: str) -> str:
    return f"atsgen:{store_id}:{sku_id}"


def invalidate_ats(cache: Cache | None, store_id: str, sku_ids: Sequence[str]) -> None:
    """Make the cached ATS of these SKUs stale; call after the change has committed.

    Deleting the value would not do: a reader that read the database before the commit could
    store its old value after the delete. Instead each store × SKU has a generation counter;
    a value is stored with the generation read before the database was, and served only while
    the generation is unchanged."""
    if cache is not None and sku_ids:
        cache.incr_many([ats_gen_key(store_id, s) for s in sku_ids], ATS_GEN_TTL_S)


def _require_store(store_id: str | None) -> str:
    if not store_id or not context.current().scope.covers(store_id):
        raise not_found("system.store.not_found", "找不到该门店，或您无权查看")
    return store_id


def _present(r: dict[str, Any]) -> dict[str, Any]:
    w = bool(r["is_weighed"])
    on_hand, reserved, in_transit = (r[k] if r[k] is not None else ZERO for k in ("on_hand", "reserved", "in_transit"))
    keep = ("store_id", "sku_id", "sku_code", "sku_name", "unit", "updated_at")
    out: dict[str, Any] = {k: r[k] for k in keep if k in r}
    out.update({"is_weighed": w, "on_hand": qty_out(on_hand, w), "reserved": qty_out(reserved, w),
                "in_transit": qty_out(in_transit, w), "ats": qty_out(on_hand - reserved + in_transit, w)})
    return out


def cached_ats(cache: Cache, store_id: str, sku_id: str) -> tuple[dict[str, Any] | None, bytes]:
    """(the cached ATS if still current, the generation now) in one round trip."""
    raw, gen = cache.get_many(ats_cache_key(store_id, sku_id), ats_gen_key(store_id, sku_id))
    gen = gen or b"0"
    if raw is not None:
        stored_gen, _, body = raw.partition(b"\n")
        if stored_gen == gen:
            value: dict[str, Any] = json.loads(body)
            return value, gen
    return None, gen


def store_ats(cache: Cache, store_id: str, sku_id: str, gen: bytes, value: dict[str, Any]) -> None:
    """Cache ``value`` under the generation read before the database was (``cached_ats``)."""
    cache.set(ats_cache_key(store_id, sku_id), gen + b"\n" + json.dumps(value, ensure_ascii=False).encode(),
              ATS_CACHE_TTL_S)


def load_ats(db: Database, store_id: str, sku_id: str) -> dict[str, Any]:
    with db.transaction() as uow:
        row = uow.one(sql.BALANCE, {"store": store_id, "sku": sku_id})
        if row is None or uow.one("select 1 from store where id = %s", (store_id,)) is None:
            raise not_found("inventory.stock.not_found", "找不到该门店的这个商品，或您无权查看")
    out = _present({**row, "store_id": store_id, "sku_id": sku_id})
    out.pop("updated_at", None)
    return out


def ats(db: Database, cache: Cache | None, store_id: str, sku_id: str) -> dict[str, Any]:
    """ATS = on hand − reserved + in transit (plan §9.2) for one store × SKU, from the cache
    (scope checked before it is read) or the database."""
    _require_store(store_id)
    if cache is None:
        return load_ats(db, store_id, sku_id)
    value, gen = cached_ats(cache, store_id, sku_id)
    if value is None:
        value = load_ats(db, store_id, sku_id)
        store_ats(cache, store_id, sku_id, gen, value)
    return value


def _like(q: str | None) -> str | None:
    """A substring pattern for ILIKE, the user's % and _ taken literally."""
    q = (q or "").strip()
    if not q:
        return None
    return contains_pattern(q)


def _stock_rows(uow: UnitOfWork, store_id: str | None, sku_id: str | None, category_id: str | None, q: str | None,
                below_threshold: bool, after: list[Any] | None, limit: int) -> list[dict[str, Any]]:
    path = None
    if category_id:
        cat = uow.one(stock_sql.CATEGORY_PATH, {"id": category_id})
        if cat is None:
            raise not_found("catalog.category.not_found", "找不到该类目")
        path = cat["path"]
    return uow.all(stock_sql.STOCK_LIST, {
        "store": store_id, "sku": sku_id, "cat_path": path, "q": _like(q), "below": below_threshold,
        "after_store": after[0] if after else None, "after_sku": after[1] if after else None, "limit": limit})


def _present_row(r: dict[str, Any]) -> dict[str, Any]:
    out = _present(r)
    w = bool(r["is_weighed"])
    out.update({"store_code": r["store_code"], "category_id": r["category_id"], "category_name": r["category_name"],
                "low_stock": None if r["low_stock"] is None else qty_out(r["low_stock"], w)})
    return out


def list_stock(db: Database, store_id: str | None, sku_id: str | None, limit: int | None, cursor: str | None, *,
               category_id: str | None = None, q: str | None = None, below_threshold: bool = False) -> dict[str, Any]:
    """Balances with ATS for the stock overview (keyset pages by store, SKU), filtered by
    category subtree, code/name substring and "at or below its low-stock threshold"."""
    if store_id is not None:
        _require_store(store_id)
    n = pagination.check_limit(limit)
    after = pagination.decode(cursor, 2)
    with db.transaction() as uow:
        rows = _stock_rows(uow, store_id, sku_id, category_id, q, below_threshold, after, n + 1)
    page = pagination.page(rows, n, ("store_id", "sku_id"))
    page["items"] = [_present_row(r) for r in page["items"]]
    return page


# The columns of the stock import (ucm.inventory.stock_import), so an export edited in Excel
# imports back; name and unit are there for people and ignored by the import.
EXPORT_HEADERS = ("门店编码", "商品编码", "商品名称", "单位", "库存数量")
EXPORT_MAX_ROWS = 100_000


def export_stock(db: Database, fmt: str, store_id: str | None, sku_id: str | None, *, category_id: str | None = None,
                 q: str | None = None, below_threshold: bool = False) -> tuple[bytes, str]:
    """The filtered overview as a CSV/xlsx file in the import's columns (on hand as the quantity)."""
    if store_id is not None:
        _require_store(store_id)
    with db.transaction() as uow:
        rows = _stock_rows(uow, store_id, sku_id, category_id, q, below_threshold, None, EXPORT_MAX_ROWS)
    body = [[r["store_code"], r["sku_code"], r["sku_name"], r["unit"], qty_out(r["on_hand"], bool(r["is_weighed"]))]
            for r in rows]
    return tabular.render(fmt, EXPORT_HEADERS, body, "库存")


def ledger(db: Database, store_id: str, sku_id: str | None, start: datetime | None, end: datetime | None,
           reason: str | None, limit: int | None, cursor: str | None) -> dict[str, Any]:
    _require_store(store_id)
    n = pagination.check_limit(limit)
    before = pagination.decode_int(cursor)
    with db.transaction() as uow:
        rows = uow.all(sql.LEDGER, {"store": store_id, "sku": sku_id, "reason": reason, "from": start, "to": end,
                                    "before": before, "limit": n + 1})
    page = pagination.page(rows, n, ("id",))
    items = []
    for r in page["items"]:
        w = bool(r.pop("is_weighed"))
        items.append({**r, "id": str(r["id"]), "is_weighed": w, "qty_delta": qty_out(r["qty_delta"], w),
                      "on_hand_after": qty_out(r["on_hand_after"], w)})
    page["items"] = items
    return page


def stock_as_of(db: Database, store_id: str, at: datetime, sku_id: str | None, limit: int | None,
                cursor: str | None) -> dict[str, Any]:
    """On hand per SKU of a store at ``at``: the sum of the ledger up to then (SKUs with ledger
    rows; keyset pages by SKU id)."""
    _require_store(store_id)
    n = pagination.check_limit(limit)
    after = pagination.decode(cursor, 1)
    with db.transaction() as uow:
        if uow.one("select 1 from store where id = %s", (store_id,)) is None:
            raise not_found("system.store.not_found", "找不到该门店，或您无权查看")
        rows = uow.all(sql.AS_OF, {"store": store_id, "at": at, "sku": sku_id, "after": after[0] if after else None,
                                   "limit": n + 1})
    page = pagination.page(rows, n, ("sku_id",))
    page["items"] = [{"sku_id": r["sku_id"], "sku_code": r["sku_code"], "sku_name": r["sku_name"],
                      "is_weighed": r["is_weighed"], "on_hand": qty_out(r["on_hand"], bool(r["is_weighed"]))}
                     for r in page["items"]]
    if sku_id is not None and not page["items"]:
        page["items"] = [{"sku_id": sku_id, "on_hand": 0}]
    return {"store_id": store_id, "at": at, **page}


@dataclass(frozen=True)
class Drift:
    store_id: str
    sku_id: str
    balance: Decimal | None  # None: a ledger without a balance row
    ledger_sum: Decimal  # what the balance should be: the ledger sum, or the measure's source
    measure: str = "on_hand"  # which balance column disagrees


# Further invariants of the balance row, each a query returning (store_id, sku_id, measure,
# balance, expected) for every store × SKU where a counter differs from the rows it follows
# from. Modules append theirs (reservations below; the transfers' in_transit from their lines).
INVARIANT_CHECKS: list[LiteralString] = [reservations_sql.RESERVED_DRIFT, transfer_sql.IN_TRANSIT_DRIFT]


def check_invariants(db: Database) -> list[Drift]:
    """Every store × SKU whose balance differs from the sum of its ledger, or whose other
    counters differ from their rows (empty: all agree). Runs with the platform's scope: it
    checks every store."""
    ctx = context.system("inventory.check", context.current().trace_id)
    with db.transaction(ctx) as uow:
        drift = [Drift(r["store_id"], r["sku_id"], r["balance"], r["ledger_sum"]) for r in uow.all(sql.DRIFT)]
        for query in INVARIANT_CHECKS:
            drift += [Drift(r["store_id"], r["sku_id"], r["balance"], r["expected"], r["measure"])
                      for r in uow.all(query)]
    for d in drift:
        log.error("stock drift store=%s sku=%s measure=%s balance=%s expected=%s", d.store_id, d.sku_id,
                  d.measure, d.balance, d.ledger_sum)
    return drift
