"""Inventory API (issue 5, core): stock moves, balances with ATS, the ledger, stock as of a past
moment, the negative-stock policy, and the daily balance/ledger check. Handlers only translate
HTTP to ``ucm.inventory`` calls."""

from datetime import datetime
from typing import Any, Literal

from fastapi import Header, Query
from pydantic import BaseModel, ConfigDict, Field
from ucm import context
from ucm.bootstrap import container
from ucm.fc.app import FunctionApp
from ucm.fc.events import TimerEvent
from ucm.identity.principal import Principal
from ucm.inventory import moves, stock
from ucm.inventory import reservations as reservations_
from ucm.times import aware
from ucm.web_auth import require

app = FunctionApp("inventory-api", description="库存：出入库、库存余额与可售、台账、历史库存", memory_mb=512,
                  timeout_s=30)


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# What may be posted directly; transfers and stocktakes post theirs through their own flows.
DirectReason = Literal["purchase_receipt", "supplier_return", "customer_return", "damage", "sale", "sale_refund",
                       "adjustment"]
LedgerReason = Literal["purchase_receipt", "supplier_return", "customer_return", "damage", "stocktake_gain",
                       "stocktake_loss", "transfer_out", "transfer_in", "sale", "sale_refund", "adjustment"]


class MoveLineIn(In):
    sku_id: str = Field(min_length=1, max_length=64)
    quantity: str | int = Field(description="数量：称重商品可带三位小数（\"1.250\"），其余为整数；"
                                            "方向由原因决定（调整可为负数）")


class MoveIn(In):
    store_id: str = Field(min_length=1, max_length=64)
    reason: DirectReason
    lines: list[MoveLineIn] = Field(min_length=1, max_length=moves.MAX_LINES)
    ref: str | None = Field(default=None, max_length=100, description="来源单据号，例如采购单、小票号")
    reason_code: str | None = Field(default=None, max_length=40, description="调整原因代码（调整时必填）")
    note: str = Field(default="", max_length=200)
    idempotency_key: str | None = Field(default=None, max_length=200, description="也可放在 Idempotency-Key 头")


class PolicyIn(In):
    store_id: str = Field(min_length=1, max_length=64)
    negative_stock: Literal["refuse", "allow"]


@app.route("/inventory/move", methods=["POST"], summary="出入库（收货、退供、客退、报损、销售、调整）",
           tags=["inventory"])
def move(body: MoveIn, idempotency_key: str | None = Header(default=None),
         who: Principal = require("inventory.move")) -> dict[str, Any]:
    c = container()
    lines = [moves.Line(li.sku_id, li.quantity) for li in body.lines]
    return moves.apply_move(c.db, c.cache, who, body.store_id, body.reason, lines,
                            idempotency_key or body.idempotency_key, ref=body.ref, note=body.note,
                            reason_code=body.reason_code)


@app.route("/inventory/stock", methods=["GET"], summary="库存余额（含可售 ATS）", tags=["inventory"])
def list_stock(store_id: str | None = None, sku_id: str | None = None, limit: int | None = None,
               cursor: str | None = None, who: Principal = require("inventory.read")) -> dict[str, Any]:
    return stock.list_stock(container().db, store_id, sku_id, limit, cursor)


@app.route("/inventory/ats", methods=["GET"], summary="可售数量（现有 − 预留 + 在途）", tags=["inventory"])
def ats(store_id: str, sku_id: str, who: Principal = require("inventory.read")) -> dict[str, Any]:
    c = container()
    return stock.ats(c.db, c.cache, store_id, sku_id)


@app.route("/inventory/ledger", methods=["GET"], summary="库存台账（流水）", tags=["inventory"])
def ledger(store_id: str, sku_id: str | None = None, start: datetime | None = Query(default=None, alias="from"),
           end: datetime | None = Query(default=None, alias="to"), reason: LedgerReason | None = None,
           limit: int | None = None, cursor: str | None = None,
           who: Principal = require("inventory.read")) -> dict[str, Any]:
    return stock.ledger(container().db, store_id, sku_id, aware(start), aware(end), reason, limit, cursor)


