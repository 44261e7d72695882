"""Prices as timelines: standard, member (per tier) and temporary markdowns, HQ-wide or per
store, and the one function that answers "what does SKU X cost at store S at time T for tier M,
and which rule gave it".

The rule (docs/catalog-api.md): the store's row before the HQ-wide one for each kind; the
customer pays the lowest of standard, member (when a tier is given) and a running markdown.
Rows are never rewritten: a change is a new row, a scheduled change can be cancelled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg.errors import ExclusionViolation, ForeignKeyViolation, UniqueViolation

from ucm import context, topics
from ucm.catalog import sku_not_found, sql
from ucm.catalog.rules import RuleError, check_member_price, parse_money
from ucm.db import Database, UnitOfWork
from ucm.errors import FieldError, Problem, bad_request, conflict, not_found
from ucm.identity.grants import hq_only
from ucm.identity.principal import Principal
from ucm.ports import Cache
from ucm.times import json_value, utcnow

KINDS = ("standard", "member", "temporary")
PRICE_CACHE_TTL_S = 600.0
RULE_ORDER = {"temporary": 0, "member": 1, "standard": 2}  # on equal amounts, name the most specific


@dataclass(frozen=True)
class PriceInput:
    store_id: str | None
    kind: str
    amount: str
    tier: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    note: str = ""


# --- the effective price ------------------------------------------------------------------------


def cheapest(candidates: list[dict[str, Any]]) -> dict[str, Any]:
    """What the customer pays: the lowest amount; on a tie, the most specific rule."""
    return min(candidates, key=lambda c: (c["amount"], RULE_ORDER[c["rule"]]))


def _effective(row: dict[str, Any], store_id: str | None, at: datetime, tier: str | None) -> dict[str, Any] | None:
    if row["standard_id"] is None:
        return None
    candidates = [{"rule": "standard", "amount": row["standard_amount"], "price_id": row["standard_id"],
                   "store_id": row["standard_store"]}]
    if row["member_id"] is not None:
        candidates.append({"rule": "member", "amount": row["member_amount"], "price_id": row["member_id"],
                           "store_id": row["member_store"], "tier": row["member_tier"]})
    if row["temporary_id"] is not None:
        candidates.append({"rule": "temporary", "amount": row["temporary_amount"], "price_id": row["temporary_id"],
                           "store_id": row["temporary_store"], "ends_at": row["temporary_ends_at"]})
    best = cheapest(candidates)
    return {"sku_id": row["sku_id"], "store_id": store_id, "at": at, "tier": tier, "amount": best["amount"],
            "rule": best["rule"], "price_id": best["price_id"], "standard_amount": row["standard_amount"],
            "candidates": candidates}


def effective_many(uow: UnitOfWork, sku_ids: list[str], store_id: str | None, at: datetime | None = None,
                   tier: str | None = None) -> dict[str, dict[str, Any]]:
    """The effective price of each SKU that has one (set-based: one statement for a list page)."""
    when = at or utcnow()
    rows = uow.all(sql.EFFECTIVE_PRICES, {"ids": sku_ids, "store": store_id, "at": when, "tier": tier})
    out = {}
    for r in rows:
        e = _effective(r, store_id, when, tier)
        if e is not None:
            out[r["sku_id"]] = e
    return out


def price_at(db: Database, cache: Cache | None, sku_id: str, store_id: str | None, at: datetime | None = None,
             tier: str | None = None) -> dict[str, Any]:
    """The price now or later comes from the SKU's cached price sheet (dropped on every price
    change); a moment in the past is answered by the database."""
    require_store(store_id)
    now = utcnow()
    when = at or now
    if when >= now:
        sheet = _price_sheet(db, cache, sku_id, now)
        if not context.current().scope.covers(sheet["sku_store_id"]):
            raise sku_not_found()
        found = resolve(sheet["rows"], sku_id, store_id, when, tier)
    else:
        with db.transaction() as uow:  # one round trip
            rows = uow.all(sql.EFFECTIVE_PRICES, {"ids": [sku_id], "store": store_id, "at": when, "tier": tier})
        if not rows:
            raise sku_not_found()
        found = _effective(rows[0], store_id, when, tier)
    if found is None:
        raise not_found("catalog.price.none", "该商品在此门店还没有标准价")
    return found


# --- the cached price sheet ----------------------------------------------------------------------


def price_cache_key(sku_id: str) -> str:
    return f"prices:{sku_id}"


def _price_sheet(db: Database, cache: Cache | None, sku_id: str, now: datetime) -> dict[str, Any]:
    """All stores' rows that can be in force from now on. Loaded with the platform's scope so
    that one cached sheet serves every caller; ``price_at`` checks the caller's scope."""
    if cache is not None:
        raw = cache.get(price_cache_key(sku_id))
        if raw is not None:
            sheet: dict[str, Any] = json.loads(raw)
            for r in sheet["rows"]:
                r["amount"] = Decimal(r["amount"])
                r["starts_at"] = datetime.fromisoformat(r["starts_at"])
                r["ends_at"] = datetime.fromisoformat(r["ends_at"]) if r["ends_at"] else None
            return sheet
    with db.transaction(context.system("catalog.prices", context.current().trace_id)) as uow:
        rows = uow.all(sql.PRICE_SHEET, {"sku": sku_id, "now": now})
    if not rows:
        raise sku_not_found()
    sheet = {"sku_store_id": rows[0]["sku_store_id"],
             "rows": [{k: r[k] for k in ("id", "store_id", "kind", "tier", "amount", "starts_at", "ends_at")}
                      for r in rows if r["id"] is not None]}
    if cache is not None:
        cache.set(price_cache_key(sku_id), json.dumps(sheet, default=json_value).encode(), PRICE_CACHE_TTL_S)
    return sheet


