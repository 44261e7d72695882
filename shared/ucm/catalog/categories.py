"""Categories (a tree of any depth) and brands: HQ master data, readable by every catalog user."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from psycopg.errors import UniqueViolation

from ucm import pagination, topics
from ucm.catalog import sql
from ucm.catalog.rules import RuleError, clean, parse_code
from ucm.catalog.skus import forget_cached
from ucm.db import Database, UnitOfWork
from ucm.errors import FieldError, Problem, bad_request, conflict, not_found
from ucm.identity.grants import hq_only, stale
from ucm.identity.principal import Principal
from ucm.ports import Cache

MAX_DEPTH = 6


def _code_and_name(code: str | None, name: str) -> tuple[str | None, str]:
    errors = []
    parsed = None
    if code is not None:
        try:
            parsed = parse_code(code)
        except RuleError as exc:
            errors.append(FieldError("code", exc.code, "编码只能含字母、数字、- _ .，最长 32 位"))
    text = clean(name)
    if not text or len(text) > 40:
        errors.append(FieldError("name", "catalog.name", "名称必填，不超过 40 字"))
    if errors:
        raise bad_request("catalog.invalid", "填写有误，请检查标红的项", errors=errors)
    return parsed, text


# --- categories ---------------------------------------------------------------------------------


def _category_out(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "code": row["code"], "name": row["name"], "parent_id": row["parent_id"],
            "path": row["path_names"], "depth": row["depth"], "sort": row["sort"],
            "sku_count": row["sku_count"], "child_count": row["child_count"], "version": row["version"]}


def list_categories(db: Database) -> list[dict[str, Any]]:
    with db.transaction() as uow:
        rows = uow.all(sql.LIST_CATEGORIES)
    return [_category_out(r) for r in rows]


def _category(db_rows: list[dict[str, Any]], category_id: str) -> dict[str, Any]:
    for r in db_rows:
        if r["id"] == category_id:
            return _category_out(r)
    raise not_found("catalog.category.not_found", "找不到该类目")


def create_category(db: Database, who: Principal, code: str, name: str, parent_id: str | None,
                    sort: int = 0) -> dict[str, Any]:
    hq_only(who)
    code_, name_ = _code_and_name(code, name)
    with db.transaction() as uow:
        if parent_id is not None:
            parent = uow.one(sql.GET_CATEGORY, (parent_id,))
            if parent is None:
                raise Problem(422, "catalog.category.unknown", "上级类目不存在")
            if parent["depth"] >= MAX_DEPTH:
                raise Problem(422, "catalog.category.too_deep", f"类目最多 {MAX_DEPTH} 级")
        row = uow.one(sql.INSERT_CATEGORY, {"code": code_, "name": name_, "parent": parent_id, "sort": sort})
        if row is None:
            raise conflict("catalog.category.duplicate", "类目编码已存在，或同一上级下已有同名类目")
        out = _category(uow.all(sql.LIST_CATEGORIES), row["id"])
        uow.audit("catalog.category.create", "category", row["id"], after=out)
        return out


def update_category(db: Database, cache: Cache | None, who: Principal, category_id: str, name: str,
                    parent_id: str | None, sort: int, version: int) -> dict[str, Any]:
    """Rename, reorder and move: a move carries the whole subtree with it."""
    hq_only(who)
    _, name_ = _code_and_name(None, name)
    with db.transaction() as uow:
        before = uow.one(sql.GET_CATEGORY, (category_id,))
        if before is None:
            raise not_found("catalog.category.not_found", "找不到该类目")
        if uow.one(sql.UPDATE_CATEGORY, {"id": category_id, "name": name_, "sort": sort, "version": version}) is None:
            raise stale()
        if parent_id != before["parent_id"]:
            _move(uow, before, parent_id)
        after = _category(uow.all(sql.LIST_CATEGORIES), category_id)
        uow.audit("catalog.category.update", "category", category_id, before=before, after=after)
        touched: list[str] = []
        if name_ != before["name"] or parent_id != before["parent_id"]:  # the SKUs' category path shows it
            touched = _touch(uow, uow.all(sql.SKUS_UNDER_CATEGORY, (_path_of(uow, category_id),)), "category")
    forget_cached(cache, touched)
    return after


def _path_of(uow: UnitOfWork, category_id: str) -> str:
    row = uow.one(sql.GET_CATEGORY, (category_id,))
    assert row is not None
    return str(row["path"])


def _touch(uow: UnitOfWork, skus: list[dict[str, Any]], field: str) -> list[str]:
    """SKUs whose shown category or brand changed: the search index and the caches refresh
    from these events (the caller also drops its cache entries at once)."""
    ts = datetime.now(timezone.utc).isoformat()
    uow.emit_many(topics.SKU_UPDATED, [(r["id"], {"sku_id": r["id"], "changed_fields": [field], "ts": ts},
                                        r["store_id"]) for r in skus])
    return [r["id"] for r in skus]


def _move(uow: UnitOfWork, cat: dict[str, Any], parent_id: str | None) -> None:
    new_prefix = "/"
    depth = 1
    if parent_id is not None:
        parent = uow.one(sql.GET_CATEGORY, (parent_id,))
        if parent is None:
            raise Problem(422, "catalog.category.unknown", "目标上级类目不存在")
        if parent["path"].startswith(cat["path"]):
            raise Problem(422, "catalog.category.cycle", "不能把类目移到它自己或它的下级类目下面")
        new_prefix = parent["path"]
        depth = parent["depth"] + 1
    deepest = max((r["depth"] for r in uow.all(sql.LIST_CATEGORIES) if r["path"].startswith(cat["path"])),
                  default=cat["depth"])
    if deepest - cat["depth"] + depth > MAX_DEPTH:
        raise Problem(422, "catalog.category.too_deep", f"移动后类目会超过 {MAX_DEPTH} 级")
    try:
        uow.execute(sql.MOVE_CATEGORY, {"id": cat["id"], "parent": parent_id, "old_prefix": cat["path"],
                                        "new_prefix": new_prefix + cat["id"] + "/",
                                        "depth_delta": depth - cat["depth"]})
    except UniqueViolation:  # a sibling with the same name under the new parent
        raise conflict("catalog.category.duplicate", "目标上级下已有同名类目") from None


def delete_category(db: Database, who: Principal, category_id: str) -> None:
    hq_only(who)
    with db.transaction() as uow:
        used = uow.one(sql.CATEGORY_IN_USE, {"id": category_id})
        if used and (used["children"] or used["skus"]):
            raise Problem(422, "catalog.category.in_use", "类目下还有子类目或商品，不能删除")
        row = uow.one(sql.DELETE_CATEGORY, (category_id,))
        if row is None:
            raise not_found("catalog.category.not_found", "找不到该类目")
        uow.audit("catalog.category.delete", "category", category_id, before=row)


# --- brands -------------------------------------------------------------------------------------


def list_brands(db: Database, q: str | None, limit: int | None, cursor: str | None) -> dict[str, Any]:
    n = pagination.check_limit(limit)
    after = pagination.decode(cursor, 1)
    with db.transaction() as uow:
        rows = uow.all(sql.LIST_BRANDS, {"q": f"%{q.strip()}%" if q and q.strip() else None,
                                         "after": after[0] if after else None, "limit": n + 1})
    return pagination.page(rows, n, ["code"])


def create_brand(db: Database, who: Principal, code: str, name: str) -> dict[str, Any]:
    hq_only(who)
    code_, name_ = _code_and_name(code, name)
    with db.transaction() as uow:
        row = uow.one(sql.INSERT_BRAND, (code_, name_))
        if row is None:
            raise conflict("catalog.brand.duplicate", "品牌编码或名称已存在")
        row["sku_count"] = 0
        uow.audit("catalog.brand.create", "brand", row["id"], after=row)
        return row


def update_brand(db: Database, cache: Cache | None, who: Principal, brand_id: str, name: str,
                 version: int) -> dict[str, Any]:
    hq_only(who)
    _, name_ = _code_and_name(None, name)
    with db.transaction() as uow:
        before = uow.one(sql.GET_BRAND, (brand_id,))
        if before is None:
            raise not_found("catalog.brand.not_found", "找不到该品牌")
        try:
            row = uow.one(sql.UPDATE_BRAND, (name_, brand_id, version))
        except UniqueViolation:
            raise conflict("catalog.brand.duplicate", "已有同名品牌") from None
        if row is None:
            raise stale()
        uow.audit("catalog.brand.update", "brand", brand_id, before=before, after=row)
        touched = _touch(uow, uow.all(sql.SKUS_OF_BRAND, (brand_id,)), "brand") if row["name"] != before["name"] else []
    forget_cached(cache, touched)
    return row


def delete_brand(db: Database, who: Principal, brand_id: str) -> None:
    hq_only(who)
    with db.transaction() as uow:
        used = uow.one(sql.BRAND_IN_USE, (brand_id,))
        if used and used["used"]:
            raise Problem(422, "catalog.brand.in_use", "还有商品使用这个品牌，不能删除")
        row = uow.one(sql.DELETE_BRAND, (brand_id,))
        if row is None:
            raise not_found("catalog.brand.not_found", "找不到该品牌")
        uow.audit("catalog.brand.delete", "brand", brand_id, before=row)
