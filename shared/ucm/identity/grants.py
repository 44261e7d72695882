"""Grants: what a granter may hand out (never beyond their own permissions or scope), and
the audited refusal when they try."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ucm.db import Database, UnitOfWork
from ucm.errors import FieldError, Problem, bad_request, conflict
from ucm.identity import sql
from ucm.identity.principal import Principal

SCOPE_TYPES = ("global", "regions", "stores")


def stale() -> Problem:
    return conflict("common.version_conflict", "数据已被他人修改，请刷新后重试")


# --- grants: what a granter may hand out -----------------------------------------------------


@dataclass(frozen=True)
class Grant:
    role_code: str
    scope_type: str
    scope_ids: tuple[str, ...]


def check_grant(uow: UnitOfWork, who: Principal, permissions_granted: Iterable[str], scope_type: str,
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
    raise Refused(target, {"scope_type": scope_type, "scope_ids": list(scope_ids), "reason": reason},
                   Problem(403, "system.grant.outside_scope", "授权超出您的管辖范围", reason))


class Refused(Exception):
    """A refused grant: the transaction that tried it rolls back, then ``audited`` records the
    refusal in a transaction of its own and answers 403."""

    def __init__(self, target: str, details: dict[str, Any], problem: Problem) -> None:
        super().__init__(problem.title)
        self.target = target
        self.details = details
        self.problem = problem


def audited(db: Database, refused: Refused) -> Problem:
    with db.transaction() as uow:
        uow.audit("system.grant.refused", "app_user", refused.target, after=refused.details)
    return refused.problem


def role_permissions(uow: UnitOfWork, role_code: str) -> list[str]:
    role = uow.one(sql.ROLE, (role_code,))
    if role is None:
        raise bad_request("system.role.unknown", "角色不存在",
                          errors=[FieldError("role_code", "unknown", f"没有角色 {role_code}")])
    return list(role["permissions"])



def hq_only(who: Principal) -> None:
    if not who.all_stores:
        raise Problem(403, "system.hq_only", "只有总部（全局范围）可以执行此操作")
