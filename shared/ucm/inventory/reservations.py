"""Reservations: stock held for an order until it is sold, released or expired.

Reservations are rows with an expiry; ``stock_balance.reserved`` follows from them and changes
in the same statement as the rows (``reservations_sql``), so the invariant check can hold the
counter to the sum of active rows. Reserving more than ATS is refused (422
``inventory.insufficient_stock``) unless the store allows negative stock: a store that lets
its shelves go negative lets its orders do so too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ucm import context, pagination, topics
from ucm.db import Database, UnitOfWork
from ucm.errors import FieldError, Problem, bad_request, conflict, not_found
from ucm.inventory import moves, reservations_sql
from ucm.inventory.stock import _require_store, invalidate_ats, qty_out
from ucm.ports import Cache

DEFAULT_TTL_S = 900
MAX_TTL_S = 7 * 24 * 3600
STATUSES = ("active", "released", "consumed", "expired")
SWEEP_BATCH = 5000


class _KeyTaken(Exception):
    """A concurrent request with the same key committed first: roll back and replay it."""


def _digest(store_id: str, lines: Sequence[tuple[str, Decimal]], ref: str | None, ttl_s: int) -> str:
    body = {"store": store_id, "lines": [[s, str(q)] for s, q in lines], "ref": ref, "ttl": ttl_s}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _present(r: dict[str, Any]) -> dict[str, Any]:
    w = bool(r["is_weighed"])
    keep = ("id", "store_id", "sku_id", "sku_code", "sku_name", "status", "ref", "expires_at", "actor",
            "created_at", "ended_at")
    return {**{k: r[k] for k in keep if k in r}, "is_weighed": w, "quantity": qty_out(r["quantity"], w)}


def _event(store_id: str, r: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    return (f"{store_id}:{r['sku_id']}", {"store_id": store_id, "sku_id": r["sku_id"], "qty": str(r["quantity"]),
                                         "status": r["status"], "reservation_id": r["id"], "ref": r.get("ref")},
            store_id)


def _parse_lines(lines: Sequence[tuple[str, Any]]) -> list[tuple[str, Decimal]]:
    if not lines:
        raise bad_request("inventory.lines.empty", "请至少填写一行商品")
    if len(lines) > moves.MAX_LINES:
        raise bad_request("inventory.lines.too_many", f"一次最多 {moves.MAX_LINES} 行")
    parsed: dict[str, Decimal] = {}
    for i, (sku_id, raw) in enumerate(lines):
        if sku_id in parsed:
            raise bad_request("inventory.lines.duplicate", "同一商品在一次预留中只能出现一次，请合并数量",
                              errors=[FieldError(f"lines[{i}].sku_id", "inventory.lines.duplicate", "商品重复")])
        q = moves.parse_qty(raw, f"lines[{i}].quantity")
        if q < 0:
            raise bad_request("inventory.quantity.sign", "预留数量须为正数",
                              errors=[FieldError(f"lines[{i}].quantity", "inventory.quantity.sign", "须为正数")])
        parsed[sku_id] = q
    return sorted(parsed.items())


def reserve(db: Database, cache: Cache | None, store_id: str, lines: Sequence[tuple[str, Any]], ref: str | None,
            ttl_s: int | None, idempotency_key: str | None) -> dict[str, Any]:
    """Reserve every line or none; once per (store, idempotency key): a repeat returns the first
    result."""
    _require_store(store_id)
    ttl = DEFAULT_TTL_S if ttl_s is None else ttl_s
    if not 1 <= ttl <= MAX_TTL_S:
        raise bad_request("inventory.reservation.ttl", f"预留时长须在 1 秒到 7 天（{MAX_TTL_S} 秒）之间",
                          errors=[FieldError("ttl_s", "inventory.reservation.ttl", f"1–{MAX_TTL_S}")])
    key = (idempotency_key or "").strip()
    if not key:
        raise bad_request("inventory.idempotency_key.missing",
                          "缺少 Idempotency-Key：每次预留都要带唯一编号，防止重复预留")
    if len(key) > moves.MAX_KEY:
        raise bad_request("common.idempotency_key", f"Idempotency-Key 不能超过 {moves.MAX_KEY} 个字符")
    ordered = _parse_lines(lines)
    digest = _digest(store_id, ordered, ref, ttl)
    try:
        with db.transaction() as uow:
            rows = _reserve(uow, store_id, ordered, ref, ttl, key, digest)
    except _KeyTaken:
        rows = None
    if rows is None:
        with db.transaction() as uow:
            return _replay(uow, store_id, key, digest)
    invalidate_ats(cache, store_id, [s for s, _ in ordered])
    return {"store_id": store_id, "ref": ref, "idempotency_key": key, "items": rows}


def _reserve(uow: UnitOfWork, store_id: str, ordered: list[tuple[str, Decimal]], ref: str | None, ttl: int,
             key: str, digest: str) -> list[dict[str, Any]] | None:
    if uow.one(reservations_sql.BY_KEY, {"store": store_id, "key": key}) is not None:
        return None
    skus = [s for s, _ in ordered]
    weighed = moves.check_skus(uow, store_id, ordered)
    made = uow.all(reservations_sql.RESERVE, {
        "store": store_id, "skus": skus, "qtys": [q for _, q in ordered], "ref": ref, "ttl": ttl, "key": key,
        "request": digest, "actor": context.current().actor})
    if any(r["id"] is None for r in made):
        raise _KeyTaken()
    if len(made) < len(ordered):
        done = {r["sku_id"] for r in made}
        raise _short(uow, store_id, [s for s in skus if s not in done], dict(ordered), weighed)
    for r in made:
        r["is_weighed"] = weighed[r["sku_id"]]
    uow.audit("inventory.reserve", "stock_reservation", made[0]["id"], store_id=store_id,
              after={"ref": ref, "ttl_s": ttl, "key": key,
                     "lines": [{"id": r["id"], "sku_id": r["sku_id"], "quantity": str(r["quantity"])} for r in made]})
    uow.emit_many(topics.STOCK_RESERVED, [_event(store_id, r) for r in made])
    return [{**_present(r), "store_id": store_id, "ats_after": qty_out(r["ats_after"], weighed[r["sku_id"]])}
            for r in made]


def _short(uow: UnitOfWork, store_id: str, refused: list[str], qty: dict[str, Decimal],
           weighed: dict[str, bool]) -> Problem:
    row = {r["sku_id"]: r for r in uow.all(reservations_sql.ATS_OF, {"store": store_id, "skus": refused})}
    return Problem(422, "inventory.insufficient_stock", "可售数量不足，整单未预留", ", ".join(refused),
                   [FieldError(f"sku:{s}", "inventory.insufficient_stock",
                               f"可售 {qty_out(row[s]['ats'] if s in row else Decimal(0), weighed[s])}，"
                               f"本次 {qty_out(qty[s], weighed[s])}") for s in refused])


def _replay(uow: UnitOfWork, store_id: str, key: str, digest: str) -> dict[str, Any]:
    rows = uow.all(reservations_sql.BY_KEY, {"store": store_id, "key": key})
    if not rows:  # the first attempt rolled back after all: let the caller retry
        raise conflict("inventory.reservation.retry", "同一预留正在处理，请稍后重试")
    if rows[0]["request"] != digest:
        raise Problem(422, "common.idempotency_reused", "这个 Idempotency-Key 已用于另一次预留，请换一个")
    return {"store_id": store_id, "ref": rows[0]["ref"], "idempotency_key": key,
            "items": [_present(r) for r in rows]}


def end(db: Database, cache: Cache | None, reservation_id: str, status: str) -> dict[str, Any]:
    """Release (``released``) or consume (``consumed``, the sale was posted) one active
    reservation. Not visible: 404; no longer active: 409."""
    with db.transaction() as uow:
        row = uow.one(reservations_sql.END_ONE, {"id": reservation_id, "status": status})
        if row is None:
            now = uow.one(reservations_sql.ONE, {"id": reservation_id})
            if now is None:
                raise not_found("inventory.reservation.not_found", "找不到该预留，或您无权查看")
            raise conflict("inventory.reservation.not_active", f"该预留已结束（{_LABEL[now['status']]}），不能再次操作",
                           now["status"])
        uow.audit(f"inventory.reservation.{status}", "stock_reservation", row["id"], store_id=row["store_id"],
                  before={"status": "active"}, after={"status": status})
        uow.emit(topics.STOCK_RESERVED, f"{row['store_id']}:{row['sku_id']}", _event(row["store_id"], row)[1],
                 row["store_id"])
    invalidate_ats(cache, row["store_id"], [row["sku_id"]])
    return _present(row)


_LABEL = {"active": "有效", "released": "已释放", "consumed": "已消耗", "expired": "已过期"}


def list_reservations(db: Database, store_id: str, sku_id: str | None, status: str | None, ref: str | None,
                      limit: int | None, cursor: str | None) -> dict[str, Any]:
    _require_store(store_id)
    n = pagination.check_limit(limit)
    after_at, after_id = pagination.decode_newest(cursor)
    with db.transaction() as uow:
        if uow.one("select 1 from store where id = %s", (store_id,)) is None:
            raise moves.not_visible_store()
        rows = uow.all(reservations_sql.LIST, {
            "store": store_id, "sku": sku_id, "status": status, "ref": ref,
            "after_at": after_at, "after_id": after_id,
            "limit": n + 1})
    page = pagination.page(rows, n, ("created_at", "id"))
    page["items"] = [_present(r) for r in page["items"]]
    return page


def expire(db: Database, cache: Cache | None) -> int:
    """End every active reservation past its expiry as ``expired`` (the every-minute timer):
    batch by batch, each one statement with its counters, audit rows and events in one
    transaction. Runs with the platform's scope. Returns how many expired."""
    ctx = context.system("inventory.expire", context.current().trace_id)
    total = 0
    while True:
        with db.transaction(ctx) as uow:
            rows = uow.all(reservations_sql.EXPIRE_BATCH, {"limit": SWEEP_BATCH})
            by_store: dict[str, list[dict[str, Any]]] = {}
            for r in rows:
                r["status"] = "expired"
                by_store.setdefault(r["store_id"], []).append(r)
            for store_id, mine in by_store.items():
                uow.audit("inventory.reservation.expired", "store", store_id, store_id=store_id,
                          after={"ids": [r["id"] for r in mine]})
                uow.emit_many(topics.STOCK_RESERVED, [_event(store_id, r) for r in mine])
        for store_id, mine in by_store.items():
            invalidate_ats(cache, store_id, sorted({r["sku_id"] for r in mine}))
        total += len(rows)
        if len(rows) < SWEEP_BATCH:
            return total
