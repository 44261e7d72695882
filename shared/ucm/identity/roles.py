"""Permissions and roles: the built-in ones follow the code, HQ adds custom roles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ucm.db import Database
from ucm.errors import FieldError, Problem, bad_request, conflict, not_found
from ucm.identity import permissions, sql
from ucm.identity.grants import stale
from ucm.identity.principal import Principal, forget_grants
from ucm.ports import Cache

# --- roles and permissions -------------------------------------------------------------------


def list_permissions(db: Database) -> list[dict[str, Any]]:
    with db.transaction() as uow:
        return uow.all(sql.LIST_PERMISSIONS)


def list_roles(db: Database) -> list[dict[str, Any]]:
    with db.transaction() as uow:
        return uow.all(sql.LIST_ROLES)


def check_permissions(codes: Sequence[str]) -> list[str]:
    unknown = sorted(set(codes) - permissions.CODES)
    if unknown:
        raise bad_request("system.role.permissions", "包含不存在的权限",
                          errors=[FieldError("permissions", "unknown", "、".join(unknown))])
    return sorted(set(codes))


def create_role(db: Database, who: Principal, code: str, name: str, perms: Sequence[str]) -> dict[str, Any]:
    codes = check_permissions(perms)
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
    codes = check_permissions(perms)
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
