"""Stock moves: the one write of the inventory core (``POST /inventory/move``).

A move is a reason, a store and lines (SKU, quantity). It is applied in one statement
(``sql.MOVE``): the move row (claiming its idempotency key), the balances and ledger rows under the
negative-stock rule, an audit row and one ``stock.moved`` event per line. Balance and ledger
therefore never disagree, and anything refused (by the statement itself) rolls the whole move
back. A direct move is its own transaction, sent with the caller's scope in one round trip
(``Database.one_trip``); transfers and stocktakes post theirs inside their own transaction
(``post_move``). After commit the lines' cached ATS are dropped.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

import psycopg

from ucm import context, topics
from ucm.db import Database, UnitOfWork, audit_params, new_events, outbox_params
from ucm.errors import FieldError, Problem, bad_request, not_found
from ucm.identity.principal import Principal
from ucm.inventory import sql
from ucm.inventory.stock import invalidate_ats, qty_out
from ucm.ports import Cache, Event

# The sign a reason gives a quantity; adjustments are signed by the caller.
INBOUND = frozenset({"purchase_receipt", "customer_return", "stocktake_gain", "transfer_in", "sale_refund"})
OUTBOUND = frozenset({"supplier_return", "damage", "stocktake_loss", "transfer_out", "sale"})
REASONS = INBOUND | OUTBOUND | {"adjustment"}
# What a person or the counters may post directly; transfers and stocktakes post through their flows.
DIRECT_REASONS = REASONS - {"transfer_in", "transfer_out", "stocktake_gain", "stocktake_loss"}
MAX_LINES = 500
MAX_QTY = Decimal("1000000")
MAX_KEY = 200
QTY_STEP = Decimal("0.001")


@dataclass(frozen=True)
class Line:
    sku_id: str
    quantity: Any  # a decimal string (or an int) as received


def not_visible_store() -> Problem:
    return not_found("system.store.not_found", "找不到该门店，或您无权查看")


def parse_qty(raw: Any, field: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
        raise bad_request("inventory.quantity.invalid", "数量格式不对，请填写数字，例如 12 或 1.250",
                          errors=[FieldError(field, "inventory.quantity.invalid", "数量须为数字")])
    try:
        q = Decimal(str(raw).strip())
    except InvalidOperation:
        q = Decimal("NaN")
    if not q.is_finite():
        raise bad_request("inventory.quantity.invalid", "数量格式不对，请填写数字，例如 12 或 1.250",
                          errors=[FieldError(field, "inventory.quantity.invalid", "数量须为数字")])
    if q == 0:
        raise bad_request("inventory.quantity.zero", "数量不能为 0",
                          errors=[FieldError(field, "inventory.quantity.zero", "数量不能为 0")])
    if abs(q) >= MAX_QTY:
        raise bad_request("inventory.quantity.too_large", "数量过大，请检查是否输错",
                          errors=[FieldError(field, "inventory.quantity.too_large", f"单行数量须小于 {MAX_QTY}")])
    if q != q.quantize(QTY_STEP):
        raise bad_request("inventory.quantity.precision", "数量最多保留三位小数",
                          errors=[FieldError(field, "inventory.quantity.precision", "最多三位小数")])
    return q


def _signed(reason: str, q: Decimal, field: str) -> Decimal:
    if reason == "adjustment":
        return q
    if q < 0:
        raise bad_request("inventory.quantity.sign", "请填写正数，出入库方向由原因决定",
                          errors=[FieldError(field, "inventory.quantity.sign", "数量须为正数")])
    return q if reason in INBOUND else -q


def _digest(store_id: str, reason: str, lines: Sequence[tuple[str, Decimal]], ref: str | None,
            reason_code: str | None, note: str) -> str:
    body = {"store": store_id, "reason": reason, "lines": [[s, str(q)] for s, q in lines], "ref": ref,
            "code": reason_code, "note": note}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _answer(move: dict[str, Any], created_at: Any, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """A move as the API returns it; ``lines``: ledger rows with their SKU's ``is_weighed``."""
    return {
        "move_id": move["id"], "store_id": move["store_id"], "reason": move["reason"], "ref": move["ref"],
        "idempotency_key": move["idempotency_key"], "created_at": created_at,
        "lines": [{"sku_id": r["sku_id"], "ledger_id": str(r["id"]),
                   "qty_delta": qty_out(r["qty_delta"], r["is_weighed"]),
                   "on_hand_after": qty_out(r["on_hand_after"], r["is_weighed"])} for r in lines],
    }


