"""System API: health, login and sessions, users / roles / scope bindings, regions and stores,
API keys, audit log, upload links. Contract: docs/identity-api.md. Handlers only translate
HTTP to ``ucm.identity`` calls."""

from datetime import datetime
from typing import Any, Literal

from fastapi import Header, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from ucm import health, uploads
from ucm.bootstrap import container
from ucm.fc.app import FunctionApp
from ucm.identity import api_keys, audit_log, auth, grants, org, roles, users, views
from ucm.identity.principal import Principal
from ucm.times import aware
from ucm.web import download
from ucm.web_auth import require

app = FunctionApp("system-api", description="系统：健康检查、登录、用户与权限、门店、API 密钥、审计、上传链接",
                  memory_mb=512, timeout_s=15)


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _auth_settings() -> auth.Settings:
    s = container().settings
    return auth.Settings(secret=s.app.secret, require_totp_for_hq=s.app.require_totp_for_hq)


# --- health and uploads ------------------------------------------------------------------------


@app.route("/health", methods=["GET"], summary="依赖健康状态", tags=["system"])
async def get_health() -> Response:
    checker = health.service()
    # A fresh snapshot is served on the event loop; probing the peers runs in a worker thread.
    snap = checker.cached()
    if snap is None:
        snap = await run_in_threadpool(checker.check)
    return Response(snap.json, status_code=snap.status, media_type="application/json")


class PresignIn(In):
    filename: str = Field(min_length=1, max_length=200, description="原文件名，例如 商品导入.csv")
    content_type: str = Field(description="文件类型，例如 text/csv")


class PresignOut(BaseModel):
    key: str
    url: str
    method: str
    content_type: str
    expires_at: datetime


@app.route("/system/uploads", methods=["POST"], summary="获取文件上传链接（预签名 PUT）", tags=["system"],
           status_code=201, response_model=PresignOut)
def create_upload(body: PresignIn, who: Principal = require("files.upload")) -> PresignOut:
    p = uploads.presign(container().objects, body.filename, body.content_type)
    return PresignOut(key=p.key, url=p.url, method=p.method, content_type=p.content_type, expires_at=p.expires_at)


# --- auth ----------------------------------------------------------------------------------------


