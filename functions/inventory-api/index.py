"""Inventory API (issue 5, core): stock moves, balances with ATS, the ledger, stock as of a past
moment, the negative-stock policy, and the daily balance/ledger check. Handlers only translate
HTTP to ``ucm.inventory`` calls."""

from datetime import datetime
from typing import Any, Literal

from fastapi import Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from ucm import context
from ucm.bootstrap import container
from ucm.fc.app import FunctionApp
from ucm.fc.events import TimerEvent
from ucm.identity.principal import Principal
from ucm.inventory import alerts as alerts_
from ucm.inventory import moves, stock, stocktakes
from ucm.inventory import reservations as reservations_
from ucm.inventory import transfers as transfers_
from ucm.times import aware
from ucm.web import download
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


@app.route("/inventory/stock", methods=["GET"], summary="库存余额（含可售 ATS；format=csv|xlsx 导出）",
           tags=["inventory"], response_model=None)
def list_stock(store_id: str | None = None, sku_id: str | None = None, category_id: str | None = None,
               q: str | None = Query(default=None, max_length=100, description="商品编码或名称片段"),
               below_threshold: bool = False, limit: int | None = None, cursor: str | None = None,
               format: Literal["json", "csv", "xlsx"] = "json",
               who: Principal = require("inventory.read")) -> dict[str, Any] | Response:
    db = container().db
    if format != "json":
        data, media = stock.export_stock(db, format, store_id, sku_id, category_id=category_id, q=q,
                                         below_threshold=below_threshold)
        return download(data, media, f"库存.{format}", f"stock.{format}")
    return stock.list_stock(db, store_id, sku_id, limit, cursor, category_id=category_id, q=q,
                            below_threshold=below_threshold)


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


class LineIn(In):
    """A line of a reservation, transfer or receipt: a positive quantity of one SKU."""

    sku_id: str = Field(min_length=1, max_length=64)
    quantity: str | int = Field(description="数量：称重商品可带三位小数（\"1.250\"），其余为整数；须为正数")


class ReserveIn(In):
    store_id: str = Field(min_length=1, max_length=64)
    lines: list[LineIn] = Field(min_length=1, max_length=moves.MAX_LINES)
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


# --- transfers between stores (调拨) ------------------------------------------------------------


DiscrepancyReason = Literal["damaged", "short", "over", "wrong_item", "other"]
TransferStatus = Literal["created", "shipped", "partially_received", "received", "closed", "cancelled"]


class TransferIn(In):
    from_store_id: str = Field(min_length=1, max_length=64, description="调出门店（须在您的范围内）")
    to_store_id: str = Field(min_length=1, max_length=64, description="调入门店")
    lines: list[LineIn] = Field(min_length=1, max_length=moves.MAX_LINES)
    note: str = Field(default="", max_length=transfers_.MAX_NOTE)
    idempotency_key: str | None = Field(default=None, max_length=200, description="也可放在 Idempotency-Key 头")


class ShipIn(In):
    version: int
    lines: list[LineIn] | None = Field(default=None, max_length=moves.MAX_LINES,
                                               description="实发数量（不填则按申请数量全部发出；可少发，不可多发）")


class ReceiveLineIn(LineIn):
    discrepancy_reason: DiscrepancyReason | None = Field(default=None, description="差异原因（多收时必填）")
    note: str | None = Field(default=None, max_length=transfers_.MAX_NOTE)


class ReceiveIn(In):
    lines: list[ReceiveLineIn] = Field(min_length=1, max_length=moves.MAX_LINES)
    idempotency_key: str | None = Field(default=None, max_length=200, description="也可放在 Idempotency-Key 头")


class CloseLineIn(In):
    sku_id: str = Field(min_length=1, max_length=64)
    discrepancy_reason: DiscrepancyReason
    note: str | None = Field(default=None, max_length=transfers_.MAX_NOTE)


class CloseIn(In):
    version: int
    discrepancy_reason: DiscrepancyReason | None = Field(default=None,
                                                         description="未收部分的差异原因（各行未单独填写时）")
    note: str | None = Field(default=None, max_length=transfers_.MAX_NOTE)
    lines: list[CloseLineIn] = Field(default_factory=list, max_length=moves.MAX_LINES)


class VersionIn(In):
    version: int


