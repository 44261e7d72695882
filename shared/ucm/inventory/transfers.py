"""Transfers between stores (调拨): create → ship → receive (partial receipts) → close.

Both stores' callers see a transfer (RLS admits either store, migration 0009); each acts only on
its side: the source ships or cancels, the destination receives and closes. Ship posts
``transfer_out`` at the source through ``moves.post_move`` and puts the shipped quantities in
transit at the destination; each receipt posts ``transfer_in`` there and takes what arrived out
of transit (never more than was outstanding); close writes the rest off as a recorded
discrepancy (lost in transit: no on-hand change anywhere, the source issued it at shipping).
Every action locks the transfer row first, writes its audit row and a ``stock.transfer`` event
in the same transaction, and drops the changed SKUs' cached ATS after commit. The in-transit
invariant (``transfer_sql.IN_TRANSIT_DRIFT``) runs with the others in ``stock.check_invariants``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ucm import context, pagination, topics
from ucm.db import Database, UnitOfWork
from ucm.errors import FieldError, Problem, bad_request, conflict, not_found, unprocessable
from ucm.identity.principal import Principal
from ucm.inventory import moves
from ucm.inventory import transfer_sql as sql
from ucm.inventory.stock import invalidate_ats, qty_out
from ucm.ports import Cache

REASONS = {"damaged": "破损", "short": "少发", "over": "多发", "wrong_item": "错发", "other": "其他"}
STATUSES = {"created": "待发货", "shipped": "已发货", "partially_received": "部分收货", "received": "已收齐",
            "closed": "已结单", "cancelled": "已取消"}
OPEN_FOR_RECEIPT = ("shipped", "partially_received")
OPEN_FOR_CLOSE = ("shipped", "partially_received", "received")
MAX_NOTE = 200
ZERO = Decimal(0)


@dataclass(frozen=True)
class Line:
    """A line of a request: quantity as received (decimal string or int); reason and note only
    on receipts and closing."""

    sku_id: str
    quantity: Any = None
    discrepancy_reason: str | None = None
    note: str = ""


class _KeyRace(Exception):
    """A concurrent request with the same idempotency key committed first: replay it."""


# --- checks ------------------------------------------------------------------------------------


def _not_found() -> Problem:
    return not_found("inventory.transfer.not_found", "找不到该调拨单，或您无权查看")


def _wrong_side(side: str) -> Problem:
    if side == "from":
        return Problem(403, "inventory.transfer.wrong_side", "只有调出门店可以发货或取消调拨单")
    return Problem(403, "inventory.transfer.wrong_side", "只有调入门店可以收货或结单")


def _state(status: str, action: str) -> Problem:
    return conflict("inventory.transfer.state", f"调拨单当前为“{STATUSES[status]}”，不能{action}，请刷新后查看")


def _digest(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _key(raw: str | None, required: bool) -> str | None:
    key = (raw or "").strip() or None
    if key is None and required:
        raise bad_request("inventory.idempotency_key.missing",
                          "缺少 Idempotency-Key：每次收货都要带唯一编号，防止重复记账")
    if key is not None and len(key) > moves.MAX_KEY:
        raise bad_request("common.idempotency_key", f"Idempotency-Key 不能超过 {moves.MAX_KEY} 个字符")
    return key


def _positive(raw: Any, field: str) -> Decimal:
    q = moves.parse_qty(raw, field)
    if q < 0:
        raise bad_request("inventory.quantity.sign", "请填写正数",
                          errors=[FieldError(field, "inventory.quantity.sign", "数量须为正数")])
    return q


def _whole_if_counted(q: Decimal, weighed: bool, field: str) -> None:
    if not weighed and q != q.to_integral_value():
        raise bad_request("inventory.quantity.fractional", "非称重商品的数量必须是整数",
                          errors=[FieldError(field, "inventory.quantity.fractional", "须为整数")])


def _check_lines(lines: Sequence[Line]) -> None:
    if not lines:
        raise bad_request("inventory.lines.empty", "请至少填写一行商品")
    if len(lines) > moves.MAX_LINES:
        raise bad_request("inventory.lines.too_many", f"一次最多 {moves.MAX_LINES} 行")
    seen: set[str] = set()
    for i, li in enumerate(lines):
        if li.sku_id in seen:
            raise bad_request("inventory.lines.duplicate", "同一商品只能出现一次，请合并数量",
                              errors=[FieldError(f"lines[{i}].sku_id", "inventory.lines.duplicate", "商品重复")])
        seen.add(li.sku_id)


def _reason(reason: str | None, note: str, field: str) -> str | None:
    if reason is None:
        return None
    if reason not in REASONS:
        raise bad_request("inventory.transfer.reason_invalid", "差异原因无效",
                          errors=[FieldError(field, "inventory.transfer.reason_invalid",
                                             "可选：" + "、".join(f"{k}（{v}）" for k, v in REASONS.items()))])
    if reason == "other" and not note.strip():
        raise bad_request("inventory.transfer.note_required", "差异原因为“其他”时请填写说明",
                          errors=[FieldError(field, "inventory.transfer.note_required", "请填写说明")])
    return reason


def _locked(uow: UnitOfWork, transfer_id: str, side: str) -> dict[str, Any]:
    """The transfer, locked for this transaction, when the caller may act on ``side``."""
    row = uow.one(sql.LOCK, (transfer_id,))
    if row is None:
        raise _not_found()
    if not context.current().scope.covers(row[f"{side}_store_id"]):
        raise _wrong_side(side)
    return row


def _check_version(row: dict[str, Any], version: int) -> None:
    if row["version"] != version:
        raise conflict("common.version_conflict", "调拨单已被他人修改，请刷新后重试")


def _lines_of(uow: UnitOfWork, transfer_id: str) -> dict[str, dict[str, Any]]:
    return {r["sku_id"]: r for r in uow.all(sql.LINES_OF, (transfer_id,))}


def _unknown_line(i: int) -> Problem:
    return Problem(422, "inventory.transfer.line_unknown", "该商品不在这张调拨单上",
                   errors=[FieldError(f"lines[{i}].sku_id", "inventory.transfer.line_unknown", "不在调拨单上")])


def _record(uow: UnitOfWork, action: str, t: dict[str, Any], status: str, store_id: str,
            after: dict[str, Any], in_transit: Sequence[str] = ()) -> None:
    """The action's audit row and its ``stock.transfer`` event (store: the acting side).
    ``in_transit``: the SKUs whose in transit at the destination changed, named in the event so
    that its consumer can make their cached ATS stale (no ``stock.moved`` tells it on ship and
    close: in transit is not on hand)."""
    before = {"status": t["status"], "version": t["version"]} if t["status"] else None
    uow.audit(f"inventory.transfer.{action}", "stock_transfer", t["id"], store_id=store_id, before=before,
              after={"status": status, **after})
    uow.emit(topics.STOCK_TRANSFER, t["id"], {"transfer_id": t["id"], "code": t["code"], "status": status,
                                              "action": action, "from_store_id": t["from_store_id"],
                                              "to_store_id": t["to_store_id"],
                                              "in_transit_sku_ids": sorted(in_transit)}, store_id=store_id)


# --- create ------------------------------------------------------------------------------------


def create(db: Database, who: Principal, from_store_id: str, to_store_id: str, lines: Sequence[Line],
           note: str = "", idempotency_key: str | None = None) -> dict[str, Any]:
    """A transfer in status 'created' (nothing moves yet). The caller needs the source in scope;
    the destination only has to exist and be active. A repeated key returns the first transfer."""
    if not from_store_id or not context.current().scope.covers(from_store_id):
        raise moves.not_visible_store()
    if from_store_id == to_store_id:
        raise unprocessable("inventory.transfer.same_store", "调出门店和调入门店不能相同")
    key = _key(idempotency_key, required=False)
    _check_lines(lines)
    qtys = {li.sku_id: _positive(li.quantity, f"lines[{i}].quantity") for i, li in enumerate(lines)}
    ordered = sorted(qtys.items())
    digest = _digest({"from": from_store_id, "to": to_store_id, "note": note,
                      "lines": [[s, str(q)] for s, q in ordered]})
    try:
        with db.transaction() as uow:
            if key is not None:
                done = uow.one(sql.BY_KEY, (from_store_id, key))
                if done is not None:
                    return _replay(uow, who, done, digest)
            stores = uow.one(sql.STORES, {"from": from_store_id, "to": to_store_id})
            assert stores is not None
            if stores["from_store"] is None:
                raise moves.not_visible_store()
            if not stores["to_ok"]:
                raise Problem(422, "inventory.transfer.to_store_unknown", "调入门店不存在或未在营业",
                              errors=[FieldError("to_store_id", "inventory.transfer.to_store_unknown",
                                                 "门店不存在或未在营业")])
            _check_skus(uow, lines, qtys)
            code = uow.one(sql.NEXT_CODE)
            assert code is not None
            transfer_id = str(uuid.uuid4())
            params = {"id": transfer_id, "code": code["code"], "from": from_store_id, "to": to_store_id,
                      "note": note, "key": key, "request": digest, "actor": context.current().actor}
            if uow.one(sql.INSERT, params) is None:
                raise _KeyRace()
            uow.execute(sql.INSERT_LINES, {**params, "skus": [s for s, _ in ordered],
                                           "qtys": [q for _, q in ordered]})
            t = {"id": transfer_id, "code": code["code"], "from_store_id": from_store_id,
                 "to_store_id": to_store_id, "status": None, "version": 0}
            _record(uow, "create", t, "created", from_store_id,
                    {"note": note, "lines": [{"sku_id": s, "qty": str(q)} for s, q in ordered]})
            return _detail(uow, who, transfer_id)
    except _KeyRace:
        with db.transaction() as uow:
            done = uow.one(sql.BY_KEY, (from_store_id, key))
            assert done is not None
            return _replay(uow, who, done, digest)


def _replay(uow: UnitOfWork, who: Principal, done: dict[str, Any], digest: str) -> dict[str, Any]:
    if done["request"] != digest:
        raise Problem(422, "common.idempotency_reused", "这个 Idempotency-Key 已用于另一张调拨单，请换一个")
    return _detail(uow, who, done["id"])


def _check_skus(uow: UnitOfWork, lines: Sequence[Line], qtys: dict[str, Decimal]) -> None:
    """SKUs known to the caller, HQ-wide (a store's own SKU does not exist at the other store),
    and whole quantities for counted units."""
    found = {r["id"]: r for r in uow.all(sql.SKUS, {"skus": list(qtys)})}
    unknown = [FieldError(f"lines[{i}].sku_id", "inventory.sku.unknown", "商品不存在")
               for i, li in enumerate(lines) if li.sku_id not in found]
    if unknown:
        raise Problem(422, "inventory.sku.unknown", "商品不存在", errors=unknown)
    local = [FieldError(f"lines[{i}].sku_id", "inventory.transfer.sku_store_local", "门店自有商品")
             for i, li in enumerate(lines) if found[li.sku_id]["store_id"] is not None]
    if local:
        raise Problem(422, "inventory.transfer.sku_store_local",
                      "门店自有商品只属于本店，不能调拨到其他门店；请选择总部商品", errors=local)
    for i, li in enumerate(lines):
        _whole_if_counted(qtys[li.sku_id], bool(found[li.sku_id]["is_weighed"]), f"lines[{i}].quantity")


# --- ship --------------------------------------------------------------------------------------


def ship(db: Database, cache: Cache | None, who: Principal, transfer_id: str, version: int,
         lines: Sequence[Line] | None = None) -> dict[str, Any]:
    """Source side: ship the requested quantities (or less, per line), post ``transfer_out`` at
    the source under its negative-stock rule, and put the shipped quantities in transit at the
    destination, all in one transaction."""
    with db.transaction() as uow:
        t = _locked(uow, transfer_id, "from")
        if t["status"] != "created":
            raise _state(t["status"], "发货")
        _check_version(t, version)
        have = _lines_of(uow, transfer_id)
        shipped = _shipped(have, lines)
        ordered = sorted((s, q) for s, q in shipped.items() if q > 0)
        uow.execute(sql.SET_SHIPPED, {"id": transfer_id, "skus": list(shipped), "qtys": list(shipped.values())})
        out = [(s, -q) for s, q in ordered]
        # Balance rows are locked in store-id order (then SKU order): two transfers shipping in
        # opposite directions at once must not deadlock.
        if t["to_store_id"] < t["from_store_id"]:
            _put_in_transit(uow, t, version, len(ordered))
            _post(uow, t["from_store_id"], "transfer_out", out, f"transfer:{transfer_id}:ship", t)
        else:
            _post(uow, t["from_store_id"], "transfer_out", out, f"transfer:{transfer_id}:ship", t)
            _put_in_transit(uow, t, version, len(ordered))
        _record(uow, "ship", t, "shipped", t["from_store_id"],
                {"lines": [{"sku_id": s, "qty": str(q)} for s, q in ordered]}, [s for s, _ in ordered])
        result = _detail(uow, who, transfer_id)
    skus = [s for s, _ in ordered]
    invalidate_ats(cache, t["from_store_id"], skus)
    invalidate_ats(cache, t["to_store_id"], skus)
    return result


def _shipped(have: dict[str, dict[str, Any]], lines: Sequence[Line] | None) -> dict[str, Decimal]:
    """Quantity shipped per line of the transfer: as requested, or as given (not more; lines not
    given ship nothing)."""
    if lines is None:
        return {s: r["qty_requested"] for s, r in have.items()}
    _check_lines(lines)
    out = {s: ZERO for s in have}
    for i, li in enumerate(lines):
        field = f"lines[{i}].quantity"
        if li.sku_id not in have:
            raise _unknown_line(i)
        q = _positive(li.quantity, field)
        r = have[li.sku_id]
        _whole_if_counted(q, bool(r["is_weighed"]), field)
        if q > r["qty_requested"]:
            w = bool(r["is_weighed"])
            raise Problem(422, "inventory.transfer.over_shipment", "发货数量不能超过申请数量",
                          errors=[FieldError(field, "inventory.transfer.over_shipment",
                                             f"申请 {qty_out(r['qty_requested'], w)}，发货 {qty_out(q, w)}")])
        out[li.sku_id] = q
    return out


def _put_in_transit(uow: UnitOfWork, t: dict[str, Any], version: int, n_lines: int) -> None:
    done = uow.all(sql.SHIP, {"id": t["id"], "version": version, "actor": context.current().actor})
    if len(done) != n_lines:  # the row is locked and was checked: only a bug gets here
        raise conflict("inventory.transfer.state", "调拨单状态已变化，请刷新后重试")


def _post(uow: UnitOfWork, store_id: str, reason: str, ordered: Sequence[tuple[str, Decimal]], key: str,
          t: dict[str, Any], note: str = "") -> str:
    try:
        return str(moves.post_move(uow, store_id, reason, ordered, key, ref=t["code"], note=note)["move_id"])
    except moves.KeyTaken as taken:  # keys are derived from the transfer (and receipt) ids
        raise _state(t["status"], "重复记账") from taken


# --- receive -----------------------------------------------------------------------------------


def receive(db: Database, cache: Cache | None, who: Principal, transfer_id: str, lines: Sequence[Line],
            idempotency_key: str | None) -> dict[str, Any]:
    """Destination side: one receipt (of several, if the goods arrive in parts). Posts
    ``transfer_in`` at the destination and takes what arrived out of transit (at most what was
    outstanding). Receiving more than shipped needs a discrepancy reason on that line."""
    key = _key(idempotency_key, required=True)
    assert key is not None
    _check_lines(lines)
    request = [[li.sku_id, str(li.quantity), li.discrepancy_reason, li.note] for li in lines]
    digest = _digest(request)
    receipt_id = str(uuid.uuid4())
    with db.transaction() as uow:
        t = _locked(uow, transfer_id, "to")
        done = uow.one(sql.RECEIPT_BY_KEY, (transfer_id, key))
        if done is not None:
            if done["request"] != digest:
                raise Problem(422, "common.idempotency_reused", "这个 Idempotency-Key 已用于另一次收货，请换一个")
            return _detail(uow, who, transfer_id)
        if t["status"] not in OPEN_FOR_RECEIPT:
            raise _state(t["status"], "收货")
        have = _lines_of(uow, transfer_id)
        got, less, reasons, recorded = _received(have, lines)
        ordered = sorted(got.items())
        # The transfer row is locked, so a concurrent repeat of this key waits above and then
        # finds this receipt: the claim cannot conflict here.
        uow.execute(sql.CLAIM_RECEIPT, {"receipt": receipt_id, "id": transfer_id, "key": key, "request": digest,
                                        "lines": json.dumps(recorded, ensure_ascii=False),
                                        "actor": context.current().actor})
        move_id = _post(uow, t["to_store_id"], "transfer_in", ordered, f"transfer-receipt:{receipt_id}", t)
        uow.execute(sql.RECEIPT_MOVE, (move_id, receipt_id))
        uow.execute(sql.ADD_RECEIVED, {"id": transfer_id, "skus": [s for s, _ in ordered],
                                       "qtys": [q for _, q in ordered],
                                       "reasons": [reasons[s][0] for s, _ in ordered],
                                       "notes": [reasons[s][1] for s, _ in ordered]})
        uow.execute(sql.LESS_IN_TRANSIT, {"store": t["to_store_id"], "skus": list(less), "qtys": list(less.values())})
        complete = all(r["qty_received"] + got.get(s, ZERO) >= r["qty_shipped"] for s, r in have.items())
        status = "received" if complete else "partially_received"
        uow.execute(sql.SET_STATUS, {"id": transfer_id, "status": status})
        _record(uow, "receive", t, status, t["to_store_id"], {"receipt_id": receipt_id, "lines": recorded}, list(less))
        result = _detail(uow, who, transfer_id)
    invalidate_ats(cache, t["to_store_id"], [s for s, _ in ordered])
    return result


def _received(have: dict[str, dict[str, Any]], lines: Sequence[Line]) -> tuple[
        dict[str, Decimal], dict[str, Decimal], dict[str, tuple[str | None, str]], list[dict[str, Any]]]:
    """(received per SKU, taken out of transit per SKU, (reason, note) per SKU, the receipt's lines
    as recorded), after checking each line against what was shipped."""
    got: dict[str, Decimal] = {}
    less: dict[str, Decimal] = {}
    reasons: dict[str, tuple[str | None, str]] = {}
    recorded: list[dict[str, Any]] = []
    for i, li in enumerate(lines):
        field = f"lines[{i}].quantity"
        if li.sku_id not in have:
            raise _unknown_line(i)
        r = have[li.sku_id]
        w = bool(r["is_weighed"])
        q = _positive(li.quantity, field)
        _whole_if_counted(q, w, field)
        reason = _reason(li.discrepancy_reason, li.note, f"lines[{i}].discrepancy_reason")
        outstanding = max(r["qty_shipped"] - r["qty_received"], ZERO)
        if q > outstanding and reason is None:
            raise Problem(422, "inventory.transfer.over_receipt",
                          "收货数量超过发货数量，请选择差异原因（如多发、错发）",
                          errors=[FieldError(field, "inventory.transfer.over_receipt",
                                             f"待收 {qty_out(outstanding, w)}，本次 {qty_out(q, w)}")])
        got[li.sku_id], less[li.sku_id] = q, min(q, outstanding)
        reasons[li.sku_id] = (reason, li.note)
        recorded.append({"sku_id": li.sku_id, "quantity": qty_out(q, w), "discrepancy_reason": reason,
                         "note": li.note})
    return got, less, reasons, recorded


# --- close and cancel --------------------------------------------------------------------------


def close(db: Database, cache: Cache | None, who: Principal, transfer_id: str, version: int,
          discrepancy_reason: str | None = None, note: str = "", lines: Sequence[Line] = ()) -> dict[str, Any]:
    """Destination side: end the transfer. What was shipped and not received is written off as a
    discrepancy (its reason: per line, or the one given for all) and leaves transit; on hand
    changes nowhere (the source issued it when shipping)."""
    with db.transaction() as uow:
        t = _locked(uow, transfer_id, "to")
        if t["status"] not in OPEN_FOR_CLOSE:
            raise _state(t["status"], "结单")
        _check_version(t, version)
        have = _lines_of(uow, transfer_id)
        given = {li.sku_id: (i, li) for i, li in enumerate(lines)}
        for sku, (i, _) in given.items():
            if sku not in have:
                raise _unknown_line(i)
        default = _reason(discrepancy_reason, note, "discrepancy_reason")
        lost: dict[str, tuple[Decimal, str, str]] = {}
        missing: list[FieldError] = []
        for sku, r in have.items():
            outstanding = r["qty_shipped"] - r["qty_received"]
            if outstanding <= 0:
                continue
            i, li = given.get(sku, (-1, Line(sku)))
            reason = _reason(li.discrepancy_reason, li.note, f"lines[{i}].discrepancy_reason") if i >= 0 else None
            reason, why = (reason, li.note) if reason is not None else (default, note)
            if reason is None:
                missing.append(FieldError(f"sku:{sku}", "inventory.transfer.discrepancy_reason_missing",
                                          f"{r['sku_name']} 未收 {qty_out(outstanding, bool(r['is_weighed']))}"))
                continue
            lost[sku] = (outstanding, reason, why)
        if missing:
            raise Problem(422, "inventory.transfer.discrepancy_reason_missing",
                          "还有未收到的商品：请为每一行选择差异原因后再结单", errors=missing)
        skus = sorted(lost)
        uow.execute(sql.CLOSE_LINES, {"id": transfer_id, "skus": skus, "qtys": [lost[s][0] for s in skus],
                                      "reasons": [lost[s][1] for s in skus], "notes": [lost[s][2] for s in skus]})
        uow.execute(sql.LESS_IN_TRANSIT, {"store": t["to_store_id"], "skus": skus, "qtys": [lost[s][0] for s in skus]})
        uow.execute(sql.CLOSE, {"id": transfer_id, "actor": context.current().actor})
        _record(uow, "close", t, "closed", t["to_store_id"],
                {"lost": [{"sku_id": s, "qty": str(lost[s][0]), "discrepancy_reason": lost[s][1]} for s in skus]},
                skus)
        result = _detail(uow, who, transfer_id)
    invalidate_ats(cache, t["to_store_id"], skus)
    return result


def cancel(db: Database, who: Principal, transfer_id: str, version: int) -> dict[str, Any]:
    """Source side, before shipping: nothing has moved, so nothing to undo."""
    with db.transaction() as uow:
        t = _locked(uow, transfer_id, "from")
        if t["status"] != "created":
            raise _state(t["status"], "取消")
        _check_version(t, version)
        uow.execute(sql.CANCEL, {"id": transfer_id, "actor": context.current().actor})
        _record(uow, "cancel", t, "cancelled", t["from_store_id"], {})
        return _detail(uow, who, transfer_id)


# --- reading -----------------------------------------------------------------------------------


def get(db: Database, who: Principal, transfer_id: str) -> dict[str, Any]:
    with db.transaction() as uow:
        return _detail(uow, who, transfer_id)


def _detail(uow: UnitOfWork, who: Principal, transfer_id: str) -> dict[str, Any]:
    t = uow.one(sql.ONE, (transfer_id,))
    if t is None:
        raise _not_found()
    lines = []
    for r in uow.all(sql.LINES_OF, (transfer_id,)):
        w = bool(r["is_weighed"])
        lines.append({
            "sku_id": r["sku_id"], "sku_code": r["sku_code"], "sku_name": r["sku_name"], "unit": r["unit"],
            "is_weighed": w, "qty_requested": qty_out(r["qty_requested"], w),
            "qty_shipped": qty_out(r["qty_shipped"], w), "qty_received": qty_out(r["qty_received"], w),
            "qty_outstanding": qty_out(max(r["qty_shipped"] - r["qty_received"] - r["qty_lost"], ZERO), w),
            "qty_lost": qty_out(r["qty_lost"], w), "discrepancy_reason": r["discrepancy_reason"],
            "discrepancy_note": r["discrepancy_note"]})
    receipts = [{"id": r["id"], "actor": r["actor"], "created_at": r["created_at"], "lines": r["lines"]}
                for r in uow.all(sql.RECEIPTS_OF, (transfer_id,))]
    return {**t, "lines": lines, "receipts": receipts, **_flags(who, t)}


def _flags(who: Principal, t: dict[str, Any]) -> dict[str, bool]:
    """What the caller may do now (the UI shows those buttons); the actions check it again."""
    scope = context.current().scope
    can = who.can("inventory.transfer")
    source, dest = can and scope.covers(t["from_store_id"]), can and scope.covers(t["to_store_id"])
    return {"can_ship": source and t["status"] == "created", "can_cancel": source and t["status"] == "created",
            "can_receive": dest and t["status"] in OPEN_FOR_RECEIPT,
            "can_close": dest and t["status"] in OPEN_FOR_CLOSE}


def destinations(db: Database, from_store_id: str) -> list[dict[str, Any]]:
    """The stores a transfer from ``from_store_id`` may go to (active ones, other than the source),
    with code and name only: a store manager cannot see other stores otherwise."""
    if not context.current().scope.covers(from_store_id):
        raise moves.not_visible_store()
    with db.transaction() as uow:
        if uow.one("select 1 from store where id = %s", (from_store_id,)) is None:
            raise moves.not_visible_store()
        rows = uow.all(sql.DESTINATIONS)
    return [r for r in rows if r["id"] != from_store_id]


def list_transfers(db: Database, store_id: str | None, direction: str | None, status: str | None,
                   limit: int | None, cursor: str | None) -> dict[str, Any]:
    """Transfers the caller sees (either store in scope), newest first; ``direction`` out/in:
    from/to ``store_id`` (or, without one, from/to the caller's stores)."""
    if store_id is not None and not context.current().scope.covers(store_id):
        raise moves.not_visible_store()
    if direction not in (None, "out", "in"):
        raise bad_request("inventory.transfer.direction", "方向只能是 out（调出）或 in（调入）")
    if status not in (None, *STATUSES):
        raise bad_request("inventory.transfer.status", "状态无效")
    n = pagination.check_limit(limit)
    after_at, after_id = pagination.decode_newest(cursor)
    with db.transaction() as uow:
        rows = uow.all(sql.LIST, {"store": store_id, "dir": direction, "status": status,
                                  "after_at": after_at, "after_id": after_id,
                                  "limit": n + 1})
    return pagination.page(rows, n, ("created_at", "id"))
