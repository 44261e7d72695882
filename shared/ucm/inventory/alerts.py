"""Stock alerts: low stock (at or below a threshold), slow movers (no sale in N days) and
negative stock, one unresolved alert per store × SKU × kind.

Negative-stock alerts are opened and resolved by a trigger on ``stock_balance`` in the move's own
transaction (migration 0008, "allow and flag"); low-stock and slow-mover alerts by ``evaluate``
(the daily timer and ``ucm inventory-alerts``), set-based for every store.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from ucm import context, pagination
from ucm.db import Database
from ucm.errors import FieldError, bad_request, conflict, not_found
from ucm.inventory import alerts_sql, moves
from ucm.inventory.stock import _require_store, qty_out

KINDS = ("low_stock", "slow_mover", "negative")
STATUSES = ("open", "acknowledged", "resolved")


def _threshold(raw: Any) -> Decimal | None:
    if raw is None:
        return None
    try:
        q = Decimal(str(raw).strip()) if not isinstance(raw, bool) else Decimal("NaN")
    except InvalidOperation:
        q = Decimal("NaN")
    if not q.is_finite() or q < 0 or q >= moves.MAX_QTY or q != q.quantize(moves.QTY_STEP):
        raise bad_request("inventory.threshold.invalid", "预警数量须为不小于 0 的数字，最多三位小数",
                          errors=[FieldError("low_stock", "inventory.threshold.invalid", "须为 ≥ 0 的数字")])
    return q


def _decimal_out(value: Decimal | None, weighed: bool | None) -> str | int | None:
    if value is None:
        return None
    return qty_out(value, bool(weighed)) if weighed is not None else str(value.normalize())


def set_threshold(db: Database, store_id: str, sku_id: str | None, low_stock: Any,
                  slow_mover_days: int | None) -> dict[str, Any]:
    """A SKU's low-stock threshold (``sku_id``), or the store's default and slow-mover days
    (``sku_id`` None). ``low_stock`` None removes the SKU's own threshold / the store default."""
    _require_store(store_id)
    low = _threshold(low_stock)
    if slow_mover_days is not None and (sku_id is not None or not 1 <= slow_mover_days <= 365):
        raise bad_request("inventory.slow_mover_days.invalid", "滞销天数只能按门店设置，须在 1–365 之间",
                          errors=[FieldError("slow_mover_days", "inventory.slow_mover_days.invalid", "1–365")])
    with db.transaction() as uow:
        if uow.one(alerts_sql.STORE_DEFAULTS, {"store": store_id}) is None:
            raise moves.not_visible_store()
        if sku_id is None:
            row = uow.one(alerts_sql.SET_STORE_DEFAULTS, {"store": store_id, "low": low, "days": slow_mover_days})
            assert row is not None
            after: dict[str, Any] = {"low_stock_default": None if low is None else str(low),
                                     "slow_mover_days": row["slow_mover_days"]}
            out: dict[str, Any] = {"store_id": store_id, "sku_id": None,
                                   "low_stock": _decimal_out(row["low_stock_default"], None),
                                   "slow_mover_days": row["slow_mover_days"]}
        else:
            weighed = moves.check_skus(uow, store_id, [(sku_id, Decimal(1))])[sku_id]
            if low is not None and not weighed and low != low.to_integral_value():
                raise bad_request("inventory.quantity.fractional", "非称重商品的预警数量必须是整数",
                                  errors=[FieldError("low_stock", "inventory.quantity.fractional", "须为整数")])
            if low is None:
                uow.execute(alerts_sql.DROP_SKU, {"store": store_id, "sku": sku_id})
            else:
                uow.execute(alerts_sql.SET_SKU, {"store": store_id, "sku": sku_id, "low": low,
                                                 "actor": context.current().actor})
            after = {"sku_id": sku_id, "low_stock": None if low is None else str(low)}
            out = {"store_id": store_id, "sku_id": sku_id, "low_stock": _decimal_out(low, weighed)}
        uow.audit("inventory.threshold", "store", store_id, store_id=store_id, after=after)
    return out