@app.route("/inventory/transfers", methods=["POST"], status_code=201, summary="新建调拨单", tags=["transfers"])
def create_transfer(body: TransferIn, idempotency_key: str | None = Header(default=None),
                    who: Principal = require("inventory.transfer")) -> dict[str, Any]:
    lines = [transfers_.Line(li.sku_id, li.quantity) for li in body.lines]
    return transfers_.create(container().db, who, body.from_store_id, body.to_store_id, lines, body.note,
                             idempotency_key or body.idempotency_key)


@app.route("/inventory/transfer-destinations", methods=["GET"], summary="可调入的门店（编码与名称）",
           tags=["transfers"])
def transfer_destinations(from_store_id: str,
                          who: Principal = require("inventory.transfer")) -> dict[str, list[dict[str, Any]]]:
    return {"items": transfers_.destinations(container().db, from_store_id)}


@app.route("/inventory/transfers", methods=["GET"], summary="调拨单列表", tags=["transfers"])
def list_transfers(store_id: str | None = None, direction: Literal["out", "in"] | None = None,
                   status: TransferStatus | None = None, limit: int | None = None, cursor: str | None = None,
                   who: Principal = require("inventory.read")) -> dict[str, Any]:
    return transfers_.list_transfers(container().db, store_id, direction, status, limit, cursor)


@app.route("/inventory/transfers/{transfer_id}", methods=["GET"], summary="调拨单详情", tags=["transfers"])
def get_transfer(transfer_id: str, who: Principal = require("inventory.read")) -> dict[str, Any]:
    return transfers_.get(container().db, who, transfer_id)


@app.route("/inventory/transfers/{transfer_id}/ship", methods=["POST"], summary="调拨发货（调出门店）",
           tags=["transfers"])
def ship_transfer(transfer_id: str, body: ShipIn, who: Principal = require("inventory.transfer")) -> dict[str, Any]:
    c = container()
    lines = None if body.lines is None else [transfers_.Line(li.sku_id, li.quantity) for li in body.lines]
    return transfers_.ship(c.db, c.cache, who, transfer_id, body.version, lines)


@app.route("/inventory/transfers/{transfer_id}/receive", methods=["POST"], summary="调拨收货（调入门店，可分批）",
           tags=["transfers"])
def receive_transfer(transfer_id: str, body: ReceiveIn, idempotency_key: str | None = Header(default=None),
                     who: Principal = require("inventory.transfer")) -> dict[str, Any]:
    c = container()
    lines = [transfers_.Line(li.sku_id, li.quantity, li.discrepancy_reason, li.note or "") for li in body.lines]
    return transfers_.receive(c.db, c.cache, who, transfer_id, lines, idempotency_key or body.idempotency_key)


@app.route("/inventory/transfers/{transfer_id}/close", methods=["POST"], summary="调拨结单（调入门店，未收部分记差异）",
           tags=["transfers"])
def close_transfer(transfer_id: str, body: CloseIn, who: Principal = require("inventory.transfer")) -> dict[str, Any]:
    c = container()
    lines = [transfers_.Line(li.sku_id, None, li.discrepancy_reason, li.note or "") for li in body.lines]
    return transfers_.close(c.db, c.cache, who, transfer_id, body.version, body.discrepancy_reason, body.note or "",
                            lines)


@app.route("/inventory/transfers/{transfer_id}/cancel", methods=["POST"], summary="取消调拨单（调出门店，发货前）",
           tags=["transfers"])
def cancel_transfer(transfer_id: str, body: VersionIn,
                    who: Principal = require("inventory.transfer")) -> dict[str, Any]:
    return transfers_.cancel(container().db, who, transfer_id, body.version)


# --- stocktakes (盘点) -----------------------------------------------------------------------------

StocktakeReason = Literal["damage", "theft", "expired", "counting_error", "receiving_error", "other"]


class StocktakeIn(In):
    store_id: str = Field(min_length=1, max_length=64)
    category_ids: list[str] = Field(default_factory=list, max_length=stocktakes.MAX_CATEGORIES,
                                    description="盘点的类目（含下级）；空：全店盘点")
    note: str = Field(default="", max_length=200)
    idempotency_key: str | None = Field(default=None, max_length=200, description="也可放在 Idempotency-Key 头")