def resolve(rows: list[dict[str, Any]], sku_id: str, store_id: str | None, at: datetime,
            tier: str | None) -> dict[str, Any] | None:
    """The rule of the module docstring over price rows (the same rule EFFECTIVE_PRICES applies
    in SQL; a test holds the two together)."""

    def pick(kind: str, ok: Any) -> dict[str, Any] | None:
        found = [r for r in rows if r["kind"] == kind and r["starts_at"] <= at
                 and (r["store_id"] is None or r["store_id"] == store_id) and ok(r)]
        # The store's rows before HQ's, an exact tier before "all members", then the newest.
        return min(found, key=lambda r: (r["store_id"] is None, r["tier"] is None, -r["starts_at"].timestamp()),
                   default=None)

    st = pick("standard", lambda r: True)
    mb = pick("member", lambda r: r["tier"] is None or r["tier"] == tier) if tier is not None else None
    tp = pick("temporary", lambda r: r["ends_at"] > at)
    return _effective({
        "sku_id": sku_id,
        "standard_id": st and st["id"], "standard_amount": st and st["amount"], "standard_store": st and st["store_id"],
        "member_id": mb and mb["id"], "member_amount": mb and mb["amount"], "member_store": mb and mb["store_id"],
        "member_tier": mb and mb["tier"],
        "temporary_id": tp and tp["id"], "temporary_amount": tp and tp["amount"],
        "temporary_store": tp and tp["store_id"], "temporary_ends_at": tp and tp["ends_at"],
    }, store_id, at, tier)


# --- timeline -----------------------------------------------------------------------------------


def _state(row: dict[str, Any], current_ids: set[str], now: datetime) -> str:
    if row["status"] == "cancelled":
        return "cancelled"
    if row["starts_at"] > now:
        return "scheduled"
    if row["kind"] == "temporary":
        return "current" if row["ends_at"] > now else "past"
    return "current" if row["id"] in current_ids else "past"


def timeline(db: Database, sku_id: str, store_id: str | None) -> list[dict[str, Any]]:
    """Every price row of the SKU for HQ and the store, in time order, each with its state."""
    now = utcnow()
    require_store(store_id)
    with db.transaction() as uow:
        _visible_sku(uow, sku_id)
        rows = uow.all(sql.PRICE_TIMELINE, {"sku": sku_id, "store": store_id})
    # The row in force for each (store, kind, tier): the latest active one that has started.
    latest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        if r["status"] == "active" and r["kind"] != "temporary" and r["starts_at"] <= now:
            latest[(r["store_id"], r["kind"], r["tier"])] = r
    current = {r["id"] for r in latest.values()}
    return [{**r, "state": _state(r, current, now)} for r in rows]


# --- changes ------------------------------------------------------------------------------------


def require_store(store_id: str | None) -> None:
    """A store named in a query must be one the caller may see: 404 like any hidden object."""
    if not context.current().scope.covers(store_id):
        raise not_found("system.store.not_found", "找不到该门店，或您无权查看")


def _visible_sku(uow: UnitOfWork, sku_id: str) -> dict[str, Any]:
    row = uow.one(sql.SKU_HEAD, (sku_id,))
    if row is None:
        raise sku_not_found()
    return row


