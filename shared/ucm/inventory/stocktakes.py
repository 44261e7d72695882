"""Stocktakes (盘点) while the store keeps trading (不停业盘点).

Create → a snapshot of on hand for every SKU in scope (the whole store or category subtrees)
and the ledger cut it saw. Counting → each count records on hand at that moment (expected) beside
the counted quantity, so the moves since the snapshot are netted out: variance = counted −
expected. Submit → review: every variance gets a reason; selected lines may go back for a
recount. Approve → the variances are posted as ``stocktake_gain`` / ``stocktake_loss`` through
``moves.post_move`` in the transaction that marks the stocktake approved; above HQ's threshold
(variance value at the standard price) a second person with ``inventory.stocktake.approve``
must approve. On hand afterwards = on hand at approval + variance = counted + the moves since
the count.

Expected is the balance as the count's statement sees it, not "snapshot + ledger rows after the
cut": ledger ids are taken when a move starts, not when it commits, so a move with an id below
the cut may become visible only later; the balance read is exact whatever the commit order. The
cuts (the store's last ledger id at the snapshot and at each count) are kept for tracing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import psycopg

from ucm import context, idempotency, pagination, topics
from ucm.catalog import prices, scans
from ucm.db import Database, UnitOfWork
from ucm.errors import FieldError, Problem, bad_request, conflict, not_found
from ucm.identity.principal import Principal
from ucm.inventory import moves
from ucm.inventory import stocktake_sql as sql
from ucm.inventory.stock import invalidate_ats, qty_out
from ucm.ports import Cache
from ucm.text import contains_pattern
from ucm.times import SHANGHAI, utcnow

STATUSES = ("counting", "review", "approved", "cancelled")
OPEN = ("counting", "review")
REASONS = {"damage": "损坏", "theft": "丢失/被盗", "expired": "过期", "counting_error": "盘点误差",
           "receiving_error": "收货差错", "other": "其他"}
MODES = ("set", "add")
MAX_COUNTS = moves.MAX_LINES
MAX_CATEGORIES = 50
MAX_LISTED = 100  # SKUs named in one error (uncounted, reason missing)
CENT = Decimal("0.01")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Count:
    """One count as entered: a SKU id or a scanned code, and a quantity (scans: how many times)."""

    sku_id: str | None = None
    barcode: str | None = None
    quantity: Any = None


@dataclass(frozen=True)
class Reason:
    sku_id: str
    reason: str
    note: str = ""


# --- problems ------------------------------------------------------------------------------------

def _not_found() -> Problem:
    return not_found("inventory.stocktake.not_found", "找不到该盘点单，或您无权查看")


def _state(head: Mapping[str, Any], allowed: Sequence[str]) -> Problem:
    names = {"counting": "盘点中", "review": "待审核", "approved": "已审核", "cancelled": "已取消"}
    return conflict("inventory.stocktake.state", f"盘点单当前为「{names[head['status']]}」，不能执行此操作",
                    f"须为：{'、'.join(names[s] for s in allowed)}")


def _stale() -> Problem:
    return conflict("common.version_conflict", "盘点单已被他人更新，请刷新后重试")


def _listed(skus: Sequence[Mapping[str, Any]], code: str, message: str) -> list[FieldError]:
    return [FieldError(f"sku:{r['sku_id']}", code, f"{r.get('sku_code', '')} {r.get('sku_name', '')} {message}".strip())
            for r in skus[:MAX_LISTED]]


# --- HQ setting ------------------------------------------------------------------------------------

def _setting_out(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"approval_threshold": str(row["approval_threshold"]), "updated_by": row["updated_by"],
            "updated_at": row["updated_at"], "version": row["version"]}


def get_settings(db: Database) -> dict[str, Any]:
    with db.transaction() as uow:
        row = uow.one(sql.GET_SETTING)
    assert row is not None  # the migration inserts the one row
    return _setting_out(row)


def set_settings(db: Database, who: Principal, threshold: str, version: int) -> dict[str, Any]:
    if not who.all_stores:
        raise Problem(403, "system.hq_only", "只有总部（全局范围）可以修改盘点审批金额")
    try:
        amount = Decimal(str(threshold).strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(CENT) or amount >= Decimal("1e12"):
        raise bad_request("inventory.stocktake.threshold_invalid", "审批金额须为不小于 0 的金额，最多两位小数",
                          errors=[FieldError("approval_threshold", "inventory.stocktake.threshold_invalid",
                                             "例如 500.00")])
    with db.transaction() as uow:
        before = uow.one(sql.GET_SETTING)
        row = uow.one(sql.SET_SETTING, {"threshold": amount, "actor": who.actor, "version": version})
        if row is None:
            raise _stale()
        uow.audit("inventory.stocktake.settings", "stocktake_setting", "approval_threshold",
                  before=before and {"approval_threshold": str(before["approval_threshold"])},
                  after={"approval_threshold": str(amount)})
    return _setting_out(row)


# --- reading ---------------------------------------------------------------------------------------

def _head(uow: UnitOfWork, stocktake_id: str, lock: str | None = None) -> dict[str, Any]:
    query = {"update": sql.GET_FOR_UPDATE, "share": sql.GET_FOR_SHARE}.get(lock or "", sql.GET)
    row = uow.one(query, (stocktake_id,))
    if row is None:  # unknown, or another store's (RLS)
        raise _not_found()
    return row


def _check(head: Mapping[str, Any], allowed: Sequence[str], version: int | None = None) -> None:
    if head["status"] not in allowed:
        raise _state(head, allowed)
    if version is not None and version != head["version"]:
        raise _stale()


def _paths(uow: UnitOfWork, category_ids: Sequence[str]) -> list[str]:
    if not category_ids:
        return []
    return [r["path"] for r in uow.all(sql.CATEGORY_PATHS, {"ids": list(category_ids)})]


@dataclass(frozen=True)
class Value:
    gain: Decimal
    loss: Decimal
    unpriced: list[str]  # SKUs with a variance but no standard price at the store (valued at 0)

    @property
    def total(self) -> Decimal:
        return self.gain + self.loss


def _value(uow: UnitOfWork, head: Mapping[str, Any], variances: list[dict[str, Any]]) -> Value:
    """Σ |variance| × the standard price in force at the store now (the store's own standard
    price, else HQ's), split into gains and losses."""
    skus = [r["sku_id"] for r in variances]
    price = {s: e["standard_amount"] for s, e in prices.effective_many(uow, skus, head["store_id"]).items()} \
        if skus else {}
    gain = sum((r["variance"] * price[r["sku_id"]] for r in variances
                if r["variance"] > 0 and r["sku_id"] in price), ZERO)
    loss = sum((-r["variance"] * price[r["sku_id"]] for r in variances
                if r["variance"] < 0 and r["sku_id"] in price), ZERO)
    return Value(gain.quantize(CENT, ROUND_HALF_UP), loss.quantize(CENT, ROUND_HALF_UP),
                 [s for s in skus if s not in price])


def _threshold(uow: UnitOfWork) -> Decimal:
    row = uow.one(sql.GET_SETTING)
    assert row is not None
    return Decimal(row["approval_threshold"])


def _totals(uow: UnitOfWork, ids: list[str]) -> dict[str, dict[str, Any]]:
    return {r["stocktake_id"]: r for r in uow.all(sql.TOTALS, {"ids": ids})} if ids else {}


def _base(head: Mapping[str, Any], totals: Mapping[str, Any] | None) -> dict[str, Any]:
    out = dict(head)
    out["snapshot_ledger_id"] = str(head["snapshot_ledger_id"])
    for k in ("variance_value", "approval_threshold"):
        out[k] = None if head[k] is None else str(head[k])
    t = totals or {}
    lines, counted = int(t.get("lines", 0)), int(t.get("counted", 0))
    out["totals"] = {"lines": lines, "counted": counted, "uncounted": lines - counted,
                     "variance_lines": int(t.get("variance_lines", 0)),
                     "reasons_missing": int(t.get("reasons_missing", 0)),
                     # Mixed units (pieces and kg): decimal strings.
                     "gain_qty": str(Decimal(t.get("gain_qty", 0)).quantize(Decimal("0.001"))),
                     "loss_qty": str(Decimal(t.get("loss_qty", 0)).quantize(Decimal("0.001")))}
    return out


def _approval_refusal(who: Principal, head: Mapping[str, Any], needs_second: bool) -> Problem | None:
    """Why ``who`` may not approve (None: may). Above the threshold: someone holding
    ``inventory.stocktake.approve`` who neither created nor submitted the stocktake."""
    if not who.can("inventory.stocktake"):
        return Problem(403, "auth.forbidden", "您没有执行此操作的权限", "需要权限 inventory.stocktake")
    if not needs_second:
        return None
    if not who.can("inventory.stocktake.approve"):
        return Problem(403, "inventory.stocktake.approver_required",
                       "盘点差异金额超过总部设定的审批金额，须由有审批权限的人审核")
    if who.actor in (head["created_by"], head["submitted_by"]):
        return Problem(403, "inventory.stocktake.self_approval",
                       "盘点差异金额超过审批金额，须由创建人和提交人以外的另一人审核")
    return None


def _present(uow: UnitOfWork, who: Principal, head: Mapping[str, Any]) -> dict[str, Any]:
    """The header with totals, the variance value and what the caller may do next."""
    totals = _totals(uow, [head["id"]]).get(head["id"])
    out = _base(head, totals)
    value = _value(uow, head, uow.all(sql.VARIANCES, (head["id"],)))
    threshold = Decimal(head["approval_threshold"]) if head["status"] == "approved" else _threshold(uow)
    needs_second = value.total > threshold
    out["totals"].update({"gain_value": str(value.gain), "loss_value": str(value.loss),
                          "variance_value": str(value.total), "unpriced_lines": len(value.unpriced)})
    out["approval_threshold"] = str(threshold)
    out["needs_second_approver"] = needs_second
    may = who.can("inventory.stocktake")
    status = head["status"]
    out["can_count"] = out["can_submit"] = may and status == "counting"
    out["can_set_reasons"] = out["can_recount"] = may and status == "review"
    out["can_cancel"] = may and status in OPEN
    out["can_approve"] = (status == "review" and out["totals"]["reasons_missing"] == 0
                          and _approval_refusal(who, head, needs_second) is None)
    return out


def get(db: Database, who: Principal, stocktake_id: str) -> dict[str, Any]:
    with db.transaction() as uow:
        return _present(uow, who, _head(uow, stocktake_id))


def list_stocktakes(db: Database, store_id: str | None, status: str | None, limit: int | None,
                    cursor: str | None) -> dict[str, Any]:
    if store_id is not None and not context.current().scope.covers(store_id):
        raise moves.not_visible_store()
    if status is not None and status not in STATUSES:
        raise bad_request("inventory.stocktake.status_invalid", "状态只能是 counting、review、approved 或 cancelled")
    n = pagination.check_limit(limit)
    after_at, after_id = pagination.decode_newest(cursor)
    with db.transaction() as uow:
        rows = uow.all(sql.LIST, {"store": store_id, "status": status, "after_at": after_at,
                                  "after_id": after_id, "limit": n + 1})
        page = pagination.page(rows, n, ("created_at", "id"))
        totals = _totals(uow, [r["id"] for r in page["items"]])
    page["items"] = [_base(r, totals.get(r["id"])) for r in page["items"]]
    return page


def _qty(v: Decimal | None, weighed: bool) -> str | int | None:
    return None if v is None else qty_out(v, weighed)


def lines(db: Database, stocktake_id: str, only: str | None, q: str | None, limit: int | None,
          cursor: str | None) -> dict[str, Any]:
    if only is not None and only not in ("variance", "uncounted"):
        raise bad_request("inventory.stocktake.only_invalid", "only 只能是 variance 或 uncounted")
    n = pagination.check_limit(limit)
    after = pagination.decode(cursor, 1)
    term = (q or "").strip()
    pattern = contains_pattern(term) if term else None
    with db.transaction() as uow:
        _head(uow, stocktake_id)
        rows = uow.all(sql.LINES, {"id": stocktake_id, "only": only, "q": pattern,
                                   "after": after[0] if after else None, "limit": n + 1})
    page = pagination.page(rows, n, ("sku_code",))
    items = []
    for r in page["items"]:
        w = bool(r["is_weighed"])
        items.append({**r, "count_ledger_id": None if r["count_ledger_id"] is None else str(r["count_ledger_id"]),
                      **{k: _qty(r[k], w) for k in ("snapshot_qty", "counted_qty", "expected_qty",
                                                     "moves_after_snapshot", "variance")}})
    page["items"] = items
    return page


# --- create ----------------------------------------------------------------------------------------

def _code() -> str:
    return f"PD{utcnow().astimezone(SHANGHAI):%Y%m%d}-{uuid.uuid4().hex[:6].upper()}"


def create(db: Database, who: Principal, store_id: str, category_ids: Sequence[str], note: str = "",
           idempotency_key: str | None = None) -> dict[str, Any]:
    """A stocktake of the whole store (no categories) or of category subtrees, with its snapshot.
    With an ``Idempotency-Key``, a repeat returns the first result (not 409 open_exists)."""
    if not store_id or not context.current().scope.covers(store_id):
        raise moves.not_visible_store()
    cats = sorted(set(category_ids))
    if len(cats) > MAX_CATEGORIES:
        raise bad_request("inventory.stocktake.categories_too_many", f"一次最多选择 {MAX_CATEGORIES} 个类目")
    stocktake_id = str(uuid.uuid4())
    try:
        with db.transaction() as uow:
            done = idempotency.recall(uow, idempotency_key, "inventory.stocktake.create",
                                      {"store_id": store_id, "category_ids": cats, "note": note})
            if done is not None:
                return dict(done)
            paths = _paths(uow, cats)
            if len(paths) < len(cats):
                known = {r["id"] for r in uow.all(sql.CATEGORY_PATHS, {"ids": cats})}
                raise Problem(422, "inventory.stocktake.category_unknown", "所选类目不存在", None,
                              [FieldError("category_ids", "inventory.stocktake.category_unknown", f"类目 {c} 不存在")
                               for c in cats if c not in known])
            made = uow.one(sql.CREATE, {"id": stocktake_id, "code": _code(), "store": store_id, "cats": cats,
                                        "note": note, "actor": who.actor, "paths": paths})
            if made is None:
                raise moves.not_visible_store()
            head = _head(uow, stocktake_id)
            uow.audit("inventory.stocktake.create", "stocktake", stocktake_id, store_id=store_id,
                      after={"code": head["code"], "category_ids": cats, "lines": made["lines"],
                             "snapshot_ledger_id": made["snapshot_ledger_id"], "note": note})
            _emit(uow, head, "created")
            out = _present(uow, who, head)
            idempotency.remember(uow, idempotency_key, out)
            return out
    except psycopg.errors.UniqueViolation as exc:
        if exc.diag.constraint_name != "stocktake_one_open":
            raise
        raise conflict("inventory.stocktake.open_exists",
                       "该门店已有进行中的盘点单，请先完成或取消它再新建") from None


def _emit(uow: UnitOfWork, head: Mapping[str, Any], action: str, status: str | None = None) -> None:
    uow.emit(topics.STOCK_STOCKTAKE, head["id"], {
        "stocktake_id": head["id"], "code": head["code"], "status": status or head["status"],
        "store_id": head["store_id"], "action": action, "ts": utcnow().isoformat()}, head["store_id"])


# --- counting --------------------------------------------------------------------------------------

def _is_zero(raw: Any) -> bool:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
        return False
    try:
        return Decimal(str(raw).strip()) == 0
    except InvalidOperation:
        return False


def count_qty(raw: Any, field: str, *, allow_zero: bool) -> Decimal:
    """A counted quantity: a number ≥ 0 with at most three decimals (0 is a count: the shelf is
    empty); ``allow_zero`` is false for scans that add."""
    if allow_zero and _is_zero(raw):
        return ZERO
    q = moves.parse_qty(raw, field)
    if q < 0:
        raise bad_request("inventory.quantity.sign", "盘点数量不能为负数",
                          errors=[FieldError(field, "inventory.quantity.sign", "须为 0 或正数")])
    return q


@dataclass(frozen=True)
class Scan:
    sku_id: str
    per: Decimal  # base units per scan: 1, a pack's quantity, or a scale label's weight


def resolve_codes(uow: UnitOfWork, raws: Sequence[str]) -> dict[str, Scan | Problem]:
    """Scanned codes → SKU and quantity per scan, by the catalog's barcode rules
    (``catalog.scans``). A price label carries no weight, so it cannot count anything."""
    out: dict[str, Scan | Problem] = {}
    for raw, hit in scans.resolve(uow, raws).items():
        if scans.is_price_label(raw):
            out[raw] = bad_request("inventory.stocktake.price_label", f"条码 {raw} 是计价标签，不含重量，不能用于盘点")
        elif isinstance(hit, Problem):
            out[raw] = hit
        else:
            assert hit.per is not None  # only price labels come without a quantity
            out[raw] = Scan(hit.sku_id, hit.per)
    return out


def check_countable(uow: UnitOfWork, head: Mapping[str, Any],
                    totals: Mapping[str, Decimal]) -> dict[str, Problem]:
    """Per SKU, why it cannot be counted in this stocktake: unknown at the store, outside the
    stocktake's categories, or a fractional quantity of a counted unit."""
    refs = {r["sku_id"]: r for r in uow.all(sql.COUNTABLE, {"skus": list(totals), "store": head["store_id"],
                                                             "paths": _paths(uow, head["category_ids"])})}
    out: dict[str, Problem] = {}
    for sku, q in totals.items():
        ref = refs.get(sku)
        if ref is None:
            out[sku] = Problem(422, "inventory.sku.unknown", "商品不存在，或不属于该门店", sku)
        elif not ref["in_scope"]:
            out[sku] = Problem(422, "inventory.stocktake.sku_out_of_scope", "该商品不在本次盘点的类目范围内", sku)
        elif not ref["is_weighed"] and q != q.to_integral_value():
            out[sku] = bad_request("inventory.quantity.fractional", "非称重商品的数量必须是整数", sku)
    return out


def apply_counts(uow: UnitOfWork, head: Mapping[str, Any], totals: Mapping[str, Decimal], *, add: bool,
                 source: str) -> list[dict[str, Any]]:
    """Write counts (SKU → quantity) into a stocktake that is counting, its header held with
    ``GET_FOR_SHARE``: lines for SKUs found on the shelf are added, each count records on hand
    now as expected. Audited and announced; the rows counted are returned."""
    refused = check_countable(uow, head, totals)
    if refused:
        first = next(iter(refused.values()))
        raise Problem(first.status, first.code, first.title, ", ".join(sorted(refused)),
                      [FieldError(f"sku:{s}", p.code, p.title) for s, p in sorted(refused.items())])
    return _write_counts(uow, head, totals, add=add, source=source)


def _write_counts(uow: UnitOfWork, head: Mapping[str, Any], totals: Mapping[str, Decimal], *, add: bool,
                  source: str) -> list[dict[str, Any]]:
    skus = sorted(totals)  # lines locked in one order: concurrent counters never deadlock
    actor = context.current().actor
    uow.execute(sql.ADD_FOUND, {"id": head["id"], "store": head["store_id"], "skus": skus,
                                "cut": head["snapshot_ledger_id"]})
    rows = uow.all(sql.COUNT, {"id": head["id"], "store": head["store_id"], "skus": skus,
                               "qtys": [totals[s] for s in skus], "add": add, "actor": actor})
    rows.sort(key=lambda r: r["sku_id"])
    uow.audit("inventory.stocktake.count", "stocktake", head["id"], store_id=head["store_id"],
              after={"mode": "add" if add else "set", "source": source,
                     "lines": [{"sku_id": r["sku_id"], "counted_qty": str(r["counted_qty"]),
                                "expected_qty": str(r["expected_qty"]), "variance": str(r["variance"])}
                               for r in rows]})
    _emit(uow, head, "counted")
    return rows


def count(db: Database, who: Principal, stocktake_id: str, counts: Sequence[Count], mode: str) -> dict[str, Any]:
    """``PUT /inventory/stocktakes/{id}/counts``: ``set`` replaces a line's count, ``add`` adds
    to it (a scan adds 1, or ``quantity`` scans). A code scanned resolves through the catalog."""
    if mode not in MODES:
        raise bad_request("inventory.stocktake.mode_invalid", "mode 只能是 set（覆盖）或 add（累加）")
    if not counts:
        raise bad_request("inventory.stocktake.counts_empty", "请至少录入一个商品的数量")
    if len(counts) > MAX_COUNTS:
        raise bad_request("inventory.lines.too_many", f"一次最多 {MAX_COUNTS} 行")
    add = mode == "add"
    with db.transaction() as uow:
        head = _head(uow, stocktake_id, lock="share")
        _check(head, ("counting",))
        scans = resolve_codes(uow, [c.barcode for c in counts if c.barcode])
        totals: dict[str, Decimal] = {}
        for i, c in enumerate(counts):
            field = f"counts[{i}]"
            if (c.sku_id is None) == (c.barcode is None):
                raise bad_request("inventory.stocktake.count_target", "每行请填写商品或条码（二选一）",
                                  errors=[FieldError(field, "inventory.stocktake.count_target", "商品或条码二选一")])
            raw = c.quantity if c.quantity is not None else (1 if add else None)
            if raw is None:
                raise bad_request("inventory.quantity.missing", "请填写盘点数量",
                                  errors=[FieldError(f"{field}.quantity", "inventory.quantity.missing", "必填")])
            q = count_qty(raw, f"{field}.quantity", allow_zero=not add)
            if c.barcode is not None:
                scan = scans[c.barcode]
                if isinstance(scan, Problem):
                    scan.errors = [FieldError(f"{field}.barcode", scan.code, scan.title)]
                    raise scan
                sku, q = scan.sku_id, q * scan.per
            else:
                sku = str(c.sku_id)
            if sku in totals and not add:
                raise bad_request("inventory.lines.duplicate", "同一商品只能录入一次，请合并数量",
                                  errors=[FieldError(field, "inventory.lines.duplicate", "商品重复")])
            totals[sku] = totals.get(sku, ZERO) + q
        rows = apply_counts(uow, head, totals, add=add, source="manual")
    return {"stocktake_id": stocktake_id, "status": head["status"], "mode": mode, "lines": [
        {"sku_id": r["sku_id"], **{k: _qty(r[k], bool(r["is_weighed"]))
                                   for k in ("snapshot_qty", "counted_qty", "expected_qty", "variance")}}
        for r in rows]}


# --- review ----------------------------------------------------------------------------------------

def submit(db: Database, who: Principal, stocktake_id: str, version: int, uncounted_as_zero: bool) -> dict[str, Any]:
    """Counting → review. Uncounted lines are refused unless the caller confirms they are 0."""
    with db.transaction() as uow:
        head = _head(uow, stocktake_id, lock="update")
        _check(head, ("counting",), version)
        missing = uow.all(sql.UNCOUNTED, (stocktake_id,))
        if missing and not uncounted_as_zero:
            raise Problem(422, "inventory.stocktake.uncounted",
                          f"还有 {len(missing)} 个商品未盘点：请盘点，或确认按 0 计（uncounted_as_zero）",
                          ", ".join(r["sku_code"] for r in missing[:MAX_LISTED]),
                          _listed(missing, "inventory.stocktake.uncounted", "未盘点"))
        if missing:
            _write_counts(uow, head, {r["sku_id"]: ZERO for r in missing}, add=False, source="uncounted_as_zero")
        return _transition(uow, who, head, "review", "submitted", {"uncounted_as_zero": len(missing)})


def _transition(uow: UnitOfWork, who: Principal, head: Mapping[str, Any], to: str, action: str,
                detail: Mapping[str, Any], value: Decimal | None = None,
                threshold: Decimal | None = None) -> dict[str, Any]:
    uow.execute(sql.MOVE_STATUS, {"id": head["id"], "to": to, "actor": who.actor, "value": value,
                                  "threshold": threshold})
    uow.audit(f"inventory.stocktake.{action}", "stocktake", head["id"], store_id=head["store_id"],
              before={"status": head["status"], "version": head["version"]}, after={"status": to, **detail})
    _emit(uow, head, action, to)
    return _present(uow, who, _head(uow, head["id"]))


def set_reasons(db: Database, who: Principal, stocktake_id: str, reasons: Sequence[Reason],
                version: int | None) -> dict[str, Any]:
    """Reasons (and notes) of variance lines, during review."""
    if not reasons:
        raise bad_request("inventory.stocktake.reasons_empty", "请至少填写一行差异原因")
    bad = [FieldError(f"lines[{i}].reason", "inventory.stocktake.reason_invalid",
                      f"可选：{'、'.join(f'{k}（{v}）' for k, v in REASONS.items())}")
           for i, r in enumerate(reasons) if r.reason not in REASONS]
    if bad:
        raise bad_request("inventory.stocktake.reason_invalid", "差异原因不在可选范围内", errors=bad)
    skus = [r.sku_id for r in reasons]
    if len(set(skus)) < len(skus):
        raise bad_request("inventory.lines.duplicate", "同一商品只能填写一次原因")
    with db.transaction() as uow:
        head = _head(uow, stocktake_id, lock="update")
        _check(head, ("review",), version)
        done = {r["sku_id"] for r in uow.all(sql.SET_REASONS, {
            "id": stocktake_id, "skus": skus, "reasons": [r.reason for r in reasons],
            "notes": [r.note for r in reasons]})}
        _unknown_lines([s for s in skus if s not in done])
        uow.execute(sql.BUMP, (stocktake_id,))
        uow.audit("inventory.stocktake.reasons", "stocktake", stocktake_id, store_id=head["store_id"],
                  after={"lines": [{"sku_id": r.sku_id, "reason": r.reason, "note": r.note} for r in reasons]})
        _emit(uow, head, "reasons")
        return _present(uow, who, _head(uow, stocktake_id))


def _unknown_lines(skus: Sequence[str]) -> None:
    if skus:
        raise Problem(422, "inventory.stocktake.line_unknown", "这些商品不在本盘点单中", ", ".join(skus),
                      [FieldError(f"sku:{s}", "inventory.stocktake.line_unknown", "不在本盘点单中") for s in skus])


def recount(db: Database, who: Principal, stocktake_id: str, sku_ids: Sequence[str],
            version: int | None) -> dict[str, Any]:
    """Review → counting with the chosen lines uncounted again (their reasons dropped)."""
    if not sku_ids:
        raise bad_request("inventory.stocktake.recount_empty", "请选择要复盘的商品")
    skus = sorted(set(sku_ids))
    with db.transaction() as uow:
        head = _head(uow, stocktake_id, lock="update")
        _check(head, ("review",), version)
        done = {r["sku_id"] for r in uow.all(sql.RECOUNT, {"id": stocktake_id, "skus": skus})}
        _unknown_lines([s for s in skus if s not in done])
        return _transition(uow, who, head, "counting", "recount", {"sku_ids": skus})


def cancel(db: Database, who: Principal, stocktake_id: str, version: int) -> dict[str, Any]:
    with db.transaction() as uow:
        head = _head(uow, stocktake_id, lock="update")
        _check(head, OPEN, version)
        return _transition(uow, who, head, "cancelled", "cancelled", {})


# --- approval --------------------------------------------------------------------------------------

def approve(db: Database, cache: Cache | None, who: Principal, stocktake_id: str, version: int) -> dict[str, Any]:
    """Review → approved, posting the variances (gains and losses: two moves, as their reasons
    differ) in the same transaction. Refused as a whole, nothing written, when the two-person
    rule applies and is not met, a reason is missing, or a loss would take on hand below zero in
    a store that refuses negative stock (sales since the count exceed what was counted: recount)."""
    with db.transaction() as uow:
        head = _head(uow, stocktake_id, lock="update")
        _check(head, ("review",), version)
        variances = uow.all(sql.VARIANCES, (stocktake_id,))
        value = _value(uow, head, variances)
        threshold = _threshold(uow)
        refusal = _approval_refusal(who, head, value.total > threshold)
        if refusal is not None:
            raise refusal
        missing = uow.all(sql.REASONS_MISSING, (stocktake_id,))
        if missing:
            raise Problem(422, "inventory.stocktake.reason_missing", "每个有差异的商品都要填写差异原因后才能审核",
                          ", ".join(r["sku_code"] for r in missing[:MAX_LISTED]),
                          _listed(missing, "inventory.stocktake.reason_missing", "缺少差异原因"))
        gains = [(r["sku_id"], r["variance"]) for r in variances if r["variance"] > 0]
        losses = [(r["sku_id"], r["variance"]) for r in variances if r["variance"] < 0]
        note = f"盘点 {head['code']}"
        try:
            for reason, key, part in (("stocktake_gain", "gain", gains), ("stocktake_loss", "loss", losses)):
                if part:
                    moves.post_move(uow, head["store_id"], reason, part, f"stocktake:{stocktake_id}:{key}",
                                    ref=head["code"], note=note)
        except moves.KeyTaken:
            raise conflict("inventory.stocktake.state", "该盘点单的差异已经入账") from None
        except Problem as p:
            if p.code != "inventory.insufficient_stock":
                raise
            raise Problem(422, "inventory.stocktake.negative_stock",
                          "盘亏入账后库存将为负（盘点后的销售多于盘点数量）：请对这些商品复盘后再审核",
                          p.detail, p.errors) from None
        out = _transition(uow, who, head, "approved", "approved",
                          {"variance_value": str(value.total), "approval_threshold": str(threshold),
                           "gains": len(gains), "losses": len(losses)}, value.total, threshold)
    invalidate_ats(cache, head["store_id"], [s for s, _ in gains + losses])
    return out