class StocktakeCountIn(In):
    sku_id: str | None = Field(default=None, min_length=1, max_length=64)
    barcode: str | None = Field(default=None, min_length=1, max_length=64,
                                description="扫描的条码：箱码按箱规折算，称重条码取重量")
    quantity: str | int | None = Field(default=None, description="set：盘点数量（0 有效）；add：扫描次数，默认 1")


class StocktakeCountsIn(In):
    counts: list[StocktakeCountIn] = Field(min_length=1, max_length=stocktakes.MAX_COUNTS)
    mode: Literal["set", "add"] = Field(default="set", description="set：覆盖该商品的盘点数；add：累加（扫码）")


class StocktakeSubmitIn(In):
    version: int
    uncounted_as_zero: bool = Field(default=False, description="未盘点的商品按 0 计")


class StocktakeReasonIn(In):
    sku_id: str = Field(min_length=1, max_length=64)
    reason: StocktakeReason
    note: str = Field(default="", max_length=200)


class StocktakeReasonsIn(In):
    lines: list[StocktakeReasonIn] = Field(min_length=1, max_length=stocktakes.MAX_COUNTS)
    version: int | None = None


class StocktakeRecountIn(In):
    sku_ids: list[str] = Field(min_length=1, max_length=stocktakes.MAX_COUNTS)
    version: int | None = None


class StocktakeSettingsIn(In):
    approval_threshold: str = Field(max_length=20, description="差异金额超过此值须第二人审核，例如 \"500.00\"")
    version: int


@app.route("/inventory/stocktake-settings", methods=["GET"], summary="盘点审批金额（总部设置）", tags=["stocktakes"])
def get_stocktake_settings(who: Principal = require("inventory.read")) -> dict[str, Any]:
    return stocktakes.get_settings(container().db)


@app.route("/inventory/stocktake-settings", methods=["PUT"], summary="设置盘点审批金额（总部）", tags=["stocktakes"])
def set_stocktake_settings(body: StocktakeSettingsIn,
                           who: Principal = require("system.store.write")) -> dict[str, Any]:
    return stocktakes.set_settings(container().db, who, body.approval_threshold, body.version)


@app.route("/inventory/stocktakes", methods=["POST"], status_code=201, summary="新建盘点单（快照当前库存）",
           tags=["stocktakes"])
def create_stocktake(body: StocktakeIn, idempotency_key: str | None = Header(default=None),
                     who: Principal = require("inventory.stocktake")) -> dict[str, Any]:
    return stocktakes.create(container().db, who, body.store_id, body.category_ids, body.note,
                             idempotency_key or body.idempotency_key)


@app.route("/inventory/stocktakes", methods=["GET"], summary="盘点单列表", tags=["stocktakes"])
def list_stocktakes(store_id: str | None = None, status: str | None = None, limit: int | None = None,
                    cursor: str | None = None, who: Principal = require("inventory.read")) -> dict[str, Any]:
    return stocktakes.list_stocktakes(container().db, store_id, status, limit, cursor)


@app.route("/inventory/stocktakes/{stocktake_id}", methods=["GET"], summary="盘点单（合计、差异金额、可执行操作）",
           tags=["stocktakes"])
def get_stocktake(stocktake_id: str, who: Principal = require("inventory.read")) -> dict[str, Any]:
    return stocktakes.get(container().db, who, stocktake_id)


@app.route("/inventory/stocktakes/{stocktake_id}/lines", methods=["GET"], summary="盘点明细", tags=["stocktakes"])
def stocktake_lines(stocktake_id: str, only: Literal["variance", "uncounted"] | None = None, q: str | None = None,
                    limit: int | None = None, cursor: str | None = None,
                    who: Principal = require("inventory.read")) -> dict[str, Any]:
    return stocktakes.lines(container().db, stocktake_id, only, q, limit, cursor)


@app.route("/inventory/stocktakes/{stocktake_id}/counts", methods=["PUT"], summary="录入盘点数（手工或扫码）",
           tags=["stocktakes"])
def count_stocktake(stocktake_id: str, body: StocktakeCountsIn,
                    who: Principal = require("inventory.stocktake")) -> dict[str, Any]:
    counts = [stocktakes.Count(c.sku_id, c.barcode, c.quantity) for c in body.counts]
    return stocktakes.count(container().db, who, stocktake_id, counts, body.mode)


@app.route("/inventory/stocktakes/{stocktake_id}/submit", methods=["POST"], summary="提交盘点（进入差异审核）",
           tags=["stocktakes"])