def _check_scope(who: Principal, sku: dict[str, Any], store_id: str | None) -> None:
    if store_id is None:
        if not who.all_stores:
            raise Problem(403, "catalog.price.hq_only", "总部价格只能由总部调整，请选择您的门店")
    elif not who.all_stores and store_id not in who.store_ids:
        raise Problem(403, "catalog.price.store_scope", "您只能调整自己门店的价格")
    if sku["store_id"] is not None and store_id != sku["store_id"]:
        raise Problem(422, "catalog.price.local_sku", "这是门店自有商品，只能在它所属的门店定价")


def _check_guard(uow: UnitOfWork, who: Principal, sku: dict[str, Any], p: PriceInput, amount: Decimal,
                 starts_at: datetime) -> None:
    """A caller without global scope stays within HQ's limits around the HQ price in force."""
    if who.all_stores or p.store_id is None or sku["store_id"] is not None:
        return
    base = uow.one(sql.HQ_STANDARD_AT, (sku["id"], starts_at))
    if base is None:
        raise Problem(422, "catalog.price.no_hq_price", "总部尚未给该商品定价，门店暂不能调价")
    guard = uow.one(sql.PRICE_GUARD, (p.store_id,))
    assert guard is not None  # the HQ default row is created by the migration
    low = (base["amount"] * (100 - guard["max_down_pct"]) / 100).quantize(Decimal("0.01"))
    high = (base["amount"] * (100 + guard["max_up_pct"]) / 100).quantize(Decimal("0.01"))
    if not low <= amount <= high:
        raise Problem(422, "catalog.price.guard", "超出总部允许的门店调价范围",
                      f"总部价 ¥{base['amount']}，门店价须在 ¥{low} – ¥{high} 之间")


def _parse(p: PriceInput, now: datetime) -> tuple[Decimal, datetime, datetime | None]:
    errors = []
    amount = Decimal(0)
    if p.kind not in KINDS:
        errors.append(FieldError("kind", "catalog.price.kind", "价格类型须为 标准价、会员价 或 临时价"))
    try:
        amount = parse_money(p.amount)
    except RuleError as exc:
        errors.append(FieldError("amount", exc.code, exc.message))
    starts_at = p.starts_at or now
    if p.kind == "temporary":
        if p.ends_at is None:
            errors.append(FieldError("ends_at", "catalog.price.ends_at", "临时价须填写结束时间"))
        elif p.ends_at <= starts_at:
            errors.append(FieldError("ends_at", "catalog.price.ends_at", "结束时间须晚于开始时间"))
        elif p.ends_at <= now:
            errors.append(FieldError("ends_at", "catalog.price.ends_at", "结束时间已经过去"))
    elif p.ends_at is not None:
        errors.append(FieldError("ends_at", "catalog.price.ends_at",
                                 "只有临时价有结束时间；标准价和会员价持续到下一次调价"))
    if p.tier is not None and p.kind != "member":
        errors.append(FieldError("tier", "catalog.price.tier", "只有会员价区分会员等级"))
    if p.starts_at is not None and p.starts_at < now.replace(microsecond=0) and p.kind != "temporary":
        errors.append(FieldError("starts_at", "catalog.price.backdated", "生效时间不能早于现在"))
    if len(p.note) > 200:
        errors.append(FieldError("note", "catalog.price.note", "备注不超过 200 字"))
    if errors:
        raise bad_request("catalog.price.invalid", "价格填写有误，请检查标红的项", errors=errors)
    return amount, starts_at, p.ends_at


def insert_price(uow: UnitOfWork, who: Principal, sku: dict[str, Any], p: PriceInput) -> dict[str, Any]:
    """Check and write one price row (no event: callers emit one ``sku.updated`` per change)."""
    now = utcnow()
    amount, starts_at, ends_at = _parse(p, now)
    _check_scope(who, sku, p.store_id)
    if p.kind == "member":
        standard = uow.one(sql.STANDARD_AT, {"sku": sku["id"], "store": p.store_id, "at": starts_at})
        try:
            check_member_price(standard["amount"] if standard else None, amount)
        except RuleError as exc:
            raise Problem(422, exc.code, "会员价不能高于标准价", exc.message) from None
    _check_guard(uow, who, sku, p, amount, starts_at)
    try:
        with uow.conn.transaction():  # savepoint: a refused row leaves the transaction usable
            row = uow.one(sql.INSERT_PRICE, {"sku": sku["id"], "store": p.store_id, "kind": p.kind, "tier": p.tier,
                                             "amount": amount, "starts_at": starts_at, "ends_at": ends_at,
                                             "note": p.note.strip(), "actor": context.current().actor})
    except ExclusionViolation:
        raise conflict("catalog.price.overlap", "与已有的临时价时间重叠，请先取消或调整原临时价") from None
    except UniqueViolation:
        raise conflict("catalog.price.same_start", "同一时刻已有一条同类调价，请换一个生效时间") from None
    except ForeignKeyViolation:  # the tier (the SKU and store were checked above)
        raise bad_request("catalog.price.invalid", "价格填写有误，请检查标红的项",
                          errors=[FieldError("tier", "catalog.price.tier", "没有这个会员等级")]) from None
    assert row is not None
    return row


