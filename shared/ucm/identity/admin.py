"""System administration: users and their role bindings, roles, regions, stores, API keys
and the audit log. Every change is audited in its own transaction; every read runs in the
caller's scope (the store table is under RLS, so an out-of-scope store is simply not there)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ucm import pagination
from ucm.db import Database, UnitOfWork
from ucm.errors import FieldError, Problem, bad_request, conflict, not_found
from ucm.identity import passwords, permissions, sql, tokens
from ucm.identity.auth import revoke_user_sessions
from ucm.identity.principal import API_KEY_PREFIX, Principal, api_key_key, forget_grants
from ucm.ports import Cache

SCOPE_TYPES = ("global", "regions", "stores")
STORE_STATUSES = ("active", "preparing", "closed")
_HOURS = re.compile(r"\d{2}:\d{2}-\d{2}:\d{2}(,\d{2}:\d{2}-\d{2}:\d{2})*")


def stale() -> Problem:
    return conflict("common.version_conflict", "数据已被他人修改，请刷新后重试")


# --- grants: what a granter may hand out -----------------------------------------------------


@dataclass(frozen=True)
class Grant:
    role_code: str
    scope_type: str
    scope_ids: tuple[str, ...]


def _check_grant(uow: UnitOfWork, who: Principal, permissions_granted: Iterable[str], scope_type: str,
                 scope_ids: Sequence[str], target: str) -> None:
    """Refuse (403, audited) a grant beyond the granter's own permissions or scope."""
    if scope_type not in SCOPE_TYPES:
        raise bad_request("system.grant.scope_type", "授权范围只能是 全局 / 区域 / 门店",
                          errors=[FieldError("scope_type", "invalid", "取值须为 global、regions 或 stores")])
    if (scope_type == "global") != (len(scope_ids) == 0):
        raise bad_request("system.grant.scope_ids", "全局授权不能指定门店/区域；区域或门店授权至少选择一个",
                          errors=[FieldError("scope_ids", "invalid", "与授权范围不匹配")])
    reason = None
    extra = set(permissions_granted) - who.permissions
    if extra:
        reason = f"超出您自己的权限：{', '.join(sorted(extra))}"
    elif not who.all_stores:
        if scope_type == "global":
            reason = "您不能授予全局范围"
        elif scope_type == "regions" and not set(scope_ids) <= who.region_ids:
            reason = "包含您管辖范围之外的区域"
        elif scope_type == "stores" and not set(scope_ids) <= who.store_ids:
            reason = "包含您管辖范围之外的门店"
    if reason is None:
        known = uow.all(sql.REGION_IDS if scope_type == "regions" else sql.VISIBLE_STORE_IDS, (list(scope_ids),))
        missing = set(scope_ids) - {r["id"] for r in known}
        if scope_type != "global" and missing:
            raise bad_request("system.grant.unknown_scope", "所选门店或区域不存在",
                              errors=[FieldError("scope_ids", "unknown", f"不存在：{', '.join(sorted(missing))}")])
        return
    raise _Refused(target, {"scope_type": scope_type, "scope_ids": list(scope_ids), "reason": reason},
                   Problem(403, "system.grant.outside_scope", "授权超出您的管辖范围", reason))


class _Refused(Exception):
    """A refused grant: the transaction that tried it rolls back, then ``_audited`` records the
    refusal in a transaction of its own and answers 403."""

    def __init__(self, target: str, details: dict[str, Any], problem: Problem) -> None:
        super().__init__(problem.title)
        self.target = target
        self.details = details
        self.problem = problem


def _audited(db: Database, refused: _Refused) -> Problem:
    with db.transaction() as uow:
        uow.audit("system.grant.refused", "app_user", refused.target, after=refused.details)
    return refused.problem


def _role_permissions(uow: UnitOfWork, role_code: str) -> list[str]:
    role = uow.one(sql.ROLE, (role_code,))
    if role is None:
        raise bad_request("system.role.unknown", "角色不存在",
                          errors=[FieldError("role_code", "unknown", f"没有角色 {role_code}")])
    return list(role["permissions"])