@app.route("/inventory/stock-as-of", methods=["GET"], summary="历史时点库存（由台账汇总）", tags=["inventory"])
def stock_as_of(store_id: str, at: datetime, sku_id: str | None = None, limit: int | None = None,
                cursor: str | None = None, who: Principal = require("inventory.read")) -> dict[str, Any]:
    return stock.stock_as_of(container().db, store_id, aware(at) or at, sku_id, limit, cursor)


@app.route("/inventory/policy", methods=["PUT"], summary="设置门店负库存策略", tags=["inventory"])
def set_policy(body: PolicyIn, who: Principal = require("system.store.write")) -> dict[str, Any]:
    return moves.set_policy(container().db, who, body.store_id, body.negative_stock)


@app.schedule("0 30 19 * * *")  # daily at 03:30 Shanghai time (FC cron runs in UTC)
def invariant_check(ev: TimerEvent) -> dict[str, int]:
    with context.use(context.system("inventory-api")):
        drift = stock.check_invariants(container().db)
    return {"drift": len(drift)}


# --- reservations ---------------------------------------------------------------------------------


class ReserveLineIn(In):
    sku_id: str = Field(min_length=1, max_length=64)
    quantity: str | int = Field(description="预留数量：称重商品可带三位小数，其余为整数；须为正数")


class ReserveIn(In):
    store_id: str = Field(min_length=1, max_length=64)
    lines: list[ReserveLineIn] = Field(min_length=1, max_length=moves.MAX_LINES)
    ref: str | None = Field(default=None, max_length=100, description="来源单据号，例如订单号")
    ttl_s: int | None = Field(default=None, description=f"有效秒数，默认 {reservations_.DEFAULT_TTL_S}，"
                                                        f"最长 {reservations_.MAX_TTL_S}（7 天）")
    idempotency_key: str | None = Field(default=None, max_length=200, description="也可放在 Idempotency-Key 头")


ReservationStatus = Literal["active", "released", "consumed", "expired"]


@app.route("/inventory/reservations", methods=["POST"], status_code=201, summary="预留库存（订单占用，到期自动释放）",
           tags=["inventory"])
def reserve(body: ReserveIn, idempotency_key: str | None = Header(default=None),
            who: Principal = require("inventory.move")) -> dict[str, Any]:
    c = container()
    return reservations_.reserve(c.db, c.cache, body.store_id, [(li.sku_id, li.quantity) for li in body.lines],
                                 body.ref, body.ttl_s, idempotency_key or body.idempotency_key)


@app.route("/inventory/reservations", methods=["GET"], summary="预留列表", tags=["inventory"])
def list_reservations(store_id: str, sku_id: str | None = None, status: ReservationStatus | None = None,
                      ref: str | None = None, limit: int | None = None, cursor: str | None = None,
                      who: Principal = require("inventory.read")) -> dict[str, Any]:
    return reservations_.list_reservations(container().db, store_id, sku_id, status, ref, limit, cursor)


@app.route("/inventory/reservations/{reservation_id}/release", methods=["POST"], summary="释放预留",
           tags=["inventory"])
def release(reservation_id: str, who: Principal = require("inventory.move")) -> dict[str, Any]:
    c = container()
    return reservations_.end(c.db, c.cache, reservation_id, "released")


@app.route("/inventory/reservations/{reservation_id}/consume", methods=["POST"], summary="预留转销售（已出库）",
           tags=["inventory"])
def consume(reservation_id: str, who: Principal = require("inventory.move")) -> dict[str, Any]:
    c = container()
    return reservations_.end(c.db, c.cache, reservation_id, "consumed")


@app.schedule("0 * * * * *")  # every minute: expired reservations give their stock back
def expire_reservations(ev: TimerEvent) -> dict[str, int]:
    with context.use(context.system("inventory-api")):
        c = container()
        return {"expired": reservations_.expire(c.db, c.cache)}


handler = app.handler