def _result(params: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    return _answer({"id": params["move"], "store_id": params["store"], "reason": params["reason"],
                    "ref": params["ref"], "idempotency_key": params["key"]}, rows[0]["created_at"], rows)


def _replay(uow: UnitOfWork, store_id: str, key: str, digest: str) -> dict[str, Any]:
    move = uow.one(sql.MOVE_BY_KEY, (store_id, key))
    assert move is not None  # the conflicting row committed before our insert returned
    if move["request"] != digest:
        raise Problem(422, "common.idempotency_reused", "这个 Idempotency-Key 已用于另一笔出入库，请换一个")
    return _answer(move, move["created_at"], uow.all(sql.MOVE_LINES, (move["id"],)))


def apply_move(db: Database, cache: Cache | None, who: Principal, store_id: str, reason: str,
               lines: Sequence[Line | tuple[str, Any]], idempotency_key: str | None, *, ref: str | None = None,
               note: str = "", reason_code: str | None = None) -> dict[str, Any]:
    """Apply a move once per (store, idempotency key); a repeat returns the first result."""
    if not context.current().scope.covers(store_id) or not store_id:
        raise not_visible_store()
    if reason not in REASONS:
        raise bad_request("inventory.reason.invalid", "出入库原因无效",
                          errors=[FieldError("reason", "inventory.reason.invalid", "原因不在可选范围内")])
    key = (idempotency_key or "").strip()
    if not key:
        raise bad_request("inventory.idempotency_key.missing",
                          "缺少 Idempotency-Key：每笔出入库都要带唯一编号，防止重复记账")
    if len(key) > MAX_KEY:
        raise bad_request("common.idempotency_key", f"Idempotency-Key 不能超过 {MAX_KEY} 个字符")
    reason_code = (reason_code or "").strip() or None
    if reason == "adjustment" and reason_code is None:
        raise bad_request("inventory.reason_code.missing", "手工调整须选择调整原因",
                          errors=[FieldError("reason_code", "inventory.reason_code.missing", "必填")])
    if not lines:
        raise bad_request("inventory.lines.empty", "请至少填写一行商品")
    if len(lines) > MAX_LINES:
        raise bad_request("inventory.lines.too_many", f"一次最多 {MAX_LINES} 行")
    parsed: dict[str, Decimal] = {}
    for i, line in enumerate(lines):
        sku_id, raw = (line.sku_id, line.quantity) if isinstance(line, Line) else line
        field = f"lines[{i}].quantity"
        if sku_id in parsed:
            raise bad_request("inventory.lines.duplicate", "同一商品在一笔出入库中只能出现一次，请合并数量",
                              errors=[FieldError(f"lines[{i}].sku_id", "inventory.lines.duplicate", "商品重复")])
        parsed[str(sku_id)] = _signed(reason, parse_qty(raw, field), field)
    ordered = sorted(parsed.items())
    params, events = _statement(store_id, reason, ordered, key, ref, note, reason_code)
    try:
        rows = db.one_trip(sql.MOVE, params, events)
    except psycopg.DatabaseError as exc:
        refused = _refusal(exc, ordered, params["request"])
        if not isinstance(refused, KeyTaken):
            raise refused from None
        with db.transaction() as uow:  # the first attempt's result (ours rolled back)
            return _replay(uow, store_id, key, refused.digest)
    invalidate_ats(cache, store_id, [s for s, _ in ordered])
    return _result(params, rows)


def post_move(uow: UnitOfWork, store_id: str, reason: str, ordered: Sequence[tuple[str, Decimal]], key: str, *,
              ref: str | None = None, note: str = "", reason_code: str | None = None) -> dict[str, Any]:
    """Post a move inside the caller's transaction: the move row claiming ``key``, its audit row,
    one ``stock.moved`` per line, and the balance+ledger rows, in one statement. ``ordered``:
    (sku_id, signed quantity) sorted by sku_id, quantities already parsed (``parse_qty``).
    Transfers and stocktakes post their ledger entries through here, atomically with their own rows.

    Raises a Problem (unknown SKU, fractional quantity of a counted unit, insufficient stock),
    or ``KeyTaken`` when the key was used before; either way the statement failed and the
    caller's transaction must roll back. The caller drops the cached ATS after its commit
    (``stock.invalidate_ats``)."""
    params, events = _statement(store_id, reason, ordered, key, ref, note, reason_code)
    try:
        rows = uow.all(sql.MOVE, params)
    except psycopg.DatabaseError as exc:
        raise _refusal(exc, ordered, params["request"]) from None
    uow.events.extend(events)
    return _result(params, rows)


def _statement(store_id: str, reason: str, ordered: Sequence[tuple[str, Decimal]], key: str, ref: str | None,
               note: str, reason_code: str | None) -> tuple[dict[str, Any], list[Event]]:
    """The parameters of ``sql.MOVE`` and the events it writes."""
    move_id = str(uuid.uuid4())
    ts = datetime.now(timezone.utc).isoformat()
    events = new_events(topics.STOCK_MOVED, [
        (f"{store_id}:{s}", {"store_id": store_id, "sku_id": s, "qty_delta": str(q), "reason": reason,
                             "ref_id": ref, "move_id": move_id, "ts": ts}, store_id)
        for s, q in ordered])
    after = {"reason": reason, "ref": ref, "reason_code": reason_code, "note": note,
             "lines": [{"sku_id": s, "qty_delta": str(q)} for s, q in ordered]}
    return {"store": store_id, "skus": [s for s, _ in ordered], "deltas": [q for _, q in ordered],
            "sale": reason == "sale", "reason": reason, "code": reason_code, "note": note, "move": move_id,
            "key": key, "request": _digest(store_id, reason, ordered, ref, reason_code, note), "ref": ref,
            "actor": context.current().actor,
            **audit_params("inventory.move", "stock_move", move_id, store_id=store_id, after=after),
            **outbox_params(events)}, events


def _refusal(exc: psycopg.DatabaseError, ordered: Sequence[tuple[str, Decimal]], digest: str) -> Exception:
    """The Problem (or KeyTaken) for what ``sql.MOVE`` refused; any other database error as is."""
    if exc.diag.sqlstate != "UC422":
        return exc
    # quantities as Decimal, never float
    code = exc.diag.message_primary
    detail = json.loads(exc.diag.message_detail or "null", parse_float=Decimal, parse_int=Decimal)
    if code == "system.store.not_found":
        return not_visible_store()
    if code == "inventory.sku.unknown":
        return _unknown_skus(ordered, detail)
    if code == "inventory.quantity.fractional":
        return _fractional(ordered, detail)
    if code == "inventory.move.key_taken":
        return KeyTaken(digest)
    if code == "inventory.insufficient_stock":
        deltas = dict(ordered)
        refused = sorted(detail)
        return Problem(
            422, code, "库存不足：本店不允许负库存，整笔出入库未记账", ", ".join(refused),
            [FieldError(f"sku:{s}", code, f"现有 {qty_out(detail[s][0], detail[s][1])}，"
                                          f"本次 {qty_out(deltas[s], detail[s][1])}") for s in refused])
    return exc


class KeyTaken(Exception):
    """The idempotency key belongs to an earlier move: roll this attempt back and replay."""

    def __init__(self, digest: str) -> None:
        super().__init__(digest)
        self.digest = digest


def check_skus(uow: UnitOfWork, store_id: str, ordered: Sequence[tuple[str, Decimal]]) -> dict[str, bool]:
    """The checks a move makes in its statement, for the flows that write other rows (reservations,
    thresholds): the store is visible, every SKU may be stocked there, counted units are whole.
    Returns whether each SKU is weighed."""
    refs = uow.all(sql.MOVE_REFS, {"store": store_id, "skus": [s for s, _ in ordered]})
    if not refs:
        raise not_visible_store()
    skus = [s for s, _ in ordered]
    weighed = {r["sku_id"]: bool(r["is_weighed"]) for r in refs if r["sku_id"] is not None}
    unknown = [s for s in skus if s not in weighed]
    if unknown:
        raise _unknown_skus(ordered, unknown)
    fractional = [s for s, q in ordered if not weighed[s] and q != q.to_integral_value()]
    if fractional:
        raise _fractional(ordered, fractional)
    return weighed


def _unknown_skus(ordered: Sequence[tuple[str, Decimal]], unknown: list[str]) -> Problem:
    skus = [s for s, _ in ordered]
    return Problem(422, "inventory.sku.unknown", "商品不存在，或不属于该门店", ", ".join(unknown),
                   [FieldError(f"lines[{skus.index(s)}].sku_id", "inventory.sku.unknown", "商品不存在")
                    for s in unknown])


def _fractional(ordered: Sequence[tuple[str, Decimal]], fractional: list[str]) -> Problem:
    skus = [s for s, _ in ordered]
    return bad_request("inventory.quantity.fractional", "非称重商品的数量必须是整数", ", ".join(fractional),
                       [FieldError(f"lines[{skus.index(s)}].quantity", "inventory.quantity.fractional", "须为整数")
                        for s in fractional])


def set_policy(db: Database, who: Principal, store_id: str, negative_stock: str) -> dict[str, Any]:
    """The store's negative-stock policy: 'refuse' (default) or 'allow'."""
    if negative_stock not in ("refuse", "allow"):
        raise bad_request("inventory.policy.invalid", "负库存策略只能是 refuse 或 allow")
    if not context.current().scope.covers(store_id):
        raise not_visible_store()
    with db.transaction() as uow:
        if uow.one("select 1 from store where id = %s", (store_id,)) is None:
            raise not_visible_store()
        uow.execute(sql.SET_POLICY, (store_id, negative_stock))
        uow.audit("inventory.policy", "store", store_id, store_id=store_id, after={"negative_stock": negative_stock})
    return {"store_id": store_id, "negative_stock": negative_stock}
