"""Stock moves: the one write of the inventory core (``POST /inventory/move``).

A move is a reason, a store and lines (SKU, quantity). It is applied in one transaction: the
move row (claiming its idempotency key), an audit row, one ``stock.moved`` event per line, and
one statement that updates the balances and appends the ledger rows under the negative-stock
rule (``sql.APPLY``). Balance and ledger therefore never disagree, and a refused line rolls the
whole move back. After commit the lines' cached ATS are dropped.
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

from ucm import context, topics
from ucm.db import Database, UnitOfWork
from ucm.errors import FieldError, Problem, bad_request, not_found
from ucm.identity.principal import Principal
from ucm.inventory import sql
from ucm.inventory.stock import invalidate_ats, qty_out
from ucm.ports import Cache

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


def _result(move: dict[str, Any], lines: list[dict[str, Any]], weighed: dict[str, bool]) -> dict[str, Any]:
    return {
        "move_id": move["id"], "store_id": move["store_id"], "reason": move["reason"], "ref": move["ref"],
        "idempotency_key": move["idempotency_key"], "created_at": move["created_at"],
        "lines": [{"sku_id": r["sku_id"], "ledger_id": str(r["id"]),
                   "qty_delta": qty_out(r["qty_delta"], weighed[r["sku_id"]]),
                   "on_hand_after": qty_out(r["on_hand_after"], weighed[r["sku_id"]])} for r in lines],
    }


def _replay(uow: UnitOfWork, store_id: str, key: str, digest: str) -> dict[str, Any]:
    move = uow.one(sql.MOVE_BY_KEY, (store_id, key))
    assert move is not None  # the conflicting row committed before our insert returned
    if move["request"] != digest:
        raise Problem(422, "common.idempotency_reused", "这个 Idempotency-Key 已用于另一笔出入库，请换一个")
    rows = uow.all(sql.MOVE_LINES, (move["id"],))
    return _result(move, rows, {r["sku_id"]: r["is_weighed"] for r in rows})


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
    try:
        with db.transaction() as uow:
            result = post_move(uow, store_id, reason, ordered, key, ref=ref, note=note, reason_code=reason_code)
    except KeyTaken as taken:
        with db.transaction() as uow:  # the first attempt's result (the one above rolled back)
            return _replay(uow, store_id, key, taken.digest)
    invalidate_ats(cache, store_id, [s for s, _ in ordered])
    return result


def post_move(uow: UnitOfWork, store_id: str, reason: str, ordered: Sequence[tuple[str, Decimal]], key: str, *,
              ref: str | None = None, note: str = "", reason_code: str | None = None) -> dict[str, Any]:
    """Post a move inside the caller's transaction: the move row claiming ``key``, its audit row,
    one ``stock.moved`` per line, and the balance+ledger statement. ``ordered``: (sku_id, signed
    quantity) sorted by sku_id, quantities already parsed (``parse_qty``). Transfers and
    stocktakes post their ledger entries through here, atomically with their own rows.

    Raises a Problem (unknown SKU, fractional quantity of a counted unit, insufficient stock:
    the caller's transaction must roll back), or ``KeyTaken`` when the key was used before. The
    caller drops the cached ATS after its commit (``stock.invalidate_ats``)."""
    skus = [s for s, _ in ordered]
    digest = _digest(store_id, reason, ordered, ref, reason_code, note)
    actor = context.current().actor
    ts = datetime.now(timezone.utc).isoformat()
    move_id = str(uuid.uuid4())
    # One round trip for the whole move: checks, claim, audit, events and the balance+ledger
    # statement travel in one pipeline; the checks are judged afterwards and anything wrong
    # rolls it all back.
    conn = uow.conn
    with conn.pipeline():
        refs_cur = conn.execute(sql.MOVE_REFS, {"store": store_id, "skus": skus})
        claim_cur = conn.execute(sql.CLAIM_MOVE, {"move": move_id, "store": store_id, "key": key,
                                                  "request": digest, "reason": reason, "ref": ref,
                                                  "actor": actor})
        uow.audit("inventory.move", "stock_move", move_id, store_id=store_id,
                  after={"reason": reason, "ref": ref, "reason_code": reason_code, "note": note,
                         "lines": [{"sku_id": s, "qty_delta": str(q)} for s, q in ordered]})
        uow.emit_many(topics.STOCK_MOVED, [
            (f"{store_id}:{s}", {"store_id": store_id, "sku_id": s, "qty_delta": str(q), "reason": reason,
                                 "ref_id": ref, "move_id": move_id, "ts": ts}, store_id)
            for s, q in ordered])
        apply_cur = conn.execute(sql.APPLY, {"store": store_id, "skus": skus,
                                             "deltas": [q for _, q in ordered], "sale": reason == "sale",
                                             "reason": reason, "code": reason_code, "note": note,
                                             "move": move_id, "actor": actor})
    refs, claimed, applied = refs_cur.fetchall(), claim_cur.fetchone(), apply_cur.fetchall()
    weighed = _check_refs(refs, ordered)
    if claimed is None:
        raise KeyTaken(digest)
    if len(applied) < len(ordered):
        done = {r["sku_id"] for r in applied}
        refused = [s for s in skus if s not in done]
        raise _insufficient(uow, store_id, refused, dict(ordered), weighed)
    move = {"id": move_id, "store_id": store_id, "reason": reason, "ref": ref, "idempotency_key": key,
            "created_at": claimed["created_at"]}
    return _result(move, applied, weighed)


class KeyTaken(Exception):
    """The idempotency key belongs to an earlier move: roll this attempt back and replay."""

    def __init__(self, digest: str) -> None:
        super().__init__(digest)
        self.digest = digest


def _check_refs(refs: list[dict[str, Any]], ordered: Sequence[tuple[str, Decimal]]) -> dict[str, bool]:
    if not refs:
        raise not_visible_store()
    skus = [s for s, _ in ordered]
    weighed = {r["sku_id"]: bool(r["is_weighed"]) for r in refs if r["sku_id"] is not None}
    unknown = [s for s in skus if s not in weighed]
    if unknown:
        raise Problem(422, "inventory.sku.unknown", "商品不存在，或不属于该门店", ", ".join(unknown),
                      [FieldError(f"lines[{skus.index(s)}].sku_id", "inventory.sku.unknown", "商品不存在")
                       for s in unknown])
    fractional = [s for s, q in ordered if not weighed[s] and q != q.to_integral_value()]
    if fractional:
        raise bad_request("inventory.quantity.fractional", "非称重商品的数量必须是整数", ", ".join(fractional),
                          [FieldError(f"lines[{skus.index(s)}].quantity", "inventory.quantity.fractional",
                                      "须为整数") for s in fractional])
    return weighed


def _insufficient(uow: UnitOfWork, store_id: str, refused: list[str], deltas: dict[str, Decimal],
                  weighed: dict[str, bool]) -> Problem:
    on_hand = {r["sku_id"]: r["on_hand"] for r in uow.all(sql.ON_HAND, {"store": store_id, "skus": refused})}
    return Problem(
        422, "inventory.insufficient_stock", "库存不足：本店不允许负库存，整笔出入库未记账",
        ", ".join(refused),
        [FieldError(f"sku:{s}", "inventory.insufficient_stock",
                    f"现有 {qty_out(on_hand.get(s, Decimal(0)), weighed[s])}，"
                    f"本次 {qty_out(deltas[s], weighed[s])}") for s in refused])


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