def add_price(db: Database, cache: Cache | None, who: Principal, sku_id: str, p: PriceInput) -> dict[str, Any]:
    with db.transaction() as uow:
        sku = _visible_sku(uow, sku_id)
        row = insert_price(uow, who, sku, p)
        # Audited on the SKU, so its history shows its price changes beside its master data.
        uow.audit("catalog.price.create", "sku", sku_id, after=row, store_id=p.store_id)
        uow.emit(topics.SKU_UPDATED, sku_id, {"sku_id": sku_id, "changed_fields": ["prices"],
                                               "ts": utcnow().isoformat()}, store_id=p.store_id)
    _forget(cache, sku_id)
    now = utcnow()
    return {**row, "state": "scheduled" if row["starts_at"] > now else "current"}


def _forget(cache: Cache | None, sku_id: str) -> None:
    # At once for this caller; the sku.updated consumer does it for every instance.
    if cache is not None:
        cache.delete(price_cache_key(sku_id))


def cancel_price(db: Database, cache: Cache | None, who: Principal, price_id: str) -> dict[str, Any]:
    """Cancel a change that has not started; end a running markdown now."""
    now = utcnow()
    with db.transaction() as uow:
        row = uow.one(sql.GET_PRICE, (price_id,))
        if row is None:
            raise not_found("catalog.price.not_found", "找不到该价格，或您无权查看")
        sku = _visible_sku(uow, row["sku_id"])
        _check_scope(who, sku, row["store_id"])
        if row["status"] == "cancelled":
            raise Problem(422, "catalog.price.cancelled", "这条价格已经取消")
        if row["starts_at"] > now:
            after = uow.one(sql.CANCEL_PRICE, (context.current().actor, price_id))
            state = "cancelled"
        elif row["kind"] == "temporary" and row["ends_at"] > now:
            after = uow.one(sql.END_PRICE_NOW, (price_id,))
            state = "past"
        else:
            raise Problem(422, "catalog.price.started", "这条价格已经生效，不能取消；如需改价请新增一次调价")
        assert after is not None
        uow.audit("catalog.price.cancel", "sku", row["sku_id"], before=row, after=after, store_id=row["store_id"])
        uow.emit(topics.SKU_UPDATED, row["sku_id"], {"sku_id": row["sku_id"], "changed_fields": ["prices"],
                                                      "ts": now.isoformat()}, store_id=row["store_id"])
    _forget(cache, row["sku_id"])
    return {**after, "state": state}


# --- guards and tiers ---------------------------------------------------------------------------


def list_guards(db: Database) -> list[dict[str, Any]]:
    with db.transaction() as uow:
        return uow.all(sql.LIST_PRICE_GUARDS)


def set_guard(db: Database, who: Principal, store_id: str | None, max_down_pct: Decimal,
              max_up_pct: Decimal) -> dict[str, Any]:
    hq_only(who)
    errors = []
    if not Decimal(0) <= max_down_pct <= Decimal(100):
        errors.append(FieldError("max_down_pct", "catalog.guard.range", "最大降价幅度须在 0–100% 之间"))
    if not Decimal(0) <= max_up_pct <= Decimal(1000):
        errors.append(FieldError("max_up_pct", "catalog.guard.range", "最大涨价幅度须在 0–1000% 之间"))
    if errors:
        raise bad_request("catalog.guard.invalid", "调价范围填写有误", errors=errors)
    with db.transaction() as uow:
        try:
            with uow.conn.transaction():
                row = uow.one(sql.UPSERT_PRICE_GUARD, (store_id, max_down_pct, max_up_pct, context.current().actor))
        except ForeignKeyViolation:
            raise Problem(422, "catalog.guard.store", "门店不存在") from None
        assert row is not None
        uow.audit("catalog.price_guard.set", "price_guard", row["id"], after=row, store_id=store_id)
        return row


def member_tiers(db: Database) -> list[dict[str, Any]]:
    with db.transaction() as uow:
        return uow.all(sql.MEMBER_TIERS)