class LoginIn(In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    totp_code: str | None = Field(default=None, max_length=10)


class RefreshIn(In):
    refresh_token: str = Field(min_length=1, max_length=200)


class PasswordIn(In):
    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class TotpIn(In):
    code: str = Field(min_length=6, max_length=10)


@app.route("/auth/login", methods=["POST"], summary="登录", tags=["auth"])
def login(body: LoginIn, user_agent: str | None = Header(default=None)) -> dict[str, Any]:
    c = container()
    return auth.login(c.db, _auth_settings(), body.username, body.password, body.totp_code, user_agent).to_dict()


@app.route("/auth/refresh", methods=["POST"], summary="刷新登录", tags=["auth"])
def refresh(body: RefreshIn) -> dict[str, Any]:
    return auth.refresh(container().db, _auth_settings(), body.refresh_token).to_dict()


@app.route("/auth/logout", methods=["POST"], summary="退出登录", tags=["auth"], status_code=204)
def logout(who: Principal = require()) -> Response:
    c = container()
    auth.logout(c.db, c.cache, who)
    return Response(status_code=204)


@app.route("/auth/me", methods=["GET"], summary="当前用户、权限与可见门店", tags=["auth"])
def me(who: Principal = require()) -> dict[str, Any]:
    if who.kind != "user":
        return {"id": who.id, "username": who.name, "display_name": who.name, "permissions": sorted(who.permissions),
                "all_stores": who.all_stores, "stores": [], "roles": [], "totp_enabled": False,
                "must_change_password": False}
    return auth.me(container().db, who)


@app.route("/auth/password", methods=["POST"], summary="修改密码", tags=["auth"], status_code=204)
def change_password(body: PasswordIn, who: Principal = require()) -> Response:
    auth.change_password(container().db, who, body.old_password, body.new_password)
    return Response(status_code=204)


@app.route("/auth/totp/setup", methods=["POST"], summary="生成动态验证码密钥", tags=["auth"])
def totp_setup(who: Principal = require()) -> dict[str, str]:
    return auth.totp_setup(container().db, who, who.name)


@app.route("/auth/totp/enable", methods=["POST"], summary="启用动态验证码", tags=["auth"], status_code=204)
def totp_enable(body: TotpIn, who: Principal = require()) -> Response:
    auth.totp_enable(container().db, who, body.code)
    return Response(status_code=204)


# --- users and bindings ----------------------------------------------------------------------------

ScopeType = Literal["global", "regions", "stores"]


class GrantIn(In):
    role_code: str = Field(min_length=1, max_length=64)
    scope_type: ScopeType
    scope_ids: list[str] = Field(default_factory=list, max_length=1000)

    def grant(self) -> grants.Grant:
        return grants.Grant(self.role_code, self.scope_type, tuple(self.scope_ids))


class UserIn(In):
    username: str = Field(min_length=1, max_length=64)
    display_name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    bindings: list[GrantIn] = Field(default_factory=list, max_length=50)


class UserUpdateIn(In):
    display_name: str = Field(min_length=1, max_length=64)
    status: Literal["active", "disabled"]
    version: int


class PasswordResetIn(In):
    password: str = Field(min_length=1, max_length=256)


@app.route("/system/users", methods=["GET"], summary="用户列表", tags=["system"])
def list_users(q: str | None = None, status: str | None = None, limit: int | None = None,
               cursor: str | None = None, who: Principal = require("system.user.read")) -> dict[str, Any]:
    return users.list_users(container().db, who, q, status, limit, cursor)


@app.route("/system/users", methods=["POST"], summary="新建用户", tags=["system"], status_code=201)
def create_user(body: UserIn, who: Principal = require("system.user.write")) -> dict[str, Any]:
    c = container()
    return users.create_user(c.db, c.cache, who, body.username, body.display_name, body.password,
                             [b.grant() for b in body.bindings])


@app.route("/system/users/{user_id}", methods=["GET"], summary="用户详情", tags=["system"])
def get_user(user_id: str, who: Principal = require("system.user.read")) -> dict[str, Any]:
    return users.get_user(container().db, who, user_id)


@app.route("/system/users/{user_id}", methods=["PUT"], summary="修改用户", tags=["system"])
def update_user(user_id: str, body: UserUpdateIn, who: Principal = require("system.user.write")) -> dict[str, Any]:
    c = container()
    return users.update_user(c.db, c.cache, who, user_id, body.display_name, body.status, body.version)


@app.route("/system/users/{user_id}/bindings", methods=["POST"], summary="授予角色与数据范围", tags=["system"],
           status_code=201)
def add_binding(user_id: str, body: GrantIn, who: Principal = require("system.user.write")) -> dict[str, Any]:
    c = container()
    return users.add_binding(c.db, c.cache, who, user_id, body.grant())


@app.route("/system/users/{user_id}/bindings/{binding_id}", methods=["DELETE"], summary="撤销授权",
           tags=["system"], status_code=204)
def remove_binding(user_id: str, binding_id: str, who: Principal = require("system.user.write")) -> Response:
    c = container()
    users.remove_binding(c.db, c.cache, who, user_id, binding_id)
    return Response(status_code=204)


@app.route("/system/users/{user_id}/password", methods=["POST"], summary="重置密码", tags=["system"],
           status_code=204)
def reset_password(user_id: str, body: PasswordResetIn, who: Principal = require("system.user.write")) -> Response:
    c = container()
    users.reset_password(c.db, c.cache, who, user_id, body.password)
    return Response(status_code=204)


# --- roles -----------------------------------------------------------------------------------------


class RoleIn(In):
    code: str = Field(min_length=2, max_length=64)
    name: str = Field(min_length=1, max_length=64)
    permissions: list[str] = Field(default_factory=list, max_length=500)


class RoleUpdateIn(In):
    name: str = Field(min_length=1, max_length=64)
    permissions: list[str] = Field(default_factory=list, max_length=500)
    version: int


@app.route("/system/permissions", methods=["GET"], summary="权限清单", tags=["system"])
def list_permissions(who: Principal = require("system.role.read")) -> list[dict[str, Any]]:
    return roles.list_permissions(container().db)


@app.route("/system/roles", methods=["GET"], summary="角色列表", tags=["system"])
def list_roles(who: Principal = require("system.role.read")) -> list[dict[str, Any]]:
    return roles.list_roles(container().db)


@app.route("/system/roles", methods=["POST"], summary="新建自定义角色", tags=["system"], status_code=201)
def create_role(body: RoleIn, who: Principal = require("system.role.write")) -> dict[str, Any]:
    return roles.create_role(container().db, who, body.code, body.name, body.permissions)


@app.route("/system/roles/{code}", methods=["PUT"], summary="修改自定义角色", tags=["system"])
def update_role(code: str, body: RoleUpdateIn, who: Principal = require("system.role.write")) -> dict[str, Any]:
    c = container()
    return roles.update_role(c.db, c.cache, who, code, body.name, body.permissions, body.version)


# --- regions and stores ------------------------------------------------------------------------------


class RegionIn(In):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=64)


class RegionUpdateIn(In):
    name: str = Field(min_length=1, max_length=64)
    version: int


class StoreIn(In):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=64)
    region_id: str | None = None
    address: str = Field(default="", max_length=200)
    business_hours: str = Field(default="07:00-23:00", max_length=100)
    status: Literal["active", "preparing", "closed"] = "active"
    timezone: str = Field(default="Asia/Shanghai", max_length=64)

    def store(self) -> org.StoreInput:
        return org.StoreInput(self.code, self.name, self.region_id, self.address, self.business_hours,
                                self.status, self.timezone)


class StoreUpdateIn(StoreIn):
    version: int


@app.route("/system/regions", methods=["GET"], summary="区域列表", tags=["system"])
def list_regions(who: Principal = require("system.store.read")) -> dict[str, Any]:
    return org.list_regions(container().db)


@app.route("/system/regions", methods=["POST"], summary="新建区域", tags=["system"], status_code=201)
def create_region(body: RegionIn, who: Principal = require("system.store.write")) -> dict[str, Any]:
    return org.create_region(container().db, who, body.code, body.name)