def submit_stocktake(stocktake_id: str, body: StocktakeSubmitIn,
                     who: Principal = require("inventory.stocktake")) -> dict[str, Any]:
    return stocktakes.submit(container().db, who, stocktake_id, body.version, body.uncounted_as_zero)


@app.route("/inventory/stocktakes/{stocktake_id}/lines/reasons", methods=["PUT"], summary="填写差异原因",
           tags=["stocktakes"])
def stocktake_reasons(stocktake_id: str, body: StocktakeReasonsIn,
                      who: Principal = require("inventory.stocktake")) -> dict[str, Any]:
    reasons = [stocktakes.Reason(r.sku_id, r.reason, r.note) for r in body.lines]
    return stocktakes.set_reasons(container().db, who, stocktake_id, reasons, body.version)


@app.route("/inventory/stocktakes/{stocktake_id}/recount", methods=["POST"], summary="复盘所选商品（回到盘点中）",
           tags=["stocktakes"])
def recount_stocktake(stocktake_id: str, body: StocktakeRecountIn,
                      who: Principal = require("inventory.stocktake")) -> dict[str, Any]:
    return stocktakes.recount(container().db, who, stocktake_id, body.sku_ids, body.version)


@app.route("/inventory/stocktakes/{stocktake_id}/approve", methods=["POST"], summary="审核盘点并过账盘盈盘亏",
           tags=["stocktakes"])
def approve_stocktake(stocktake_id: str, body: VersionIn,
                      who: Principal = require("inventory.stocktake")) -> dict[str, Any]:
    c = container()
    return stocktakes.approve(c.db, c.cache, who, stocktake_id, body.version)


@app.route("/inventory/stocktakes/{stocktake_id}/cancel", methods=["POST"], summary="取消盘点单", tags=["stocktakes"])
def cancel_stocktake(stocktake_id: str, body: VersionIn,
                     who: Principal = require("inventory.stocktake")) -> dict[str, Any]:
    return stocktakes.cancel(container().db, who, stocktake_id, body.version)


# --- alerts ---------------------------------------------------------------------------------------


class ThresholdIn(In):
    store_id: str = Field(min_length=1, max_length=64)
    sku_id: str | None = Field(default=None, max_length=64, description="空：门店默认预警数量")
    low_stock: str | int | None = Field(description="现有库存 ≤ 此数即预警；null 删除该设置")
    slow_mover_days: int | None = Field(default=None, description="滞销天数（仅门店默认，1–365，默认 30）")


AlertKind = Literal["low_stock", "slow_mover", "negative"]
AlertStatus = Literal["open", "acknowledged", "resolved"]


@app.route("/inventory/thresholds", methods=["PUT"], summary="设置低库存预警数量（单品或门店默认）", tags=["inventory"])
def set_threshold(body: ThresholdIn, who: Principal = require("inventory.move")) -> dict[str, Any]:
    return alerts_.set_threshold(container().db, body.store_id, body.sku_id, body.low_stock, body.slow_mover_days)


@app.route("/inventory/thresholds", methods=["GET"], summary="低库存预警数量", tags=["inventory"])
def thresholds(store_id: str, limit: int | None = None, cursor: str | None = None,
               who: Principal = require("inventory.read")) -> dict[str, Any]:
    return alerts_.thresholds(container().db, store_id, limit, cursor)


@app.route("/inventory/alerts", methods=["GET"], summary="库存预警（低库存、滞销、负库存）", tags=["inventory"])
def list_alerts(store_id: str, kind: AlertKind | None = None, status: AlertStatus | None = None,
                limit: int | None = None, cursor: str | None = None,
                who: Principal = require("inventory.read")) -> dict[str, Any]:
    return alerts_.list_alerts(container().db, store_id, kind, status, limit, cursor)


@app.route("/inventory/alerts/{alert_id}/ack", methods=["POST"], summary="确认预警", tags=["inventory"])
def ack_alert(alert_id: str, who: Principal = require("inventory.move")) -> dict[str, Any]:
    return alerts_.acknowledge(container().db, alert_id)


@app.schedule("0 0 22 * * *")  # daily at 06:00 Shanghai time, before the shops open
def evaluate_alerts(ev: TimerEvent) -> dict[str, int]:
    with context.use(context.system("inventory-api")):
        return alerts_.evaluate(container().db)


handler = app.handler
