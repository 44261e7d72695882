"""Users and their role bindings (each with a data scope), and the first HQ admin."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ucm import pagination
from ucm.db import Database, UnitOfWork
from ucm.errors import FieldError, bad_request, conflict, not_found
from ucm.identity import passwords, sql
from ucm.identity.auth import revoke_user_sessions
from ucm.identity.grants import Grant, Refused, audited, check_grant, role_permissions, stale
from ucm.identity.principal import Principal, forget_grants
from ucm.ports import Cache


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
    except Refused as r:
        raise audited(db, r) from None


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
    check_grant(uow, who, role_permissions(uow, g.role_code), g.scope_type, g.scope_ids, user_id)
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
    except Refused as r:
        raise audited(db, r) from None
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
            check_grant(uow, who, role_permissions(uow, row["role_code"]), row["scope_type"],
                         row["scope_ids"], user_id)
            uow.audit("system.binding.delete", "app_user", user_id, before={"binding_id": binding_id, **row})
    except Refused as r:
        raise audited(db, r) from None
    forget_grants(cache, user_id)



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