@app.route("/system/regions/{region_id}", methods=["PUT"], summary="修改区域", tags=["system"])
def update_region(region_id: str, body: RegionUpdateIn,
                  who: Principal = require("system.store.write")) -> dict[str, Any]:
    return org.update_region(container().db, who, region_id, body.name, body.version)


@app.route("/system/regions/{region_id}", methods=["DELETE"], summary="删除空区域", tags=["system"],
           status_code=204)
def delete_region(region_id: str, who: Principal = require("system.store.write")) -> Response:
    org.delete_region(container().db, who, region_id)
    return Response(status_code=204)


@app.route("/system/stores", methods=["GET"], summary="门店列表（仅可见范围）", tags=["system"])
def list_stores(region_id: str | None = None, status: str | None = None, q: str | None = None,
                limit: int | None = None, cursor: str | None = None,
                who: Principal = require("system.store.read")) -> dict[str, Any]:
    return org.list_stores(container().db, region_id, status, q, limit, cursor)


@app.route("/system/stores", methods=["POST"], summary="新建门店", tags=["system"], status_code=201)
def create_store(body: StoreIn, who: Principal = require("system.store.write")) -> dict[str, Any]:
    return org.create_store(container().db, who, body.store())


@app.route("/system/stores/{store_id}", methods=["GET"], summary="门店详情", tags=["system"])
def get_store(store_id: str, who: Principal = require("system.store.read")) -> dict[str, Any]:
    return org.get_store(container().db, store_id)


@app.route("/system/stores/{store_id}", methods=["PUT"], summary="修改门店", tags=["system"])
def update_store(store_id: str, body: StoreUpdateIn, who: Principal = require("system.store.write")) -> dict[str, Any]:
    return org.update_store(container().db, who, store_id, body.store(), body.version)


# --- API keys ----------------------------------------------------------------------------------------


class ApiKeyIn(In):
    name: str = Field(min_length=1, max_length=64)
    permissions: list[str] = Field(default_factory=list, max_length=500)
    scope_type: ScopeType
    scope_ids: list[str] = Field(default_factory=list, max_length=1000)


@app.route("/system/api-keys", methods=["GET"], summary="API 密钥列表", tags=["system"])
def list_api_keys(who: Principal = require("system.apikey.read")) -> dict[str, Any]:
    return api_keys.list_api_keys(container().db)


@app.route("/system/api-keys", methods=["POST"], summary="新建 API 密钥（密钥只显示一次）", tags=["system"],
           status_code=201)
def create_api_key(body: ApiKeyIn, who: Principal = require("system.apikey.write")) -> dict[str, Any]:
    return api_keys.create_api_key(container().db, who, body.name, body.permissions, body.scope_type, body.scope_ids)


@app.route("/system/api-keys/{key_id}", methods=["DELETE"], summary="吊销 API 密钥", tags=["system"],
           status_code=204)
def revoke_api_key(key_id: str, who: Principal = require("system.apikey.write")) -> Response:
    c = container()
    api_keys.revoke_api_key(c.db, c.cache, who, key_id)
    return Response(status_code=204)


# --- audit -------------------------------------------------------------------------------------------


@app.route("/system/audit", methods=["GET"], summary="审计日志（format=csv 导出）", tags=["system"])
def list_audit(actor: str | None = None, action: str | None = None, target_type: str | None = None,
               target_id: str | None = None, store_id: str | None = None,
               from_: datetime | None = Query(default=None, alias="from"), to: datetime | None = None,
               limit: int | None = None, cursor: str | None = None, format: Literal["json", "csv"] = "json",
               who: Principal = require("system.audit.read")) -> Any:
    f = audit_log.AuditFilter(actor, action, target_type, target_id, store_id, aware(from_), aware(to))
    db = container().db
    if format == "csv":
        return download(audit_log.export_audit_csv(db, f), "text/csv; charset=utf-8", "审计日志.csv", "audit.csv")
    return audit_log.list_audit(db, f, limit, cursor)


# --- saved views (list filters and column settings of the admin UI) -------------------------------


class ViewIn(In):
    page: str = Field(min_length=1, max_length=60, description="页面，例如 catalog.sku")
    name: str = Field(min_length=1, max_length=40)
    state: dict[str, Any]


@app.route("/system/views", methods=["GET"], summary="我保存的视图", tags=["system"])
def list_views(page: str, who: Principal = require()) -> dict[str, Any]:
    return {"items": views.list_views(container().db, who, page), "next_cursor": None}


@app.route("/system/views", methods=["PUT"], summary="保存视图（同名覆盖）", tags=["system"])
def save_view(body: ViewIn, who: Principal = require()) -> dict[str, Any]:
    return views.save_view(container().db, who, body.page, body.name, body.state)


@app.route("/system/views/{view_id}", methods=["DELETE"], summary="删除视图", tags=["system"], status_code=204)
def delete_view(view_id: str, who: Principal = require()) -> Response:
    views.delete_view(container().db, who, view_id)
    return Response(status_code=204)


handler = app.handler