def thresholds(db: Database, store_id: str, limit: int | None, cursor: str | None) -> dict[str, Any]:
    _require_store(store_id)
    n = pagination.check_limit(limit)
    after = pagination.decode(cursor, 1)
    with db.transaction() as uow:
        store = uow.one(alerts_sql.STORE_DEFAULTS, {"store": store_id})
        if store is None:
            raise moves.not_visible_store()
        rows = uow.all(alerts_sql.THRESHOLDS, {"store": store_id, "after": after[0] if after else None,
                                               "limit": n + 1})
    page = pagination.page(rows, n, ("sku_id",))
    page["items"] = [{"sku_id": r["sku_id"], "sku_code": r["sku_code"], "sku_name": r["sku_name"],
                      "is_weighed": r["is_weighed"], "low_stock": qty_out(r["low_stock"], r["is_weighed"]),
                      "actor": r["actor"], "updated_at": r["updated_at"]} for r in page["items"]]
    return {"store_id": store_id, "low_stock_default": _decimal_out(store["low_stock_default"], None),
            "slow_mover_days": store["slow_mover_days"], **page}


def list_alerts(db: Database, store_id: str, kind: str | None, status: str | None, limit: int | None,
                cursor: str | None) -> dict[str, Any]:
    _require_store(store_id)
    n = pagination.check_limit(limit)
    after_at, after_id = pagination.decode_newest(cursor)
    with db.transaction() as uow:
        if uow.one(alerts_sql.STORE_DEFAULTS, {"store": store_id}) is None:
            raise moves.not_visible_store()
        rows = uow.all(alerts_sql.ALERTS, {"store": store_id, "kind": kind, "status": status, "after_at": after_at,
                                           "after_id": after_id, "limit": n + 1})
    page = pagination.page(rows, n, ("opened_at", "id"))
    items = []
    for r in page["items"]:
        w = bool(r.pop("is_weighed"))
        items.append({**r, "is_weighed": w, "on_hand": qty_out(r["on_hand"], w),
                      "on_hand_when_raised": qty_out(r["on_hand_when_raised"], w),
                      "threshold": None if r["threshold"] is None else qty_out(r["threshold"], w)})
    page["items"] = items
    return page


def acknowledge(db: Database, alert_id: str) -> dict[str, Any]:
    """An open alert seen by someone (it stays until the cause is gone, then resolves)."""
    with db.transaction() as uow:
        row = uow.one(alerts_sql.ACK, {"id": alert_id, "actor": context.current().actor})
        if row is None:
            now = uow.one(alerts_sql.ALERT, {"id": alert_id})
            if now is None:
                raise not_found("inventory.alert.not_found", "找不到该预警，或您无权查看")
            raise conflict("inventory.alert.not_open", "该预警已确认或已解除", now["status"])
        uow.audit("inventory.alert.ack", "stock_alert", alert_id, store_id=row["store_id"],
                  before={"status": "open"}, after={"status": "acknowledged"})
    return row


def evaluate(db: Database, at: datetime | None = None) -> dict[str, int]:
    """Raise and resolve low-stock and slow-mover alerts for every store, set-based, in one
    transaction with one audit row per store that changed. ``at``: the moment slow movers are
    judged at (now by default). Runs with the platform's scope."""
    ctx = context.system("inventory.alerts", context.current().trace_id)
    at = at or datetime.now(timezone.utc)
    totals = {"low_stock_raised": 0, "low_stock_resolved": 0, "slow_mover_raised": 0, "slow_mover_resolved": 0}
    with context.use(ctx), db.transaction(ctx) as uow:
        per_store: dict[str, dict[str, int]] = {}
        for query in (alerts_sql.LOW_STOCK, alerts_sql.SLOW_MOVERS):
            for r in uow.all(query, {"at": at}):
                mine = per_store.setdefault(r["store_id"], {})
                for what in ("raised", "resolved"):
                    if r[what]:
                        key = f"{r['kind']}_{what}"
                        mine[key] = mine.get(key, 0) + int(r[what])
                        totals[key] += int(r[what])
        for store_id, counts in sorted(per_store.items()):
            if counts:
                uow.audit("inventory.alerts.evaluate", "store", store_id, store_id=store_id, after=counts)
    return totals