def _bindings(uow: UnitOfWork, user_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {u: [] for u in user_ids}
    for b in uow.all(sql.BINDINGS_OF, (user_ids,)):
        out[b.pop("user_id")].append(b)
    return out


def _with_roles(uow: UnitOfWork, users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    roles = _bindings(uow, [u["id"] for u in users])
    return [{**u, "roles": roles[u["id"]]} for u in users]


# --- users -----------------------------------------------------------------------------------


def _user_query(who: Principal, **kw: Any) -> dict[str, Any]:
    return {"all": who.all_stores, "regions": sorted(who.region_ids), "q": None, "status": None, "id": None,
            "after": None, "limit": 1, **kw}


def list_users(db: Database, who: Principal, q: str | None, status: str | None, limit: int | None,
               cursor: str | None) -> dict[str, Any]:
    n = pagination.check_limit(limit)
    after = pagination.decode(cursor, 1)
    with db.transaction() as uow:
        rows = uow.all(sql.LIST_USERS, _user_query(who, q=f"%{q}%" if q else None, status=status,
                                                   after=after[0] if after else None, limit=n + 1))
        result = pagination.page(rows, n, ["username"])
        result["items"] = _with_roles(uow, result["items"])
    return result


def _visible_user(uow: UnitOfWork, who: Principal, user_id: str) -> dict[str, Any]:
    row = uow.one(sql.LIST_USERS, _user_query(who, id=user_id))
    if row is None:
        raise not_found("system.user.not_found", "找不到该用户，或您无权查看")
    return row


def get_user(db: Database, who: Principal, user_id: str) -> dict[str, Any]:
    with db.transaction() as uow:
        return _with_roles(uow, [_visible_user(uow, who, user_id)])[0]


def create_user(db: Database, cache: Cache, who: Principal, username: str, display_name: str, password: str,
                grants: Sequence[Grant]) -> dict[str, Any]:
    username = username.strip()
    errors = passwords.policy_errors(password, username)
    if not 3 <= len(username) <= 64 or not username.replace("_", "").replace(".", "").replace("-", "").isalnum():
        errors.insert(0, FieldError("username", "invalid", "用户名 3–64 位，只能含字母、数字、_ . -"))
    if errors:
        raise bad_request("system.user.invalid", "用户信息有误", errors=errors)
    try:
        with db.transaction() as uow:
            if uow.one(sql.USERNAME_TAKEN, (username,)):
                raise conflict("system.user.duplicate", "用户名已存在", username)
            row = uow.one(sql.INSERT_USER, (username, display_name.strip() or username,
                                            passwords.hash_password(password), False))
            assert row is not None
            for g in grants:
                _bind(uow, who, row["id"], g)
            uow.audit("system.user.create", "app_user", row["id"],
                      after={"username": username, "display_name": row["display_name"],
                             "roles": [g.__dict__ for g in grants]})
            return _with_roles(uow, [row])[0]
    except _Refused as r:
        raise _audited(db, r) from None


def update_user(db: Database, cache: Cache, who: Principal, user_id: str, display_name: str, status: str,
                version: int) -> dict[str, Any]:
    if status not in ("active", "disabled"):
        raise bad_request("system.user.status", "状态只能是 启用 或 停用",
                          errors=[FieldError("status", "invalid", "取值须为 active 或 disabled")])
    with db.transaction() as uow:
        before = _visible_user(uow, who, user_id)
        row = uow.one(sql.UPDATE_USER, (display_name.strip() or before["display_name"], status, user_id, version))
        if row is None:
            raise stale()
        if status == "disabled":
            revoke_user_sessions(uow, cache, user_id)
        uow.audit("system.user.update", "app_user", user_id,
                  before={"display_name": before["display_name"], "status": before["status"]},
                  after={"display_name": row["display_name"], "status": row["status"]})
        result = _with_roles(uow, [row])[0]
    forget_grants(cache, user_id)
    return result


def reset_password(db: Database, cache: Cache, who: Principal, user_id: str, password: str) -> None:
    with db.transaction() as uow:
        user = _visible_user(uow, who, user_id)
        errors = passwords.policy_errors(password, user["username"])
        if errors:
            raise bad_request("auth.password_policy", "密码不符合要求", errors=errors)
        uow.execute(sql.SET_PASSWORD, (passwords.hash_password(password), True, user_id))
        revoke_user_sessions(uow, cache, user_id)
        uow.audit("system.user.password_reset", "app_user", user_id)


def _bind(uow: UnitOfWork, who: Principal, user_id: str, g: Grant) -> str:
    _check_grant(uow, who, _role_permissions(uow, g.role_code), g.scope_type, g.scope_ids, user_id)
    row = uow.one(sql.INSERT_BINDING, (user_id, g.role_code, g.scope_type, list(g.scope_ids), who.actor))
    assert row is not None
    uow.audit("system.binding.create", "app_user", user_id,
              after={"binding_id": row["id"], "role_code": g.role_code, "scope_type": g.scope_type,
                     "scope_ids": list(g.scope_ids)})
    return str(row["id"])


def add_binding(db: Database, cache: Cache, who: Principal, user_id: str, g: Grant) -> dict[str, Any]:
    try:
        with db.transaction() as uow:
            _visible_user(uow, who, user_id)
            binding_id = _bind(uow, who, user_id, g)
    except _Refused as r:
        raise _audited(db, r) from None
    forget_grants(cache, user_id)
    return {"binding_id": binding_id, "role_code": g.role_code, "scope_type": g.scope_type,
            "scope_ids": list(g.scope_ids)}


def remove_binding(db: Database, cache: Cache, who: Principal, user_id: str, binding_id: str) -> None:
    try:
        with db.transaction() as uow:
            _visible_user(uow, who, user_id)
            row = uow.one(sql.DELETE_BINDING, (binding_id, user_id))
            if row is None:
                raise not_found("system.binding.not_found", "找不到该授权")
            # Removing is granting in reverse: only within the remover's own reach.
            _check_grant(uow, who, _role_permissions(uow, row["role_code"]), row["scope_type"],
                         row["scope_ids"], user_id)
            uow.audit("system.binding.delete", "app_user", user_id, before={"binding_id": binding_id, **row})
    except _Refused as r:
        raise _audited(db, r) from None
    forget_grants(cache, user_id)


# --- roles and permissions -------------------------------------------------------------------


def list_permissions(db: Database) -> list[dict[str, Any]]:
    with db.transaction() as uow:
        return uow.all(sql.LIST_PERMISSIONS)


def list_roles(db: Database) -> list[dict[str, Any]]:
    with db.transaction() as uow:
        return uow.all(sql.LIST_ROLES)


def _check_permissions(codes: Sequence[str]) -> list[str]:
    unknown = sorted(set(codes) - permissions.CODES)
    if unknown:
        raise bad_request("system.role.permissions", "包含不存在的权限",
                          errors=[FieldError("permissions", "unknown", "、".join(unknown))])
    return sorted(set(codes))


def create_role(db: Database, who: Principal, code: str, name: str, perms: Sequence[str]) -> dict[str, Any]:
    codes = _check_permissions(perms)
    if not code.replace("_", "").isalnum() or not code.islower():
        raise bad_request("system.role.code", "角色编码只能含小写字母、数字和下划线",
                          errors=[FieldError("code", "invalid", "例如 night_shift")])
    with db.transaction() as uow:
        row = uow.one(sql.INSERT_ROLE, (code, name.strip(), codes))
        if row is None:
            raise conflict("system.role.duplicate", "角色编码已存在", code)
        uow.audit("system.role.create", "role", code, after={"name": row["name"], "permissions": codes})
        return row


def update_role(db: Database, cache: Cache, who: Principal, code: str, name: str, perms: Sequence[str],
                version: int) -> dict[str, Any]:
    codes = _check_permissions(perms)
    with db.transaction() as uow:
        before = uow.one(sql.ROLE, (code,))
        if before is None:
            raise not_found("system.role.not_found", "找不到该角色")
        if before["builtin"]:
            raise Problem(422, "system.role.builtin", "内置角色不能修改，请新建自定义角色")
        row = uow.one(sql.UPDATE_ROLE, (name.strip() or before["name"], codes, code, version))
        if row is None:
            raise stale()
        uow.audit("system.role.update", "role", code,
                  before={"name": before["name"], "permissions": before["permissions"]},
                  after={"name": row["name"], "permissions": codes})
        holders = [r["user_id"] for r in uow.all(sql.USERS_WITH_ROLE, (code,))]
    forget_grants(cache, *holders)
    return row


# --- regions and stores ----------------------------------------------------------------------


def _hq_only(who: Principal) -> None:
    if not who.all_stores:
        raise Problem(403, "system.hq_only", "只有总部（全局范围）可以执行此操作")


def list_regions(db: Database) -> dict[str, Any]:
    with db.transaction() as uow:
        return {"items": uow.all(sql.LIST_REGIONS), "next_cursor": None}


def create_region(db: Database, who: Principal, code: str, name: str) -> dict[str, Any]:
    _hq_only(who)
    with db.transaction() as uow:
        row = uow.one(sql.INSERT_REGION, (code.strip().upper(), name.strip()))
        if row is None:
            raise conflict("system.region.duplicate", "区域编码已存在", code)
        uow.audit("system.region.create", "region", row["id"], after=row)
        return row


def update_region(db: Database, who: Principal, region_id: str, name: str, version: int) -> dict[str, Any]:
    _hq_only(who)
    with db.transaction() as uow:
        row = uow.one(sql.UPDATE_REGION, (name.strip(), region_id, version))
        if row is None:
            raise stale() if uow.one(sql.REGION_VERSION, (region_id,)) else not_found("system.region.not_found")
        uow.audit("system.region.update", "region", region_id, after=row)
        return row


def delete_region(db: Database, who: Principal, region_id: str) -> None:
    """Only an empty region goes; stores are closed (status), never deleted: their history stays."""
    _hq_only(who)
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
    _hq_only(who)
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
            _hq_only(who)  # moving a store between regions changes who sees it
        row = uow.one(sql.UPDATE_STORE, (s.name.strip(), s.region_id, s.address, s.business_hours, s.status,
                                         s.timezone, store_id, version))
        if row is None:
            raise stale()
        after = uow.one(sql.GET_STORE, (store_id,))
        uow.audit("system.store.update", "store", store_id, before=before, after=after, store_id=store_id)
        assert after is not None
        return after


# --- API keys --------------------------------------------------------------------------------


def list_api_keys(db: Database) -> dict[str, Any]:
    with db.transaction() as uow:
        return {"items": uow.all(sql.LIST_API_KEYS), "next_cursor": None}


def create_api_key(db: Database, who: Principal, name: str, perms: Sequence[str], scope_type: str,
                   scope_ids: Sequence[str]) -> dict[str, Any]:
    codes = _check_permissions(perms)
    prefix = API_KEY_PREFIX + tokens.new_secret()[:8].replace("-", "x").replace("_", "x")
    key = f"{prefix}.{tokens.new_secret()}"
    try:
        with db.transaction() as uow:
            _check_grant(uow, who, codes, scope_type, scope_ids, f"api_key:{name}")
            row = uow.one(sql.INSERT_API_KEY, (name.strip(), prefix, tokens.digest(key), codes, scope_type,
                                               list(scope_ids), who.actor))
            assert row is not None
            uow.audit("system.apikey.create", "api_key", row["id"],
                      after={"name": row["name"], "prefix": prefix, "permissions": codes,
                             "scope_type": scope_type, "scope_ids": list(scope_ids)})
    except _Refused as r:
        raise _audited(db, r) from None
    return {**row, "key": key}


def revoke_api_key(db: Database, cache: Cache, who: Principal, key_id: str) -> None:
    with db.transaction() as uow:
        row = uow.one(sql.REVOKE_API_KEY, (key_id,))
        if row is None:
            if uow.one(sql.API_KEY_EXISTS, (key_id,)) is None:
                raise not_found("system.apikey.not_found", "找不到该 API 密钥")
            return  # already revoked: revoking again changes nothing
        uow.audit("system.apikey.revoke", "api_key", key_id)
    cache.delete(api_key_key(row["prefix"]))


# --- audit -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    store_id: str | None = None
    from_: datetime | None = None
    to: datetime | None = None


def _audit_params(f: AuditFilter) -> dict[str, Any]:
    action = f.action.replace("*", "%") if f.action else None
    return {"actor": f.actor, "action": action, "target_type": f.target_type, "target_id": f.target_id,
            "store": f.store_id, "from": f.from_, "to": f.to, "after_at": None, "after_id": None}


def list_audit(db: Database, f: AuditFilter, limit: int | None, cursor: str | None) -> dict[str, Any]:
    n = pagination.check_limit(limit)
    after = pagination.decode(cursor, 2)
    params = {**_audit_params(f), "limit": n + 1}
    if after:
        params["after_at"], params["after_id"] = after
    with db.transaction() as uow:
        rows = uow.all(sql.LIST_AUDIT, params)
    return pagination.page(rows, n, ["at", "id"])


EXPORT_MAX_ROWS = 100_000
_AUDIT_COLUMNS = ("at", "actor", "action", "target_type", "target_id", "store_id", "before", "after",
                  "request_id", "source_ip")
_AUDIT_HEADERS = ("时间", "操作人", "操作", "对象类型", "对象编号", "门店", "修改前", "修改后", "请求编号", "来源 IP")


def export_audit_csv(db: Database, f: AuditFilter) -> bytes:
    """UTF-8 with BOM, so Excel opens the Chinese headers correctly."""
    with db.transaction() as uow:
        rows = uow.all(sql.LIST_AUDIT, {**_audit_params(f), "limit": EXPORT_MAX_ROWS})
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(_AUDIT_HEADERS)
    for r in rows:
        w.writerow([r["at"].isoformat() if r["at"] else "", *(
            json.dumps(r[c], ensure_ascii=False) if c in ("before", "after") and r[c] is not None else (r[c] or "")
            for c in _AUDIT_COLUMNS[1:])])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def ensure_admin(db: Database, username: str, password: str, display_name: str = "总部管理员") -> bool:
    """Create a global HQ admin if the username is free (first deployment, demo data)."""
    from ucm import context

    errors = passwords.policy_errors(password, username)
    if errors:
        raise bad_request("auth.password_policy", "密码不符合要求", errors=errors)
    with db.transaction(context.system("setup")) as uow:
        if uow.one(sql.USERNAME_TAKEN, (username,)):
            return False
        row = uow.one(sql.INSERT_USER, (username, display_name, passwords.hash_password(password), False))
        assert row is not None
        uow.execute(sql.INSERT_BINDING, (row["id"], "hq_admin", "global", [], "system:setup"))
        uow.audit("system.user.create", "app_user", row["id"],
                  after={"username": username, "roles": [{"role_code": "hq_admin", "scope_type": "global"}]})
        return True
