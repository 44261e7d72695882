"""Permissions are named actions; roles are sets of them. The catalog lives in code (each
module adds its actions here) and is synced into the ``permission`` table at migrate time."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Permission:
    code: str
    name: str
    module: str


CATALOG: tuple[Permission, ...] = (
    Permission("system.user.read", "查看用户", "system"),
    Permission("system.user.write", "管理用户与授权", "system"),
    Permission("system.role.read", "查看角色", "system"),
    Permission("system.role.write", "管理角色", "system"),
    Permission("system.store.read", "查看门店与区域", "system"),
    Permission("system.store.write", "管理门店与区域", "system"),
    Permission("system.apikey.read", "查看 API 密钥", "system"),
    Permission("system.apikey.write", "管理 API 密钥", "system"),
    Permission("system.audit.read", "查看审计日志", "system"),
    Permission("files.upload", "上传文件", "system"),
    Permission("catalog.sku.read", "查看商品", "catalog"),
    Permission("catalog.sku.write", "维护商品", "catalog"),
    Permission("catalog.price.read", "查看价格", "catalog"),
    Permission("catalog.price.write", "调整价格", "catalog"),
    Permission("inventory.read", "查看库存", "inventory"),
    Permission("inventory.move", "库存出入库", "inventory"),
    Permission("inventory.transfer", "门店调拨", "inventory"),
    Permission("inventory.stocktake", "盘点", "inventory"),
    Permission("inventory.stocktake.approve", "审批盘点差异", "inventory"),
    Permission("orders.read", "查看订单", "orders"),
    Permission("orders.refund", "发起退款/作废", "orders"),
    Permission("orders.refund.approve", "审批退款", "orders"),
    Permission("members.read", "查看会员", "members"),
    Permission("members.write", "维护会员", "members"),
    Permission("members.phone.view", "查看完整手机号", "members"),
    Permission("marketing.read", "查看营销活动", "marketing"),
    Permission("marketing.write", "管理营销活动", "marketing"),
    Permission("reports.read", "查看报表", "reports"),
    Permission("reports.export", "导出报表", "reports"),
    Permission("payments.read", "查看支付记录", "payments"),
)
CODES = frozenset(p.code for p in CATALOG)



@dataclass(frozen=True)
class BuiltinRole:
    code: str
    name: str
    permissions: frozenset[str]


_STORE_MANAGER = frozenset({
    "system.store.read", "files.upload", "catalog.sku.read", "catalog.sku.write", "catalog.price.read",
    "catalog.price.write", "inventory.read", "inventory.move", "inventory.transfer", "inventory.stocktake",
    "orders.read", "orders.refund", "members.read", "members.write", "marketing.read", "reports.read",
    "payments.read",
})
# An area manager can do what a store manager does in any store of the region (and so can
# appoint store managers there), plus review, approvals and the region's users.
_AREA_MANAGER = _STORE_MANAGER | {
    "system.user.read", "system.user.write", "system.role.read", "system.audit.read",
    "inventory.stocktake.approve", "orders.refund.approve", "reports.export",
}

BUILTIN_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole("hq_admin", "总部管理员", CODES),
    BuiltinRole("area_manager", "区域经理", _AREA_MANAGER),
    BuiltinRole("store_manager", "门店经理", _STORE_MANAGER),
    BuiltinRole("finance", "稽核/财务", frozenset({
        "system.store.read", "system.audit.read", "orders.read", "orders.refund.approve", "reports.read",
        "reports.export", "payments.read", "inventory.read", "catalog.sku.read", "catalog.price.read",
    })),
    BuiltinRole("bi_viewer", "只读分析", frozenset({"system.store.read", "reports.read", "reports.export",
                                                   "catalog.sku.read", "inventory.read", "orders.read"})),
)
