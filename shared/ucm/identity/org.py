"""Regions and stores. The store table is under RLS: reads see only the caller's stores."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ucm import pagination
from ucm.db import Database
from ucm.errors import FieldError, Problem, bad_request, conflict, not_found
from ucm.identity import sql
from ucm.identity.grants import hq_only, stale
from ucm.identity.principal import Principal

STORE_STATUSES = ("active", "preparing", "closed")
_HOURS = re.compile(r"\d{2}:\d{2}-\d{2}:\d{2}(,\d{2}:\d{2}-\d{2}:\d{2})*")


# --- regions and stores ----------------------------------------------------------------------

def list_regions(db: Database) -> dict[str, Any]:
    with db.transaction() as uow:
        return {"items": uow.all(sql.LIST_REGIONS), "next_cursor": None}


def create_region(db: Database, who: Principal, code: str, name: str) -> dict[str, Any]:
    hq_only(who)
    with db.transaction() as uow:
        row = uow.one(sql.INSERT_REGION, (code.strip().upper(), name.strip()))
        if row is None:
            raise conflict("system.region.duplicate", "区域编码已存在", code)
        uow.audit("system.region.create", "region", row["id"], after=row)
        return row


def update_region(db: Database, who: Principal, region_id: str, name: str, version: int) -> dict[str, Any]:
    hq_only(who)
    with db.transaction() as uow:
        row = uow.one(sql.UPDATE_REGION, (name.strip(), region_id, version))
        if row is None:
            raise stale() if uow.one(sql.REGION_VERSION, (region_id,)) else not_found("system.region.not_found")
        uow.audit("system.region.update", "region", region_id, after=row)
        return row


def delete_region(db: Database, who: Principal, region_id: str) -> None:
    """Only an empty region goes; stores are closed (status), never deleted: their history stays."""
    hq_only(who)
    with db.transaction() as uow:
        used = uow.one(sql.REGION_IN_USE, {"id": region_id})
        if used and used["used"]:
            raise Problem(422, "system.region.in_use", "区域下还有门店或授权，不能删除")
        row = uow.one(sql.DELETE_REGION, (region_id,))
        if row is None:
            raise not_found("system.region.not_found", "找不到该区域")
        uow.audit("system.region.delete", "region", region_id, before=row)


@dataclass(frozen=True)
class StoreInput:
    code: str
    name: str
    region_id: str | None
    address: str
    business_hours: str
    status: str
    timezone: str


def _check_store(s: StoreInput) -> None:
    errors = []
    if s.status not in STORE_STATUSES:
        errors.append(FieldError("status", "invalid", "取值须为 active、preparing 或 closed"))
    if not s.name.strip():
        errors.append(FieldError("name", "missing", "必填项"))
    if not _HOURS.fullmatch(s.business_hours):
        errors.append(FieldError("business_hours", "invalid", "格式如 07:00-23:00"))
    try:
        ZoneInfo(s.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(FieldError("timezone", "invalid", "不认识的时区，例如 Asia/Shanghai"))
    if errors:
        raise bad_request("system.store.invalid", "门店信息有误", errors=errors)


def list_stores(db: Database, region_id: str | None, status: str | None, q: str | None, limit: int | None,
                cursor: str | None) -> dict[str, Any]:
    n = pagination.check_limit(limit)
    after = pagination.decode(cursor, 1)
    with db.transaction() as uow:
        rows = uow.all(sql.LIST_STORES, {"region": region_id, "status": status, "q": f"%{q}%" if q else None,
                                         "after": after[0] if after else None, "limit": n + 1})
    return pagination.page(rows, n, ["code"])


def get_store(db: Database, store_id: str) -> dict[str, Any]:
    with db.transaction() as uow:
        row = uow.one(sql.GET_STORE, (store_id,))
    if row is None:
        raise not_found("system.store.not_found", "找不到该门店，或您无权查看")
    return row


def create_store(db: Database, who: Principal, s: StoreInput) -> dict[str, Any]:
    hq_only(who)
    _check_store(s)
    with db.transaction() as uow:
        row = uow.one(sql.INSERT_STORE, (s.code.strip().upper(), s.name.strip(), s.region_id, s.address,
                                         s.business_hours, s.status, s.timezone))
        if row is None:
            raise conflict("system.store.duplicate", "门店编码已存在", s.code)
        store = uow.one(sql.GET_STORE, (row["id"],))
        uow.audit("system.store.create", "store", row["id"], after=store, store_id=row["id"])
        assert store is not None
        return store


def update_store(db: Database, who: Principal, store_id: str, s: StoreInput, version: int) -> dict[str, Any]:
    _check_store(s)
    with db.transaction() as uow:
        before = uow.one(sql.GET_STORE, (store_id,))
        if before is None:
            raise not_found("system.store.not_found", "找不到该门店，或您无权查看")
        if s.region_id != before["region_id"]:
            hq_only(who)  # moving a store between regions changes who sees it
        row = uow.one(sql.UPDATE_STORE, (s.name.strip(), s.region_id, s.address, s.business_hours, s.status,
                                         s.timezone, store_id, version))
        if row is None:
            raise stale()
        after = uow.one(sql.GET_STORE, (store_id,))
        uow.audit("system.store.update", "store", store_id, before=before, after=after, store_id=store_id)
        assert after is not None
        return after
